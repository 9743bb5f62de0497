"""Reading the catalogue: the set in force, a set's effective items (with
inheritance resolved), grouping by fee class, and the difference of two versions.

Every function here runs a fixed number of queries whatever the number of
items, so the pages built on them stay fast as standards grow.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils import timezone

from standards.models import (
    MAX_LINEAGE,
    FeeCategory,
    Grade,
    ServiceItem,
    SetStatus,
    StandardSet,
)

VISIBLE_STATUSES = (SetStatus.PUBLISHED, SetStatus.RETIRED)


def sets_with_lineage() -> QuerySet[StandardSet]:
    """Sets with their bases loaded in the same query (province -> city -> county)."""
    return StandardSet.objects.select_related("base__base")


def sets_in_force(today: datetime.date | None = None) -> QuerySet[StandardSet]:
    """Published sets whose effective period covers ``today``, newest first."""
    day = today or timezone.localdate()
    return (
        sets_with_lineage()
        .filter(status=SetStatus.PUBLISHED, effective_from__lte=day)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=day))
        .order_by("base_id", "-effective_from", "code")
    )


def provincial_set_in_force(today: datetime.date | None = None) -> StandardSet | None:
    """The newest provincial (not derived) set in force today, if any."""
    return sets_in_force(today).filter(base__isnull=True).first()


def lineage(standard_set: StandardSet) -> list[StandardSet]:
    """The set and the sets it inherits from, nearest first (uses loaded bases)."""
    chain: list[StandardSet] = []
    current: StandardSet | None = standard_set
    while current is not None and len(chain) < MAX_LINEAGE:
        chain.append(current)
        current = current.base
    return chain


def effective_items(standard_set: StandardSet) -> list[ServiceItem]:
    """Every item the set prices: its own, plus those it inherits and does not override.

    Items come with their fee class (and its parent), their owning set and
    their grades loaded: two queries in all.
    """
    chain = lineage(standard_set)
    rank = {member.pk: depth for depth, member in enumerate(chain)}
    rows = (
        ServiceItem.objects.filter(standard_set__in=[member.pk for member in chain])
        .select_related("category__parent", "standard_set")
        .prefetch_related("grades")
    )
    nearest: dict[str, ServiceItem] = {}
    for item in rows:
        current = nearest.get(item.code)
        if current is None or rank[item.standard_set_id] < rank[current.standard_set_id]:
            nearest[item.code] = item
    return sorted(nearest.values(), key=_item_order)


def search(items: Iterable[ServiceItem], query: str) -> list[ServiceItem]:
    """Items whose code or name contains ``query`` (case-insensitive)."""
    needle = query.strip().casefold()
    if not needle:
        return list(items)
    return [i for i in items if needle in i.code.casefold() or needle in i.name.casefold()]


@dataclass
class FeeClassGroup:
    fee_class: FeeCategory
    items: list[ServiceItem] = field(default_factory=list)


def group_by_fee_class(items: Iterable[ServiceItem]) -> list[FeeClassGroup]:
    """Items under their top-level fee class, in the standard's order."""
    groups: dict[int, FeeClassGroup] = {}
    for item in items:
        top = item.category.parent or item.category
        groups.setdefault(top.pk, FeeClassGroup(top)).items.append(item)
    return sorted(groups.values(), key=lambda g: (g.fee_class.position, g.fee_class.code))


def _item_order(item: ServiceItem) -> tuple[int, str, int, str]:
    top = item.category.parent or item.category
    return (top.position, top.code, item.position, item.code)


# --- Comparing two versions -------------------------------------------------------------


@dataclass(frozen=True)
class GradeChange:
    code: str
    name: str
    old_price: Decimal | None
    new_price: Decimal | None
    old_coefficient: Decimal | None
    new_coefficient: Decimal | None

    @property
    def changed(self) -> bool:
        return (self.old_price, self.old_coefficient) != (self.new_price, self.new_coefficient)


@dataclass(frozen=True)
class ItemChange:
    old: ServiceItem
    new: ServiceItem
    fields: list[str]
    grades: list[GradeChange]

    @property
    def field_labels(self) -> list[str]:
        meta = ServiceItem._meta
        return [str(getattr(meta.get_field(name), "verbose_name", name)) for name in self.fields]


@dataclass(frozen=True)
class Comparison:
    added: list[ServiceItem]
    removed: list[ServiceItem]
    changed: list[ItemChange]

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


COMPARED_FIELDS = ["name", "unit", "pricing_method", "parameters", "project_kinds", "basis"]


def compare(old_set: StandardSet, new_set: StandardSet) -> Comparison:
    """What changed from ``old_set`` to ``new_set``: items added, removed, and changed
    (fields or grade prices), matched by item code and grade code."""
    old_items = {item.code: item for item in effective_items(old_set)}
    new_items = {item.code: item for item in effective_items(new_set)}
    changed = []
    for code, new in new_items.items():
        old = old_items.get(code)
        if old is None:
            continue
        fields = [f for f in COMPARED_FIELDS if getattr(old, f) != getattr(new, f)]
        if old.category.code != new.category.code:
            fields.append("category")
        grades = _compare_grades(list(old.grades.all()), list(new.grades.all()))
        if fields or any(g.changed for g in grades):
            changed.append(ItemChange(old, new, fields, grades))
    return Comparison(
        added=[item for code, item in new_items.items() if code not in old_items],
        removed=[item for code, item in old_items.items() if code not in new_items],
        changed=changed,
    )


def _compare_grades(old: list[Grade], new: list[Grade]) -> list[GradeChange]:
    old_by_code = {g.code: g for g in old}
    new_by_code = {g.code: g for g in new}
    codes = [g.code for g in new] + [g.code for g in old if g.code not in new_by_code]
    changes = []
    for code in codes:
        before, after = old_by_code.get(code), new_by_code.get(code)
        shown = after or before
        assert shown is not None
        changes.append(
            GradeChange(
                code=code,
                name=shown.name,
                old_price=before.unit_price if before else None,
                new_price=after.unit_price if after else None,
                old_coefficient=before.coefficient if before else None,
                new_coefficient=after.coefficient if after else None,
            )
        )
    return changes
