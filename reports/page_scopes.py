"""What the page cache (``ops.page_cache``) needs to know of the projects' pages: which
tables carry a project's rows (their triggers, ``reports/migrations/0006_perfw_page_scopes``,
touch the scopes a write changes, in its transaction), and which scopes the cached
project list and project page show.

Scopes a write to project P (code C) of unit U (under primary unit PU) in year Y touches:
``project:C`` (and ``project:`` of the projects continuing P, whose page shows P's
amounts), ``unit:U``, ``unit:PU``, ``cycle:Y`` (``cycle:none`` for the reserve), both as
it was and as it is (a project moved between units or years leaves both lists), and,
when P starts or stops being shown among other projects' possible duplicates or changes
what they show of it (code, name, unit), ``project:`` of every project of its year whose
name is similar to P's, old or new (reports migration 0007; ``similar``, which every
project page depends on, when more than 50 names change in one statement). Its history
(the audit log) touches ``project:C`` alone. Everything else (units, users, standards,
stages, inventories, execution) still moves the global generation after commit.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest

from accounts.models import User
from accounts.permissions import active_user, is_system_admin, reviewing_body_roles
from classification.rules import CODE_PARAMETERS
from ops.page_cache import EVERYTHING, PageScopes, register_page_scopes, register_scoped_tables
from projects.forms import ProjectFilterForm

# The tables with page triggers (kept in step with the migration's WATCHED).
SCOPED_TABLES = (
    "projects_project",
    "projects_estimateline",
    "projects_yearplan",
    "projects_performancetarget",
    "projects_attachment",
    "projects_pendingimport",
    "projects_linebasis",
    "budgeting_review",
    "budgeting_roundresult",
    "budgeting_excessallowance",
    "budgeting_linedecision",
    "audit_event",
)
# Written with a project, shown on no page: the code counter of registration.
UNSHOWN_TABLES = ("projects_projectcodecounter",)


# The list's filters (ProjectFilterForm's fields, and the finance code lists' it adds).
FILTERS = frozenset(ProjectFilterForm.base_fields) | frozenset(CODE_PARAMETERS)


def list_scopes(request: HttpRequest, **kwargs: Any) -> PageScopes:
    """The project list: the filtered year's cycle, else the filtered unit, else the
    department's own unit; every cycle for anyone who sees every unit. An invalid filter
    shows every project (``projects.queries.filter_projects``), so it depends on all.

    Asked for on every visit, hits included, so the usual addresses (no filter, or the
    year alone, with any page and sort) are read without building the filter form
    (about 4 ms of deep-copied fields); the year is checked by the form's own field."""
    member = active_user(request.user)
    if member is None:
        return EVERYTHING
    filtered = _year_and_unit(request, member)
    if filtered is None:
        return EVERYTHING
    year, unit = filtered
    if year:
        return PageScopes((f"cycle:{year}",))
    if unit:
        return PageScopes((f"unit:{unit.pk}",))
    if not is_system_admin(member) and not reviewing_body_roles(member):
        # projects.permissions.projects_visible_to: the unit's and its secondary units'.
        return PageScopes((f"unit:{member.organization_id}",))
    return EVERYTHING


def _year_and_unit(request: HttpRequest, member: User) -> tuple[Any, Any] | None:
    """The list's year and unit filters, or None when the filters are invalid."""
    given = {name for name, value in request.GET.items() if name in FILTERS and value != ""}
    if given <= {"year"}:
        try:
            return ProjectFilterForm.base_fields["year"].clean(request.GET.get("year", "")), None
        except ValidationError:
            return None
    form = ProjectFilterForm(request.GET, user=member)
    if not form.is_valid():
        return None
    return form.cleaned_data["year"], form.cleaned_data["unit"]


def detail_scopes(request: HttpRequest, *, code: str, **kwargs: Any) -> PageScopes:
    """A project's page: its own rows (and its predecessor's, and those of the possible
    duplicates it may name, which touch it), and bulk changes of possible duplicates."""
    return PageScopes((f"project:{code}", "similar"))


def register() -> None:
    register_scoped_tables(SCOPED_TABLES + UNSHOWN_TABLES)
    register_page_scopes("projects:list", list_scopes)
    register_page_scopes("projects:detail", detail_scopes)
