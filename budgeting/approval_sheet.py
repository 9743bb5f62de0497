"""The approval sheet (批复表) of a batch: what finance issues in the approval round (二下).

It states the budget year, the round, the approval document number (批复文号), and per
budget unit the projects with their requested and approved amounts, a subtotal per unit
and the total. The printable page and the Excel file are drawn from one ``ApprovalSheet``,
so they cannot disagree; the Excel file goes through the one formula-safe writer.
"""

from dataclasses import dataclass
from decimal import Decimal
from itertools import groupby

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts.models import Organization
from budgeting.models import ApprovalBatch
from projects.models import Project
from ui.excel import write_table

ZERO = Decimal("0.00")


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


def approval_sheet(batch: ApprovalBatch, projects: list[Project]) -> ApprovalSheet:
    """The sheet of ``batch`` from its projects, given ordered by unit (no query)."""
    return ApprovalSheet(
        batch,
        [
            UnitBlock(unit, list(rows))
            for unit, rows in groupby(projects, key=lambda project: project.organization)
        ],
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
    rows: list[list[object]] = []
    for block in sheet.units:
        rows.extend(
            [block.unit.name, p.code, p.name, p.requested_amount, p.approved_amount]
            for p in block.projects
        )
        subtotal = _("Subtotal: %(unit)s") % {"unit": block.unit.name}
        rows.append([subtotal, "", "", block.requested, block.approved])
    return write_table(
        batch.name,
        headers,
        rows,
        money_columns=frozenset({3, 4}),
        widths=[30, 18, 40, 20, 20],
        totals=[_("Total"), "", "", sheet.requested, sheet.approved],
        preamble=preamble,
    )
