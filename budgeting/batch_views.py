"""Batch approval (批次批复): the finance approver approves several projects at once."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.models import User
from budgeting import services
from budgeting.models import ApprovalBatch, Review
from budgeting.permissions import (
    batches_visible_to,
    can_approve_batches,
    get_batch_for_user,
    reviews_decided_by,
)
from budgeting.workflow import WorkflowError
from projects.models import Project, ProjectState
from projects.permissions import projects_visible_to
from ui.excel import write_table, xlsx_response
from ui.params import posted_version


def _finance_approver(request: HttpRequest) -> User:
    if not can_approve_batches(request.user):
        raise PermissionDenied
    return request.user  # type: ignore[return-value]


def _awaiting_final_approval(user: User) -> list[Review]:
    return list(
        reviews_decided_by(user)
        .filter(stage__is_final=True, project__state=ProjectState.IN_REVIEW)
        .select_related("project", "project__organization", "stage")
        .order_by("stage_entered_at", "project__code")
    )


@login_required
def batch_list(request: HttpRequest) -> HttpResponse:
    user = _finance_approver(request)
    if request.method == "POST":
        chosen = request.POST.getlist("project")
        projects = list(projects_visible_to(user).filter(code__in=chosen))
        versions = {}
        for project in projects:
            versions[project.pk] = posted_version(request, f"version-{project.code}")
        try:
            batch = services.approve_batch(
                projects, actor=user, name=request.POST.get("name", ""), versions=versions
            )
        except WorkflowError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Batch %(name)s approved.") % {"name": batch.name})
            return redirect("budgeting:batch", public_id=batch.public_id)
    batches = (
        batches_visible_to(user)
        .annotate(project_count=Count("reviews"), total=Sum("reviews__project__approved_amount"))
        .select_related("cycle")
    )
    return render(
        request,
        "budgeting/batch_list.html",
        {"waiting": _awaiting_final_approval(user), "batches": batches},
    )


def _batch_with_projects(user: User, public_id: str) -> tuple[ApprovalBatch, list[Project]]:
    batch = get_batch_for_user(user, public_id)
    projects = list(
        projects_visible_to(user)
        .filter(review__batch=batch)
        .select_related("organization")
        .order_by("organization__code", "code")
    )
    return batch, projects


@login_required
def batch_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    user = _finance_approver(request)
    batch, projects = _batch_with_projects(user, public_id)
    context = {
        "batch": batch,
        "projects": projects,
        "unit_count": len({project.organization_id for project in projects}),
        "total": sum((project.approved_amount or 0 for project in projects), start=0),
    }
    return render(request, "budgeting/batch_detail.html", context)


@login_required
def batch_export(request: HttpRequest, public_id: str) -> HttpResponse:
    user = _finance_approver(request)
    batch, projects = _batch_with_projects(user, public_id)
    headers = [
        _("Project code"),
        _("Project name"),
        _("Budget unit"),
        _("Requested amount (yuan)"),
        _("Approved amount (yuan)"),
    ]
    rows = [
        [p.code, p.name, p.organization.name, p.requested_amount, p.approved_amount]
        for p in projects
    ]
    content = write_table(
        batch.name, headers, rows, money_columns=frozenset({3, 4}), widths=[18, 40, 28, 18, 18]
    )
    return xlsx_response(content, f"batch-{batch.public_id}.xlsx")
