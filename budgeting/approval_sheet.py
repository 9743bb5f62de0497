"""The approval sheet (批复表) of a batch: what finance issues in the approval round (二下).

It states the budget year, the round, the approval document number (批复文号), and per
budget unit the projects with their requested and approved amounts, a subtotal per unit
and the total. The printable page and the Excel file are drawn from one ``ApprovalSheet``,
so they cannot disagree; the Excel file goes through the one formula-safe writer.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import groupby
from typing import TypeVar

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts.models import Organization
from budgeting.models import ApprovalBatch
from projects.models import Project
from ui.excel import write_table

ZERO = Decimal("0.00")
T = TypeVar("T")


def _sum(values: list[Decimal | None]) -> Decimal:
    return sum((value or ZERO for value in values), ZERO)


@dataclass(frozen=True)
class UnitBlock:
    """One budget unit's projects in the batch, with its subtotals."""

    unit: Organization
    projects: list[Project]

    @property
    def requested(self) -> Decimal:
        return _sum([project.requested_amount for project in self.projects])

    @property
    def approved(self) -> Decimal:
        return _sum([project.approved_amount for project in self.projects])


@dataclass(frozen=True)
class ApprovalSheet:
    batch: ApprovalBatch
    units: list[UnitBlock]

    @property
    def year(self) -> int:
        return self.batch.cycle.year

    @property
    def round_name(self) -> str:
        return self.batch.round.name if self.batch.round else ""

    @property
    def project_count(self) -> int:
        return sum(len(block.projects) for block in self.units)

    @property
    def requested(self) -> Decimal:
        return _sum([block.requested for block in self.units])

    @property
    def approved(self) -> Decimal:
        return _sum([block.approved for block in self.units])


def by_unit(
    rows: Sequence[T], unit: Callable[[T], Organization]
) -> list[tuple[Organization, list[T]]]:
    """``rows``, given ordered by unit, in one group per unit (no query)."""
    return [(key, list(group)) for key, group in groupby(rows, key=unit)]


def approval_sheet(batch: ApprovalBatch, projects: list[Project]) -> ApprovalSheet:
    """The sheet of ``batch`` from its projects, given ordered by unit (no query)."""
    return ApprovalSheet(
        batch,
        [UnitBlock(unit, rows) for unit, rows in by_unit(projects, lambda p: p.organization)],
    )


@dataclass(frozen=True)
class UnitRows:
    """One unit's rows of a sheet's table and the figures of its subtotal row."""

    unit: Organization
    rows: list[list[object]]
    subtotal: list[object]  # the cells after the subtotal's label


def unit_workbook(
    title: str,
    *,
    preamble: list[list[object]],
    headers: list[str],
    units: list[UnitRows],
    totals: list[object],
    money_columns: frozenset[int],
    widths: list[int],
) -> bytes:
    """A sheet as an .xlsx file: the facts above, each unit's rows followed by its
    subtotal row, the total at the end (the approval sheet and the single-source
    procurement sheet alike), through the one formula-safe writer."""
    rows: list[list[object]] = []
    for block in units:
        rows.extend(block.rows)
        rows.append([_("Subtotal: %(unit)s") % {"unit": block.unit.name}, *block.subtotal])
    return write_table(
        title,
        headers,
        rows,
        money_columns=money_columns,
        widths=widths,
        totals=totals,
        preamble=preamble,
    )


def workbook(sheet: ApprovalSheet) -> bytes:
    """The sheet as an .xlsx file: the facts above, one row per project, a subtotal row
    after each unit's projects, the total at the end; amounts in yuan."""
    batch = sheet.batch
    preamble: list[list[object]] = [
        [pgettext("approval sheet", "Approval sheet"), batch.name],
        [_("Budget year"), sheet.year],
        [
            pgettext("approval sheet", "Round"),
            sheet.round_name or pgettext("approval sheet", "None"),
        ],
        [
            pgettext("approval sheet", "Approval document number"),
            batch.document_number or pgettext("approval sheet", "Not given"),
        ],
        [
            pgettext("approval sheet", "Approved on"),
            timezone.localtime(batch.approved_at).strftime("%Y-%m-%d"),
        ],
    ]
    headers = [
        _("Budget unit"),
        _("Project code"),
        _("Project name"),
        _("Requested amount (yuan)"),
        pgettext("approval sheet", "Approved amount (yuan)"),
    ]
    units = [
        UnitRows(
            block.unit,
            [
                [block.unit.name, p.code, p.name, p.requested_amount, p.approved_amount]
                for p in block.projects
            ],
            ["", "", block.requested, block.approved],
        )
        for block in sheet.units
    ]
    return unit_workbook(
        batch.name,
        preamble=preamble,
        headers=headers,
        units=units,
        totals=[_("Total"), "", "", sheet.requested, sheet.approved],
        money_columns=frozenset({3, 4}),
        widths=[30, 18, 40, 20, 20],
    )
