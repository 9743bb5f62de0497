"""seed_demo's whole life of a project (issue #17): the 2026 year approved through the
review, executed in part (some behind the target, some on track), one carried over to
2027, one closed; the 2027 continuing projects show what their predecessors achieved; a
second run changes nothing."""

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.models import User
from audit.models import Event
from budgeting.last_year_demo import BATCH_NAME, DOCUMENT_NUMBER
from budgeting.models import ApprovalBatch, BudgetCycle, CycleState, Review
from execution import demo
from execution.dashboard import dashboard, default_year
from execution.models import CarryOver, CarryOverState, Closure, Payment
from projects.models import Continuity, Project, ProjectState

# seed_demo's rows as it left them (``demo_province``: seeded once per worker, copied
# back for this module), instead of seed_demo again here (11 s of CPU).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_province")]


def test_the_demo_takes_2026_from_approval_to_carry_over_and_closure() -> None:
    last_year = Project.objects.filter(budget_year=2026)
    assert last_year.count() == 5
    # Approved through the review, each stage passed, in one batch with its 批复文号.
    batch = ApprovalBatch.objects.get(cycle__year=2026)
    assert (batch.name, batch.document_number) == (BATCH_NAME, DOCUMENT_NUMBER)
    assert set(Review.objects.filter(batch=batch).values_list("project", flat=True)) == set(
        last_year.values_list("pk", flat=True)
    )
    for project in last_year:
        steps = list(
            Event.objects.filter(target_key=project.code, event_type__startswith="budgeting.")
            .order_by("id")
            .values_list("event_type", flat=True)
        )
        assert steps[0] == "budgeting.project.submit"
        assert "budgeting.project.pass" in steps
        assert "budgeting.project.approve" in steps
        assert project.approved_amount and project.approved_amount < project.requested_amount
    assert BudgetCycle.objects.get(year=2026).state == CycleState.CLOSED
    # Executed in part: every project has a contract and payments; some behind, some not.
    finance = User.objects.get(username="finance_reviewer")
    assert default_year(finance, [2027, 2026]) == 2026  # the year being executed
    behind = {p.name for p in dashboard(finance, year=2026).page}
    assert behind == {"全民健康信息平台建设", "考试报名系统建设", "公安大数据平台建设"}
    assert all(Payment.objects.filter(project=p).exists() for p in last_year)
    assert not Payment.objects.filter(project__budget_year=2027).exists()
    # One carried over to 2027, one closed with its final figures.
    carried = CarryOver.objects.get()
    assert (carried.project.name, carried.state, carried.to_year) == (
        demo.CARRIED_OVER,
        CarryOverState.APPROVED,
        2027,
    )
    closure = Closure.objects.get()
    assert (closure.project.name, closure.project.state) == (demo.CLOSED, ProjectState.CLOSED)
    assert closure.paid == sum(
        Payment.objects.filter(project=closure.project).values_list("amount", flat=True)
    )
    # The 2027 continuing projects are linked to them, and their review pages say so.
    successors = Project.objects.filter(budget_year=2027, predecessor__budget_year=2026)
    assert successors.count() == 5
    assert set(successors.values_list("continuity", flat=True)) == {Continuity.CONTINUING}
    browser = Client()
    browser.force_login(finance)
    browser.cookies["django_language"] = "en"
    after_closed = successors.get(predecessor=closure.project)
    page = browser.get(reverse("budgeting:review", args=[after_closed.code])).content.decode()
    assert closure.project.code in page and "Closed on" in page
    after_carried = successors.get(predecessor=carried.project)
    page = browser.get(reverse("budgeting:review", args=[after_carried.code])).content.decode()
    assert carried.project.code in page and "Not closed yet." in page
    events = Event.objects.count()
    call_command("seed_demo")
    assert Event.objects.count() == events
