"""The approval sheet of a single-source procurement batch (单一来源采购审批表): per budget
unit the projects with their supplier and approved budget, a subtotal per unit and the
total. The printable page and the Excel file are drawn from one ``ProcurementSheet``;
the file is written as the budget's approval sheet is (``approval_sheet.unit_workbook``).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts.models import Organization
from budgeting.approval_sheet import UnitRows, by_unit, unit_workbook
from budgeting.models import ProcurementApproval, ProcurementBatch

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class UnitItems:
    """One budget unit's projects in the batch, with its subtotal."""

    unit: Organization
    items: list[ProcurementApproval]

    @property
    def amount(self) -> Decimal:
        return sum((item.amount for item in self.items), ZERO)


@dataclass(frozen=True)
class ProcurementSheet:
    batch: ProcurementBatch
    units: list[UnitItems]

    @property
    def project_count(self) -> int:
        return sum(len(block.items) for block in self.units)

    @property
    def amount(self) -> Decimal:
        return sum((block.amount for block in self.units), ZERO)


def sheet_of(batch: ProcurementBatch, items: list[ProcurementApproval]) -> ProcurementSheet:
    """The sheet from the batch's live approvals, given ordered by unit (no query)."""
    return ProcurementSheet(
        batch,
        [
            UnitItems(unit, rows)
            for unit, rows in by_unit(items, lambda item: item.project.organization)
        ],
    )


def workbook(sheet: ProcurementSheet) -> bytes:
    """The sheet as an .xlsx file; amounts in yuan."""
    batch = sheet.batch
    approved = (
        timezone.localtime(batch.approved_at).strftime("%Y-%m-%d")
        if batch.approved_at
        else pgettext("procurement", "Awaiting approval")
    )
    preamble: list[list[object]] = [
        [_("Single-source procurement approval"), batch.name],
        [_("Budget year"), batch.year],
        [
            pgettext("approval sheet", "Approval document number"),
            batch.document_number or pgettext("approval sheet", "Not given"),
        ],
        [pgettext("approval sheet", "Approved on"), approved],
        [_("Budget units"), len(sheet.units)],
        [_("Projects"), sheet.project_count],
    ]
    headers = [
        _("Budget unit"),
        _("Project code"),
        _("Project name"),
        _("Supplier"),
        _("Approved budget (yuan)"),
    ]
    units = [
        UnitRows(
            block.unit,
            [
                [block.unit.name, item.project.code, item.project.name, item.supplier, item.amount]
                for item in block.items
            ],
            ["", "", "", block.amount],
        )
        for block in sheet.units
    ]
    return unit_workbook(
        batch.name,
        preamble=preamble,
        headers=headers,
        units=units,
        totals=[_("Total"), "", "", "", sheet.amount],
        money_columns=frozenset({4}),
        widths=[30, 18, 40, 30, 20],
    )
