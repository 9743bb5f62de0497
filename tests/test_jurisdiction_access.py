"""Issue #18: each jurisdiction reviews its own units, with personas from two cities.

Guangzhou (GD-GZ) and Shenzhen (GD-SZ) are set up as an admin does
(``budgeting.jurisdiction_setup``), each with its finance department, data
administration, one budget unit, its people and its own 2027 year; the province
keeps the conftest's units and personas. Every project page and action of the
access matrix is tried across the borders: a Guangzhou reviewer gets 404 or 403 on
Shenzhen's and the province's projects, a Guangzhou clerk never sees either, and
provincial finance acts on no city's project (it reads them in the roll-up).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import (
    AdministrativeLevel,
    Jurisdiction,
    Organization,
    Role,
    User,
    province_pk,
)
from accounts.permissions import units_visible_to
from accounts.tests.factories import OrganizationFactory, UserFactory
from audit.models import Event
from budgeting import services
from budgeting.jurisdiction_setup import FirstYear, set_up_jurisdiction
from budgeting.models import BudgetCycle, CycleState
from budgeting.permissions import (
    control_figure_units,
    cycles_visible_to,
    deciders_at,
    reviews_decided_by,
)
from budgeting.tests.workflow_fixtures import make_ready
from budgeting.workflow import WorkflowError
from execution import services as execution_services
from execution.models import ExecutionTarget
from inventory.models import SurveyCampaign
from inventory.permissions import campaigns_visible_to
from inventory.services import InventoryError
from inventory.tests.factories import open_survey
from projects.models import Project
from projects.permissions import projects_visible_to
from projects.tests.factories import register
from tests.test_access_matrix import MATRIX, PROJECT

pytestmark = pytest.mark.django_db

# Refused: not found, forbidden, or (the API's, which takes no session) not authenticated;
# 405 for an action's URL, which a GET never reaches (its POST is refused by the rules).
REFUSED = (401, 403, 404, 405)
PROJECT_URLS = sorted(name for name, row in MATRIX.items() if row.args is PROJECT)


@dataclass(frozen=True)
class City:
    jurisdiction: Jurisdiction
    unit: Organization
    cycle: BudgetCycle
    clerk: User
    head: User
    data_reviewer: User
    finance_reviewer: User
    finance_approver: User
    project: Project  # at the city's own finance review


def _city(code: str, name: str, prefix: str) -> City:
    now = timezone.now()
    bodies, cycle = set_up_jurisdiction(
        actor=None,
        code=code,
        name=name,
        level=AdministrativeLevel.CITY,
        parent=Jurisdiction.objects.get(pk=province_pk()),
        finance=(f"{prefix}CZJ", f"{name}财政局"),
        data_administration=(f"{prefix}ZSJ", f"{name}政务服务数据管理局"),
        first_year=FirstYear(
            2027,
            f"2027年度{name}部门预算",
            now - timedelta(days=5),
            now + timedelta(days=30),
            CycleState.OPEN,
        ),
    )
    assert cycle is not None
    jurisdiction = bodies.jurisdiction
    unit = OrganizationFactory.create(
        code=f"{prefix}EDU", name=f"{name}教育局", jurisdiction=jurisdiction
    )
    lower = prefix.lower()

    def person(suffix: str, where: Organization, role: Role) -> User:
        return UserFactory.create(username=f"{lower}_{suffix}", organization=where, roles=[role])

    clerk = person("clerk", unit, Role.SUBMITTER)
    head = person("head", unit, Role.DEPARTMENT_APPROVER)
    data = person("data_reviewer", bodies.data_administration, Role.DATA_REVIEWER)
    finance = person("finance_reviewer", bodies.finance, Role.FINANCE_REVIEWER)
    director = person("finance_director", bodies.finance, Role.FINANCE_APPROVER)
    project = make_ready(register(clerk, name=f"{name}智慧教育平台建设"), clerk)
    project = services.submit(project, actor=clerk, expected_version=project.version)
    for reviewer in (head, data):
        project = services.pass_stage(project, actor=reviewer, expected_version=project.version)
    return City(jurisdiction, unit, cycle, clerk, head, data, finance, director, project)


@pytest.fixture
def guangzhou(db: None) -> City:
    return _city("GD-GZ", "广州市", "GZ")


@pytest.fixture
def shenzhen(db: None) -> City:
    return _city("GD-SZ", "深圳市", "SZ")


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _statuses(user: User, project: Project) -> dict[str, int]:
    client = _client(user)
    return {
        name: client.get(reverse(name, args=[project.code])).status_code for name in PROJECT_URLS
    }


def test_each_city_reviews_in_its_own_year(guangzhou: City, shenzhen: City, cycle) -> None:
    """Three 2027 cycles, one per jurisdiction; a city's project went into its own."""
    assert BudgetCycle.objects.filter(year=2027).count() == 3
    assert guangzhou.project.review.cycle == guangzhou.cycle
    assert shenzhen.project.review.cycle == shenzhen.cycle
    assert guangzhou.project.review.stage.code == "finance"  # type: ignore[union-attr]
    assert list(cycles_visible_to(guangzhou.finance_reviewer)) == [guangzhou.cycle]


def test_a_guangzhou_reviewer_reaches_no_shenzhen_or_provincial_project_page(
    guangzhou: City, shenzhen: City, at_finance: Project
) -> None:
    assert PROJECT_URLS, "the access matrix names the project pages"
    for reviewer in (guangzhou.finance_reviewer, guangzhou.data_reviewer):
        for project in (shenzhen.project, at_finance):
            reached = {
                name: status
                for name, status in _statuses(reviewer, project).items()
                if status not in REFUSED
            }
            assert not reached, (reviewer.username, project.code, reached)
    # Their own city's project is theirs to review.
    own = _client(guangzhou.finance_reviewer)
    assert own.get(reverse("budgeting:review", args=[guangzhou.project.code])).status_code == 200


def test_a_guangzhou_clerk_never_sees_a_provincial_or_shenzhen_project(
    guangzhou: City, shenzhen: City, at_finance: Project
) -> None:
    clerk = guangzhou.clerk
    assert set(projects_visible_to(clerk)) == {guangzhou.project}
    listing = _client(clerk).get(reverse("projects:list")).content.decode()
    assert guangzhou.project.code in listing
    assert shenzhen.project.code not in listing and at_finance.code not in listing
    for project in (shenzhen.project, at_finance):
        statuses = _statuses(clerk, project)
        assert {n: s for n, s in statuses.items() if s not in REFUSED} == {}


def test_reviewers_see_and_decide_their_own_jurisdiction_only(
    guangzhou: City, shenzhen: City, at_finance: Project, finance_reviewer: User
) -> None:
    assert set(projects_visible_to(guangzhou.finance_reviewer)) == {guangzhou.project}
    assert set(projects_visible_to(finance_reviewer)) == {at_finance}
    assert {r.project for r in reviews_decided_by(guangzhou.finance_reviewer)} == {
        guangzhou.project
    }
    assert {r.project for r in reviews_decided_by(finance_reviewer)} == {at_finance}
    # Who is told a project waits: its own jurisdiction's finance only.
    stage = guangzhou.project.review.stage
    assert stage is not None
    assert list(deciders_at(guangzhou.project, stage)) == [guangzhou.finance_reviewer]
    tasks = _client(guangzhou.finance_reviewer).get(reverse("budgeting:tasks")).content.decode()
    assert guangzhou.project.code in tasks
    assert shenzhen.project.code not in tasks and at_finance.code not in tasks


def test_the_scope_is_the_same_with_the_unit_loaded_or_not(
    guangzhou: City, shenzhen: City, at_finance: Project, finance_reviewer: User
) -> None:
    """Issue #21: with the user's unit loaded (as every request's user is), the
    jurisdiction is a constant in the SQL, else a subquery; the rows are the same."""
    for reviewer in (guangzhou.finance_reviewer, shenzhen.finance_reviewer, finance_reviewer):
        bare = User.objects.get(pk=reviewer.pk)
        loaded = User.objects.select_related("organization").get(pk=reviewer.pk)
        as_subquery, as_constant = projects_visible_to(bare), projects_visible_to(loaded)
        assert "SELECT" in str(as_subquery.query).split("WHERE", 1)[1]
        assert "SELECT" not in str(as_constant.query).split("WHERE", 1)[1]
        assert set(as_constant) == set(as_subquery)
        assert set(reviews_decided_by(loaded)) == set(reviews_decided_by(bare))
    assert set(projects_visible_to(guangzhou.finance_reviewer)) == {guangzhou.project}


def test_provincial_finance_acts_on_no_city_project(
    guangzhou: City, finance_reviewer: User, finance_approver: User
) -> None:
    project = guangzhou.project
    with pytest.raises(WorkflowError):
        services.pass_stage(project, actor=finance_reviewer, expected_version=project.version)
    client = _client(finance_reviewer)
    response = client.post(reverse("budgeting:review", args=[project.code]), {"action": "pass"})
    assert response.status_code == 404
    with pytest.raises(WorkflowError):
        services.approve_batch(
            [project],
            actor=finance_approver,
            name="第一批",
            versions={project.pk: project.version},
        )
    project.refresh_from_db()
    assert project.review.stage.code == "finance"  # type: ignore[union-attr]


def test_units_figures_and_rounds_follow_the_jurisdiction(
    guangzhou: City, shenzhen: City, cycle: BudgetCycle, education: Organization
) -> None:
    reviewer = guangzhou.finance_reviewer
    assert guangzhou.unit in units_visible_to(reviewer)
    assert shenzhen.unit not in units_visible_to(reviewer)
    assert education not in units_visible_to(reviewer)
    assert list(control_figure_units(reviewer)) == [guangzhou.unit]
    client = _client(reviewer)
    years = client.get(reverse("budgeting:years")).content.decode()
    assert guangzhou.cycle.name in years and shenzhen.cycle.name not in years
    assert cycle.name not in years
    assert client.get(reverse("budgeting:rounds", args=[2027])).context["cycle"] == guangzhou.cycle


def test_a_single_jurisdiction_install_is_all_the_province(
    finance_reviewer: User, education: Organization
) -> None:
    """Today's units are the province's; its reviewers see them as before."""
    assert education.jurisdiction.code == "GD"
    assert education in units_visible_to(finance_reviewer)


def test_the_province_sees_both_cities_in_the_roll_up(
    guangzhou: City,
    shenzhen: City,
    at_finance: Project,
    finance_reviewer: User,
    django_assert_max_num_queries,
) -> None:
    client = _client(finance_reviewer)
    response = client.get(reverse("reports:province"), {"year": 2027})
    assert response.status_code == 200
    page = response.content.decode()
    for name in ("广东省", "广州市", "深圳市"):
        assert f">{name}" in page
    # Drill-down stops at what provincial finance may see: no list of a city's projects.
    rows = {row.jurisdiction.code: row for row, _own in response.context["rows"]}
    assert rows["GD-GZ"].total.requested == guangzhou.project.requested_amount
    assert rows["GD"].total.requested == at_finance.requested_amount
    assert [own for _row, own in response.context["rows"]] == [True, False, False]
    export = client.get(reverse("reports:province_export"), {"year": 2027})
    assert export.status_code == 200
    for city in (guangzhou, shenzhen):
        assert _client(city.finance_reviewer).get(reverse("reports:province")).status_code == 403


def test_the_roll_up_asks_as_many_queries_for_more_jurisdictions(
    guangzhou: City, finance_reviewer: User, django_assert_num_queries
) -> None:
    client = _client(finance_reviewer)
    client.get(reverse("reports:province"))  # the session and the like, once
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("reports:province"), {"year": 2027})
    _city("GD-SZ", "深圳市", "SZ")
    _city("GD-ZH", "珠海市", "ZH")
    with CaptureQueriesContext(connection) as more:
        client.get(reverse("reports:province"), {"year": 2027})
    assert len(more) == len(few)


def test_create_jurisdiction_makes_the_city_its_bodies_and_year_with_history() -> None:
    out = StringIO()
    call_command(
        "create_jurisdiction",
        "GD-ZH",
        "珠海市",
        "--finance",
        "ZHCZJ",
        "珠海市财政局",
        "--data",
        "ZHZSJ",
        "珠海市政务服务数据管理局",
        "--year",
        "2027",
        "--opens",
        "2026-09-01",
        "--closes",
        "2026-10-31",
        stdout=out,
    )
    city = Jurisdiction.objects.get(code="GD-ZH")
    assert city.level == AdministrativeLevel.CITY and city.parent.code == "GD"  # type: ignore[union-attr]
    units = Organization.objects.filter(jurisdiction=city)
    assert {(u.code, u.is_finance_department, u.is_data_administration) for u in units} == {
        ("ZHCZJ", True, False),
        ("ZHZSJ", False, True),
    }
    year = BudgetCycle.objects.get(jurisdiction=city)
    assert [s.code for s in year.stages.order_by("order")] == [
        "department",
        "technical",
        "finance",
        "final",
    ]
    assert Event.objects.filter(event_type="accounts.jurisdiction.created", target_key="GD-ZH")
    assert "珠海市" in out.getvalue()
    # Again: refused, nothing half written.
    with pytest.raises(CommandError):
        call_command(
            "create_jurisdiction",
            "GD-ZH2",
            "珠海市",
            "--finance",
            "ZHCZJ2",
            "珠海市财政局二",
            "--data",
            "ZHZSJ2",
            "珠海市数据局二",
            stdout=out,
        )
    assert not Organization.objects.filter(code="ZHCZJ2").exists()


def test_a_county_sits_under_a_city_and_a_city_under_the_province(guangzhou: City) -> None:
    with pytest.raises(ValidationError):
        set_up_jurisdiction(
            actor=None,
            code="GD-GZ-XX",
            name="某市",
            level=AdministrativeLevel.CITY,
            parent=guangzhou.jurisdiction,
            finance=("XXCZJ", "某市财政局"),
            data_administration=("XXZSJ", "某市数据局"),
            first_year=None,
        )
    assert not Jurisdiction.objects.filter(code="GD-GZ-XX").exists()


def test_each_jurisdiction_s_finance_sets_its_own_execution_target(
    guangzhou: City, finance_reviewer: User, submitter: User
) -> None:
    """Guangzhou's finance sets 60 %; the province's 50 % stays, and each side's
    dashboard (finance's and a clerk's) shows its own."""
    due_on = date(2027, 9, 30)
    provincial = execution_services.set_target(
        2027, actor=finance_reviewer, rate=Decimal("50"), due_on=due_on
    )
    city = execution_services.set_target(
        2027, actor=guangzhou.finance_reviewer, rate=Decimal("60"), due_on=due_on
    )
    assert city.pk != provincial.pk and city.jurisdiction == guangzhou.jurisdiction
    provincial.refresh_from_db()
    assert (provincial.rate, provincial.jurisdiction_id) == (Decimal("50"), province_pk())
    assert ExecutionTarget.objects.filter(year=2027).count() == 2
    url = reverse("execution:progress") + "?year=2027"
    for viewer, rate in (
        (guangzhou.finance_reviewer, Decimal("60")),
        (guangzhou.clerk, Decimal("60")),
        (finance_reviewer, Decimal("50")),
        (submitter, Decimal("50")),
    ):
        response = _client(viewer).get(url)
        assert response.status_code == 200
        assert response.context["board"].target.rate == rate, viewer.username
    form = _client(guangzhou.finance_reviewer).get(url).context["target_form"]
    assert form.initial["rate"] == Decimal("60")


def test_a_city_runs_its_own_inventory_survey_beside_the_provinces(
    guangzhou: City, data_reviewer: User, education: Organization
) -> None:
    """Issue #18: Guangzhou's data administration opens its 2026 survey while the
    province has one; each sees only its own campaign and units, and the province's
    campaign is not found for Guangzhou."""
    province = open_survey(data_reviewer, education)
    city_runner = _client(guangzhou.data_reviewer)
    form = city_runner.get(reverse("inventory:campaign_open")).content.decode()
    assert guangzhou.unit.name in form and education.name not in form
    answer = city_runner.post(
        reverse("inventory:campaign_open"),
        {
            "year": 2026,
            "title": "2026年广州市摸底",
            "deadline": "2026-03-31",
            "units": [guangzhou.unit.pk],
        },
    )
    city = SurveyCampaign.objects.get(jurisdiction=guangzhou.jurisdiction)
    assert answer["Location"] == reverse("inventory:campaign", args=[city.public_id])
    assert (city.year, province.year) == (2026, 2026)
    assert province.jurisdiction_id == province_pk()
    assert [s.organization for s in city.surveys.all()] == [guangzhou.unit]

    assert list(campaigns_visible_to(guangzhou.data_reviewer)) == [city]
    assert list(campaigns_visible_to(data_reviewer)) == [province]
    city_index = city_runner.get(reverse("inventory:index"))
    assert [c.pk for c in city_index.context["campaigns"]] == [city.pk]
    assert city_index.context["campaigns"][0].units == 1
    province_index = _client(data_reviewer).get(reverse("inventory:index"))
    assert [c.pk for c in province_index.context["campaigns"]] == [province.pk]
    page = city_runner.get(reverse("inventory:campaign", args=[city.public_id]))
    assert [s.organization for s, _late in page.context["rows"]] == [guangzhou.unit]
    assert (
        city_runner.get(reverse("inventory:campaign", args=[province.public_id])).status_code == 404
    )
    remind = reverse("inventory:campaign_remind", args=[province.public_id])
    assert city_runner.post(remind).status_code == 404
    assert (
        _client(data_reviewer).get(reverse("inventory:campaign", args=[city.public_id])).status_code
        == 404
    )

    # A city's runner cannot slip a provincial unit into its survey.
    with pytest.raises(InventoryError):
        open_survey(guangzhou.data_reviewer, education, year=2027)
    with pytest.raises(InventoryError):
        open_survey(guangzhou.data_reviewer, guangzhou.unit)  # 2026 again
