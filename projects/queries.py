"""Filtering and sorting of the project list (read-only)."""

from collections.abc import Sequence
from typing import Any

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When

from audit.models import Event
from classification.rules import CODE_PARAMETERS, NO_CODE, PROJECT_CODE_FIELDS
from projects.forms import ProjectFilterForm
from projects.models import COUNTED_STATES, EstimateLine, Project, ProjectState


def returns_of(code: Any) -> QuerySet[Event]:
    """The returns of a project to its submitters (not to a previous stage), latest
    first: the events that moved it into RETURNED, whichever app recorded them.
    ``code``: the project's code, or an OuterRef to it."""
    return Event.objects.filter(
        target_type=Project._meta.label_lower,
        target_key=code,
        to_state=ProjectState.RETURNED,
    ).order_by("-occurred_at", "-id")


def declared_order(field: str, values: Sequence[str]) -> Case:
    """A column's values ranked by their declared order (workflow states, fee classes)
    rather than alphabetically; any other value after them."""
    return Case(
        *(When(**{field: value}, then=Value(rank)) for rank, value in enumerate(values)),
        default=Value(len(values)),
        output_field=IntegerField(),
    )


# Public sort keys -> ORM ordering; anything else falls back to the default.
SORTS = {
    "code": ("code",),
    "name": ("name", "code"),
    "unit": ("organization__code", "code"),
    "year": ("budget_year", "code"),
    "amount": ("requested_amount", "code"),
    "state": ("state_rank", "code"),  # workflow order: draft, in review, returned, ...
    "updated": ("updated_at", "code"),
}
DEFAULT_SORT = "-updated"


def search(projects: QuerySet[Project], text: str, unit: Any) -> QuerySet[Project]:
    """The projects whose code or name contains ``text`` (if any), of ``unit`` and its
    secondary units (if one): the lists' search box and unit filter."""
    if text.strip():
        text = text.strip()
        projects = projects.filter(Q(code__icontains=text) | Q(name__icontains=text))
    if unit:
        projects = projects.filter(Q(organization=unit) | Q(organization__parent=unit))
    return projects


def filter_projects(projects: QuerySet[Project], form: ProjectFilterForm) -> QuerySet[Project]:
    if not form.is_valid():
        return projects
    data = form.cleaned_data
    projects = search(projects, data["q"], data["unit"])
    if data["year"]:
        projects = projects.filter(budget_year=data["year"])
    simple = {
        "level": "organization__level",
        "kind": "kind",
        "continuity": "continuity",
        "category": "budget_category",
        "procurement": "procurement_method",
        "state": "state",
    }
    for field, column in simple.items():
        if data[field]:
            projects = projects.filter(**{column: data[field]})
    if data["managed"]:
        projects = projects.filter(managed_by_data_admin=data["managed"] == "yes")
    if data["counted"]:
        projects = projects.filter(state__in=COUNTED_STATES)
    for name, kind in CODE_PARAMETERS.items():
        field, value = PROJECT_CODE_FIELDS[kind], data[name]
        if value == NO_CODE:
            projects = projects.filter(**{f"{field}__isnull": True})
        elif value:
            projects = projects.filter(**{f"{field}__code": value})
    if data["fee_class"]:
        lines = EstimateLine.objects.filter(project=OuterRef("pk"), fee_class=data["fee_class"])
        projects = projects.filter(Exists(lines))
    return projects


def sort_projects(
    projects: QuerySet[Project],
    sort: str,
    sorts: dict[str, tuple[str, ...]] = SORTS,
    default: str = DEFAULT_SORT,
) -> tuple[QuerySet[Project], str]:
    """Order by a public sort key (``amount`` or ``-amount``) of ``sorts``; returns the key
    used (``default`` for any other)."""
    key = sort.lstrip("-")
    if key not in sorts:
        sort, key = default, default.lstrip("-")
    descending = sort.startswith("-")
    ordering = [f"-{column}" if descending else column for column in sorts[key]]
    if key == "state":
        projects = projects.annotate(state_rank=declared_order("state", ProjectState.values))
    return projects.order_by(*ordering), sort
