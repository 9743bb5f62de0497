from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Organization, Role, User
from budgeting.models import BudgetCycle, ControlFigure
from projects.models import Project, ProjectState
from projects.tests.factories import register
from reports.figures import control_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def amounts(
    cycle: BudgetCycle, submitter: User, outsider: User, exam_authority: Organization
) -> None:
    """EDU asks 3,000,000 (two units); its 500,000 rejected, 400,000 withdrawn and
    700,000 draft do not count. HEALTH asks 800,000."""
    for unit, amount, state in (
        (None, "1000000.00", ProjectState.IN_REVIEW),
        (exam_authority, "2000000.00", ProjectState.RETURNED),
        (None, "500000.00", ProjectState.REJECTED),
        (None, "400000.00", ProjectState.WITHDRAWN),
        (exam_authority, "700000.00", ProjectState.DRAFT),
    ):
        project = register(submitter, unit, name=f"项目{amount}")
        # Every submitted one has reached finance (the draft never left EDU).
        reached = [] if state == ProjectState.DRAFT else [Role.FINANCE_REVIEWER]
        Project.objects.filter(pk=project.pk).update(
            requested_amount=Decimal(amount), state=state, reached_roles=reached
        )
    foreign = register(outsider)
    Project.objects.filter(pk=foreign.pk).update(
        requested_amount=Decimal("800000.00"),
        state=ProjectState.APPROVED,
        reached_roles=[Role.FINANCE_REVIEWER],
    )
    ControlFigure.objects.create(
        cycle=cycle, organization=submitter.organization, amount=Decimal("2500000.00")
    )


@pytest.mark.usefixtures("amounts")
def test_totals_include_secondary_units_and_leave_out_drafts_withdrawn_and_rejected(
    cycle: BudgetCycle, education: Organization, health: Organization
) -> None:
    edu, health_row = control_rows(cycle, [education, health], Project.objects.all())
    assert edu.requested == Decimal("3000000.00")
    assert edu.control == Decimal("2500000.00")
    assert edu.over
    assert health_row.requested == Decimal("800000.00")
    assert health_row.control is None
    assert not health_row.over


@pytest.mark.usefixtures("amounts")
def test_department_sees_its_own_row_and_finance_sees_all(
    client: Client, department_approver: User, finance_reviewer: User, outsider: User
) -> None:
    client.force_login(department_approver)
    rows = client.get(reverse("home")).context["control_rows"]
    assert [row.unit.code for row in rows] == ["EDU"]
    client.force_login(outsider)
    assert [row.unit.code for row in client.get(reverse("home")).context["control_rows"]] == [
        "HEALTH"
    ]
    client.force_login(finance_reviewer)
    page = client.get(reverse("home"))
    assert {row.unit.code for row in page.context["control_rows"]} == {"EDU", "HEALTH"}
    assert "row--over" in page.content.decode()


@pytest.mark.usefixtures("amounts")
@pytest.mark.parametrize("persona", ["finance_reviewer", "department_approver"])
def test_home_control_row_and_summary_unit_row_agree(
    client: Client, cycle: BudgetCycle, persona: str, request: pytest.FixtureRequest
) -> None:
    client.force_login(request.getfixturevalue(persona))
    home = {row.unit.code: row for row in client.get(reverse("home")).context["control_rows"]}
    summary = client.get(reverse("reports:summary"), {"year": str(cycle.year), "by": "unit"})
    rows = {row.label: row for row, _link in summary.context["rows"]}
    assert rows["省教育厅"].requested == home["EDU"].requested == Decimal("3000000.00")
    assert rows["省教育厅"].projects == 2
    assert summary.context["totals"].requested == sum(row.requested for row in home.values())
    for row, link in summary.context["rows"]:  # each row opens the list of its projects
        assert client.get(link).context["page"].paginator.count == row.projects
    listed = client.get(summary.context["all_link"]).context["page"].paginator.count
    assert listed == summary.context["totals"].projects
    by_state = client.get(reverse("reports:summary"), {"year": str(cycle.year), "by": "state"})
    assert by_state.context["totals"].requested == summary.context["totals"].requested
    uncounted = {row.key for row, _link in by_state.context["rows"] if not row.counted}
    assert uncounted <= {ProjectState.DRAFT, ProjectState.REJECTED, ProjectState.WITHDRAWN}
    assert ProjectState.REJECTED in uncounted
    keys = [row.key for row, _link in by_state.context["rows"]]
    assert keys == sorted(keys, key=list(ProjectState.values).index)  # workflow order
