"""Estimate lines: choose a standard item, give its inputs, see the price; or add a
non-standard line with its justification. Plain forms: they work without JavaScript."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import request_member
from projects import estimates, services
from projects.errors import ProjectError
from projects.forms import NonStandardLineForm, StandardLineForm
from projects.models import Project
from projects.permissions import get_project_for_edit
from projects.views import project_url
from standards import catalogue


def _lines_url(project: Project) -> str:
    return f"{project_url(project)}#lines"


@login_required
def line_add(request: HttpRequest, code: str) -> HttpResponse:
    project = get_project_for_edit(request.user, code)
    standard = estimates.standard_for(project)
    if standard is None:
        messages.error(request, _("No published standard is in force for this budget year."))
        return redirect(_lines_url(project))
    items = estimates.items_for(project, standard)
    chosen = request.GET.get("item") or request.POST.get("item")
    if not chosen:
        query = request.GET.get("q", "").strip()
        shown = catalogue.search(items, query) if query else items
        return render(
            request,
            "projects/line_choose.html",
            {
                "project": project,
                "standard": standard,
                "groups": catalogue.group_by_fee_class(shown),
                "query": query,
            },
        )
    item = next((candidate for candidate in items if candidate.code == chosen), None)
    if item is None:
        raise Http404
    form = StandardLineForm(request.POST or None, item=item, initial={"version": project.version})
    if request.method == "POST" and form.is_valid():
        try:
            line = services.add_standard_line(
                project,
                actor=request_member(request),
                expected_version=form.cleaned_data["version"],
                item=item,
                grade=form.grade(),
                values=form.values(),
                justification=form.cleaned_data["justification"],
            )
        except ProjectError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Line added: %(name)s, %(amount)s yuan.")
                % {"name": line.name, "amount": f"{line.amount:,.2f}"},
            )
            return redirect(_lines_url(project))
    return render(
        request,
        "projects/line_form.html",
        {"project": project, "standard": standard, "item": item, "form": form},
    )


@login_required
def line_add_non_standard(request: HttpRequest, code: str) -> HttpResponse:
    project = get_project_for_edit(request.user, code)
    form = NonStandardLineForm(request.POST or None, initial={"version": project.version})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.add_non_standard_line(
                project,
                actor=request_member(request),
                expected_version=data["version"],
                fee_class=data["fee_class"],
                name=data["name"],
                unit=data["unit"],
                quantity=data["quantity"],
                unit_price=data["unit_price"],
                justification=data["justification"],
            )
        except ProjectError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Non-standard line added; reviewers will see it flagged."))
            return redirect(_lines_url(project))
    return render(
        request,
        "projects/line_form.html",
        {"project": project, "standard": None, "item": None, "form": form},
    )


@login_required
@require_POST
def line_remove(request: HttpRequest, code: str, line_id: int) -> HttpResponse:
    project = get_project_for_edit(request.user, code)
    raw = request.POST.get("version", "")
    try:
        services.remove_line(
            project,
            actor=request_member(request),
            line_id=line_id,
            expected_version=int(raw) if raw.isdigit() else -1,
        )
    except ProjectError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Line removed."))
    return redirect(_lines_url(project))
