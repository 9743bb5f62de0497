"""Possible duplicate construction (重复建设): similar project names of other units, and
systems the units already run (their inventories, ``inventory_flags``).

PostgreSQL's pg_trgm compares names by shared three-character runs, which
works on Chinese names too when the database's character type is UTF-8
aware (C.UTF-8 or a zh_CN/en_US.UTF-8 locale). The GIN trigram index on
``Project.name`` keeps this an index scan at any size.
"""

from dataclasses import dataclass

from django.contrib.postgres.search import TrigramSimilarity
from django.db.models import QuerySet

from inventory import queries
from inventory.models import InformationSystem, SystemStatus
from projects.models import Project, ProjectState
from projects.permissions import left_its_department
from standards.models import ProjectKind

# pg_trgm's own default for its % operator; lowering it floods the list with
# names that merely share words like 平台 or 系统.
SIMILARITY_THRESHOLD = 0.3
IGNORED_STATES = [ProjectState.REJECTED, ProjectState.WITHDRAWN]


def similar_projects(project: Project, limit: int = 10) -> list[Project]:
    """Projects of other units in the same budget year with similar names, most similar
    first. Only requests that left their department: a draft, or one still at (or taken
    back before) its department's review, is nobody else's business, not even by name."""
    return list(
        Project.objects.filter(budget_year=project.budget_year, name__trigram_similar=project.name)
        .filter(left_its_department())
        .exclude(organization_id=project.organization_id)
        .exclude(state__in=IGNORED_STATES)
        .annotate(similarity=TrigramSimilarity("name", project.name))
        .filter(similarity__gte=SIMILARITY_THRESHOLD)
        .select_related("organization")
        .order_by("-similarity", "code")[:limit]
    )


def similar_for_user(project: Project, visible: QuerySet[Project]) -> list[tuple[Project, bool]]:
    """Similar projects, each with whether the user may open it (others are named only)."""
    similar = similar_projects(project)
    may_open = set(visible.filter(pk__in=[p.pk for p in similar]).values_list("pk", flat=True))
    return [(other, other.pk in may_open) for other in similar]


@dataclass(frozen=True)
class InventoryFlags:
    """What the units' inventories say about a project: for a construction project, live
    systems of any unit it may build again (重复建设); for an operation project, retired
    systems of its own unit it may ask O&M for."""

    live_systems: list[InformationSystem]
    retired_systems: list[InformationSystem]

    def __bool__(self) -> bool:
        return bool(self.live_systems or self.retired_systems)


def inventory_flags(project: Project) -> InventoryFlags:
    """The flags of ``project`` from the current inventories (one query). A system's name
    and owner are named to every reader of the project: inventories are no secret
    between units, unlike another unit's draft project."""
    if project.kind == ProjectKind.CONSTRUCTION:
        live = queries.systems_like(project.name, status=SystemStatus.LIVE)
        return InventoryFlags(live, [])
    retired = queries.systems_like(
        project.name, status=SystemStatus.RETIRED, unit_id=project.organization_id
    )
    return InventoryFlags([], retired)
