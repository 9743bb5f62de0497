"""Setting control figures (控制数): the service, its history, its refusals."""

from decimal import Decimal

import pytest
from django.utils import translation

from accounts.models import Organization, User
from audit.models import Event
from budgeting import cycles
from budgeting.models import BudgetCycle, ControlFigure, CycleState
from budgeting.workflow import WorkflowError

pytestmark = pytest.mark.django_db


def test_setting_a_control_figure_is_recorded(
    cycle: BudgetCycle, education: Organization, finance_reviewer: User
) -> None:
    cycles.set_control_figure(cycle, education, Decimal("1000000"), actor=finance_reviewer)
    cycles.set_control_figure(cycle, education, Decimal("1200000"), actor=finance_reviewer)
    assert ControlFigure.objects.get().amount == Decimal("1200000.00")
    events = Event.objects.filter(event_type="budgeting.control_figure.set").order_by("id")
    assert [e.data["after"] for e in events] == ["1000000.00", "1200000.00"]
    assert events[1].data["before"] == "1000000.00"


def test_control_figures_only_for_primary_units(
    cycle: BudgetCycle, exam_authority: Organization
) -> None:
    with pytest.raises(WorkflowError):
        cycles.set_control_figure(cycle, exam_authority, Decimal("1"), actor=None)


@pytest.mark.parametrize(
    ("amount", "refusal"),
    [
        ("-100.00", "cannot be negative"),
        ("1000000000000.00", "^Exceeds the amount limit: .*at most 999,999,999,999.99"),
        ("NaN", "not a number"),
        ("Infinity", "^Exceeds the amount limit"),
    ],
)
def test_a_figure_out_of_range_is_refused_and_nothing_is_written(
    cycle: BudgetCycle, education: Organization, amount: str, refusal: str
) -> None:
    with translation.override("en"), pytest.raises(WorkflowError, match=refusal):
        cycles.set_control_figure(cycle, education, Decimal(amount), actor=None)
    assert not ControlFigure.objects.exists()
    assert not Event.objects.filter(event_type="budgeting.control_figure.set").exists()


def test_the_largest_figure_is_accepted(cycle: BudgetCycle, education: Organization) -> None:
    figure = cycles.set_control_figure(cycle, education, Decimal("999999999999.99"), actor=None)
    figure.refresh_from_db()
    assert figure.amount == Decimal("999999999999.99")


def test_setting_the_same_figure_again_records_nothing(
    cycle: BudgetCycle, education: Organization
) -> None:
    for _time in range(2):
        cycles.set_control_figure(cycle, education, Decimal("5"), actor=None)
    assert Event.objects.filter(event_type="budgeting.control_figure.set").count() == 1


def test_an_archived_cycle_keeps_its_figures(cycle: BudgetCycle, education: Organization) -> None:
    figure = cycles.set_control_figure(cycle, education, Decimal("5"), actor=None)
    for state in (CycleState.CLOSED, CycleState.ARCHIVED):
        cycle = cycles.change_cycle(
            cycle,
            actor=None,
            name=cycle.name,
            opens_at=cycle.opens_at,
            closes_at=cycle.closes_at,
            state=state,
        )
    with pytest.raises(WorkflowError):
        cycles.set_control_figure(cycle, education, Decimal("6"), actor=None)
    with pytest.raises(WorkflowError):
        cycles.remove_control_figure(figure, actor=None)
    assert ControlFigure.objects.get().amount == Decimal("5.00")
