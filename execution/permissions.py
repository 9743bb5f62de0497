"""Who may record, import, carry over and close (execution's rules, one function each).

The unit's clerks (its submitters, as for its requests) record their projects'
contracts and payments and ask for a carry-over; finance imports the treasury's
payments, sets the year's target, decides carry-overs and closes projects. Everyone
who may see a project sees its execution (``projects.permissions``).
"""

from django.db.models import QuerySet

from accounts.permissions import AnyUser, can_submit_for_unit
from budgeting.permissions import can_manage_rounds
from projects.models import Project
from projects.permissions import projects_visible_to


def can_record_execution(user: AnyUser, project: Project) -> bool:
    """The project's unit's submitters record its contracts and payments and ask to
    carry it over (the services check the project's state)."""
    return can_submit_for_unit(user, project.organization)


def is_finance(user: AnyUser) -> bool:
    """Finance (reviewers and approvers) imports payments, sets the execution target,
    decides carry-overs and closes projects."""
    return can_manage_rounds(user)


def is_finance_for(user: AnyUser, project: Project) -> bool:
    """Finance of the project's own jurisdiction (issue #18): a city's projects are its
    finance's to carry over and close, never the province's or another city's."""
    return is_finance(user) and projects_visible_to(user).filter(pk=project.pk).exists()


def execution_projects(user: AnyUser) -> QuerySet[Project]:
    """The projects whose execution the user sees: those they may see at all."""
    return projects_visible_to(user)


def import_scope(user: AnyUser) -> QuerySet[Project]:
    """The projects a payments file of ``user`` may name: finance's, every project it
    sees; nobody else imports."""
    return projects_visible_to(user) if is_finance(user) else Project.objects.none()
