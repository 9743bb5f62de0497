"""Django admin for cycles: every write through ``budgeting.cycles``, a refusal shown as
a form error (never a 500, never a silent save), every change in the history."""

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Organization, User
from audit.models import Event
from budgeting import cycles, services
from budgeting.models import BudgetCycle, ControlFigure, CycleState, ReviewStage
from projects.models import Project

pytestmark = pytest.mark.django_db


def _form(cycle: BudgetCycle, figures: list[dict[str, str]] | None = None, **fields: str) -> dict:
    """The change page's data as the admin would post it: the cycle, its stages unchanged,
    its stored control figures followed by ``figures`` (new rows, or changes by index)."""
    data: dict[str, Any] = {
        "name": cycle.name,
        "opens_at_0": cycle.opens_at.strftime("%Y-%m-%d"),
        "opens_at_1": "00:00:00",
        "closes_at_0": cycle.closes_at.strftime("%Y-%m-%d"),
        "closes_at_1": "23:59:59",
        "state": cycle.state,
        **fields,
    }
    year_rounds = list(cycle.rounds.order_by("order"))  # read-only: only their ids are posted
    data |= {
        "rounds-TOTAL_FORMS": str(len(year_rounds)),
        "rounds-INITIAL_FORMS": str(len(year_rounds)),
    }
    for index, round_ in enumerate(year_rounds):
        data |= {f"rounds-{index}-id": str(round_.pk), f"rounds-{index}-cycle": str(cycle.pk)}
    stages = list(cycle.stages.order_by("order"))
    data |= {"stages-TOTAL_FORMS": str(len(stages)), "stages-INITIAL_FORMS": str(len(stages))}
    for index, stage in enumerate(stages):
        data |= {
            f"stages-{index}-id": str(stage.pk),
            f"stages-{index}-cycle": str(cycle.pk),
            f"stages-{index}-order": str(stage.order),
            f"stages-{index}-code": stage.code,
            f"stages-{index}-name": stage.name,
            f"stages-{index}-role": stage.role,
            f"stages-{index}-condition": stage.condition,
        }
        if stage.may_change_amounts:
            data[f"stages-{index}-may_change_amounts"] = "on"
        if stage.is_final:
            data[f"stages-{index}-is_final"] = "on"
    stored = list(cycle.control_figures.order_by("pk"))
    rows = [
        {"id": str(f.pk), "organization": str(f.organization_id), "amount": str(f.amount)}
        for f in stored
    ]
    for index, row in enumerate(figures or []):
        if index < len(rows):
            rows[index] |= row
        else:
            rows.append(row)
    data |= {
        "control_figures-TOTAL_FORMS": str(len(rows)),
        "control_figures-INITIAL_FORMS": str(len(stored)),
    }
    for index, row in enumerate(rows):
        data |= {f"control_figures-{index}-{key}": value for key, value in row.items()}
        data[f"control_figures-{index}-cycle"] = str(cycle.pk)
    return data


@pytest.fixture
def admin_client(client: Client, admin_user: User) -> Client:
    client.force_login(admin_user)
    client.cookies["django_language"] = "en"
    return client


def _change(cycle: BudgetCycle) -> str:
    return reverse("admin:budgeting_budgetcycle_change", args=[cycle.pk])


def test_only_admins_maintain_cycles_and_stage_changes_are_recorded(
    admin_client: Client, client: Client, finance_reviewer: User, cycle: BudgetCycle
) -> None:
    data = _form(cycle)
    technical = cycle.stages.get(code="technical")
    index = list(cycle.stages.order_by("order")).index(technical)
    data[f"stages-{index}-condition"] = "always"
    response = admin_client.post(_change(cycle), data)
    assert response.status_code == 302, response.context["adminform"].errors
    assert cycle.stages.get(code="technical").condition == "always"
    event = Event.objects.get(event_type="budgeting.cycle.stages_changed")
    assert event.data["before"][1]["condition"] == "managed"
    assert event.data["after"][1]["condition"] == "always"
    client.force_login(finance_reviewer)
    assert client.get(_change(cycle)).status_code == 302  # to the admin's login


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-100.00", "A control figure cannot be negative."),
        ("1000000000000.00", "Ensure that there are no more than 14 digits in total."),
    ],
)
def test_a_control_figure_out_of_range_is_refused_with_a_message(
    admin_client: Client, cycle: BudgetCycle, education: Organization, amount: str, message: str
) -> None:
    data = _form(cycle, [{"organization": str(education.pk), "amount": amount}])
    response = admin_client.post(_change(cycle), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ControlFigure.objects.exists()
    assert not Event.objects.filter(event_type__startswith="budgeting.control_figure").exists()


def test_a_control_figure_for_a_secondary_unit_is_refused_with_a_message(
    admin_client: Client, cycle: BudgetCycle, exam_authority: Organization
) -> None:
    data = _form(cycle, [{"organization": str(exam_authority.pk), "amount": "1000.00"}])
    response = admin_client.post(_change(cycle), data)
    assert response.status_code == 200
    assert "Control figures are set for primary units." in response.content.decode()
    assert not ControlFigure.objects.exists()


def test_a_valid_control_figure_edit_is_saved_with_its_history_event(
    admin_client: Client, admin_user: User, cycle: BudgetCycle, education: Organization
) -> None:
    cycles.set_control_figure(cycle, education, Decimal("1000000"), actor=None)
    biggest = "999999999999.99"
    response = admin_client.post(_change(cycle), _form(cycle, [{"amount": biggest}]))
    assert response.status_code == 302
    assert ControlFigure.objects.get().amount == Decimal(biggest)
    event = Event.objects.filter(event_type="budgeting.control_figure.set").latest("id")
    assert event.actor == admin_user
    assert event.target_key == "2027-EDU"
    assert (event.data["before"], event.data["after"]) == ("1000000.00", biggest)


def test_removing_a_control_figure_is_recorded(
    admin_client: Client, cycle: BudgetCycle, education: Organization
) -> None:
    cycles.set_control_figure(cycle, education, Decimal("1000000"), actor=None)
    response = admin_client.post(_change(cycle), _form(cycle, [{"DELETE": "on"}]))
    assert response.status_code == 302
    assert not ControlFigure.objects.exists()
    event = Event.objects.get(event_type="budgeting.control_figure.removed")
    assert event.data["before"] == "1000000.00"


def test_a_figure_is_not_moved_to_another_unit_by_changing_its_unit(
    admin_client: Client, cycle: BudgetCycle, education: Organization, health: Organization
) -> None:
    cycles.set_control_figure(cycle, education, Decimal("1000000"), actor=None)
    data = _form(cycle, [{"organization": str(health.pk)}])
    response = admin_client.post(_change(cycle), data)
    assert response.status_code == 200
    assert "delete it and add one for that unit" in response.content.decode()
    assert ControlFigure.objects.get().organization == education


def test_a_cycle_moves_only_along_its_states(admin_client: Client, cycle: BudgetCycle) -> None:
    response = admin_client.post(_change(cycle), _form(cycle, state=CycleState.PREPARING))
    assert response.status_code == 200
    assert "A cycle that is Open cannot become Preparing." in response.content.decode()
    cycle.refresh_from_db()
    assert cycle.state == CycleState.OPEN
    response = admin_client.post(_change(cycle), _form(cycle, state=CycleState.CLOSED))
    assert response.status_code == 302
    event = Event.objects.get(event_type="budgeting.cycle.changed")
    assert (event.from_state, event.to_state) == (CycleState.OPEN, CycleState.CLOSED)
    assert event.data["state"] == [CycleState.OPEN, CycleState.CLOSED]


def test_an_archived_cycle_is_read_only(admin_client: Client, cycle: BudgetCycle) -> None:
    for state in (CycleState.CLOSED, CycleState.ARCHIVED):
        cycles.change_cycle(
            cycle,
            actor=None,
            name=cycle.name,
            opens_at=cycle.opens_at,
            closes_at=cycle.closes_at,
            state=state,
        )
    cycle.refresh_from_db()
    assert b'name="_save"' not in admin_client.get(_change(cycle)).content
    response = admin_client.post(_change(cycle), _form(cycle, name="改名"))
    assert response.status_code == 403
    cycle.refresh_from_db()
    assert cycle.name != "改名"


def test_adding_a_cycle_goes_through_the_service(admin_client: Client, admin_user: User) -> None:
    response = admin_client.post(
        reverse("admin:budgeting_budgetcycle_add"),
        {
            "year": "2028",
            "name": "2028年度部门预算",
            "opens_at_0": "2027-06-01",
            "opens_at_1": "00:00:00",
            "closes_at_0": "2027-08-31",
            "closes_at_1": "23:59:59",
            "state": "preparing",
        },
    )
    assert response.status_code == 302
    cycle = BudgetCycle.objects.get(year=2028)
    assert [s.code for s in cycle.stages.order_by("order")] == [
        code for code, *_rest in cycles.DEFAULT_STAGES
    ]
    assert Event.objects.get(event_type="budgeting.cycle.created").actor == admin_user


def test_stages_do_not_change_while_projects_are_in_review(
    admin_client: Client, cycle: BudgetCycle, ready_project: Project, submitter: User
) -> None:
    services.submit(ready_project, actor=submitter, expected_version=ready_project.version)
    data = _form(cycle)
    data["stages-1-condition"] = "always"
    response = admin_client.post(_change(cycle), data)
    assert response.status_code == 200
    assert "its stages change only when none is" in response.content.decode()
    assert cycle.stages.get(code="technical").condition == "managed"
    assert not Event.objects.filter(event_type="budgeting.cycle.stages_changed").exists()


def test_exactly_one_stage_the_last_gives_the_final_approval(
    admin_client: Client, cycle: BudgetCycle
) -> None:
    data = _form(cycle)
    data["stages-2-is_final"] = "on"  # the finance review as well as the final approval
    response = admin_client.post(_change(cycle), data)
    assert response.status_code == 200
    assert "Exactly one stage, the last, gives the final approval." in response.content.decode()
    assert ReviewStage.objects.filter(cycle=cycle, is_final=True).count() == 1


def test_stages_may_swap_places_through_the_service(cycle: BudgetCycle, admin_user: User) -> None:
    stages = list(cycle.stages.order_by("order"))
    stages[1].order, stages[2].order = stages[2].order, stages[1].order
    cycles.save_stages(cycle, actor=admin_user, stages=stages, deleted=[])
    assert [s.code for s in cycle.stages.order_by("order")] == [
        "department",
        "finance",
        "technical",
        "final",
    ]


def test_a_cycle_with_submissions_is_not_deleted(
    admin_client: Client, cycle: BudgetCycle, ready_project: Project, submitter: User
) -> None:
    services.submit(ready_project, actor=submitter, expected_version=ready_project.version)
    url = reverse("admin:budgeting_budgetcycle_delete", args=[cycle.pk])
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code in (200, 302)
    assert BudgetCycle.objects.filter(pk=cycle.pk).exists()
    assert not Event.objects.filter(event_type="budgeting.cycle.deleted").exists()


def test_a_cycle_nobody_submitted_to_is_deleted_with_a_history_event(
    admin_client: Client, cycle: BudgetCycle, education: Organization
) -> None:
    cycles.set_control_figure(cycle, education, Decimal("5"), actor=None)
    url = reverse("admin:budgeting_budgetcycle_delete", args=[cycle.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not BudgetCycle.objects.exists()
    event = Event.objects.get(event_type="budgeting.cycle.deleted")
    assert event.data["control_figures"] == {"EDU": "5.00"}
