from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import request_member
from audit.queries import history_of
from classification.rules import PROJECT_CODE_FIELDS
from ops.page_cache import cached_page
from projects import (
    estimates,
    inventory_lines,
    list_rows,
    procurement,
    quantities,
    repricing,
    services,
)
from projects.duplicates import inventory_flags, similar_for_user
from projects.errors import ProjectError
from projects.forms import (
    AttachmentForm,
    ProjectFilterForm,
    ProjectForm,
    TargetForm,
    add_refusal,
)
from projects.models import EstimateLine, Project, ProjectState
from projects.permissions import (
    can_edit_project,
    can_register_projects,
    get_project_for_edit,
    get_project_for_user,
    projects_visible_to,
)
from projects.queries import filter_projects, returns_of, sort_projects
from projects.readiness import still_needed
from projects.signals import line_reviews, panels
from standards.catalogue import PRICED_BY_RELATED
from ui import fragments
from ui.excel import write_table, xlsx_response
from ui.paging import CappedPaginator
from ui.params import posted_version
from ui.submissions import act_once

PAGE_SIZE = 50


def _filtered(request: HttpRequest) -> tuple[Any, ProjectFilterForm, str]:
    form = ProjectFilterForm(request.GET, user=request_member(request))
    # The list of budget years; the reserve is the project library's (/projects/library/).
    projects = filter_projects(
        projects_visible_to(request.user).filter(budget_year__isnull=False), form
    )
    projects, sort = sort_projects(projects, request.GET.get("sort", ""))
    return projects.select_related("organization"), form, sort


@login_required
@cached_page
def project_list(request: HttpRequest) -> HttpResponse:
    projects, form, sort = _filtered(request)
    # Plain tuples, drawn in Python (list_rows): the page is drawn afresh after any write.
    # Counted up to 1,000 ("more than 1000 projects"): the full count grew with the province.
    paginator = CappedPaginator(list_rows.row_values(projects), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("sort", None)
    units = fragments.read_choices(form.fields["unit"], "name")  # type: ignore[arg-type]
    return render(
        request,
        "projects/project_list.html",
        {
            "page": page,
            "rows": list_rows.draw_rows(page.object_list),
            "filter_form": form,
            "filter_fields": fragments.form_fields(form, request.GET, scope=units),
            "sort": sort,
            "query": query.urlencode(),
            "can_register": can_register_projects(request.user),
        },
    )


@login_required
def project_export(request: HttpRequest) -> HttpResponse:
    projects, _form, _sort = _filtered(request)
    # The finance core system's codes as text columns ("2010150"), read in the same query.
    codes = {f"{field}_text": F(f"{field}__code") for field in PROJECT_CODE_FIELDS.values()}
    projects = projects.annotate(**codes)
    headers = [
        _("Project code"), _("Project name"), _("Budget unit"), _("Budget year"), _("Kind"),
        _("New or continuing"), _("Data administration"), _("Budget category"),
        _("Procurement method"), _("State"), _("Requested amount (yuan)"),
        _("Approved amount (yuan)"), *(str(kind.label) for kind in PROJECT_CODE_FIELDS),
    ]  # fmt: skip
    rows = (
        [
            project.code,
            project.name,
            project.organization.name,
            project.budget_year,
            project.get_kind_display(),
            project.get_continuity_display(),
            _("Managed") if project.managed_by_data_admin else _("Not managed"),
            project.get_budget_category_display(),
            project.get_procurement_method_display(),
            project.get_state_display(),
            project.requested_amount,
            project.approved_amount,
            *(getattr(project, name) or "" for name in codes),
        ]
        for project in projects.iterator(chunk_size=2000)
    )
    content = write_table(
        _("Projects"),
        headers,
        rows,
        money_columns=frozenset({10, 11}),
        widths=[16, 40, 24, 10, 12, 12, 12, 14, 14, 12, 16, 16, *[14] * len(codes)],
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return xlsx_response(content, f"projects-{stamp}.xlsx")


@login_required
def project_create(request: HttpRequest) -> HttpResponse:
    return _register(request, reserve=False)


@login_required
def reserve_create(request: HttpRequest) -> HttpResponse:
    """The same registration form, into the unit's project library without a year."""
    return _register(request, reserve=True)


def _register(request: HttpRequest, *, reserve: bool) -> HttpResponse:
    user = request_member(request)
    if not can_register_projects(user):
        raise PermissionDenied
    form = ProjectForm(request.POST or None, user=user, reserve=reserve)

    def register() -> HttpResponse:
        if request.method == "POST" and form.is_valid():
            try:
                project = services.register_project(
                    actor=user, fields=form.project_fields(), plan=form.plan()
                )
            except ProjectError as error:
                add_refusal(form, error)
            else:
                messages.success(
                    request, _("Project %(code)s registered.") % {"code": project.code}
                )
                return redirect("projects:detail", code=project.code)
        return render(request, "projects/project_form.html", {"form": form, "project": None})

    # Sent twice (a double click), the form registers one project (a GET acts at once).
    return act_once(request, register, fallback=reverse("projects:list"))


@login_required
def project_edit(request: HttpRequest, code: str) -> HttpResponse:
    user = request_member(request)
    project = get_project_for_edit(user, code)
    form = ProjectForm(request.POST or None, instance=project, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_project(
                project,
                actor=user,
                fields=form.project_fields(),
                plan=form.plan(),
                expected_version=form.cleaned_data["version"] or 0,
            )
        except ProjectError as error:
            add_refusal(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("projects:detail", code=project.code)
    return render(request, "projects/project_form.html", {"form": form, "project": project})


@login_required
@cached_page
def project_detail(request: HttpRequest, code: str) -> HttpResponse:
    project = get_project_for_user(request.user, code)
    return _render_detail(request, project)


def _render_detail(
    request: HttpRequest,
    project: Project,
    *,
    target_form: TargetForm | None = None,
    attachment_form: AttachmentForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request_member(request)
    visible = projects_visible_to(user)
    predecessor = (
        visible.select_related("organization").filter(pk=project.predecessor_id).first()
        if project.predecessor_id
        else None
    )
    lines = quantities.mark_unusual(list(project.lines.select_related(*PRICED_BY_RELATED)), project)
    bases = inventory_lines.attach_bases(lines, project)
    reviews = line_reviews(project, lines)
    context = {
        "project": project,
        "plans": list(project.year_plans.all()),
        "lines": [(line, reviews.get(line.pk)) for line in lines],
        # Once a review decided on a line: each line's approved amount, and their sum.
        "reviewed": bool(reviews),
        "approved_now": sum(
            (reviews[line.pk].approved if line.pk in reviews else line.amount for line in lines),
            Decimal("0.00"),
        ),
        "fee_class_totals": fee_class_totals(lines),
        "still_needed": still_needed(project),
        "targets": list(project.targets.all()),
        "attachments": list(
            project.attachments.filter(is_removed=False).select_related("uploaded_by")
        ),
        "similar": similar_for_user(project, visible),
        "inventory_flags": inventory_flags(project, bases),
        # Returned for revision: who returned it, when and why (the latest return).
        "last_return": returns_of(project.code).select_related("actor").first()
        if project.state == ProjectState.RETURNED
        else None,
        "predecessor": predecessor,
        "panels": panels(project, "project", user),
        "history": history_of(project, project.code),
        "can_edit": can_edit_project(user, project),
        "procurement": procurement.procurement_standing(project, user),
        "can_change_procurement": procurement.can_change_procurement(user, project),
        "reprice_offered": can_edit_project(user, project) and repricing.offered(project),
        "target_form": target_form or TargetForm(initial={"version": project.version}),
        "attachment_form": attachment_form or AttachmentForm(),
    }
    return render(request, "projects/project_detail.html", context, status=status)


def fee_class_totals(lines: list[EstimateLine]) -> list[tuple[str, Decimal]]:
    """The lines' amounts summed per fee class, in the classes' declared order (any other
    class after them, by name): from the lines already read, not one query more."""
    totals: dict[str, Decimal] = {}
    for line in lines:
        totals[line.fee_class] = totals.get(line.fee_class, Decimal("0.00")) + line.amount
    rank = {fee_class: position for position, fee_class in enumerate(estimates.FEE_CLASSES)}
    return sorted(totals.items(), key=lambda item: (rank.get(item[0], len(rank)), item[0]))


@login_required
@require_POST
def target_add(request: HttpRequest, code: str) -> HttpResponse:
    project = get_project_for_edit(request.user, code)
    form = TargetForm(request.POST)
    if form.is_valid():
        try:
            services.add_target(
                project,
                actor=request_member(request),
                expected_version=form.cleaned_data["version"],
                **form.target_values(),
            )
        except ProjectError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Performance target added."))
        return redirect(f"{project_url(project)}#targets")
    return _render_detail(request, project, target_form=form, status=400)


@login_required
@require_POST
def target_remove(request: HttpRequest, code: str, target_id: int) -> HttpResponse:
    project = get_project_for_edit(request.user, code)
    try:
        services.remove_target(
            project,
            actor=request_member(request),
            target_id=target_id,
            expected_version=posted_version(request),
        )
    except ProjectError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Performance target removed."))
    return redirect(f"{project_url(project)}#targets")


@login_required
@require_POST
def attachment_add(request: HttpRequest, code: str) -> HttpResponse:
    project = get_project_for_edit(request.user, code)
    form = AttachmentForm(request.POST, request.FILES)

    def attach() -> HttpResponse:
        if form.is_valid():
            try:
                services.attach_document(
                    project,
                    actor=request_member(request),
                    kind=form.cleaned_data["kind"],
                    upload=form.cleaned_data["file"],
                )
            except ValidationError as error:
                form.add_error("file", error)
            except ProjectError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Document uploaded."))
                return redirect(f"{project_url(project)}#attachments")
        return _render_detail(request, project, attachment_form=form, status=400)

    # Sent twice, the document is attached once.
    return act_once(request, attach, fallback=f"{project_url(project)}#attachments")


@login_required
@require_POST
def attachment_remove(request: HttpRequest, code: str, public_id: str) -> HttpResponse:
    project = get_project_for_edit(request.user, code)
    attachment = get_object_or_404(project.attachments, public_id=public_id, is_removed=False)
    try:
        services.remove_attachment(
            project, actor=request_member(request), attachment_id=attachment.pk
        )
    except ProjectError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Document removed."))
    return redirect(f"{project_url(project)}#attachments")


@login_required
def attachment_download(request: HttpRequest, code: str, public_id: str) -> FileResponse:
    project = get_project_for_user(request.user, code)
    attachment = get_object_or_404(project.attachments, public_id=public_id, is_removed=False)
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )


def project_url(project: Project) -> str:
    return reverse("projects:detail", kwargs={"code": project.code})
