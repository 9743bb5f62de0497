"""The Excel round trip of a project's estimate lines: download the template, upload
it filled in, see every line priced and every error by row and column, then apply
all of it or nothing. Only the unit's submitters, while the project is editable."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.permissions import request_member
from projects import estimate_excel, estimates, pending_imports, quantities, services
from projects.errors import ProjectError
from projects.models import Project
from projects.permissions import get_project_for_edit
from projects.views import project_url
from ui.excel import xlsx_response


class EstimateUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Filled-in estimate template"),
        help_text=gettext_lazy("The .xlsx file downloaded here, at most 20 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )


def _lines_url(project: Project) -> str:
    return f"{project_url(project)}#lines"


@login_required
def estimate_template(request: HttpRequest, code: str) -> HttpResponse:
    project = get_project_for_edit(request.user, code)
    standard = estimates.standard_for(project)
    if standard is None:  # the import page says so
        return redirect("projects:estimate_import", code=project.code)
    content = estimate_excel.write_template(
        standard, estimates.items_for(project, standard), project.lines.all()
    )
    return xlsx_response(content, f"estimate-{project.code}.xlsx")


@login_required
def estimate_import(request: HttpRequest, code: str) -> HttpResponse:
    """Upload a filled-in template: checked, read and priced here, once; the preview and
    applying read what was kept (``pending_imports``), never the file again."""
    project = get_project_for_edit(request.user, code)
    standard = estimates.standard_for(project)
    form = EstimateUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            estimate_excel.check_upload(upload)
            preview = estimate_excel.read_lines(upload, project, standard)
        except ValidationError as error:
            form.add_error("file", error)
        else:
            pending = pending_imports.store(
                project, request_member(request), upload.name or "", standard, preview
            )
            return redirect(
                "projects:estimate_import_preview", code=project.code, token=pending.token
            )
    return render(
        request,
        "projects/estimate_import.html",
        {"project": project, "form": form, "standard": standard},
        status=400 if form.errors else 200,
    )


@login_required
def estimate_import_preview(request: HttpRequest, code: str, token: str) -> HttpResponse:
    """GET shows the preview kept at upload; POST applies its lines, unless the project or
    the standard in force changed since the upload (the service refuses)."""
    project = get_project_for_edit(request.user, code)
    pending = pending_imports.find(request.user, project, token)
    if pending is None:
        raise Http404
    preview = pending_imports.preview(pending)
    standard = estimates.standard_for(project)
    refusal = ""
    if request.method == "POST" and not preview.errors:
        try:
            services.replace_lines(
                project,
                actor=request_member(request),
                expected_version=pending.version,
                lines=pending_imports.line_specs(pending, project),
                source=pending.name,
                standard_code=pending.standard_code,
            )
        except ProjectError as error:
            refusal = error.message
        else:
            pending_imports.discard(pending)
            messages.success(
                request,
                _("%(count)d estimate lines imported; requested amount %(amount)s yuan.")
                % {"count": len(preview.rows), "amount": f"{preview.total:,.2f}"},
            )
            return redirect(_lines_url(project))
    stale = project.version != pending.version
    standard_changed = pending.standard_code != (standard.code if standard else "")
    # The clerk sees every flag before applying, unusual quantities included.
    quantities.mark_unusual([row.line for row in preview.rows], project)
    return render(
        request,
        "projects/estimate_import_preview.html",
        {
            "project": project,
            "pending": pending,
            "preview": preview,
            "stale": stale,
            "standard_changed": standard_changed,
            "refusal": refusal,
            "can_apply": not preview.errors and not stale and not standard_changed,
        },
        status=400 if refusal or (request.method == "POST" and preview.errors) else 200,
    )
