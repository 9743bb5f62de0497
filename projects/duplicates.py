"""Possible duplicate construction (重复建设): similar project names of other units, and
systems the units already run (their inventories, ``inventory_flags``).

PostgreSQL's pg_trgm compares names by shared three-character runs, which
works on Chinese names too when the database's character type is UTF-8
aware (C.UTF-8 or a zh_CN/en_US.UTF-8 locale). The GIN trigram index on
``Project.name`` keeps this an index scan at any size.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.postgres.search import TrigramSimilarity
from django.db.models import Exists, OuterRef, QuerySet

from inventory import queries
from inventory.models import InformationSystem, SystemStatus
from projects import estimates
from projects.models import LineBasis, Project, ProjectState
from projects.permissions import left_its_department
from standards.models import DEFAULT_MAX_OM_SHARE, ProjectKind

# pg_trgm's own default for its % operator; lowering it floods the list with
# names that merely share words like 平台 or 系统.
SIMILARITY_THRESHOLD = 0.3
IGNORED_STATES = [ProjectState.REJECTED, ProjectState.WITHDRAWN]


def similar_projects(
    project: Project, limit: int = 10, visible: QuerySet[Project] | None = None
) -> list[Project]:
    """Projects of other units in the same budget year with similar names, most similar
    first. Only requests that left their department: a draft, or one still at (or taken
    back before) its department's review, is nobody else's business, not even by name.
    With ``visible`` (the reader's projects), each carries ``may_open``, read in the
    same query."""
    similar = (
        Project.objects.filter(budget_year=project.budget_year, name__trigram_similar=project.name)
        .filter(left_its_department())
        .exclude(organization_id=project.organization_id)
        .exclude(state__in=IGNORED_STATES)
        .annotate(similarity=TrigramSimilarity("name", project.name))
        .filter(similarity__gte=SIMILARITY_THRESHOLD)
    )
    if visible is not None:
        similar = similar.annotate(may_open=Exists(visible.filter(pk=OuterRef("pk"))))
    return list(similar.select_related("organization").order_by("-similarity", "code")[:limit])


def similar_for_user(project: Project, visible: QuerySet[Project]) -> list[tuple[Project, bool]]:
    """Similar projects, each with whether the user may open it (others are named only)."""
    similar = similar_projects(project, visible=visible)
    return [(other, bool(other.may_open)) for other in similar]  # type: ignore[attr-defined]


@dataclass(frozen=True)
class OmAboveShare:
    """Yearly O&M an operation project asks for one system, above the standard's share
    (``StandardSet.max_om_share``, per cent) of the system's construction cost."""

    system: InformationSystem
    requested: Decimal
    limit: Decimal

    @property
    def share(self) -> Decimal:
        """The requested O&M as a percentage of the construction cost, one place."""
        return (self.requested * 100 / self.system.construction_cost).quantize(
            Decimal("0.1"), ROUND_HALF_UP
        )


@dataclass(frozen=True)
class InventoryFlags:
    """What the units' inventories say about a project: for a construction project, live
    systems of any unit it may build again (重复建设); for an operation project, retired
    systems of its own unit it may ask O&M for, and systems whose O&M it asks for above
    the standard's share of their construction cost."""

    live_systems: list[InformationSystem]
    retired_systems: list[InformationSystem]
    om_above_share: list[OmAboveShare] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.live_systems or self.retired_systems or self.om_above_share)


def inventory_flags(project: Project, bases: list[LineBasis] | None = None) -> InventoryFlags:
    """The flags of ``project`` from the current inventories. A system's name and owner
    are named to every reader of the project: inventories are no secret between units,
    unlike another unit's draft project. One query for a construction project; at most
    three for an operation project, one fewer with ``bases``: the project's inventory
    rows as the page already read them (``inventory_lines.attach_bases``)."""
    if project.kind == ProjectKind.CONSTRUCTION:
        live = queries.systems_like(project.name, statuses=[SystemStatus.LIVE], purpose=True)
        return InventoryFlags(live, [])
    own = queries.systems_like(
        project.name, statuses=SystemStatus.values, unit_id=project.organization_id
    )
    retired = [system for system in own if system.status == SystemStatus.RETIRED]
    return InventoryFlags([], retired, om_above_share(project, own, bases))


def om_above_share(
    project: Project, like: list[InformationSystem], bases: list[LineBasis] | None = None
) -> list[OmAboveShare]:
    """The systems whose yearly O&M this operation project asks for, above the share of
    their construction cost the standard in force sets (15 % by default).

    What the project asks for a system: the whole request for the maintained system of
    its unit whose name resembles the project's most (``like``, most similar first: the
    project is that system's O&M); for every other system, the lines generated from it
    alone (``LineBasis.system``). A system with no construction cost recorded is not
    judged. Two queries (the lines' systems, the standard), the second only when there
    is something to judge; the first not at all with ``bases``, every inventory row of
    the project, each with its line and system (as ``inventory_lines.attach_bases``
    returns them)."""
    asked: dict[int, tuple[InformationSystem, Decimal]] = {}
    maintained = [system for system in like if system.status != SystemStatus.RETIRED]
    named = maintained[0].pk if maintained else None
    if maintained:
        asked[maintained[0].pk] = (maintained[0], project.requested_amount)
    if bases is None:
        bases = list(
            LineBasis.objects.filter(
                line__project_id=project.pk, system__isnull=False
            ).select_related("system__survey__organization", "line")
        )
    for basis in bases:
        system = basis.system
        if system is None or system.pk == named:
            continue
        _system, before = asked.get(system.pk, (system, Decimal("0.00")))
        asked[system.pk] = (system, before + basis.line.amount)
    judged = [
        (system, requested)
        for system, requested in asked.values()
        if system.construction_cost > 0 and requested > 0
    ]
    if not judged:
        return []
    standard = estimates.standard_for(project)
    limit = standard.max_om_share if standard else DEFAULT_MAX_OM_SHARE
    return [
        OmAboveShare(system, requested, limit)
        for system, requested in judged
        if requested * 100 > system.construction_cost * limit
    ]
