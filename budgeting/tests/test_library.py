"""The project library (issue #17): the reserve, declaring for a year (moving a reserve
project; continuing an earlier year's as 续建, re-priced), returning to the reserve, the
plan's reason, the library page and the rolling plan."""

from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from accounts.models import Organization, User
from audit.models import Event
from budgeting import library, services
from budgeting.models import BudgetCycle, LineDecision
from budgeting.tests import test_transitions
from budgeting.tests.workflow_fixtures import add_line, make_ready
from budgeting.workflow import WorkflowError
from projects import services as project_services
from projects.errors import ProjectError
from projects.models import Continuity, Project, ProjectState
from projects.tests.factories import (
    NEWER_DEMO_CODE,
    add_priced_line,
    project_fields,
    publish_newer_version,
    register,
)
from standards.demo import PROVINCE_CODE
from tests.helpers import seed_standards

pytestmark = pytest.mark.django_db

# The workflow's situations, reached as test_transitions reaches them.
SITUATIONS, _reach, people = (
    test_transitions.SITUATIONS,
    test_transitions._reach,
    test_transitions.people,
)


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def register_reserve(clerk: User, **overrides: object) -> Project:
    fields = project_fields(clerk.organization, **overrides)
    del fields["budget_year"]
    return project_services.register_project(
        actor=clerk,
        fields=fields,
        plan={2027: Decimal("500000.00"), 2028: Decimal("200000.00")},
    )


def reserve_ready(clerk: User, **overrides: object) -> Project:
    return make_ready(register_reserve(clerk, **overrides), clerk)


# --- Reserve ------------------------------------------------------------------------------


def test_a_project_registered_without_a_year_goes_to_the_reserve(submitter: User) -> None:
    project = register_reserve(submitter)
    assert project.state == ProjectState.RESERVE
    assert project.budget_year is None
    assert project.code == "R-EDU-0001"
    assert {plan.year: plan.amount for plan in project.year_plans.all()} == {
        2027: Decimal("500000.00"),
        2028: Decimal("200000.00"),
    }
    assert register_reserve(submitter).code == "R-EDU-0002"
    event = Event.objects.get(event_type="projects.project.registered", target_key=project.code)
    assert event.to_state == ProjectState.RESERVE


def test_a_reserve_project_is_edited_and_priced_with_the_standard_in_force_today(
    submitter: User,
) -> None:
    seed_standards()
    project = register_reserve(submitter, kind="operation")
    line = add_priced_line(project, submitter, "2.1", grade="L1", quantity="2")
    assert line.standard_set is not None and line.standard_set.code == PROVINCE_CODE
    assert Project.objects.get(pk=project.pk).requested_amount == Decimal("167800.00")


def test_the_database_keeps_reserve_without_a_year_and_a_year_without_reserve(
    submitter: User,
) -> None:
    from django.db import IntegrityError, transaction

    project = register_reserve(submitter)
    with pytest.raises(IntegrityError), transaction.atomic():
        Project.objects.filter(pk=project.pk).update(budget_year=2027)
    with pytest.raises(IntegrityError), transaction.atomic():
        Project.objects.filter(pk=project.pk).update(state=ProjectState.DRAFT)


def test_the_reserve_is_in_no_budget_year_list(
    client: Client, cycle: BudgetCycle, submitter: User
) -> None:
    reserve = register_reserve(submitter, name="储备项目")
    of_year = register(submitter, name="年度项目")
    client.force_login(submitter)
    listed = client.get(reverse("projects:list")).context["page"].object_list
    assert [p.code for p in listed] == [of_year.code]
    library_rows = client.get(reverse("library:index")).context["rows"]
    assert {row[0].code for row in library_rows} == {reserve.code, of_year.code}


# --- Declaring a reserve project ----------------------------------------------------------


def test_declaring_a_reserve_project_moves_it_into_the_year(
    cycle: BudgetCycle, submitter: User
) -> None:
    project = reserve_ready(submitter)
    declared = library.declare_for_year(
        project, actor=submitter, year=2027, expected_version=project.version
    )
    assert declared.pk == project.pk and declared.code == project.code
    assert (declared.state, declared.budget_year) == (ProjectState.DRAFT, 2027)
    assert declared.declared_from_library
    event = Event.objects.get(event_type="budgeting.project.declare", target_key=project.code)
    assert (event.from_state, event.to_state) == (ProjectState.RESERVE, ProjectState.DRAFT)
    assert event.data["year"] == 2027


def test_declaring_is_refused_for_others_closed_years_and_stale_pages(
    cycle: BudgetCycle, submitter: User, department_approver: User, outsider: User
) -> None:
    project = register_reserve(submitter)
    for actor, year, version, message in (
        (department_approver, 2027, project.version, "Only the unit's submitters"),
        (outsider, 2027, project.version, "Only the unit's submitters"),
        (submitter, 2030, project.version, "The 2030 budget takes no submissions now."),
        (submitter, 2027, project.version - 1, "Someone acted on this project"),
    ):
        with pytest.raises(WorkflowError, match=message):
            library.declare_for_year(project, actor=actor, year=year, expected_version=version)
    project.refresh_from_db()
    assert project.state == ProjectState.RESERVE
    assert not Event.objects.filter(event_type="budgeting.project.declare").exists()


def test_a_project_of_the_year_cannot_be_declared_for_it_again(
    cycle: BudgetCycle, submitter: User
) -> None:
    project = register(submitter)
    with pytest.raises(WorkflowError, match="Only a project of an earlier year"):
        library.declare_for_year(
            project, actor=submitter, year=2027, expected_version=project.version
        )


def test_the_declare_page_says_why_it_is_refused(
    client: Client, cycle: BudgetCycle, submitter: User
) -> None:
    """A clerk who may declare in general is told the reason, not that their role forbids it."""
    project = register(submitter)
    client.force_login(submitter)
    client.cookies["django_language"] = "en"
    response = client.get(reverse("library:declare", args=[project.code, 2027]))
    assert response.status_code == 403
    text = response.content.decode()
    assert "Only a project of an earlier year can be continued into 2027." in text
    assert "Your roles do not allow this action" not in text


def test_a_request_that_differs_from_the_plan_needs_a_reason_to_be_submitted(
    cycle: BudgetCycle, submitter: User
) -> None:
    project = reserve_ready(submitter)  # plan for 2027: 500,000.00, lines: 500,000.00
    project = add_line(project, submitter, "等保测评", "80000")
    project = library.declare_for_year(
        project, actor=submitter, year=2027, expected_version=project.version
    )
    with pytest.raises(WorkflowError, match="differs from the plan for 2027"):
        services.submit(project, actor=submitter, expected_version=project.version)
    fields = {
        name: getattr(project, name)
        for name in project_services.PROJECT_FIELDS
        if name != "plan_deviation_reason"
    }
    project = project_services.update_project(
        project,
        actor=submitter,
        fields={**fields, "plan_deviation_reason": "新增等保测评。"},
        plan={2027: Decimal("500000.00")},
        expected_version=project.version,
    )
    submitted = services.submit(project, actor=submitter, expected_version=project.version)
    assert submitted.state == ProjectState.IN_REVIEW


# --- Continuing an earlier year's project (续建) ------------------------------------------


@pytest.fixture
def earlier(submitter: User) -> Project:
    """A 2026 project priced by the 2019 standard (167,800.00 + a non-standard 45,000.00)."""
    seed_standards()
    project = register(submitter, budget_year=2026, start_year=2026, kind="operation")
    project = make_ready(project, submitter)  # + 500,000.00 non-standard
    add_priced_line(project, submitter, "2.1", grade="L1", quantity="2")  # 167,800.00
    project = Project.objects.get(pk=project.pk)
    Project.objects.filter(pk=project.pk).update(
        state=ProjectState.APPROVED, approved_amount=Decimal("600000.00")
    )
    return Project.objects.get(pk=project.pk)


def test_declaring_an_earlier_project_continues_it_repriced_for_the_year(
    client: Client, cycle: BudgetCycle, submitter: User, earlier: Project
) -> None:
    publish_newer_version()  # from 2026: staff L1 83,900 → 90,000 a person-year
    client.force_login(submitter)
    client.cookies["django_language"] = "en"
    url = reverse("library:declare", args=[earlier.code, 2027])
    page = client.get(url)
    differences = page.context["plan"]
    assert differences.standard.code == NEWER_DEMO_CODE
    assert differences.difference == Decimal("12200.00")
    assert "180,000.00" in page.content.decode()

    response = client.post(url, {"version": earlier.version})
    successor = Project.objects.get(predecessor=earlier)
    assert response["Location"] == reverse("projects:detail", args=[successor.code])
    assert (successor.budget_year, successor.state) == (2027, ProjectState.DRAFT)
    assert successor.code.startswith("2027-EDU-")
    assert successor.continuity == Continuity.CONTINUING and successor.declared_from_library
    assert successor.requested_amount == Decimal("680000.00")  # 500,000 + 180,000
    priced_with = {line.standard_set for line in successor.lines.exclude(standard_set=None)}
    assert {standard.code for standard in priced_with if standard} == {NEWER_DEMO_CODE}
    assert successor.targets.count() == earlier.targets.count() == 2
    documents = successor.attachments.all()
    assert {d.file.name for d in documents} == {d.file.name for d in earlier.attachments.all()}
    assert [plan.year for plan in successor.year_plans.all()] == [2027]  # 2026's stays behind
    earlier.refresh_from_db()
    assert earlier.state == ProjectState.APPROVED  # unchanged
    assert Event.objects.get(event_type="budgeting.project.continued").data == {
        "year": 2027,
        "successor": successor.code,
    }
    declared = Event.objects.get(event_type="budgeting.project.declare")
    assert declared.target_key == successor.code and declared.data["predecessor"] == earlier.code

    with pytest.raises(WorkflowError, match="already declared for 2027"):
        library.declare_for_year(
            earlier, actor=submitter, year=2027, expected_version=earlier.version
        )


# --- Returning to the reserve -------------------------------------------------------------


def _rejected(submitter: User, approver: User) -> Project:
    planned = {2027: Decimal("500000.00")}  # as make_ready prices it: no reason needed
    project = register(submitter, name="被否决的项目", plan=planned, plan_deviation_reason="")
    project = make_ready(project, submitter)
    project = services.submit(project, actor=submitter, expected_version=project.version)
    return services.reject(
        project, actor=approver, expected_version=project.version, comment="重复建设"
    )


def test_a_rejected_project_returns_to_the_reserve_with_its_history(
    cycle: BudgetCycle, submitter: User, department_approver: User
) -> None:
    project = _rejected(submitter, department_approver)
    back = library.return_to_reserve(project, actor=submitter, expected_version=project.version)
    assert (back.state, back.budget_year, back.code) == (ProjectState.RESERVE, None, project.code)
    types = list(
        Event.objects.filter(target_key=project.code)
        .order_by("id")
        .values_list("event_type", flat=True)
    )
    assert types[-3:] == [
        "budgeting.project.submit",
        "budgeting.project.reject",
        "budgeting.project.return_to_reserve",
    ]
    # And from the reserve into the year again: a draft, still bound by its plan.
    again = library.declare_for_year(
        back, actor=submitter, year=2027, expected_version=back.version
    )
    assert (again.state, again.budget_year) == (ProjectState.DRAFT, 2027)
    again = add_line(again, submitter, "等保测评", "80000")
    with pytest.raises(WorkflowError, match="differs from the plan for 2027"):
        services.submit(again, actor=submitter, expected_version=again.version)


def test_only_a_project_approved_with_nothing_returns_and_its_figures_go(
    cycle: BudgetCycle,
    submitter: User,
    department_approver: User,
    data_reviewer: User,
    finance_reviewer: User,
    finance_approver: User,
) -> None:
    project = make_ready(register(submitter), submitter)
    project = services.submit(project, actor=submitter, expected_version=project.version)
    for reviewer in (department_approver, data_reviewer):
        project = services.pass_stage(project, actor=reviewer, expected_version=project.version)
    line = project.lines.get()
    project = Project.objects.get(pk=project.pk)
    services.set_line_amount(
        project,
        actor=finance_reviewer,
        expected_version=project.version,
        line_id=line.pk,
        approved_amount=Decimal("0"),
        reason="duplicate",
    )
    project = Project.objects.get(pk=project.pk)
    project = services.pass_stage(project, actor=finance_reviewer, expected_version=project.version)
    project = services.approve(project, actor=finance_approver, expected_version=project.version)
    assert project.approved_amount == Decimal("0.00")
    back = library.return_to_reserve(project, actor=submitter, expected_version=project.version)
    assert back.state == ProjectState.RESERVE and back.approved_amount is None
    assert not LineDecision.objects.filter(line__project=project).exists()
    event = Event.objects.get(event_type="budgeting.project.return_to_reserve")
    assert event.data["approved_amount"] == "0.00"
    assert [d["approved"] for d in event.data["decisions_dropped"]] == ["0.00"]


def test_returning_is_refused_for_other_states_amounts_and_people(
    cycle: BudgetCycle, submitter: User, department_approver: User
) -> None:
    draft = register(submitter)
    with pytest.raises(WorkflowError, match="is not possible while the project is Draft"):
        library.return_to_reserve(draft, actor=submitter, expected_version=draft.version)
    Project.objects.filter(pk=draft.pk).update(
        state=ProjectState.APPROVED, approved_amount=Decimal("1.00")
    )
    approved = Project.objects.get(pk=draft.pk)
    with pytest.raises(WorkflowError, match="approved with nothing"):
        library.return_to_reserve(approved, actor=submitter, expected_version=approved.version)
    rejected = _rejected(submitter, department_approver)
    with pytest.raises(WorkflowError, match="Only the unit's submitters"):
        library.return_to_reserve(
            rejected, actor=department_approver, expected_version=rejected.version
        )
    with pytest.raises(WorkflowError, match="Someone acted on this project"):
        library.return_to_reserve(rejected, actor=submitter, expected_version=0)
    assert Project.objects.get(pk=rejected.pk).state == ProjectState.REJECTED


def test_a_continuing_reserve_project_needs_an_earlier_project_of_a_year(
    submitter: User,
) -> None:
    reserve = register_reserve(submitter)
    with pytest.raises(ProjectError, match="earlier budget year"):
        register_reserve(submitter, continuity=Continuity.CONTINUING, predecessor=reserve)


# --- The library page ---------------------------------------------------------------------


def test_the_library_offers_each_project_what_it_may_do(
    client: Client, cycle: BudgetCycle, submitter: User, department_approver: User
) -> None:
    reserve = register_reserve(submitter, name="储备项目")
    rejected = _rejected(submitter, department_approver)
    client.force_login(submitter)
    client.cookies["django_language"] = "en"
    response = client.get(reverse("library:index"))
    offered = {
        project.code: (years, may_return) for project, years, may_return in response.context["rows"]
    }
    assert offered[reserve.code] == ([2027], False)
    assert offered[rejected.code] == ([], True)
    html = response.content.decode()
    assert "Declare for the 2027 budget" in html
    assert "Return to the project library" in html

    client.post(reverse("library:return", args=[rejected.code]), {"version": rejected.version})
    assert Project.objects.get(pk=rejected.pk).state == ProjectState.RESERVE


def test_reviewers_see_every_units_reserve_and_the_outsider_only_their_own(
    client: Client,
    submitter: User,
    outsider: User,
    finance_reviewer: User,
    health: Organization,
) -> None:
    reserve = register_reserve(submitter)
    client.force_login(finance_reviewer)
    codes = {row[0].code for row in client.get(reverse("library:index")).context["rows"]}
    assert reserve.code in codes
    assert client.get(reverse("projects:detail", args=[reserve.code])).status_code == 200
    client.force_login(outsider)
    assert client.get(reverse("library:index")).context["rows"] == []
    assert client.get(reverse("projects:detail", args=[reserve.code])).status_code == 404
    assert client.get(reverse("library:declare", args=[reserve.code, 2027])).status_code == 404


def test_the_library_query_count_does_not_grow_with_rows(
    client: Client, cycle: BudgetCycle, submitter: User
) -> None:
    client.force_login(submitter)
    url = reverse("library:index")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    register_reserve(submitter)
    few = count()
    for number in range(6):
        register_reserve(submitter, name=f"储备{number}")
        register(submitter, name=f"年度{number}")
    assert count() == few


# --- The rolling plan and the report ------------------------------------------------------


def test_the_rolling_plan_shows_each_projects_three_years(client: Client, submitter: User) -> None:
    reserve = register_reserve(submitter)  # 2027: 500,000, 2028: 200,000
    of_year = register(submitter)  # 2027: 1,200,000, 2028: 300,000
    client.force_login(submitter)
    response = client.get(reverse("library:plan"), {"year": 2027})
    assert response.context["years"] == [2027, 2028, 2029]
    rows = {row.project.code: row.amounts for row in response.context["rows"]}
    assert rows == {
        reserve.code: [Decimal("500000.00"), Decimal("200000.00"), None],
        of_year.code: [Decimal("1200000.00"), Decimal("300000.00"), None],
    }
    assert response.context["totals"] == [Decimal("1700000.00"), Decimal("500000.00"), 0]
    assert (response.context["previous"], response.context["next"]) == (2026, 2028)
    # No link to a year the page would refuse.
    for year, links in ((2000, (None, 2001)), (2100, (2099, None))):
        edge = client.get(reverse("library:plan"), {"year": year})
        assert (edge.context["previous"], edge.context["next"]) == links


def test_the_plan_and_request_report_compares_per_unit_and_exports(
    client: Client, cycle: BudgetCycle, submitter: User
) -> None:
    from io import BytesIO

    from openpyxl import load_workbook

    project = make_ready(register(submitter), submitter)  # plan 1,200,000, request 500,000
    services.submit(project, actor=submitter, expected_version=project.version)
    register(submitter, name="未报送")  # a draft: not counted
    client.force_login(submitter)
    client.cookies["django_language"] = "en"
    response = client.get(reverse("reports:plan_vs_request"), {"year": 2027})
    (row,) = response.context["rows"]
    assert (row.projects, row.planned, row.requested, row.differing) == (
        1,
        Decimal("1200000.00"),
        Decimal("500000.00"),
        1,
    )
    export = client.get(reverse("reports:plan_vs_request_export"), {"year": 2027})
    sheet = load_workbook(BytesIO(export.content)).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0][:4] == ["Budget unit", "Projects", "Planned (yuan)", "Requested (yuan)"]
    assert values[1][2:4] == [1200000, 500000]


def test_a_reserve_projects_pages_work_without_a_year(
    client: Client, cycle: BudgetCycle, submitter: User
) -> None:
    project = reserve_ready(submitter)
    client.force_login(submitter)
    client.cookies["django_language"] = "en"
    detail = client.get(reverse("projects:detail", args=[project.code]))
    assert "In the project library (reserve)" in detail.content.decode()
    assert client.get(reverse("budgeting:review", args=[project.code])).status_code == 200
    edit = client.get(reverse("projects:edit", args=[project.code]))
    form = edit.context["form"]
    assert "budget_year" not in form.fields and "functional_code" not in form.fields
    assert form.initial["plan_0"] == Decimal("500000.00")  # the plan from its start year
    response = client.post(
        reverse("projects:create_reserve"),
        {
            **{
                name: value
                for name, value in project_fields(submitter.organization).items()
                if name not in {"budget_year", "predecessor"} and value is not None
            },
            "organization": submitter.organization_id,
            "contact_phone": "020-83134000",
            "plan_0": "300000",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    created = Project.objects.exclude(pk=project.pk).get()
    assert response["Location"] == reverse("projects:detail", args=[created.code])
    assert (created.state, created.budget_year) == (ProjectState.RESERVE, None)
    assert [(p.year, p.amount) for p in created.year_plans.all()] == [(2027, Decimal("300000.00"))]


def test_a_reserve_project_planned_to_end_before_the_year_is_not_declared_for_it(
    cycle: BudgetCycle, submitter: User
) -> None:
    project = register_reserve(submitter, start_year=2025, end_year=2026)
    assert library.declare_refusal(project, submitter, 2027, [2027]) == (
        "The project is planned to end in 2026: change its years before declaring it for 2027."
    )
    with pytest.raises(WorkflowError, match="planned to end in 2026"):
        library.declare_for_year(
            project, actor=submitter, year=2027, expected_version=project.version
        )
    project.refresh_from_db()
    assert project.state == ProjectState.RESERVE


def test_the_rolling_plan_query_count_does_not_grow_with_rows(
    client: Client, submitter: User
) -> None:
    client.force_login(submitter)
    url = reverse("library:plan")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, {"year": 2027}).status_code == 200
        return len(queries)

    register_reserve(submitter)
    few = count()
    for number in range(5):
        register_reserve(submitter, name=f"储备{number}")
        register(submitter, name=f"年度{number}")
    assert count() == few


@pytest.mark.parametrize("situation", [*SITUATIONS, "reserve"])
def test_each_library_action_from_every_state(
    ready_project: Project, people: dict[str, User], situation: str
) -> None:
    """Declaring for 2027 and returning to the reserve, from every state of a 2027 project
    and from the reserve: only a reserve project is declared, only a rejected one returns
    (an approved one only with nothing approved: test above); a refusal writes nothing."""
    if situation == "reserve":
        project = register_reserve(people["submitter"])
    else:
        project = _reach(situation, ready_project, people)
    clerk = people["submitter"]
    allowed = {
        "declare": situation == "reserve",
        "return": situation == "rejected",
    }
    for name, act in (
        (
            "declare",
            lambda p: library.declare_for_year(
                p, actor=clerk, year=2027, expected_version=p.version
            ),
        ),
        (
            "return",
            lambda p: library.return_to_reserve(p, actor=clerk, expected_version=p.version),
        ),
    ):
        project.refresh_from_db()
        before = (project.state, project.budget_year, project.version, Event.objects.count())
        if allowed[name]:
            moved = act(project)
            assert moved.version == before[2] + 1
            assert Event.objects.count() == before[3] + 1
            continue
        with pytest.raises(WorkflowError):
            act(project)
        project.refresh_from_db()
        after = (project.state, project.budget_year, project.version, Event.objects.count())
        assert after == before


def test_the_library_actions_are_not_review_actions(
    client: Client, cycle: BudgetCycle, submitter: User
) -> None:
    project = register_reserve(submitter)
    client.force_login(submitter)
    for action in ("declare", "return_to_reserve"):
        response = client.post(
            reverse("budgeting:act", args=[project.code, action]), {"version": project.version}
        )
        assert response.status_code == 404
    assert Project.objects.get(pk=project.pk).state == ProjectState.RESERVE
