"""seed_demo's execution: the approved year paid in part, some behind the target, one
carried over, one closed; a second run changes nothing."""

import pytest
from django.core.management import call_command

from accounts.models import User
from audit.models import Event
from execution.dashboard import dashboard
from execution.models import CarryOver, CarryOverState, Closure, Payment
from projects.models import ProjectState

pytestmark = pytest.mark.django_db


def test_the_demo_year_is_executed_in_part() -> None:
    call_command("seed_demo")
    assert Payment.objects.exists()
    assert CarryOver.objects.get().state == CarryOverState.APPROVED
    closed = Closure.objects.get()
    assert closed.project.state == ProjectState.CLOSED
    finance = User.objects.get(username="finance_reviewer")
    assert closed.project.budget_year is not None
    behind = dashboard(finance, year=closed.project.budget_year)
    assert behind.target is not None and behind.page.paginator.count >= 2
    events = Event.objects.count()
    call_command("seed_demo")
    assert Event.objects.count() == events
