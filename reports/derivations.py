"""标准派生对比: what each city's and county's standard changes of the one it derives
from (prices overridden and by how much, items added, items retired), and how many
projects each change priced. A fixed number of queries however many sets and items."""

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, QuerySet
from django.utils.translation import gettext_lazy

from projects.models import EstimateLine, Project
from standards import catalogue
from standards.models import Derivation, Grade, RetiredItem, ServiceItem, SetStatus, StandardSet

OVERRIDE = "override"
LOCAL = "local"
RETIRED = "retired"
KIND_LABELS = {
    OVERRIDE: gettext_lazy("Overridden"),
    LOCAL: gettext_lazy("Added"),
    RETIRED: gettext_lazy("Retired"),
}


@dataclass(frozen=True)
class DerivationRow:
    standard_set: StandardSet
    kind: str
    item_code: str
    item_name: str
    grade: str = ""
    base_price: Decimal | None = None  # the grade's price, or coefficient, in the base
    own_price: Decimal | None = None  # ... and in the derived set
    reason: str = ""
    projects: int = 0

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[self.kind])

    @property
    def change_percent(self) -> Decimal | None:
        """How much the derived price differs from the base's, in per cent (±)."""
        if self.base_price in (None, 0) or self.own_price is None:
            return None
        assert self.base_price is not None
        return ((self.own_price - self.base_price) / self.base_price * 100).quantize(
            Decimal("0.01")
        )


def derived_sets() -> QuerySet[StandardSet]:
    """The published (or retired) standards of cities and counties, by jurisdiction."""
    return (
        catalogue.sets_with_lineage()
        .filter(base__isnull=False, jurisdiction__parent__isnull=False)
        .filter(status__in=[SetStatus.PUBLISHED, SetStatus.RETIRED])
        .order_by("jurisdiction__code", "-effective_from", "code")
    )


def derivation_rows(projects: QuerySet[Project]) -> list[DerivationRow]:
    """One row per overridden grade (or item, if only its method changed), added item and
    retired item of every derived standard; ``projects`` (the viewer's) counted per row."""
    sets = list(derived_sets())
    bases = catalogue.effective_items_of([s.base for s in sets if s.base is not None])
    own_items: dict[int, list[ServiceItem]] = {s.pk: [] for s in sets}
    for item in ServiceItem.objects.filter(standard_set__in=own_items).prefetch_related("grades"):
        own_items[item.standard_set_id].append(item)
    retired: dict[int, list[RetiredItem]] = {s.pk: [] for s in sets}
    for row in RetiredItem.objects.filter(standard_set__in=retired):
        retired[row.standard_set_id].append(row)
    counts = _project_counts(projects, sets)
    rows: list[DerivationRow] = []
    for standard_set in sets:
        assert standard_set.base_id is not None
        base_items = bases[standard_set.base_id]
        for item in sorted(own_items[standard_set.pk], key=lambda i: (i.position, i.code)):
            used = counts[(standard_set.pk, item.code)]
            base_item = base_items.get(item.code)
            if item.derivation == Derivation.OVERRIDE and base_item is not None:
                rows += _override_rows(standard_set, item, base_item, used)
            else:
                rows.append(_row(standard_set, LOCAL, item, used))
        for row in sorted(retired[standard_set.pk], key=lambda r: r.code):
            base_item = base_items.get(row.code)
            rows.append(
                DerivationRow(
                    standard_set,
                    RETIRED,
                    row.code,
                    base_item.name if base_item else "",
                    reason=row.reason,
                    projects=counts[(standard_set.pk, row.code)],
                )
            )
    return rows


def _row(standard_set: StandardSet, kind: str, item: ServiceItem, used: int) -> DerivationRow:
    return DerivationRow(
        standard_set, kind, item.code, item.name, reason=item.derivation_reason, projects=used
    )


def _override_rows(
    standard_set: StandardSet, item: ServiceItem, base_item: ServiceItem, used: int
) -> list[DerivationRow]:
    base_grades = {grade.code: grade for grade in base_item.grades.all()}
    rows = []
    for grade in item.grades.all():
        before = base_grades.get(grade.code)
        if before is not None and _figure(before) == _figure(grade):
            continue
        rows.append(
            DerivationRow(
                standard_set,
                OVERRIDE,
                item.code,
                item.name,
                grade=grade.name,
                base_price=_figure(before) if before else None,
                own_price=_figure(grade),
                reason=item.derivation_reason,
                projects=used,
            )
        )
    return rows or [_row(standard_set, OVERRIDE, item, used)]


def _figure(grade: Grade) -> Decimal | None:
    """What a grade charges: its unit price, or its coefficient if it has no price."""
    return grade.unit_price if grade.unit_price is not None else grade.coefficient


def _project_counts(
    projects: QuerySet[Project], sets: list[StandardSet]
) -> Counter[tuple[int, str]]:
    """Projects priced by each (set, item code): one query."""
    rows = (
        EstimateLine.objects.filter(standard_set__in=[s.pk for s in sets], project__in=projects)
        .values("standard_set_id", "item_code")
        .annotate(projects=Count("project", distinct=True))
    )
    return Counter({(row["standard_set_id"], row["item_code"]): row["projects"] for row in rows})


def projects_priced_by(
    projects: QuerySet[Project], standard_set: StandardSet, item_code: str
) -> QuerySet[Project]:
    """The viewer's projects with a line priced by ``standard_set`` for ``item_code``."""
    lines = EstimateLine.objects.filter(standard_set=standard_set, item_code=item_code)
    return (
        projects.filter(pk__in=lines.values("project_id"))
        .select_related("organization")
        .order_by("-budget_year", "code")
    )
