import pytest
from django.conf import settings
from django.core.management import call_command
from django.db.models import F
from django.utils import translation

from accounts.models import Jurisdiction, Organization, Role, UnitLevel, User
from accounts.validators import validate_phone
from audit.models import Event
from budgeting import demo, diff, services
from budgeting.models import (
    ApprovalBatch,
    BudgetCycle,
    LineDecision,
    Review,
    RoundResult,
    RoundState,
)
from budgeting.permissions import reviews_decided_by
from budgeting.workflow import WorkflowError
from projects import repricing
from projects.models import Project, ProjectState
from projects.permissions import projects_visible_to
from standards.demo import REVISION_CODE

# seed_demo runs once for the module (``demo_province``); each test sees it fresh.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_province")]

DEMO_USERS = {
    "admin": [Role.SYSTEM_ADMIN],
    "edu_clerk": [Role.SUBMITTER],
    "edu_head": [Role.DEPARTMENT_APPROVER],
    "health_clerk": [Role.SUBMITTER],
    "data_reviewer": [Role.DATA_REVIEWER],
    "finance_reviewer": [Role.FINANCE_REVIEWER],
    "finance_director": [Role.FINANCE_APPROVER],
}


def _snapshot() -> tuple[list[tuple], list[tuple], int]:
    units = list(Organization.objects.order_by("code").values_list())
    users = list(User.objects.order_by("username").values_list("username", "password", "roles"))
    return units, users, Event.objects.count()


def test_seed_demo_creates_the_province() -> None:
    province = {"jurisdiction__parent": None}  # the cities have their own (issue #18)
    assert Organization.objects.get(is_finance_department=True, **province).code == "CZT"
    assert (
        Organization.objects.get(is_data_administration=True, **province).level == UnitLevel.PRIMARY
    )
    departments = Organization.objects.filter(
        level=UnitLevel.PRIMARY, is_finance_department=False, is_data_administration=False
    ).filter(**province)
    assert departments.count() >= 4
    for department in departments:
        assert 1 <= department.secondary_units.count() <= 2
    for username, roles in DEMO_USERS.items():
        user = User.objects.get(username=username)
        assert user.roles == roles
        assert user.check_password(settings.DEMO_PASSWORD)
    assert User.objects.get(username="edu_clerk").organization.name == "广东省教育厅"
    assert User.objects.get(username="admin").is_superuser


def test_the_demo_phone_numbers_are_phone_numbers() -> None:
    """The demo passes the phone check every form applies (issue #15)."""
    phones = [
        *Project.objects.values_list("contact_phone", flat=True),
        *User.objects.exclude(phone="").values_list("phone", flat=True),
    ]
    assert phones
    for phone in phones:
        validate_phone(phone)


def test_seed_demo_twice_changes_nothing_and_prints_the_accounts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = _snapshot()
    call_command("seed_demo")
    assert _snapshot() == before
    output = capsys.readouterr().out
    assert settings.DEMO_PASSWORD in output
    assert "finance_director" in output


def test_seed_demo_keeps_a_changed_password() -> None:
    clerk = User.objects.get(username="edu_clerk")
    clerk.set_password("my-own-password-42")
    clerk.save(update_fields=["password"])
    call_command("seed_demo")
    clerk.refresh_from_db()
    assert clerk.check_password("my-own-password-42")


def test_seed_demo_shows_every_state_returns_cuts_and_a_batch() -> None:
    this_year = Project.objects.filter(budget_year=2027)
    # The reserve has no year: it is the project library's (budgeting.library_demo); the
    # closed project is of 2026, the year executed (budgeting.last_year_demo).
    assert set(this_year.values_list("state", flat=True)) == set(ProjectState.values) - {
        ProjectState.RESERVE,
        ProjectState.CLOSED,
    }
    last_year = Project.objects.filter(budget_year=2026)
    assert set(last_year.values_list("state", flat=True)) == {
        ProjectState.APPROVED,
        ProjectState.CLOSED,
    }
    assert Project.objects.filter(state=ProjectState.RESERVE, budget_year=None).count() == 8
    assert this_year.get(name="教育督导信息系统建设").declared_from_library
    in_review_at = set(
        Review.objects.filter(project__state=ProjectState.IN_REVIEW).values_list(
            "stage__code", flat=True
        )
    )
    assert in_review_at == {"department", "technical", "finance", "final"}
    batch = ApprovalBatch.objects.get(cycle__year=2027)  # 2026 has its own (last_year_demo)
    assert batch.name == "2027年第一批"
    assert Review.objects.filter(batch=batch).count() == 2
    cut = LineDecision.objects.filter(approved_amount__lt=F("line__amount"))
    assert cut.count() >= 3
    assert set(cut.values_list("reason", flat=True)) == {"workload_high"}
    for project in Project.objects.filter(review__batch=batch):
        assert project.approved_amount < project.requested_amount
    # One project was returned, revised and resubmitted: its reviewers see the diff.
    resubmitted = this_year.get(name="标准化考点视频巡查系统建设")
    result = diff.since_last_return(resubmitted, list(resubmitted.lines.all()))
    assert result is not None
    kinds = sorted(change.kind for change in result[0].rows)
    assert kinds == ["added", "changed", "removed"]
    assert Review.objects.filter(project=resubmitted, stage__code="technical").exists()


def test_the_demo_drafts_can_be_repriced_with_the_provinces_revision() -> None:
    """The revised standard comes after the demo's lines were priced, as in a real cycle:
    editable projects are offered re-pricing, with new amounts that differ."""
    editable = Project.objects.filter(state__in=[ProjectState.DRAFT, ProjectState.RETURNED])
    plans = [repricing.plan(project) for project in editable if repricing.offered(project)]
    assert plans
    rows = []
    for plan in plans:
        assert plan is not None
        assert plan.standard.code == REVISION_CODE
        rows.extend(plan.rows)
    assert all(not row.problem for row in rows)
    assert any(row.difference for row in rows)


def test_the_demo_year_has_a_complete_first_round_and_an_open_second_with_one_unit_over() -> None:
    year = BudgetCycle.objects.get(year=2027, jurisdiction__parent=None)
    assert [(r.code, r.state) for r in year.rounds.order_by("order")] == [
        ("1up", RoundState.CLOSED),
        ("1down", RoundState.CLOSED),
        ("2up", RoundState.OPEN),
        ("2down", RoundState.PENDING),
    ]
    results = RoundResult.objects.filter(round__code="1up")
    assert results.count() == len(demo.FIRST_ROUND)
    assert all(r.reviewed_amount < r.requested_amount for r in results)
    assert year.control_figures.count() >= 4
    over = Project.objects.get(budget_year=2027, name=demo.OVER_FIGURE_PROJECT)
    assert over.state == ProjectState.RETURNED
    with translation.override("zh-hans"), pytest.raises(WorkflowError, match="超出控制数"):
        services.submit(over, actor=over.created_by, expected_version=over.version)


def test_seed_demo_makes_two_cities_and_a_county_each_reviewing_its_own() -> None:
    """Issue #18: 广州市, 深圳市 and 天河区 with their bodies, people, year and projects;
    a city's finance reviewer waits on its own city's projects only."""
    codes = dict(Jurisdiction.objects.values_list("code", "parent__code"))
    assert codes == {"GD": None, "GD-GZ": "GD", "GD-SZ": "GD", "GD-GZ-TH": "GD-GZ"}
    for code in ("GD-GZ", "GD-SZ", "GD-GZ-TH"):
        units = Organization.objects.filter(jurisdiction__code=code)
        assert units.filter(is_finance_department=True).count() == 1
        assert units.filter(is_data_administration=True).count() == 1
        assert BudgetCycle.objects.filter(jurisdiction__code=code, year=2027).exists()
    reviewer = User.objects.get(username="gz_finance_reviewer")
    assert reviewer.check_password(settings.DEMO_PASSWORD)
    waiting = {r.project.name for r in reviews_decided_by(reviewer)}
    assert waiting == {"广州市智慧教育平台建设"}
    assert {p.organization.jurisdiction.code for p in projects_visible_to(reviewer)} == {"GD-GZ"}
    for username in ("sz_clerk", "sz_finance_reviewer", "th_clerk"):
        assert User.objects.filter(username=username).exists()


def test_every_demo_request_past_submission_keeps_the_plan_rule() -> None:
    """The plan rule (issue #17): a demo request that departs from its year's plan figure
    was submitted with its reason; a draft still short of one shows it as still needed."""
    submitted = Project.objects.exclude(budget_year=None).exclude(
        state__in=[ProjectState.DRAFT, ProjectState.RETURNED, ProjectState.WITHDRAWN]
    )
    assert submitted.filter(plan_deviation_reason__gt="").exists()
    for project in submitted.prefetch_related("year_plans"):
        assert not project.needs_plan_reason or project.plan_deviation_reason
    drafts = Project.objects.filter(state=ProjectState.DRAFT).prefetch_related("year_plans")
    assert any(p.needs_plan_reason and not p.plan_deviation_reason for p in drafts)
