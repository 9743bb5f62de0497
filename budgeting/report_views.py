"""The budget summary: totals by any classification dimension, with drill-down and Excel."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from budgeting.reports import DIMENSIONS, SummaryRow, summarise, total
from projects.excel import write_table
from projects.permissions import projects_visible_to

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _year(request: HttpRequest) -> int:
    raw = request.GET.get("year", "")
    return int(raw) if raw.isdigit() else timezone.localdate().year + 1


def _summary(request: HttpRequest) -> tuple[str, int, list[SummaryRow], SummaryRow]:
    by = request.GET.get("by", "unit")
    if by not in DIMENSIONS:
        by = "unit"
    year = _year(request)
    projects = projects_visible_to(request.user).filter(budget_year=year)
    rows = summarise(projects, DIMENSIONS[by])
    return by, year, rows, total(rows)


@login_required
def summary(request: HttpRequest) -> HttpResponse:
    by, year, rows, totals = _summary(request)
    dimension = DIMENSIONS[by]
    list_url = reverse("projects:list")
    links = [
        f"{list_url}?{urlencode({'year': year, dimension.filter_name: row.drill_value()})}"
        for row in rows
    ]
    return render(
        request,
        "budgeting/summary.html",
        {
            "by": by,
            "year": year,
            "dimension": dimension,
            "dimensions": DIMENSIONS,
            "rows": list(zip(rows, links, strict=True)),
            "totals": totals,
            "all_link": f"{list_url}?{urlencode({'year': year})}",
        },
    )


@login_required
def summary_export(request: HttpRequest) -> HttpResponse:
    by, year, rows, totals = _summary(request)
    headers = [
        str(DIMENSIONS[by].label),
        _("Projects"),
        _("Requested (yuan)"),
        _("Approved (yuan)"),
        _("Cut (yuan)"),
        _("Cut rate (%)"),
    ]
    content = write_table(
        _("Summary %(year)s") % {"year": year},
        headers,
        [
            [str(row.label), row.projects, row.requested, row.approved, row.cut, row.cut_rate]
            for row in [*rows, totals]
        ],
        money_columns=frozenset({2, 3, 4}),
        widths=[30, 10, 18, 18, 18, 12],
    )
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="summary-{year}-{by}.xlsx"'
    return response
