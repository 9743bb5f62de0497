"""Batch approval (批次批复): the finance approver approves several projects at once."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.models import User
from budgeting import amounts, approval_sheet, queues, services
from budgeting.forms import BatchForm
from budgeting.models import ApprovalBatch, Review
from budgeting.permissions import (
    approvable_reviews,
    batches_visible_to,
    can_approve_batches,
    get_batch_for_user,
    reviews_decided_by,
)
from budgeting.queues import PAGE_SIZE
from budgeting.workflow import WorkflowError
from projects.models import Project, ProjectState
from projects.permissions import projects_visible_to
from ui.excel import xlsx_response
from ui.params import page_number, posted_version

CODE_MAX_LENGTH = Project._meta.get_field("code").max_length or 40
RECENT_BATCHES = 5  # the approved batches under the batch approval list; the rest on their page


def _finance_approver(request: HttpRequest) -> User:
    if not can_approve_batches(request.user):
        raise PermissionDenied
    return request.user  # type: ignore[return-value]


@dataclass(frozen=True)
class Waiting:
    """A project awaiting final approval, with the amount approving it would fix."""

    review: Review
    approved: Decimal

    @property
    def project(self) -> Project:
        return self.review.project


def _awaiting_final_approval(user: User) -> QuerySet[Review]:
    """Every review awaiting this user's final approval now (unfiltered, unordered)."""
    # A request of an earlier round (一上) waits at the final stage for the next round,
    # not for approval: only the last round's are approvable (``approvable_reviews``).
    return approvable_reviews(
        reviews_decided_by(user).filter(stage__is_final=True, project__state=ProjectState.IN_REVIEW)
    ).select_related("project", "project__organization", "stage")


def _with_figures(reviews: Iterable[Review]) -> list[Waiting]:
    """Each review with the amount approval fixes: two queries for any number."""
    reviews = list(reviews)
    totals = amounts.approved_totals([review.project for review in reviews])
    return [Waiting(review, totals[review.project.pk]) for review in reviews]


def posted_codes(request: HttpRequest) -> list[str]:
    """The ticked project codes, without any PostgreSQL would refuse to compare (NUL)
    or that is longer than a code can be: such a code matches no project, and the form
    says so."""
    return [
        code
        for code in request.POST.getlist("project")
        if "\x00" not in code and len(code) <= CODE_MAX_LENGTH
    ]


@login_required
def batch_list(request: HttpRequest) -> HttpResponse:
    """GET: the projects awaiting final approval, 50 to a page, filtered and sorted by
    the GET parameters, none chosen, each with the amount that approval fixes. POST of
    a choice (the ticks of one page; the form posts back to the same page): the
    confirmation page (how many, what total); POST of the confirmation
    (``step=confirm``): the batch is approved. ``step=back`` shows the list again with
    the choice kept. Works without JavaScript."""
    user = _finance_approver(request)
    awaiting = _awaiting_final_approval(user)
    listed = queues.queue(request, awaiting, user, final_only=True)
    page = listed.page(request)
    chosen: list[Waiting] = []
    if request.method == "POST":
        # Any project awaiting final approval may be chosen, on this page or not: the
        # filters narrow what is shown, not what the approver may approve.
        chosen = _with_figures(
            awaiting.filter(project__code__in=posted_codes(request)).order_by(
                "stage_entered_at", "project__code"
            )
        )
    form = BatchForm(
        request.POST if request.method == "POST" else None,
        codes=[row.project.code for row in chosen],
    )
    if request.method == "POST" and form.is_valid():
        seen = {
            row.project.pk: posted_version(request, f"version-{row.project.code}") for row in chosen
        }
        changed = [
            row.project.code for row in chosen if seen[row.project.pk] != row.project.version
        ]
        step = request.POST.get("step", "")
        if changed:
            # The figures on the approver's page are no longer the project's: show them anew.
            form.add_error(
                "project",
                _("%(codes)s changed since you opened the page: check the figures again.")
                % {"codes": ", ".join(changed)},
            )
        elif step == "confirm":
            try:
                batch = services.approve_batch(
                    [row.project for row in chosen],
                    actor=user,
                    name=form.cleaned_data["name"],
                    versions=seen,
                    document_number=form.cleaned_data["document_number"],
                )
            except WorkflowError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(request, _("Batch %(name)s approved.") % {"name": batch.name})
                return redirect("budgeting:batch", public_id=batch.public_id)
        elif step != "back":
            return render(
                request,
                "budgeting/batch_confirm.html",
                {
                    "form": form,
                    "chosen": chosen,
                    "total": sum((row.approved for row in chosen), Decimal("0.00")),
                    "requested": sum(
                        (row.project.requested_amount for row in chosen), Decimal("0.00")
                    ),
                },
            )
    # The newest few only (all of them on their own page, 50 to a page): every batch with
    # its count and total grew with the approvals (21 batches of 5,100 projects, 48 ms
    # at 100,000 projects; issue #21).
    batches = _approved_batches(user)[:RECENT_BATCHES]
    chosen_codes = set(form["project"].value() or []) if form.is_bound else set()
    shown = _with_figures(page.object_list)
    on_page = {row.project.code for row in shown}
    # Chosen on another page or outside the filters, kept ticked at the top, so going
    # back to change the choice loses nothing.
    kept = [row for row in chosen if row.project.code not in on_page]
    return render(
        request,
        "budgeting/batch_list.html",
        {
            "waiting": kept + shown,
            "page": page,
            "filter_form": listed.form,
            "filtered": listed.filtered,
            "sort": listed.sort,
            "query": listed.query,
            "batches": batches,
            "form": form,
            "chosen_codes": chosen_codes,
        },
        status=400 if form.errors else 200,
    )


def _approved_batches(user: User) -> QuerySet[ApprovalBatch]:
    """The approved batches the user sees, newest first, each with its projects' count
    and approved total. Counted by a subquery a batch, not by grouping a join: the
    database counts the batches of the page (after the ``LIMIT``) only, not every
    batch ever approved."""
    reviews = Review.objects.filter(batch=OuterRef("pk")).order_by().values("batch")
    return (
        batches_visible_to(user)
        .annotate(
            # A batch of none (no row to group) counts 0, as a grouped join counted it.
            project_count=Coalesce(Subquery(reviews.annotate(n=Count("pk")).values("n")), 0),
            total=Subquery(reviews.annotate(sum=Sum("project__approved_amount")).values("sum")),
        )
        .select_related("cycle", "round")
        .order_by("-approved_at", "-pk")
    )


@login_required
def approved_batches(request: HttpRequest) -> HttpResponse:
    """Every approved batch the finance approver sees, newest first, 50 to a page, each
    with its projects' count and approved total: three queries (the user, the count,
    the page) whatever the number of batches."""
    user = _finance_approver(request)
    paginator = Paginator(_approved_batches(user), PAGE_SIZE)
    page = paginator.get_page(page_number(request.GET.get("page")))
    return render(request, "budgeting/approved_batches.html", {"page": page})


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


def _sheet(request: HttpRequest, public_id: str) -> approval_sheet.ApprovalSheet:
    """The batch's approval sheet, for those who see the batch (the finance approvers);
    to anyone else the batch is as good as missing (404)."""
    batch, projects = _batch_with_projects(request.user, public_id)  # type: ignore[arg-type]
    return approval_sheet.approval_sheet(batch, projects)


@login_required
def batch_sheet(request: HttpRequest, public_id: str) -> HttpResponse:
    """The approval sheet as a printable page (print CSS drops the site's chrome)."""
    return render(request, "budgeting/batch_sheet.html", {"sheet": _sheet(request, public_id)})


@login_required
def batch_export(request: HttpRequest, public_id: str) -> HttpResponse:
    """The approval sheet as an Excel file."""
    sheet = _sheet(request, public_id)
    return xlsx_response(approval_sheet.workbook(sheet), f"batch-{sheet.batch.public_id}.xlsx")
