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
from django.utils.translation import gettext, gettext_lazy

from accounts.models import Jurisdiction
from standards.models import (
    MAX_LINEAGE,
    FeeCategory,
    Grade,
    RetiredItem,
    ServiceItem,
    SetStatus,
    StandardSet,
)

VISIBLE_STATUSES = (SetStatus.PUBLISHED, SetStatus.RETIRED)


def sets_with_lineage() -> QuerySet[StandardSet]:
    """Sets with their bases loaded in the same query (province -> city -> county)."""
    return StandardSet.objects.select_related("base__base", "jurisdiction")


def sets_in_force(today: datetime.date | None = None) -> QuerySet[StandardSet]:
    """Published sets whose effective period covers ``today``, newest first."""
    day = today or timezone.localdate()
    return (
        sets_with_lineage()
        .filter(status=SetStatus.PUBLISHED, effective_from__lte=day)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=day))
        .order_by("base_id", "-effective_from", "code")
    )


# The province's own standards: not derived, and issued by the province.
PROVINCIAL = Q(base__isnull=True, jurisdiction__parent__isnull=True)


def provincial_set_in_force(today: datetime.date | None = None) -> StandardSet | None:
    """The newest provincial (not derived) set in force today, if any. Pricing asks
    ``set_in_force_for`` instead, which falls back to this one."""
    return sets_in_force(today).filter(PROVINCIAL).first()


def jurisdiction_chain(jurisdiction: Jurisdiction) -> list[Jurisdiction]:
    """The jurisdiction and those above it, nearest first (county, city, province)."""
    chain: list[Jurisdiction] = []
    current: Jurisdiction | None = jurisdiction
    while current is not None and len(chain) < MAX_LINEAGE:
        chain.append(current)
        current = current.parent
    return chain


def set_in_force_for(
    jurisdiction: Jurisdiction | None, day: datetime.date | None = None
) -> StandardSet | None:
    """The standard that prices the projects of ``jurisdiction`` on ``day``: its own set in
    force, else its city's, else the province's (the one place pricing picks a standard).

    A derived set prices only for a city or county: one left at the province's level (an
    install's sets before jurisdictions) never replaces the province's own. One query, plus
    the jurisdictions above when they were not loaded with the unit."""
    chain = jurisdiction_chain(jurisdiction) if jurisdiction is not None else []
    rank = {member.pk: depth for depth, member in enumerate(chain)}
    below_province = [member.pk for member in chain if member.parent_id is not None]
    candidates = sets_in_force(day).filter(Q(jurisdiction_id__in=below_province) | PROVINCIAL)
    best: StandardSet | None = None
    for candidate in candidates:
        if best is None or _force_order(candidate, rank) < _force_order(best, rank):
            best = candidate
    return best


def _force_order(standard_set: StandardSet, rank: dict[int, int]) -> tuple[int, int, str]:
    """Nearest jurisdiction first, then the latest in force, then by code."""
    depth = rank.get(standard_set.jurisdiction_id or 0, MAX_LINEAGE)
    return (depth, -standard_set.effective_from.toordinal(), standard_set.code)


def lineage(standard_set: StandardSet) -> list[StandardSet]:
    """The set and the sets it inherits from, nearest first (uses loaded bases)."""
    chain: list[StandardSet] = []
    current: StandardSet | None = standard_set
    while current is not None and len(chain) < MAX_LINEAGE:
        chain.append(current)
        current = current.base
    return chain


def effective_items(standard_set: StandardSet) -> list[ServiceItem]:
    """Every item the set prices: the base's items with the set's overrides, plus its
    local items, minus the items it retires (at each level of province -> city -> county).

    Items come with their fee class (and its parent), their owning set and
    their grades loaded: two queries in all, three for a derived set (its retirements).
    """
    chain = lineage(standard_set)
    rank = {member.pk: depth for depth, member in enumerate(chain)}
    rows = (
        ServiceItem.objects.filter(standard_set__in=[member.pk for member in chain])
        .select_related("category__parent", "standard_set__jurisdiction")
        .prefetch_related("grades")
    )
    # The nearest level's word on a code wins: an item, or a retirement (None).
    nearest: dict[str, tuple[int, ServiceItem | None]] = {}
    for item in rows:
        depth = rank[item.standard_set_id]
        if item.code not in nearest or depth < nearest[item.code][0]:
            nearest[item.code] = (depth, item)
    if len(chain) > 1:
        for retired in retirements(chain[:-1]):
            depth = rank[retired.standard_set_id]
            if retired.code not in nearest or depth <= nearest[retired.code][0]:
                nearest[retired.code] = (depth, None)
    items = [item for _depth, item in nearest.values() if item is not None]
    return sorted(items, key=_item_order)


def retirements(sets: Iterable[StandardSet]) -> list[RetiredItem]:
    """The items ``sets`` retire, by code."""
    return list(RetiredItem.objects.filter(standard_set__in=[s.pk for s in sets]))


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


# --- Which set and which level priced a line -------------------------------------------

# What ``priced_by`` reads, for the line queries to load with the lines.
PRICED_BY_RELATED = ("standard_set__jurisdiction", "item__standard_set__jurisdiction")

OWN_LEVEL = {
    ("override", "city"): gettext_lazy("city override"),
    ("override", "county"): gettext_lazy("county override"),
    ("local", "city"): gettext_lazy("city addition"),
    ("local", "county"): gettext_lazy("county addition"),
}
INHERITED_LEVEL = {
    "province": gettext_lazy("provincial item"),
    "city": gettext_lazy("city item"),
    "county": gettext_lazy("county item"),
}


def priced_by(standard_set: StandardSet | None, item: ServiceItem | None) -> str:
    """Which set priced a line and at which level its item is set, e.g.
    "广州市标准 DEMO-GZ-2020 · 市级覆盖" or "省级标准 DEMO-GD-2019"."""
    if standard_set is None:
        return ""
    jurisdiction = standard_set.jurisdiction
    if jurisdiction.parent_id is None:
        return gettext("Provincial standard %(code)s") % {"code": standard_set.code}
    label = gettext("%(name)s standard %(code)s") % {
        "name": jurisdiction.name,
        "code": standard_set.code,
    }
    if item is None or standard_set.base_id is None:
        return label
    owner = item.standard_set
    if owner.pk == standard_set.pk:
        source = OWN_LEVEL.get((item.derivation, jurisdiction.level), item.get_derivation_display())
    else:
        level = "province" if owner.base_id is None else owner.jurisdiction.level
        source = INHERITED_LEVEL.get(level, "")
    return f"{label} · {source}" if source else label


def effective_items_of(sets: Iterable[StandardSet]) -> dict[int, dict[str, ServiceItem]]:
    """``effective_items`` of several sets at once, by set and item code: three queries
    however many sets (their lineages loaded, as ``sets_with_lineage`` loads them)."""
    chains = {standard_set.pk: lineage(standard_set) for standard_set in sets}
    ids = {member.pk for chain in chains.values() for member in chain}
    items_by_set: dict[int, list[ServiceItem]] = {pk: [] for pk in ids}
    rows = (
        ServiceItem.objects.filter(standard_set__in=ids)
        .select_related("category__parent", "standard_set__jurisdiction")
        .prefetch_related("grades")
    )
    for item in rows:
        items_by_set[item.standard_set_id].append(item)
    retired_by_set: dict[int, set[str]] = {pk: set() for pk in ids}
    for retired in RetiredItem.objects.filter(standard_set__in=ids):
        retired_by_set[retired.standard_set_id].add(retired.code)
    result = {}
    for pk, chain in chains.items():
        resolved: dict[str, ServiceItem] = {}
        for member in reversed(chain):  # province first, so nearer levels win
            for code in retired_by_set[member.pk]:
                resolved.pop(code, None)
            for item in items_by_set[member.pk]:
                resolved[item.code] = item
        result[pk] = resolved
    return result
