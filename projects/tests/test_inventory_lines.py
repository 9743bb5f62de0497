"""An operation project's lines from its unit's inventory, and the checks that read the
inventory (duplicate construction, O&M for a retired system, O&M above the standard's
share of a system's construction cost)."""

import datetime
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from pytest_django import DjangoAssertNumQueries

from accounts.models import Organization, User
from audit.models import Event
from inventory import services as inventory_services
from inventory.models import SystemStatus
from inventory.services import InventoryRows
from inventory.tests.factories import cloud, device, open_survey, staff, survey_of, system
from projects import inventory_lines, services
from projects.duplicates import inventory_flags
from projects.errors import ProjectError
from projects.models import EstimateLine, LineBasis, Project
from projects.tests.factories import register
from standards.demo import PROVINCE_CODE
from standards.models import ProjectKind, ServiceItem, SetStatus
from standards.tests.factories import filled_set
from tests.helpers import seed_standards

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def standard() -> None:
    seed_standards()


def _reported(runner: User, clerk: User, unit: Organization, rows: InventoryRows) -> None:
    survey = survey_of(open_survey(runner, unit), unit)
    survey = inventory_services.replace_rows(survey, rows, actor=clerk, expected_version=1)
    inventory_services.act(survey, "submit", actor=clerk, expected_version=survey.version)


def _operation(clerk: User) -> Project:
    return register(clerk, name="教育政务服务平台运维", kind=ProjectKind.OPERATION)


def _devices(count: int, value: Decimal) -> list:
    return [
        device(name=f"服务器{n}", original_value=value, warranty_end=datetime.date(2024, 1, 1))
        for n in range(count)
    ]


@pytest.mark.usefixtures("standard")
def test_devices_worth_a_million_at_5_percent_give_exactly_50000(
    data_reviewer: User, submitter: User, education: Organization
) -> None:
    in_warranty = device(name="新服务器", warranty_end=datetime.date(2030, 1, 1))
    _reported(
        data_reviewer,
        submitter,
        education,
        InventoryRows(devices=[*_devices(4, Decimal("250000.00")), in_warranty]),
    )
    project = _operation(submitter)
    added = inventory_lines.generate(project, actor=submitter, expected_version=project.version)
    hardware = next(line for line in added if line.item_code == "2.2")
    assert hardware.amount == Decimal("50000.00")
    bases = LineBasis.objects.filter(line=hardware)
    assert bases.count() == 4
    assert {basis.warranty_end for basis in bases} == {datetime.date(2024, 1, 1)}
    assert sum(basis.original_value for basis in bases) == Decimal("1000000.00")
    project.refresh_from_db()
    assert project.requested_amount == sum(line.amount for line in added)
    event = Event.objects.get(event_type="projects.lines.generated")
    assert event.data["source"] == "2026-EDU"


@pytest.mark.usefixtures("standard")
def test_cloud_staff_and_assessments_are_priced_by_the_standards_items(
    data_reviewer: User, submitter: User, education: Organization
) -> None:
    _reported(
        data_reviewer,
        submitter,
        education,
        InventoryRows(
            systems=[
                system(name="甲系统", security_level=3),
                system(name="乙系统", security_level=2),
                system(name="丙系统", security_level=3, status=SystemStatus.RETIRED),
            ],
            cloud=[cloud(cores=64, storage_tb=Decimal("20")), cloud(cores=16, storage_tb=1)],
            staff=[staff(count=3)],
        ),
    )
    plan = inventory_lines.plan(_operation(submitter))
    priced = {
        (line.item_code, line.grade_code): line
        for line in (services.price_line(row.spec) for row in plan.lines)
    }
    assert priced["4.1", "GEN"].amount == Decimal("96000.00")  # 80 cores × 1,200
    assert priced["4.2", "BLOCK"].amount == Decimal("63000.00")  # 21 TB × 3,000
    assert priced["2.1", "L1"].amount == Decimal("251700.00")  # 3 people × 83,900
    assert priced["5.1", "L3"].amount == Decimal("100000.00")
    assert priced["5.1", "L2"].amount == Decimal("80000.00")
    assert len(plan.lines) == 5  # the retired system gets no assessment


@pytest.mark.usefixtures("standard")
@pytest.mark.parametrize("count", [20, 2000])
def test_generating_for_2000_devices_takes_a_constant_number_of_queries(
    count: int,
    data_reviewer: User,
    submitter: User,
    education: Organization,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    value = Decimal(1_000_000) / count
    _reported(data_reviewer, submitter, education, InventoryRows(devices=_devices(count, value)))
    project = _operation(submitter)
    # 20: with the API's look for webhooks to tell (api.receivers), once per history event,
    # and the unit's jurisdiction and the standard in force for it, that price the lines.
    with django_assert_num_queries(20):
        inventory_lines.generate(project, actor=submitter, expected_version=project.version)
    assert LineBasis.objects.count() == count
    assert EstimateLine.objects.get().amount == Decimal("50000.00")


@pytest.mark.usefixtures("standard")
def test_the_page_generates_and_the_reviewer_sees_the_base(
    data_reviewer: User, submitter: User, education: Organization
) -> None:
    _reported(
        data_reviewer, submitter, education, InventoryRows(devices=_devices(2, Decimal("1000")))
    )
    project = _operation(submitter)
    client = Client()
    client.force_login(submitter)
    client.cookies["django_language"] = "en"
    url = reverse("projects:inventory_lines", args=[project.code])
    page = client.get(url)
    assert "2 device rows out of warranty" in page.content.decode()
    answer = client.post(url, {"version": project.version})
    assert answer.status_code == 302
    stale = client.post(url, {"version": project.version})
    assert stale.status_code == 400  # the page was older than the project
    detail = client.get(reverse("projects:detail", args=[project.code])).content.decode()
    assert "Base from the inventory" in detail
    assert "2024-01-01" in detail


def test_only_operation_projects_are_generated(submitter: User) -> None:
    project = register(submitter)
    with pytest.raises(ProjectError):
        services.add_generated_lines(
            project, actor=submitter, expected_version=project.version, lines=[], source=""
        )
    client = Client()
    client.force_login(submitter)
    answer = client.get(reverse("projects:inventory_lines", args=[project.code]))
    assert answer.status_code == 403


def test_a_construction_project_like_a_live_system_is_flagged_with_its_owner(
    data_reviewer: User, submitter: User, outsider: User, health: Organization
) -> None:
    _reported(
        data_reviewer,
        outsider,
        health,
        InventoryRows(systems=[system(name="教育考试综合管理平台")]),
    )
    flags = inventory_flags(register(submitter))
    assert [(s.name, s.survey.organization.name) for s in flags.live_systems] == [
        ("教育考试综合管理平台", "省卫生健康委")
    ]
    assert not inventory_flags(register(submitter, name="河道水质监测")).live_systems


def test_a_construction_project_for_a_live_systems_purpose_is_flagged_too(
    data_reviewer: User, submitter: User, outsider: User, health: Organization
) -> None:
    """Another name, the same purpose: the project names what the system already does."""
    _reported(
        data_reviewer,
        outsider,
        health,
        InventoryRows(systems=[system(name="卫健一网通", purpose="医疗机构执业许可网上办理")]),
    )
    flags = inventory_flags(register(submitter, name="医疗机构执业许可网上办理系统"))
    assert [s.name for s in flags.live_systems] == ["卫健一网通"]


def test_om_for_a_retired_system_is_flagged(
    data_reviewer: User, submitter: User, education: Organization
) -> None:
    _reported(
        data_reviewer,
        submitter,
        education,
        InventoryRows(systems=[system(name="教育政务服务平台", status=SystemStatus.RETIRED)]),
    )
    flags = inventory_flags(_operation(submitter))
    assert [s.name for s in flags.retired_systems] == ["教育政务服务平台"]
    assert not flags.live_systems


@pytest.mark.usefixtures("standard")
def test_a_new_inventory_empties_the_links_but_keeps_the_figures(
    data_reviewer: User, submitter: User, education: Organization
) -> None:
    _reported(
        data_reviewer, submitter, education, InventoryRows(devices=_devices(2, Decimal("1000")))
    )
    project = _operation(submitter)
    inventory_lines.generate(project, actor=submitter, expected_version=project.version)
    survey = inventory_lines.plan(project).survey
    assert survey is not None
    survey = inventory_services.act(
        survey, "return", actor=data_reviewer, expected_version=survey.version, reason="重填"
    )
    inventory_services.replace_rows(
        survey, InventoryRows(), actor=submitter, expected_version=survey.version
    )
    bases = LineBasis.objects.all()
    assert [basis.device_id for basis in bases] == [None, None]
    assert sum(basis.original_value for basis in bases) == Decimal("2000.00")


@pytest.mark.usefixtures("standard")
def test_a_typed_base_that_disagrees_with_the_inventory_is_flagged(
    data_reviewer: User, submitter: User, education: Organization
) -> None:
    _reported(
        data_reviewer,
        submitter,
        education,
        InventoryRows(devices=_devices(4, Decimal("250000.00"))),
    )
    project = _operation(submitter)
    item = ServiceItem.objects.get(standard_set__code=PROVINCE_CODE, code="2.2")
    for base in ("600000", "1000000"):
        services.add_standard_line(
            project,
            actor=submitter,
            expected_version=Project.objects.get(pk=project.pk).version,
            item=item,
            grade=None,
            values={"base": base},
        )
    client = Client()
    client.force_login(submitter)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("projects:detail", args=[project.code]))
    flagged = [line for line, _review in page.context["lines"] if line.flag_labels]
    assert [line.inputs["base"] for line in flagged] == ["600000"]
    assert "worth 1,000,000.00 yuan" in flagged[0].flag_labels[0]


def _platform_built_for_a_million(runner: User, clerk: User, unit: Organization) -> None:
    """The unit reports its live 教育政务服务平台, built for 1,000,000 yuan."""
    rows = InventoryRows(systems=[system(construction_cost=Decimal("1000000.00"))])
    _reported(runner, clerk, unit, rows)


def _om_line(project: Project, clerk: User, amount: str) -> Project:
    services.add_non_standard_line(
        project,
        actor=clerk,
        expected_version=Project.objects.get(pk=project.pk).version,
        fee_class="运行维护服务费",
        name="平台运维",
        unit="项",
        quantity=Decimal(1),
        unit_price=Decimal(amount),
        justification="按合同",
    )
    return Project.objects.get(pk=project.pk)


@pytest.mark.parametrize(
    ("amount", "flagged"), [("150000.00", False), ("150000.01", True), ("200000.00", True)]
)
def test_yearly_om_above_the_standards_share_of_the_construction_cost_is_flagged(
    data_reviewer: User, submitter: User, education: Organization, amount: str, flagged: bool
) -> None:
    """The project resembles the unit's live system built for 1,000,000 yuan: the
    standard's 15 % allows 150,000.00 a year, and a cent more is flagged."""
    filled_set(1, status=SetStatus.PUBLISHED)
    _platform_built_for_a_million(data_reviewer, submitter, education)
    project = _om_line(_operation(submitter), submitter, amount)
    flags = inventory_flags(project)
    assert bool(flags.om_above_share) is flagged
    if flagged:
        (flag,) = flags.om_above_share
        assert (flag.system.name, flag.requested, flag.limit) == (
            "教育政务服务平台",
            Decimal(amount),
            Decimal("15.00"),
        )


def test_the_share_is_the_standards_own(
    data_reviewer: User, submitter: User, education: Organization
) -> None:
    filled_set(1, status=SetStatus.PUBLISHED, max_om_share=Decimal("25.00"))
    _platform_built_for_a_million(data_reviewer, submitter, education)
    project = _om_line(_operation(submitter), submitter, "200000.00")
    assert not inventory_flags(project).om_above_share
    project = _om_line(project, submitter, "60000.00")
    (flag,) = inventory_flags(project).om_above_share
    assert (flag.limit, flag.share) == (Decimal("25.00"), Decimal("26.0"))


@pytest.mark.usefixtures("standard")
def test_lines_generated_from_a_system_count_as_its_om(
    data_reviewer: User, submitter: User, education: Organization
) -> None:
    """A system the project's name does not resemble: its generated 等保 assessment line
    is the O&M asked for it, here above 15 % of a 100,000-yuan system."""
    _reported(
        data_reviewer,
        submitter,
        education,
        InventoryRows(systems=[system(name="档案数字化系统", construction_cost=Decimal("100000"))]),
    )
    project = _operation(submitter)
    (line,) = inventory_lines.generate(project, actor=submitter, expected_version=project.version)
    (flag,) = inventory_flags(Project.objects.get(pk=project.pk)).om_above_share
    assert (flag.system.name, flag.requested) == ("档案数字化系统", line.amount)


def test_the_review_page_names_the_system_its_cost_the_om_and_the_share(
    data_reviewer: User, submitter: User, education: Organization
) -> None:
    filled_set(1, status=SetStatus.PUBLISHED)
    _platform_built_for_a_million(data_reviewer, submitter, education)
    project = _om_line(_operation(submitter), submitter, "200000.00")
    client = Client()
    client.force_login(submitter)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("projects:detail", args=[project.code])).content.decode()
    assert "Yearly O&M above 15% of the construction cost" in page
    assert (
        "教育政务服务平台 · 省教育厅: construction cost 1,000,000.00 yuan, "
        "O&M requested 200,000.00 yuan (20.0% of it)"
    ) in page


@pytest.mark.usefixtures("standard")
def test_the_page_judges_the_om_from_the_rows_it_already_read(
    data_reviewer: User,
    submitter: User,
    education: Organization,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    """The project's page reads its inventory rows once (``attach_bases``) and hands them
    to ``inventory_flags``: the same flag as reading them afresh, one query fewer."""
    _reported(
        data_reviewer,
        submitter,
        education,
        InventoryRows(systems=[system(name="档案数字化系统", construction_cost=Decimal("100000"))]),
    )
    project = _operation(submitter)
    inventory_lines.generate(project, actor=submitter, expected_version=project.version)
    project = Project.objects.get(pk=project.pk)
    lines = list(project.lines.all())
    bases = inventory_lines.attach_bases(lines, project)
    assert [basis.line for basis in bases] == lines  # each row with its line, no query
    unread = Project.objects.get(pk=project.pk)  # a fresh copy: nothing cached on it
    with CaptureQueriesContext(connection) as afresh:
        (alone,) = inventory_flags(unread).om_above_share
    with django_assert_num_queries(len(afresh.captured_queries) - 1):
        (shared,) = inventory_flags(project, bases).om_above_share
    assert (shared.system.pk, shared.requested) == (alone.system.pk, alone.requested)
