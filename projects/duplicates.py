"""Possible duplicate construction (重复建设): similar project names of other units.

PostgreSQL's pg_trgm compares names by shared three-character runs, which
works on Chinese names too when the database's character type is UTF-8
aware (C.UTF-8 or a zh_CN/en_US.UTF-8 locale). The GIN trigram index on
``Project.name`` keeps this an index scan at any size.
"""

from django.contrib.postgres.search import TrigramSimilarity
from django.db.models import QuerySet

from projects.models import Project, ProjectState
from projects.permissions import left_its_department

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
