"""Reports: the budget summary by any dimension, the cycle's review waterfall and cuts by
reason, with charts, drill-down, Excel exports and the open-data package.

Every figure is scoped by ``projects_visible_to``: a department sees its own units; and
counts only the projects of ``projects.models.COUNTED_STATES`` (grouped by state, the other states
are listed too, for information, outside the total).
"""

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from budgeting.amounts import Step
from budgeting.models import BudgetCycle
from budgeting.permissions import control_figure_units, cycles_visible_to
from inventory.models import SurveyCampaign
from inventory.permissions import campaigns_visible_to
from ops.replica import reads_from_replica
from projects.models import COUNTED_STATES
from projects.permissions import projects_visible_to
from reports import open_data, review_totals
from reports.cells import cells_for, fresh_unit_cells, projects_with_lines, summarise_cells
from reports.inventory_spend import SpendRow, spend_against_inventory, spend_by_year
from reports.review_totals import ReasonRow
from reports.rounds import RoundRow, RoundSummary, kept_round_summary
from reports.summary import (
    DIMENSIONS,
    Dimension,
    SummaryRow,
    total,
)
from ui import charts
from ui.excel import PERCENT_FORMAT, WAN_FORMAT, write_table, xlsx_response
from ui.params import whole_number

WAN = Decimal(10000)
MAX_YEAR = 9999  # beyond it a "year" is noise (and past a budget year's smallint column)


def budget_year(raw: str | None) -> int:
    """A year parameter as a year; anything else is next year's budget, the default."""
    year = whole_number(raw, maximum=MAX_YEAR)
    return year if year is not None else timezone.localdate().year + 1


def _year(request: HttpRequest) -> int:
    return budget_year(request.GET.get("year"))


def _summary(request: HttpRequest) -> tuple[str, int, list[SummaryRow], SummaryRow, Any]:
    """The dimension, the year, its rows and total, and the kept cells they came from
    (``reports.cells``: current in every committed transaction, so never summed live)."""
    by = request.GET.get("by", "unit")
    if by not in DIMENSIONS:
        by = "unit"
    year = _year(request)
    dimension = DIMENSIONS[by]
    cells = cells_for(request.user, year, by)  # type: ignore[arg-type]
    cells_counted = cells.filter(state__in=COUNTED_STATES) if by != "state" else cells
    rows = summarise_cells(cells_counted, dimension)
    with_lines = projects_with_lines(cells_counted) if dimension.of_lines else None
    return by, year, rows, total(rows, dimension=dimension, with_lines=with_lines), cells


def _drill(year: int, dimension: Dimension | None = None, row: SummaryRow | None = None) -> str:
    """The project list filtered to a row's projects (to the counted ones, as the row)."""
    query: dict[str, Any] = {"year": year}
    if dimension is None or dimension.filter_name != "state":
        query["counted"] = "yes"
    if dimension is not None and row is not None:
        query[dimension.filter_name] = row.drill_value()
    return f"{reverse('projects:list')}?{urlencode(query)}"


def _rounds(request: HttpRequest, year: int) -> RoundSummary | None:
    """The year's round columns by unit (None for a year of one round)."""
    return kept_round_summary(
        fresh_unit_cells(request.user, year),  # type: ignore[arg-type]
        year,
        control_figure_units(request.user),
        cycles_visible_to(request.user),
    )


def _unit_drill(year: int, row: RoundRow) -> str:
    """A round row's link: the unit's counted projects, as the summary's unit rows link."""
    query = {"year": year, "counted": "yes", "unit": row.unit.pk if row.unit else ""}
    return f"{reverse('projects:list')}?{urlencode(query)}"


def _labelled(rounds: RoundSummary, row: RoundRow) -> list[tuple[str, Decimal | None]]:
    return [(str(column.label), column.value(row)) for column in rounds.columns]


def _rounds_context(request: HttpRequest, year: int) -> dict[str, Any]:
    rounds = _rounds(request, year)
    if rounds is None:
        return {}
    charted = [column for column in rounds.columns if column.chart]
    return {
        "rounds": rounds,
        # Each cell with its column's label, which a narrow screen shows beside it.
        "round_rows": [
            (row, _labelled(rounds, row), _unit_drill(year, row)) for row in rounds.rows
        ],
        "round_totals": _labelled(rounds, rounds.total),
        "rounds_chart": charts.bars(
            _("Requested, control figure and approved by unit (10k yuan)"),
            [
                (str(row.label), [column.value(row) or Decimal(0) for column in charted])
                for row in rounds.rows
            ],
            [str(column.label) for column in charted],
        ),
    }


@login_required
@reads_from_replica
def summary(request: HttpRequest) -> HttpResponse:
    by, year, rows, totals, _cells = _summary(request)
    dimension = DIMENSIONS[by]
    fee_classes = summarise_cells(
        fresh_unit_cells(request.user, year).filter(  # type: ignore[arg-type]
            round_id__isnull=True, state__in=COUNTED_STATES
        ),
        DIMENSIONS["fee_class"],
    )
    return render(
        request,
        "reports/summary.html",
        {
            **(_rounds_context(request, year) if by == "unit" else {}),
            "by": by,
            "year": year,
            "dimension": dimension,
            "dimensions": DIMENSIONS,
            "rows": [(row, _drill(year, dimension, row)) for row in rows],
            "totals": totals,
            "all_link": _drill(year),
            "bars": charts.bars(
                _("Requested and approved by %(dimension)s (10k yuan)")
                % {"dimension": dimension.label},
                [(str(row.label), (row.requested, row.approved)) for row in rows],
                (_("Requested"), _("Approved")),
            ),
            "fee_classes": [
                (row, _drill(year, DIMENSIONS["fee_class"], row)) for row in fee_classes
            ],
            "fee_chart": charts.shares(
                _("Shares of the requested amount by fee class"),
                [(str(row.label), row.requested) for row in fee_classes],
            ),
        },
    )


def _wan(value: Decimal) -> Decimal:
    return value / WAN


def _label(row: SummaryRow) -> str:
    if row.counted:
        return str(row.label)
    return _("%(label)s (not in the total)") % {"label": row.label}


@login_required
@reads_from_replica
def summary_export(request: HttpRequest) -> HttpResponse:
    by, year, rows, totals, _cells = _summary(request)
    headers = [
        str(DIMENSIONS[by].label),
        _("Projects"),
        _("Requested (10k yuan)"),
        _("Approved (10k yuan)"),
        _("Cut (10k yuan)"),
        _("Cut rate (%)"),
    ]

    def cells(row: SummaryRow) -> list[Any]:
        return [
            _label(row), row.projects, _wan(row.requested), _wan(row.approved),
            _wan(row.cut), row.cut_rate,
        ]  # fmt: skip

    content = write_table(
        _("Summary %(year)s") % {"year": year},
        headers,
        [cells(row) for row in rows],
        formats={2: WAN_FORMAT, 3: WAN_FORMAT, 4: WAN_FORMAT, 5: PERCENT_FORMAT},
        widths=[30, 10, 18, 18, 18, 12],
        totals=cells(totals),
    )
    return xlsx_response(content, f"summary-{year}-{by}.xlsx")


@login_required
@reads_from_replica
def rounds_export(request: HttpRequest) -> HttpResponse:
    """The summary's round columns by unit (一上申报数 ... 批复数) in 10k yuan, with the
    totals; only the unit column for a year of one round."""
    year = _year(request)
    rounds = _rounds(request, year)
    headers, rows, totals = [str(DIMENSIONS["unit"].label)], [], None
    if rounds is not None:
        headers += [_("%(column)s (10k yuan)") % {"column": c.label} for c in rounds.columns]
        rows = [[str(row.label), *map(_wan_or_none, rounds.cells(row))] for row in rounds.rows]
        totals = [_("Total"), *map(_wan_or_none, rounds.cells(rounds.total))]
    content = write_table(
        _("Rounds %(year)s") % {"year": year},
        headers,
        rows,
        formats=dict.fromkeys(range(1, len(headers)), WAN_FORMAT),
        widths=[30, *[18] * (len(headers) - 1)],
        totals=totals,
    )
    return xlsx_response(content, f"summary-rounds-{year}.xlsx")


def _wan_or_none(value: Decimal | None) -> Decimal | None:
    return None if value is None else _wan(value)


def _review_figures(
    request: HttpRequest,
) -> tuple[int, BudgetCycle | None, list[Step], list[ReasonRow]]:
    year = _year(request)
    cycle = cycles_visible_to(request.user).filter(year=year).first()
    if cycle is None:
        return year, None, [], []
    projects = projects_visible_to(request.user)
    return (
        year,
        cycle,
        review_totals.waterfall(projects, cycle),
        review_totals.cut_reasons(projects, cycle),
    )


@login_required
@reads_from_replica
def review_figures(request: HttpRequest) -> HttpResponse:
    """The cycle's waterfall and its cuts by reason, each as a chart and a table."""
    year, cycle, steps, reasons = _review_figures(request)
    context: dict[str, Any] = {"year": year, "cycle": cycle, "steps": steps, "reasons": reasons}
    if steps:
        context["waterfall_chart"] = charts.waterfall(
            _("Review waterfall %(year)s (10k yuan)") % {"year": year},
            [(step.label, step.total) for step in steps],
            (_("Total after the stage"), _("Cut at the stage")),
        )
    if reasons:
        context["reasons_total"] = sum((row.amount for row in reasons), Decimal("0.00"))
        context["reasons_count"] = sum(row.decisions for row in reasons)
        context["reasons_chart"] = charts.bars(
            _("Cuts by reason (10k yuan)"),
            [(str(row.label), (row.amount,)) for row in reasons],
            (_("Cut"),),
        )
    return render(request, "reports/review_figures.html", context)


@login_required
@reads_from_replica
def waterfall_export(request: HttpRequest) -> HttpResponse:
    year, _cycle, steps, _reasons = _review_figures(request)
    content = write_table(
        _("Waterfall %(year)s") % {"year": year},
        [_("Stage"), _("Total (10k yuan)"), _("Cut (10k yuan)"), _("Cut rate (%)")],
        [[step.label, _wan(step.total), _wan(step.cut), step.cut_rate] for step in steps],
        formats={1: WAN_FORMAT, 2: WAN_FORMAT, 3: PERCENT_FORMAT},
        widths=[24, 18, 18, 12],
    )
    return xlsx_response(content, f"waterfall-{year}.xlsx")


@login_required
@reads_from_replica
def cut_reasons_export(request: HttpRequest) -> HttpResponse:
    year, _cycle, _steps, reasons = _review_figures(request)
    rows = [[str(row.label), row.decisions, _wan(row.amount)] for row in reasons]
    content = write_table(
        _("Cut reasons %(year)s") % {"year": year},
        [_("Cut reason"), _("Line decisions"), _("Cut (10k yuan)")],
        rows,
        formats={2: WAN_FORMAT},
        widths=[28, 14, 18],
        totals=[
            _("Total"),
            sum(row.decisions for row in reasons),
            _wan(sum((row.amount for row in reasons), Decimal("0.00"))),
        ],
    )
    return xlsx_response(content, f"cut-reasons-{year}.xlsx")


@login_required
@reads_from_replica
def open_data_package(request: HttpRequest) -> HttpResponse:
    """The year's approved budgets as CSV and datapackage.json (Fiscal Data Package), zipped."""
    year = _year(request)
    content = open_data.package_zip(projects_visible_to(request.user), year)
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="approved-budgets-{year}.zip"'
    return response


def _inventory_spend(
    request: HttpRequest,
) -> tuple[SurveyCampaign | None, int | None, list[SpendRow], SpendRow]:
    campaigns = campaigns_visible_to(request.user).order_by("-year")
    chosen = whole_number(request.GET.get("survey"), maximum=9999)
    campaign = (campaigns.filter(year=chosen) if chosen else campaigns).first()
    if campaign is None:
        return None, None, [], SpendRow("")
    year, rows, total = spend_against_inventory(request.user, campaign)
    return campaign, year, rows, total


@login_required
@reads_from_replica
def inventory_spend(request: HttpRequest) -> HttpResponse:
    """IT spend requested for a budget year against the inventory of the survey before."""
    campaign, year, rows, total = _inventory_spend(request)
    by_year = spend_by_year(request.user)
    return render(
        request,
        "reports/inventory_spend.html",
        {
            "campaign": campaign,
            "year": year,
            "rows": rows,
            "total": total,
            "by_year": by_year,
            "by_year_chart": charts.bars(
                _("IT spend per year against the inventory value (10k yuan)"),
                [
                    # Survey year → budget year; the table beside names both columns.
                    (f"{row.survey_year}→{row.budget_year}", (row.inventory_value, row.requested))
                    for row in by_year
                ],
                (_("Inventory value"), _("Requested")),
            ),
        },
    )


SPEND_HEADERS = (
    gettext_lazy("Budget unit"),
    gettext_lazy("Inventory value (yuan)"),
    gettext_lazy("Yearly O&M in the inventory (yuan)"),
    gettext_lazy("Requested for construction (yuan)"),
    gettext_lazy("Requested for operation (yuan)"),
    gettext_lazy("Operation as a share of the inventory value, per cent"),
)


def _spend_row(row: SpendRow) -> list[object]:
    return [
        row.unit, row.inventory_value, row.inventory_om, row.construction, row.operation,
        row.operation_share,
    ]  # fmt: skip


@login_required
@reads_from_replica
def inventory_spend_export(request: HttpRequest) -> HttpResponse:
    _campaign, year, rows, total = _inventory_spend(request)
    total.unit = _("Total")
    content = write_table(
        _("IT spend against the inventory"),
        [str(header) for header in SPEND_HEADERS],
        [_spend_row(row) for row in rows],
        money_columns=frozenset({1, 2, 3, 4}),
        totals=_spend_row(total),
    )
    return xlsx_response(content, f"inventory-spend-{year or 'none'}.xlsx")
