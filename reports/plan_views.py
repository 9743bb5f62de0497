"""规划与申报对比: the page and its Excel export (issue #17; ``reports.plan_compare``)."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ops.replica import reads_from_replica
from projects.permissions import projects_visible_to
from reports.plan_compare import CompareRow, plan_vs_request
from reports.views import budget_year
from ui.excel import write_table, xlsx_response

HEADERS = (
    gettext_lazy("Budget unit"),
    gettext_lazy("Projects"),
    gettext_lazy("Planned (yuan)"),
    gettext_lazy("Requested (yuan)"),
    gettext_lazy("Request minus plan (yuan)"),
    gettext_lazy("Approved (yuan)"),
    gettext_lazy("Projects differing from the plan"),
)


def _compare(request: HttpRequest) -> tuple[int, list[CompareRow], CompareRow]:
    year = budget_year(request.GET.get("year"))
    rows, total = plan_vs_request(projects_visible_to(request.user), year)
    return year, rows, total


@login_required
@reads_from_replica
def plan_vs_request_page(request: HttpRequest) -> HttpResponse:
    """Each unit's plan figures for a year against its requests and approvals."""
    year, rows, total = _compare(request)
    return render(
        request,
        "reports/plan_vs_request.html",
        {"year": year, "rows": rows, "total": total, "headers": HEADERS},
    )


def _cells(row: CompareRow) -> list[Any]:
    return [
        row.unit.name if row.unit else _("Total"),
        row.projects,
        row.planned,
        row.requested,
        row.request_minus_plan,
        row.approved,
        row.differing,
    ]


@login_required
@reads_from_replica
def plan_vs_request_export(request: HttpRequest) -> HttpResponse:
    year, rows, total = _compare(request)
    content = write_table(
        _("Plan and request %(year)s") % {"year": year},
        [str(header) for header in HEADERS],
        [_cells(row) for row in rows],
        money_columns=frozenset({2, 3, 4, 5}),
        widths=[28, 10, 18, 18, 18, 18, 14],
        totals=_cells(total),
    )
    return xlsx_response(content, f"plan-vs-request-{year}.xlsx")
