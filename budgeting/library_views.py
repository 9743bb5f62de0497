"""The project library's pages under /projects/library/ (issue #17): the library of a
unit's projects, reserve and years alike; declaring one for a year, the differences of
its lines with the year's standard shown first; returning one to the reserve; the
rolling three-year plan. Thin views over ``budgeting.library``'s services and
``projects.library``'s reads.
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import Organization, User
from accounts.permissions import request_member, units_visible_to
from budgeting import library
from budgeting.workflow import WorkflowError
from projects import estimates, repricing
from projects.library import library_projects, rolling_plan
from projects.models import Project, ProjectState
from projects.permissions import can_register_projects, get_project_for_user, projects_visible_to
from projects.queries import search, sort_projects
from projects.widgets import QuickSelect
from ui.params import posted_version

PAGE_SIZE = 50
SORTS = {
    "code": ("code",),
    "start": ("start_year", "code"),
    "amount": ("requested_amount", "code"),
    "year": ("budget_year", "code"),
    "state": ("state_rank", "code"),  # workflow order (sort_projects ranks the states)
}
DEFAULT_SORT = "-amount"


class LibraryFilterForm(forms.Form):
    """The library's filters; every field optional, invalid values ignored."""

    q = forms.CharField(label=gettext_lazy("Code or name"), required=False)
    unit = forms.ModelChoiceField(
        label=gettext_lazy("Budget unit"),
        queryset=Organization.objects.none(),
        required=False,
        empty_label=gettext_lazy("All"),
        widget=QuickSelect,
    )
    state = forms.ChoiceField(
        label=gettext_lazy("State"), required=False, widget=QuickSelect, choices=[]
    )
    start_year = forms.IntegerField(label=gettext_lazy("Planned start year"), required=False)
    year = forms.IntegerField(label=gettext_lazy("Budget year"), required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units_visible_to(user)  # type: ignore[attr-defined]
        # The reserve first: it is what the library is for.
        self.fields["state"].choices = [  # type: ignore[attr-defined]
            ("", _("All")),
            (ProjectState.RESERVE.value, ProjectState.RESERVE.label),
            *[choice for choice in ProjectState.choices if choice[0] != ProjectState.RESERVE],
        ]

    def filter(self, projects: QuerySet[Project]) -> QuerySet[Project]:
        if not self.is_valid():
            return projects
        data = self.cleaned_data
        projects = search(projects, data["q"], data["unit"])
        if data["state"]:
            projects = projects.filter(state=data["state"])
        if data["start_year"]:
            projects = projects.filter(start_year=data["start_year"])
        if data["year"]:
            projects = projects.filter(budget_year=data["year"])
        return projects


@login_required
def library_index(request: HttpRequest) -> HttpResponse:
    """项目库: the units' projects in the user's scope, the reserve and every year, with
    the buttons to declare each for an open year or return it to the reserve."""
    user = request_member(request)
    form = LibraryFilterForm(request.GET, user=user)
    projects, sort = sort_projects(
        form.filter(library_projects(projects_visible_to(user)).select_related("predecessor")),
        request.GET.get("sort", ""),
        SORTS,
        DEFAULT_SORT,
    )
    page = Paginator(projects, PAGE_SIZE).get_page(request.GET.get("page"))
    years = library.declarable_years(user.organization_id)
    rows = [
        (
            project,
            [
                year
                for year in years
                if library.declare_refusal(
                    project, user, year, years, getattr(project, "continued_years", None)
                )
                is None
            ],
            library.return_refusal(project, user) is None,
        )
        for project in page.object_list
    ]
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("sort", None)
    return render(
        request,
        "budgeting/library.html",
        {
            "page": page,
            "rows": rows,
            "filter_form": form,
            "sort": sort,
            "query": query.urlencode(),
            "can_register": can_register_projects(user),
        },
    )


@login_required
def library_declare(request: HttpRequest, code: str, year: int) -> HttpResponse:
    """GET: what declaring the project for ``year`` does, the differences of its lines
    with the year's standard first. POST (the confirmation): declare it."""
    user = request_member(request)
    project = get_project_for_user(user, code)
    years = library.declarable_years(project.organization_id)
    refused = library.declare_refusal(project, user, year, years)
    if refused and request.method != "POST":
        if year not in years:
            raise Http404
        raise PermissionDenied(refused)
    if request.method == "POST":
        try:
            declared = library.declare_for_year(
                project, actor=user, year=year, expected_version=posted_version(request)
            )
        except WorkflowError as error:
            messages.error(request, error.message)
            return redirect("library:index")
        if declared.pk == project.pk:
            message = _("%(code)s declared for the %(year)s budget: it is a draft of %(year)s.")
        else:
            message = _(
                "%(code)s continued into the %(year)s budget as the draft %(new)s, its lines "
                "priced with the %(year)s standard."
            )
        messages.success(
            request, message % {"code": project.code, "year": year, "new": declared.code}
        )
        return redirect("projects:detail", code=declared.code)
    standard = estimates.standard_for_year(year, project.organization)
    return render(
        request,
        "budgeting/library_declare.html",
        {
            "project": project,
            "year": year,
            "plan": repricing.plan(project, standard) if standard else None,
            "standard": standard,
            "planned": project.plan_for(year) if project.in_reserve else None,
        },
    )


@login_required
@require_POST
def library_return(request: HttpRequest, code: str) -> HttpResponse:
    """POST: return a rejected project, or one approved with nothing, to the reserve."""
    user = request_member(request)
    project = get_project_for_user(user, code)
    try:
        library.return_to_reserve(project, actor=user, expected_version=posted_version(request))
    except WorkflowError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("%(code)s is back in the project library.") % {"code": project.code}
        )
    return redirect("library:index")


FIRST_PLAN_YEAR, LAST_PLAN_YEAR = 2000, 2100


@login_required
def rolling_plan_page(request: HttpRequest) -> HttpResponse:
    """The rolling three-year plan: each project's plan figure for year N, N+1 and N+2, in
    the user's scope, by unit (every project with a figure in one of the years)."""
    user = request_member(request)
    form = PlanFilterForm(request.GET, user=user)
    first_year = timezone.localdate().year + 1
    projects = projects_visible_to(user)
    if form.is_valid():
        first_year = form.cleaned_data["year"] or first_year
        projects = search(projects, "", form.cleaned_data["unit"])
    plan = rolling_plan(projects, first_year)
    page = Paginator(plan.projects, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "budgeting/library_plan.html",
        {
            "filter_form": form,
            "years": plan.years,
            "page": page,
            "rows": plan.rows(page.object_list),
            "totals": plan.totals,
            "query": query.urlencode(),
            # No link past the years the form takes (2000 to 2100).
            "previous": first_year - 1 if first_year > FIRST_PLAN_YEAR else None,
            "next": first_year + 1 if first_year < LAST_PLAN_YEAR else None,
        },
    )


class PlanFilterForm(forms.Form):
    year = forms.IntegerField(
        label=gettext_lazy("First year"),
        required=False,
        min_value=FIRST_PLAN_YEAR,
        max_value=LAST_PLAN_YEAR,
    )
    unit = forms.ModelChoiceField(
        label=gettext_lazy("Budget unit"),
        queryset=Organization.objects.none(),
        required=False,
        empty_label=gettext_lazy("All"),
        widget=QuickSelect,
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units_visible_to(user)  # type: ignore[attr-defined]
