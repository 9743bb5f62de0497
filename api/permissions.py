"""Which projects an API client sees, as the pages' rules do for people. Which
endpoints it may call is its grants' business (``api.scopes``).

A client scoped to units sees those units' projects and their secondary units', in
every state, as the department's own staff do (``accounts.permissions.department_scope``).
A client of all units sees what the finance department sees: every project from the
first time it reached a finance stage (``Project.reached_roles``), never a draft or
what never left its department.
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import Role
from accounts.permissions import REVIEWING_BODIES
from api.models import ApiClient
from projects.models import Project

FINANCE_ROLES = sorted(next(body for body in REVIEWING_BODIES if Role.FINANCE_REVIEWER in body))


def client_scope(client: ApiClient) -> Q:
    """The client's projects as a filter (one query for the unit ids, none if all),
    within its jurisdiction if it has one (issue #18)."""
    within = (
        Q(organization__jurisdiction_id=client.jurisdiction_id) if client.jurisdiction_id else Q()
    )
    if client.all_units:
        return Q(reached_roles__overlap=FINANCE_ROLES) & within
    unit_ids = list(client.units.values_list("pk", flat=True))
    return (Q(organization_id__in=unit_ids) | Q(organization__parent_id__in=unit_ids)) & within


def projects_visible_to_client(client: ApiClient) -> QuerySet[Project]:
    """Every API query of projects (and their lines, quotas, history) starts here."""
    if not client.is_active:
        return Project.objects.none()
    # Budget requests only: a project in the library's reserve has no year yet (issue #17).
    return Project.objects.filter(client_scope(client), budget_year__isnull=False)


def get_project_for_client(client: ApiClient, code: str) -> Project:
    """The project with this code if the client may see it; 404 otherwise, so a client
    cannot even learn that another unit's code exists."""
    project = (
        projects_visible_to_client(client)
        .select_related("organization", "organization__parent", "predecessor")
        .filter(code=code)
        .first()
    )
    if project is None:
        raise Http404
    return project
