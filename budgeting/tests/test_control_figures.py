"""Setting control figures (控制数): the service, its history, its refusals."""

from decimal import Decimal

import pytest

from accounts.models import Organization, User
from audit.models import Event
from budgeting import services
from budgeting.models import BudgetCycle, ControlFigure
from budgeting.workflow import WorkflowError

pytestmark = pytest.mark.django_db


def test_setting_a_control_figure_is_recorded(
    cycle: BudgetCycle, education: Organization, finance_reviewer: User
) -> None:
    services.set_control_figure(cycle, education, Decimal("1000000"), actor=finance_reviewer)
    services.set_control_figure(cycle, education, Decimal("1200000"), actor=finance_reviewer)
    assert ControlFigure.objects.get().amount == Decimal("1200000.00")
    events = Event.objects.filter(event_type="budgeting.control_figure.set").order_by("id")
    assert [e.data["after"] for e in events] == ["1000000.00", "1200000.00"]
    assert events[1].data["before"] == "1000000.00"


def test_control_figures_only_for_primary_units(
    cycle: BudgetCycle, exam_authority: Organization
) -> None:
    with pytest.raises(WorkflowError):
        services.set_control_figure(cycle, exam_authority, Decimal("1"), actor=None)
