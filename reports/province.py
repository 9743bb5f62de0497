"""The province's roll-up across jurisdictions (issue #18, "全省一盘棋"): per jurisdiction
the requested, reviewed and approved totals of a year, by kind (建设 / 运维) and by fee
class, beside the year before. Read-only and for provincial finance
(``reports.permissions.can_read_province``), who acts on none of the cities' projects.

The estimate lines of the projects that count (``projects.models.COUNTED_STATES``),
read from their kept sums per jurisdiction, kind, state and fee class
(``reports.models.RollUpCell``, kept by the summary's triggers in the transaction of
every write), two queries whatever the number of jurisdictions, projects or lines: the
sums, and the jurisdictions. Summing the year's lines live took 6.5× a jurisdiction's
summary at 10,000 projects (docs/performance.md).
  - requested: the lines' amounts as asked;
  - reviewed (审核数): each line once every stage so far has decided
    (``reports.summary.line_amount_after``, as the triggers count it);
  - approved (批复数): the same, of the approved (or since closed) projects.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum
from django.db.models.functions import Coalesce

from accounts.models import Jurisdiction
from projects.models import APPROVED_STATES, COUNTED_STATES, ProjectKind
from reports.models import RollUpCell
from reports.summary import MONEY, ZERO

KINDS = (ProjectKind.CONSTRUCTION, ProjectKind.OPERATION)


@dataclass
class Figures:
    """Requested, reviewed and approved, in yuan."""

    requested: Decimal = ZERO
    reviewed: Decimal = ZERO
    approved: Decimal = ZERO

    def add(self, other: "Figures") -> None:
        self.requested += other.requested
        self.reviewed += other.reviewed
        self.approved += other.approved


@dataclass
class JurisdictionRow:
    jurisdiction: Jurisdiction
    depth: int  # 0 the province, 1 a city, 2 a county: the table indents by it
    total: Figures = field(default_factory=Figures)
    by_kind: dict[str, Figures] = field(default_factory=lambda: {k: Figures() for k in KINDS})
    by_fee_class: dict[str, Figures] = field(default_factory=dict)
    last_year: Figures = field(default_factory=Figures)

    @property
    def change(self) -> Decimal | None:
        """The requested total against last year's, in per cent (None: nothing last year)."""
        if not self.last_year.requested:
            return None
        ratio = (self.total.requested - self.last_year.requested) * 100 / self.last_year.requested
        return ratio.quantize(Decimal("0.1"))

    @property
    def kind_figures(self) -> list[Figures]:
        """The figures of each kind, in ``KINDS``' order (the table's columns)."""
        return [self.by_kind[kind] for kind in KINDS]


@dataclass
class RollUp:
    year: int
    rows: list[JurisdictionRow]
    fee_classes: list[str]
    total: JurisdictionRow


def roll_up(year: int) -> RollUp:
    """Every jurisdiction's figures of ``year`` and ``year - 1``, the province first and
    each city followed by its counties."""
    sums = (
        RollUpCell.objects.filter(budget_year__in=[year, year - 1], state__in=COUNTED_STATES)
        .values("budget_year", "jurisdiction_id", "kind", "fee_class")
        # The cells' own names: "approved" first, while "reviewed" is still the field.
        .annotate(
            approved=Coalesce(
                Sum("reviewed", filter=Q(state__in=APPROVED_STATES)), ZERO, output_field=MONEY
            ),
            requested=Sum("requested"),
            reviewed=Sum("reviewed"),
        )
        .order_by()
    )
    return assemble(year, sums)


def assemble(year: int, sums: Iterable[Mapping[str, Any]]) -> RollUp:
    """The roll-up of ``year`` from sums per ``budget_year``, ``jurisdiction_id``,
    ``kind`` and ``fee_class`` of ``requested``, ``reviewed`` and ``approved``."""
    rows = {place.pk: JurisdictionRow(place, _depth(place)) for place in _ordered()}
    fee_classes: set[str] = set()
    for entry in sums:
        row = rows.get(entry["jurisdiction_id"])
        if row is None:
            continue
        figures = Figures(entry["requested"], entry["reviewed"], entry["approved"])
        if entry["budget_year"] != year:
            row.last_year.add(figures)
            continue
        row.total.add(figures)
        if entry["kind"] in row.by_kind:
            row.by_kind[entry["kind"]].add(figures)
        fee_class = entry["fee_class"] or "—"
        fee_classes.add(fee_class)
        row.by_fee_class.setdefault(fee_class, Figures()).add(figures)
    total = JurisdictionRow(Jurisdiction(name=""), 0)
    for row in rows.values():
        total.total.add(row.total)
        total.last_year.add(row.last_year)
        for kind in KINDS:
            total.by_kind[kind].add(row.by_kind[kind])
        for fee_class, figures in row.by_fee_class.items():
            total.by_fee_class.setdefault(fee_class, Figures()).add(figures)
    return RollUp(year, list(rows.values()), sorted(fee_classes), total)


def _ordered() -> list[Jurisdiction]:
    """The province, then each city followed by its counties (by code), in one query."""
    places = list(Jurisdiction.objects.order_by("code"))
    children: dict[int | None, list[Jurisdiction]] = defaultdict(list)
    for place in places:
        children[place.parent_id].append(place)
    ordered: list[Jurisdiction] = []

    def walk(parent: int | None) -> None:
        for place in children.get(parent, []):
            ordered.append(place)
            walk(place.pk)

    walk(None)
    return ordered


def _depth(place: Jurisdiction) -> int:
    return {"province": 0, "city": 1}.get(place.level, 2)
