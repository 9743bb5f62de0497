"""标准派生对比: the page, its Excel export and the drill-down to the projects priced by a
derived item (``reports.derivations``)."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from projects.permissions import projects_visible_to
from reports.derivations import DerivationRow, derivation_rows, derived_sets, projects_priced_by
from reports.permissions import can_see_derivations
from ui.excel import PERCENT_FORMAT, YUAN_FORMAT, write_table, xlsx_response

HEADERS = (
    gettext_lazy("Jurisdiction"),
    gettext_lazy("Standard"),
    gettext_lazy("Change"),
    gettext_lazy("Item code"),
    gettext_lazy("Item"),
    gettext_lazy("Grade"),
    gettext_lazy("Base price or coefficient"),
    gettext_lazy("Own price or coefficient"),
    gettext_lazy("Difference (%)"),
    gettext_lazy("Reason"),
    gettext_lazy("Projects priced"),
)


def _check(request: HttpRequest) -> None:
    if not can_see_derivations(request.user):
        raise PermissionDenied


@require_GET
@login_required
def derivations_page(request: HttpRequest) -> HttpResponse:
    """Every city's and county's standard against the one it derives from."""
    _check(request)
    rows = derivation_rows(projects_visible_to(request.user))
    return render(request, "reports/derivations.html", {"rows": rows, "headers": HEADERS})


def _cells(row: DerivationRow) -> list[Any]:
    return [
        row.standard_set.jurisdiction.name,
        row.standard_set.code,
        row.kind_label,
        row.item_code,
        row.item_name,
        row.grade,
        row.base_price,
        row.own_price,
        row.change_percent,
        row.reason,
        row.projects,
    ]


@require_GET
@login_required
def derivations_export(request: HttpRequest) -> HttpResponse:
    _check(request)
    rows = derivation_rows(projects_visible_to(request.user))
    content = write_table(
        _("Standard derivations"),
        [str(header) for header in HEADERS],
        [_cells(row) for row in rows],
        formats={6: YUAN_FORMAT, 7: YUAN_FORMAT, 8: PERCENT_FORMAT},
        widths=[12, 18, 10, 10, 32, 12, 16, 16, 12, 40, 10],
    )
    return xlsx_response(content, "standard-derivations.xlsx")


@require_GET
@login_required
def derivation_projects(request: HttpRequest, code: str, item_code: str) -> HttpResponse:
    """The projects (the viewer may see) with a line priced by a derived set's item."""
    _check(request)
    standard_set = derived_sets().filter(code=code).first()
    if standard_set is None:
        raise Http404
    projects = projects_priced_by(projects_visible_to(request.user), standard_set, item_code)
    context = {
        "standard_set": standard_set,
        "item_code": item_code,
        "projects": list(projects[:500]),
    }
    return render(request, "reports/derivation_projects.html", context)
