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
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from budgeting.amounts import Step
from budgeting.models import BudgetCycle
from projects.models import COUNTED_STATES, Project
from projects.permissions import projects_visible_to
from reports import charts, open_data, review_totals
from reports.cells import fresh_cells, projects_with_lines, summarise_cells
from reports.review_totals import ReasonRow
from reports.summary import DIMENSIONS, Dimension, SummaryRow, counted, summarise, total
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


def _projects(request: HttpRequest, year: int) -> QuerySet[Project]:
    return projects_visible_to(request.user).filter(budget_year=year)


def _summary(request: HttpRequest) -> tuple[str, int, list[SummaryRow], SummaryRow, Any]:
    """The dimension, the year, its rows and total, and the kept cells they came from
    (None: summed live, see ``reports.cells``)."""
    by = request.GET.get("by", "unit")
    if by not in DIMENSIONS:
        by = "unit"
    year = _year(request)
    dimension = DIMENSIONS[by]
    cells = fresh_cells(request.user, year)  # type: ignore[arg-type]
    if cells is not None:
        cells_counted = cells.filter(state__in=COUNTED_STATES) if by != "state" else cells
        rows = summarise_cells(cells_counted, dimension)
        with_lines = projects_with_lines(cells_counted) if dimension.of_lines else None
        return by, year, rows, total(rows, dimension=dimension, with_lines=with_lines), cells
    projects = _projects(request, year)
    if by != "state":  # by state every state is listed; total() leaves out the uncounted
        projects = counted(projects)
    rows = summarise(projects, dimension)
    return by, year, rows, total(rows, projects, dimension), None


def _drill(year: int, dimension: Dimension | None = None, row: SummaryRow | None = None) -> str:
    """The project list filtered to a row's projects (to the counted ones, as the row)."""
    query: dict[str, Any] = {"year": year}
    if dimension is None or dimension.filter_name != "state":
        query["counted"] = "yes"
    if dimension is not None and row is not None:
        query[dimension.filter_name] = row.drill_value()
    return f"{reverse('projects:list')}?{urlencode(query)}"


@login_required
def summary(request: HttpRequest) -> HttpResponse:
    by, year, rows, totals, cells = _summary(request)
    dimension = DIMENSIONS[by]
    if cells is not None:
        fee_classes = summarise_cells(
            cells.filter(state__in=COUNTED_STATES), DIMENSIONS["fee_class"]
        )
    else:
        fee_classes = summarise(counted(_projects(request, year)), DIMENSIONS["fee_class"])
    return render(
        request,
        "reports/summary.html",
        {
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


def _review_figures(
    request: HttpRequest,
) -> tuple[int, BudgetCycle | None, list[Step], list[ReasonRow]]:
    year = _year(request)
    cycle = BudgetCycle.objects.filter(year=year).first()
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
def open_data_package(request: HttpRequest) -> HttpResponse:
    """The year's approved budgets as CSV and datapackage.json (Fiscal Data Package), zipped."""
    year = _year(request)
    content = open_data.package_zip(projects_visible_to(request.user), year)
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="approved-budgets-{year}.zip"'
    return response
