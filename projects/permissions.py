"""Who may see and change a project.

Department staff see their units' projects in every state; a reviewing body sees
a project from the first time it reached one of its stages (the data
administration the technical review, finance the finance review or the final
approval), whatever happens to it after; system admins see everything.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Organization, Role
from accounts.permissions import (
    NOTHING,
    REVIEWER_ROLES,
    AnyUser,
    active_user,
    administered_scope,
    can_submit_for_unit,
    department_scope,
    has_role,
    is_system_admin,
    jurisdiction_scope,
    reviewing_body_roles,
)
from projects.models import Project, ProjectState


def projects_visible_to(user: AnyUser) -> QuerySet[Project]:
    """Every project query starts here, so nothing outside the user's scope can leak.

    A department sees its units' projects in every state; a reviewing body sees a
    project from the first time it reached one of the body's stages
    (``Project.reached_roles``), so never a draft, a project at its department's
    review, or one withdrawn or returned before its department passed it; and every
    unit's reserve (the project library); both only in the body's own jurisdiction
    (the province's, a city's or a county's). System admins see everything.
    """
    scope = project_scope(user)
    projects = Project.objects.all()
    return projects if scope is None else projects.filter(scope)


def project_scope(user: AnyUser) -> Q | None:
    """``projects_visible_to``'s rule as a filter on the fields ``organization`` and
    ``reached_roles`` (None: everything), for rows that carry them as a project does
    (the summary's kept totals, ``reports.models.SummaryCell``)."""
    member = active_user(user)
    if member is None:
        return NOTHING
    if is_system_admin(member):
        administered = administered_scope(member)
        return None if administered == Q() else administered
    scope = department_scope(member)
    reviewed = reviewing_body_roles(member)
    if reviewed:
        # A unit's project library is the reviewing bodies' business too: its reserve
        # (issue #17), which no budget-year list, total or report counts.
        # Issue #18: each reviewing body reviews the units of its own jurisdiction only.
        scope |= (
            Q(reached_roles__overlap=sorted(reviewed)) | Q(state=ProjectState.RESERVE)
        ) & jurisdiction_scope(member)
    return scope


def project_jurisdictions(user: AnyUser) -> Q | None:
    """The jurisdictions of every unit whose projects ``project_scope`` may show the user,
    as a filter on rows that carry their unit's jurisdiction as ``jurisdiction`` (None:
    every one). Coarser than ``project_scope`` and made of the same rules, not a copy:
    a department's units (``department_scope``) are in their jurisdictions, the user's
    own unit among them, whose jurisdiction is the one a reviewing body reviews
    (``jurisdiction_scope``); an admin sees what they administer. ANDed with
    ``project_scope`` on the summary's kept totals (``reports.cells.fresh_cells``), so an
    index on the jurisdiction reads a city's or the province's own cells instead of
    the whole province's (issue #21); it never widens what the rule shows."""
    member = active_user(user)
    if member is None:
        return NOTHING
    if is_system_admin(member):
        # On the row's own jurisdiction: the province's admins' is everything (Q()).
        administered = administered_scope(member, "")
        return None if administered == Q() else administered
    units = Organization.objects.filter(department_scope(member, ""))
    return Q(jurisdiction__in=units.values("jurisdiction_id"))


def project_scope_on(user: AnyUser, path: str) -> Q | None:
    """``project_scope`` for rows that reach their project by ``path`` (``"project"``
    for a review): the same rule on the joined project's columns, so the database
    filters the joined row instead of probing a ``project IN (visible projects)``
    subquery for every row (that cost my tasks 130 ms at 14,000 waiting, issue #21)."""
    scope = project_scope(user)
    return None if scope is None else _prefixed(scope, f"{path}__")


def _prefixed(q: Q, prefix: str) -> Q:
    children: list[Any] = []
    for child in q.children:
        if isinstance(child, Q):
            children.append(_prefixed(child, prefix))
        elif isinstance(child, tuple):
            children.append((prefix + child[0], child[1]))
        else:  # never drop a condition: that would widen someone's scope
            raise TypeError(f"Cannot move {child!r} onto {prefix}")
    return Q(*children, _connector=q.connector, _negated=q.negated)


def left_its_department() -> Q:
    """Projects that have reached a reviewing body's stage: only these are anybody's
    business outside their department (duplicate hints name no other)."""
    return Q(reached_roles__overlap=sorted(REVIEWER_ROLES))


def can_view_project(user: AnyUser, project: Project) -> bool:
    return projects_visible_to(user).filter(pk=project.pk).exists()


def can_register_projects(user: AnyUser) -> bool:
    """Submitters register projects for their unit (and its secondary units)."""
    return has_role(user, Role.SUBMITTER)


def can_edit_project(user: AnyUser, project: Project) -> bool:
    """Only the unit's submitters, and only while the project is a draft or returned."""
    return project.is_editable_state and can_submit_for_unit(user, project.organization)


def get_project_for_user(user: AnyUser, code: str) -> Project:
    """The project with this code if the user may see it; 404 otherwise, so that
    an outsider cannot even learn that the code exists."""
    return get_object_or_404(
        projects_visible_to(user).select_related("organization", "organization__parent"),
        code=code,
    )


def get_project_for_edit(user: AnyUser, code: str) -> Project:
    """The project if the user may change it: 404 if they may not even see it,
    403 if they may see it but not change it (another role, or not editable now)."""
    project = get_project_for_user(user, code)
    if not can_edit_project(user, project):
        raise PermissionDenied
    return project
