"""The province's roll-up (全省汇总) under ``/reports/province/``, as a page and as an
Excel file through the one formula-safe writer. 403 for anyone but provincial finance
and system admins (``reports.permissions.can_read_province``)."""

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from accounts.permissions import jurisdiction_id_of
from projects.models import ProjectKind
from reports.permissions import can_read_province
from reports.province import KINDS, Figures, JurisdictionRow, roll_up
from reports.views import budget_year
from ui.excel import PERCENT_FORMAT, WAN_FORMAT, write_table, xlsx_response
from ui.templatetags.ui import wan

WAN = Decimal(10000)


def _allowed(request: HttpRequest) -> None:
    if not can_read_province(request.user):
        raise PermissionDenied


@login_required
def province_rollup(request: HttpRequest) -> HttpResponse:
    """Per jurisdiction: requested, reviewed and approved by kind and fee class, with last
    year's; a row drills down to the project list only for the viewer's own jurisdiction
    (the cities' projects are their own finance's business)."""
    _allowed(request)
    data = roll_up(budget_year(request.GET.get("year")))
    own = jurisdiction_id_of(request.user)
    rows = [(row, row.jurisdiction.pk == own) for row in data.rows]
    return render(
        request,
        "reports/province.html",
        {
            "rollup": data,
            "year": data.year,
            "kinds": [(kind, ProjectKind(kind).label) for kind in KINDS],
            "rows": rows,
            "table": [(row, mine, _jurisdiction_cells(row)) for row, mine in rows],
            "total_cells": _jurisdiction_cells(data.total),
            "fee_rows": [(row, _fee_cells(row, data.fee_classes)) for row in data.rows],
            "fee_totals": _fee_cells(data.total, data.fee_classes),
        },
    )


# A row's figures are drawn here rather than by the template: 140 jurisdictions of 30
# figures each were 4,000 variable lookups and filters, most of the page's time.
def _figure_cells(values: Iterable[str]) -> SafeString:
    # escape() and one join: format_html_join's per-cell formatting took 25 µs a cell.
    cells = "".join([f'<td class="num">{escape(value)}</td>' for value in values])
    return mark_safe(cells)  # noqa: S308  # nosec B308 B703  # each value escaped above


def _figures(figures: Figures) -> list[str]:
    return [wan(figures.requested), wan(figures.reviewed), wan(figures.approved)]


def _jurisdiction_cells(row: JurisdictionRow) -> SafeString:
    """The jurisdiction table's figures of ``row``: by kind, the total, against last year."""
    values = [value for figures in row.kind_figures for value in _figures(figures)]
    values += _figures(row.total)
    values += [wan(row.last_year.requested), wan(row.last_year.approved)]
    values.append("—" if row.change is None else f"{row.change}%")
    return _figure_cells(values)


def _fee_cells(row: JurisdictionRow, fee_classes: list[str]) -> SafeString:
    empty = Figures()
    return _figure_cells(
        value for fee in fee_classes for value in _figures(row.by_fee_class.get(fee, empty))
    )


def _wan(value: Decimal) -> Decimal:
    return value / WAN


@login_required
def province_export(request: HttpRequest) -> HttpResponse:
    """The roll-up's jurisdiction table in 10k yuan, one row per jurisdiction."""
    _allowed(request)
    data = roll_up(budget_year(request.GET.get("year")))
    headers = [_("Jurisdiction"), _("Administrative level")]
    for _kind, label in [(kind, ProjectKind(kind).label) for kind in KINDS]:
        headers += [
            _("%(kind)s requested (10k yuan)") % {"kind": label},
            _("%(kind)s reviewed (10k yuan)") % {"kind": label},
            _("%(kind)s approved (10k yuan)") % {"kind": label},
        ]
    headers += [
        _("Requested (10k yuan)"),
        _("Reviewed (10k yuan)"),
        _("Approved (10k yuan)"),
        _("Requested last year (10k yuan)"),
        _("Approved last year (10k yuan)"),
        _("Change of the requested total (%)"),
    ]

    def cells(row: JurisdictionRow, name: str, level: str) -> list[Any]:
        values: list[Any] = [name, level]
        for kind in KINDS:
            figures = row.by_kind[kind]
            values += [_wan(figures.requested), _wan(figures.reviewed), _wan(figures.approved)]
        values += [
            _wan(row.total.requested),
            _wan(row.total.reviewed),
            _wan(row.total.approved),
            _wan(row.last_year.requested),
            _wan(row.last_year.approved),
            row.change,
        ]
        return values

    rows = [
        cells(row, row.jurisdiction.name, str(row.jurisdiction.get_level_display()))
        for row in data.rows
    ]
    last = len(headers) - 1
    content = write_table(
        _("Province %(year)s") % {"year": data.year},
        headers,
        rows,
        formats={**dict.fromkeys(range(2, last), WAN_FORMAT), last: PERCENT_FORMAT},
        widths=[20, 10, *[16] * (len(headers) - 2)],
        totals=cells(data.total, _("Total"), ""),
    )
    return xlsx_response(content, f"province-{data.year}.xlsx")
