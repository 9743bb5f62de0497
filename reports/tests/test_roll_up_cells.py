"""The province's roll-up from kept totals (reports.models.RollUpCell, issue #18): the
same figures as summing the year's lines live, at once after every kind of write (the
summary's triggers keep them in the write's transaction), and a unit moved to another
jurisdiction takes its figures along."""

from decimal import Decimal
from typing import Any

import pytest
from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce
from django.test import Client
from django.urls import reverse

from accounts import services as account_services
from accounts.models import (
    AdministrativeLevel,
    Jurisdiction,
    Organization,
    Role,
    User,
    province_pk,
)
from accounts.tests.factories import OrganizationFactory, UserFactory
from budgeting import services
from budgeting.models import CutReason
from budgeting.scale import seed_reviews
from projects import services as project_services
from projects.models import (
    APPROVED_STATES,
    COUNTED_STATES,
    EstimateLine,
    ProcurementMethod,
    Project,
)
from projects.scale import seed_scale
from reports import cells
from reports.models import RollUpCell, SummaryCell
from reports.province import Figures, JurisdictionRow, RollUp, assemble, roll_up
from reports.summary import MONEY, ZERO, line_amount_after
from reports.tests.report_fixtures import World, report_world  # noqa: F401
from reports.tests.test_summary_cells import (
    assert_cells_are_a_fresh_count,
    assert_summaries_are_live,
)

pytestmark = pytest.mark.django_db

YEAR = 2027


def _live(year: int) -> list[dict[str, Any]]:
    """The roll-up's sums as it summed them before the kept cells: the year's lines, live."""
    after = line_amount_after()
    rows = (
        EstimateLine.objects.filter(
            project__budget_year__in=[year, year - 1], project__state__in=COUNTED_STATES
        )
        .values(
            "fee_class",
            budget_year=F("project__budget_year"),
            jurisdiction_id=F("project__organization__jurisdiction_id"),
            kind=F("project__kind"),
        )
        .annotate(
            requested=Coalesce(Sum("amount"), ZERO, output_field=MONEY),
            reviewed=Coalesce(Sum(after), ZERO, output_field=MONEY),
            approved=Coalesce(
                Sum(after, filter=Q(project__state__in=APPROVED_STATES)), ZERO, output_field=MONEY
            ),
        )
        .order_by()
    )
    return [dict(row) for row in rows]


def _shown(data: RollUp) -> list[tuple[Any, ...]]:
    """Every figure the roll-up's page and Excel show."""

    def flat(row: JurisdictionRow) -> tuple[Any, ...]:
        figures = [row.total, row.last_year, *row.kind_figures]
        figures += [row.by_fee_class.get(fee, Figures()) for fee in data.fee_classes]
        return (row.jurisdiction.code, *((f.requested, f.reviewed, f.approved) for f in figures))

    return [tuple(data.fee_classes), *(flat(row) for row in data.rows), flat(data.total)]


def assert_roll_up_is_live(write: str) -> None:
    """The roll-up read from the kept cells shows what summing the lines live shows, and
    the kept cells are what counting every project afresh gives."""
    shown = _shown(roll_up(YEAR))
    assert shown == _shown(assemble(YEAR, _live(YEAR))), write
    assert_cells_are_a_fresh_count(write)


@pytest.fixture
def world(report_world: World) -> World:  # noqa: F811
    # Volume in every state and stage this year, and last year's to compare with.
    seed_scale(60, year=YEAR, lines=3)
    seed_reviews(YEAR)
    seed_scale(20, year=YEAR - 1, lines=3, seed=2026)
    return report_world


def _fresh(project: Project) -> Project:
    return Project.objects.get(pk=project.pk)


def test_the_roll_up_is_the_live_sum_after_every_kind_of_write(
    world: World,
    outsider: User,
    data_reviewer: User,
    finance_reviewer: User,
    finance_approver: User,
) -> None:
    assert_roll_up_is_live("seeded")
    waiting = world.waiting
    waiting = services.return_for_revision(
        waiting, actor=finance_reviewer, expected_version=waiting.version, comment="请补充依据"
    )
    assert_roll_up_is_live("returned (a state change)")
    line = waiting.lines.get(name="云主机")
    project_services.change_line(
        waiting, actor=outsider, expected_version=waiting.version, line_id=line.pk,
        spec=project_services.LineSpec(
            fee_class="基础设施服务费", name="云主机", unit="台", quantity=Decimal(3),
            unit_price=Decimal("31000.50"), justification="标准未覆盖。",
        ),
    )  # fmt: skip
    assert_roll_up_is_live("line edited")
    waiting = _fresh(waiting)
    waiting = services.submit(waiting, actor=outsider, expected_version=waiting.version)
    for reviewer in (User.objects.get(username="health_head"), data_reviewer):
        waiting = services.pass_stage(waiting, actor=reviewer, expected_version=waiting.version)
    assert_roll_up_is_live("resubmitted and passed")
    services.set_line_amount(
        waiting, actor=finance_reviewer, expected_version=waiting.version,
        line_id=waiting.lines.get(name="云主机").pk, approved_amount=Decimal("60000.00"),
        reason=CutReason.OVER_STANDARD,
    )  # fmt: skip
    assert_roll_up_is_live("cut at the finance stage")
    province = {row.jurisdiction.pk: row for row in roll_up(YEAR).rows}[province_pk()]
    assert province.total.reviewed < province.total.requested
    waiting = _fresh(waiting)
    waiting = services.pass_stage(waiting, actor=finance_reviewer, expected_version=waiting.version)
    before = province.total.approved
    waiting = services.approve(waiting, actor=finance_approver, expected_version=waiting.version)
    assert_roll_up_is_live("approved")
    province = {row.jurisdiction.pk: row for row in roll_up(YEAR).rows}[province_pk()]
    assert waiting.approved_amount is not None
    assert province.total.approved == before + waiting.approved_amount


def test_a_unit_moved_to_a_city_takes_its_figures_along(
    world: World,
    outsider: User,
    finance_reviewer: User,
    department_approver: User,
    submitter: User,
) -> None:
    city = Jurisdiction.objects.create(
        code="GD-GZ", name="广州市", level=AdministrativeLevel.CITY, parent_id=province_pk()
    )
    city_finance = UserFactory.create(
        username="gz_finance",
        organization=OrganizationFactory.create(
            code="GZCZJ", name="广州市财政局", jurisdiction=city, is_finance_department=True
        ),
        roles=[Role.FINANCE_REVIEWER],
    )
    city_admin = UserFactory.create(
        username="gz_admin",
        organization=OrganizationFactory.create(
            code="GZZSJ", name="广州市政务服务数据管理局", jurisdiction=city
        ),
        roles=[Role.SYSTEM_ADMIN],
    )
    personas = (
        finance_reviewer, city_finance, city_admin, department_approver, submitter, outsider,
    )  # fmt: skip
    assert_summaries_are_live(personas, "before the move", ("unit", "fee_class"))
    unit = Organization.objects.get(pk=outsider.organization_id)
    requested = sum(
        (
            project.lines.aggregate(s=Sum("amount"))["s"] or ZERO
            for project in Project.objects.filter(
                organization=unit, budget_year=YEAR, state__in=COUNTED_STATES
            )
        ),
        ZERO,
    )
    assert requested > 0
    before = {row.jurisdiction.pk: row.total.requested for row in roll_up(YEAR).rows}
    unit.jurisdiction = city
    account_services.save_organization(unit, actor=None)
    assert_roll_up_is_live("unit moved to a city")
    after = {row.jurisdiction.pk: row.total.requested for row in roll_up(YEAR).rows}
    assert after[city.pk] == requested
    assert after[province_pk()] == before[province_pk()] - requested
    # Its summary cells are the city's now: the city's finance sees the unit's projects
    # that reached it, the province's finance no longer does.
    assert set(
        SummaryCell.objects.filter(organization=unit).values_list("jurisdiction", flat=True)
    ) == {city.pk}
    assert_summaries_are_live(personas, "unit moved to a city", ("unit", "fee_class", "state"))
    assert cells.fresh_cells(city_finance, YEAR).filter(organization=unit).exists()
    assert not cells.fresh_cells(finance_reviewer, YEAR).filter(organization=unit).exists()
    # A write to a moved unit's projects after the move makes new cells: the city's.
    moved = Project.objects.filter(organization=unit, budget_year=YEAR)
    moved.update(procurement_method=ProcurementMethod.SINGLE_SOURCE, requested_amount=7)
    assert SummaryCell.objects.filter(
        organization=unit, procurement_method="single_source"
    ).exists()
    assert_roll_up_is_live("a moved unit's projects written")
    assert_summaries_are_live(personas, "a moved unit's projects written", ("unit", "kind"))


def test_the_page_and_the_excel_read_the_kept_cells(
    world: World, finance_reviewer: User, django_assert_num_queries: Any
) -> None:
    client = Client()
    client.force_login(finance_reviewer)
    page = client.get(reverse("reports:province"), {"year": YEAR})
    total = page.context["rollup"].total.total.requested
    # A cell changed behind the roll-up's back shows: the page read the cells.
    cell = RollUpCell.objects.filter(budget_year=YEAR, state__in=COUNTED_STATES).first()
    assert cell is not None
    RollUpCell.objects.filter(pk=cell.pk).update(requested=cell.requested + 1)
    page = client.get(reverse("reports:province"), {"year": YEAR})
    assert page.context["rollup"].total.total.requested == total + 1
    assert client.get(reverse("reports:province_export"), {"year": YEAR}).status_code == 200
