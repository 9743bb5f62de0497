"""Who may see and change a project.

Department staff see their units' projects in every state; reviewers see what
their stage covers once it has left the department (the data administration
only projects under its management); system admins see everything.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Role
from accounts.permissions import (
    AnyUser,
    active_user,
    can_submit_for_unit,
    department_scope,
    has_role,
)
from projects.models import Project, ProjectState


def projects_visible_to(user: AnyUser) -> QuerySet[Project]:
    """Every project query starts here, so nothing outside the user's scope can leak."""
    member = active_user(user)
    projects = Project.objects.all()
    if member is None:
        return projects.none()
    if Role.SYSTEM_ADMIN in member.roles:
        return projects
    scope = department_scope(member)
    submitted = ~Q(state=ProjectState.DRAFT)
    if Role.FINANCE_REVIEWER in member.roles or Role.FINANCE_APPROVER in member.roles:
        scope |= submitted
    if Role.DATA_REVIEWER in member.roles:
        scope |= submitted & Q(managed_by_data_admin=True)
    return projects.filter(scope)


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
