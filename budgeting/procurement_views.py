"""Finance's single-source procurement approval (单一来源采购审批) under /review/procurement/:
the batches, a new batch chosen from the approved single-source projects of a year, the
batch's page (add, take out, approve) and its approval sheet as a page and an Excel file.

Finance's alone: anyone else gets 403. Views are thin: the scope helpers, a form, a
service of ``budgeting.procurement``, its refusal as a message.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.permissions import request_member
from budgeting import procurement, procurement_sheet
from budgeting.batch_views import posted_codes
from budgeting.forms import ProcurementBatchForm, ProcurementFilterForm
from budgeting.models import ProcurementBatch, ProcurementBatchState
from budgeting.permissions import (
    can_handle_procurement,
    cycles_visible_to,
    get_procurement_batch_for_user,
    procurement_batches_visible_to,
)
from budgeting.workflow import WorkflowError
from projects.models import Project
from projects.permissions import projects_visible_to
from ui.excel import xlsx_response
from ui.params import page_number, posted_version, whole_number

PAGE_SIZE = 50
ZERO = Decimal("0.00")


def _finance(request: HttpRequest) -> User:
    user = request_member(request)
    if not can_handle_procurement(user):
        raise PermissionDenied
    return user


@dataclass(frozen=True)
class Candidates:
    """One page of the projects that may join a batch of ``year``, with the count and
    total of all that match the filters."""

    year: int
    form: ProcurementFilterForm
    page: Page[Project]
    count: int
    total: Decimal
    query: str


def _default_year(user: User) -> int:
    latest = cycles_visible_to(user).order_by("-year").values_list("year", flat=True).first()
    return latest or timezone.localdate().year


def _candidates(request: HttpRequest, user: User, year: int) -> Candidates:
    """Three queries whatever the number of rows: the count and total, the page, and
    the units of the filter."""
    form = ProcurementFilterForm(request.GET or None, user=user)
    rows: QuerySet[Project] = procurement.candidates(user, year).select_related("organization")
    if form.is_bound and form.is_valid():
        unit, text = form.cleaned_data["unit"], form.cleaned_data["q"].strip()
        if unit is not None:
            rows = rows.filter(Q(organization=unit) | Q(organization__parent=unit))
        if text:
            rows = rows.filter(Q(code__icontains=text) | Q(name__icontains=text))
    figures = rows.aggregate(count=Count("pk"), total=Sum("approved_amount"))
    paginator = Paginator(rows.order_by("organization__code", "code"), PAGE_SIZE)
    # The count is known: the paginator need not ask again.
    paginator.count = figures["count"]
    query = request.GET.copy()
    query.pop("page", None)
    return Candidates(
        year,
        form,
        paginator.get_page(page_number(request.GET.get("page"))),
        figures["count"],
        figures["total"] or ZERO,
        query.urlencode(),
    )


def _chosen(request: HttpRequest, user: User) -> list[Project]:
    """The ticked projects among those the user sees; the service says why any of them
    may not join (taken by another batch meanwhile, say)."""
    codes = posted_codes(request)
    return list(projects_visible_to(user).filter(code__in=codes)) if codes else []


@login_required
def batch_list(request: HttpRequest) -> HttpResponse:
    """Every single-source procurement batch, newest first, 50 to a page, with its units,
    projects and total: three queries whatever the number of batches."""
    user = _finance(request)
    batches = (
        procurement_batches_visible_to(user)
        .annotate(
            project_count=Count("items", filter=procurement.LIVE_ITEM),
            unit_count=Count(
                "items__project__organization", filter=procurement.LIVE_ITEM, distinct=True
            ),
            total=Sum("items__amount", filter=procurement.LIVE_ITEM),
        )
        .order_by("-year", "-created_at", "-pk")
    )
    page = Paginator(batches, PAGE_SIZE).get_page(page_number(request.GET.get("page")))
    return render(request, "budgeting/procurement_batches.html", {"page": page})


@login_required
def batch_create(request: HttpRequest) -> HttpResponse:
    """GET: the form and the approved single-source projects of the year (filtered,
    50 to a page). POST: the batch, with the ticked projects, then its page."""
    user = _finance(request)
    year = whole_number(request.GET.get("year"), maximum=2100) or _default_year(user)
    form = ProcurementBatchForm(request.POST or None, initial={"year": year})
    if request.method == "POST" and form.is_valid():
        year = form.cleaned_data["year"]
        try:
            batch = procurement.create_batch(
                actor=user,
                year=year,
                name=form.cleaned_data["name"],
                document_number=form.cleaned_data["document_number"],
                projects=_chosen(request, user),
            )
        except WorkflowError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Batch %(name)s created.") % {"name": batch.name})
            return redirect("budgeting:procurement_batch", public_id=batch.public_id)
    return render(
        request,
        "budgeting/procurement_create.html",
        {"form": form, "candidates": _candidates(request, user, year)},
        status=400 if form.errors else 200,
    )


@login_required
def batch_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    """The batch: its projects by unit with the totals; while it is being prepared, the
    projects that may still join it, and the approval."""
    user = _finance(request)
    batch = get_procurement_batch_for_user(user, public_id)
    sheet = _sheet(batch)
    context = {
        "batch": batch,
        "sheet": sheet,
        "draft": batch.state == ProcurementBatchState.DRAFT,
        "candidates": _candidates(request, user, batch.year)
        if batch.state == ProcurementBatchState.DRAFT
        else None,
    }
    return render(request, "budgeting/procurement_batch.html", context)


ACTIONS = ("add", "remove", "approve")


@login_required
@require_POST
def batch_act(request: HttpRequest, public_id: str, action: str) -> HttpResponse:
    """POST: add the ticked projects, take the ticked ones out, or approve the batch;
    the page's version makes a second finance user acting at once be told."""
    user = _finance(request)
    batch = get_procurement_batch_for_user(user, public_id)
    if action not in ACTIONS:
        raise Http404
    version = posted_version(request)
    try:
        if action == "add":
            procurement.add_projects(
                batch,
                actor=user,
                projects=_chosen(request, user),
                expected_version=version,
            )
            messages.success(request, _("Projects added to the batch."))
        elif action == "remove":
            procurement.remove_projects(
                batch,
                actor=user,
                projects=_chosen(request, user),
                expected_version=version,
            )
            messages.success(request, _("Projects taken out of the batch."))
        else:
            procurement.approve_batch(batch, actor=user, expected_version=version)
            messages.success(
                request,
                _("Single-source procurement of %(name)s approved.") % {"name": batch.name},
            )
    except WorkflowError as error:
        messages.error(request, error.message)
    return redirect("budgeting:procurement_batch", public_id=batch.public_id)


def _sheet(batch: ProcurementBatch) -> procurement_sheet.ProcurementSheet:
    items = list(
        procurement.live_approvals()
        .filter(batch=batch)
        .select_related("project", "project__organization")
        .order_by("project__organization__code", "project__code")
    )
    return procurement_sheet.sheet_of(batch, items)


@login_required
def batch_sheet(request: HttpRequest, public_id: str) -> HttpResponse:
    """The batch's approval sheet as a printable page."""
    user = _finance(request)
    sheet = _sheet(get_procurement_batch_for_user(user, public_id))
    return render(request, "budgeting/procurement_sheet.html", {"sheet": sheet})


@login_required
def batch_export(request: HttpRequest, public_id: str) -> HttpResponse:
    """The batch's approval sheet as an Excel file."""
    user = _finance(request)
    sheet = _sheet(get_procurement_batch_for_user(user, public_id))
    return xlsx_response(
        procurement_sheet.workbook(sheet), f"procurement-{sheet.batch.public_id}.xlsx"
    )
