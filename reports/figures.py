"""Totals against control figures (控制数), aggregated in the database."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum
from django.db.models.functions import Coalesce

from accounts.models import Organization
from budgeting.models import BudgetCycle, ControlFigure
from projects.models import Project
from reports.summary import counted

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class ControlRow:
    unit: Organization
    control: Decimal | None
    requested: Decimal
    approved: Decimal
    issued_at: datetime | None = None  # when finance issued the figure (一下), if it did

    @property
    def over(self) -> bool:
        return self.control is not None and self.requested > self.control


def control_rows(
    cycle: BudgetCycle, units: list[Organization], projects: QuerySet[Project]
) -> list[ControlRow]:
    """For each primary unit: its control figure and the requested and approved totals
    of its own and its secondary units' projects in the cycle's year that count toward
    the totals (``projects.models.COUNTED_STATES``: no drafts, withdrawn or rejected
    projects), among ``projects`` (those the user may see, as on the summary)."""
    unit_ids = [unit.pk for unit in units]
    totals: dict[int, dict[str, Any]] = {
        row["primary"]: dict(row)
        for row in counted(projects.filter(budget_year=cycle.year))
        .annotate(primary=Coalesce("organization__parent_id", "organization_id"))
        .filter(primary__in=unit_ids)
        .values("primary")
        .annotate(requested=Sum("requested_amount"), approved=Sum("approved_amount"))
    }
    controls = {
        unit_id: (amount, issued_at)
        for unit_id, amount, issued_at in ControlFigure.objects.filter(
            cycle=cycle, organization_id__in=unit_ids
        ).values_list("organization_id", "amount", "issued_at")
    }
    return [
        ControlRow(
            unit=unit,
            control=controls[unit.pk][0] if unit.pk in controls else None,
            issued_at=controls[unit.pk][1] if unit.pk in controls else None,
            requested=totals.get(unit.pk, {}).get("requested") or ZERO,
            approved=totals.get(unit.pk, {}).get("approved") or ZERO,
        )
        for unit in units
    ]
