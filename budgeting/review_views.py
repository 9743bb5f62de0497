"""The review pages: my tasks, a project's review, and the workflow actions."""

from collections.abc import Callable
from decimal import Decimal
from itertools import chain
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.permissions import request_member
from audit.queries import history_of
from budgeting import amounts, diff, enforcement, queues, round_changes, rounds, services, workflow
from budgeting.forms import ActionForm, AllowanceForm, CutForm
from budgeting.library import library_actions
from budgeting.models import LineDecision, Review, ReviewStage
from budgeting.permissions import (
    OFFERED_ORDER,
    Standing,
    Stands,
    amount_refusal,
    available_actions,
    can_allow_excess,
    can_take,
    control_figure_units,
    projects_submittable_by,
    refusal,
    reviews_decided_by,
)
from budgeting.workflow import Action, WorkflowError
from projects import inventory_lines, quantities
from projects.duplicates import inventory_flags, similar_for_user
from projects.models import APPROVED_STATES, Project, ProjectState
from projects.permissions import get_project_for_user, projects_visible_to
from projects.queries import returns_of
from projects.readiness import still_needed
from projects.signals import panels
from ui.excel import write_table, xlsx_response
from ui.params import posted_version


def tasks_for(user: User) -> QuerySet[Review]:
    """Reviews waiting at a stage this user decides, oldest first."""
    return (
        reviews_decided_by(user)
        .filter(project__state=ProjectState.IN_REVIEW)
        .select_related("project", "project__organization", "stage")
        .order_by("stage_entered_at", "project__code")
    )


def returned_to(user: User) -> QuerySet[Project]:
    """Projects returned for revision that this user may resubmit (``can_submit``: a
    submitter's unit and its secondary units), the longest returned first, each with
    ``returned_at`` and ``return_reason`` from its latest return: one query."""
    latest = returns_of(OuterRef("code"))
    return (
        projects_submittable_by(user)
        .filter(state=ProjectState.RETURNED)
        .select_related("organization")
        .annotate(
            returned_at=Subquery(latest.values("occurred_at")[:1]),
            return_reason=Subquery(latest.values("comment")[:1]),
        )
        .order_by("returned_at", "code")
    )


def _my_queue(request: HttpRequest, user: User) -> tuple[queues.Queue, QuerySet[Project]]:
    """What awaits my decision, filtered and sorted as asked, and what was returned to me,
    narrowed by the same unit and amounts (a returned project stands at no stage)."""
    awaiting = queues.queue(request, tasks_for(user), user)
    return awaiting, queues.filter_returned(returned_to(user), awaiting.filters)


@login_required
def my_tasks(request: HttpRequest) -> HttpResponse:
    """My tasks, 50 to a page (a province's finance review holds tens of thousands)."""
    user = request_member(request)
    awaiting, returned = _my_queue(request, user)
    page = awaiting.page(request)
    return render(
        request,
        "budgeting/tasks.html",
        {
            "page": page,
            "reviews": page.object_list,
            "returned": list(returned),
            "filter_form": awaiting.form,
            "filtered": awaiting.filtered,
            "sort": awaiting.sort,
            "query": awaiting.query,
        },
    )


@login_required
def my_tasks_export(request: HttpRequest) -> HttpResponse:
    """The same queue as an Excel sheet, every page of it: what awaits my decision (as
    filtered and sorted on the page, oldest first by default), then what was returned
    to me for revision."""
    user = request_member(request)
    awaiting_queue, returned_projects = _my_queue(request, user)
    headers = [
        gettext("Project code"), gettext("Project name"), gettext("Budget unit"),
        gettext("Stage"), gettext("Waiting since"), gettext("Requested amount (yuan)"),
    ]  # fmt: skip
    awaiting = (
        (review.project, str(review.stage), review.stage_entered_at)
        for review in awaiting_queue.reviews.iterator(chunk_size=2000)
    )
    returned = (
        # returned_at is an annotation of returned_to's query
        (project, project.state_label, getattr(project, "returned_at", None))
        for project in returned_projects
    )
    rows = (
        [
            project.code,
            project.name,
            project.organization.name,
            stage,
            # Excel has no time zones: local time, as the page shows it.
            timezone.localtime(since).replace(tzinfo=None) if since else None,
            project.requested_amount,
        ]
        for project, stage, since in chain(awaiting, returned)
    )
    content = write_table(
        gettext("My tasks"),
        headers,
        rows,
        money_columns=frozenset({5}),
        formats={4: "yyyy-mm-dd hh:mm"},
        widths=[18, 40, 28, 16, 18, 18],
    )
    return xlsx_response(content, "my-tasks.xlsx")


@login_required
def review_detail(request: HttpRequest, code: str) -> HttpResponse:
    user = request_member(request)
    project = get_project_for_user(user, code)
    return render(request, "budgeting/review.html", _review_context(user, project))


def _review_context(
    user: User, project: Project, *, cut: tuple[int, CutForm] | None = None
) -> dict[str, Any]:
    """The review page; ``cut``: a line's bound cut form to show again with its errors."""
    standing = Standing.of(project)
    review, stage = standing.review, standing.stage
    # The buttons are the actions the services would accept (budgeting.permissions).
    actions = available_actions(project, user, standing=standing)
    # What the request lacks, the same list as on the project page (projects.readiness).
    needed = still_needed(project)
    # The unit's submitter, in a state to submit from, but the cycle stands in the way
    # (no cycle, its window closed, no stage for the project): say so too.
    not_yet = refusal(standing, user, Action.SUBMIT)
    problems = (
        [reason for reason in not_yet.reasons if reason not in needed]
        if not_yet and not_yet.stands == Stands.CONDITION
        else []
    )
    # A reviewer whose pass is refused for a condition (the unit over its control
    # figure) reads why, instead of missing a button.
    not_passed = refusal(standing, user, Action.PASS) if review else None
    held = (
        list(not_passed.reasons)
        if not_passed and not_passed.stands == Stands.CONDITION and stage and not stage.is_final
        else []
    )
    may_cut = amount_refusal(standing, user) is None
    path = workflow.applicable_stages(standing.stages, project)
    figures = amounts.load(project)
    quantities.mark_unusual(figures.lines, project)
    bases = inventory_lines.attach_bases(figures.lines, project)
    current = figures.current()
    at_this_stage = figures.decision_at(stage if may_cut else None)
    since_return = diff.since_last_return(project, figures.lines)
    line_diff, returned = since_return if since_return else (None, None)
    change_of = line_diff.kind_of_line() if line_diff else {}
    review_diff = diff.against_review(returned, figures.lines) if returned else None
    return {
        "project": project,
        "review": review,
        "path": path,
        "actions": [
            (
                action,
                ActionForm(
                    action=action,
                    project=project,
                    offer_previous_stage=standing.previous_stage is not None,
                ),
            )
            for action in actions
        ],
        "still_needed": needed,
        "problems": problems,
        "history": history_of(project, project.code),
        "similar": similar_for_user(project, projects_visible_to(user)),
        "inventory_flags": inventory_flags(project, bases),
        "waterfall": figures.waterfall(path, _reached_order(project, stage, figures)),
        "may_cut": may_cut,
        "line_rows": [
            (
                line,
                current[line.pk],
                change_of.get(line.pk),
                _cut_form(line.pk, current[line.pk], at_this_stage.get(line.pk), cut)
                if may_cut
                else None,
            )
            for line in figures.lines
        ],
        "line_diff": line_diff,
        "review_diff": review_diff,
        "returned": returned,
        "held": held,
        "round_results": list(
            project.round_results.select_related("round").order_by("round__order")
        ),
        "figure": _figure(user, standing),
        "allowance_form": AllowanceForm() if can_allow_excess(user, standing) else None,
        "flagged_lines": [line for line in figures.lines if line.flag_labels],
        **library_actions(user, project),
        # Cards of the layers above: a continuing project's predecessor's figures.
        "panels": panels(project, "review", user),
    }


def _figure(user: User, standing: Standing) -> enforcement.FigureStanding | None:
    """The unit's control figure against its counted requests in a round bound by
    figures, for those who see the unit's figure (finance, the unit's own staff)."""
    round_ = standing.open_round if standing.project.state != ProjectState.APPROVED else None
    if round_ is None or not rounds.bound_by_figures(round_, standing.rounds):
        return None
    primary = enforcement.primary_unit_id(standing.project)
    if not control_figure_units(user).filter(pk=primary).exists():
        return None
    return enforcement.figure_standing(standing.project, round_)


def _cut_form(
    line_id: int,
    current: Decimal,
    decision: LineDecision | None,
    cut: tuple[int, CutForm] | None,
) -> CutForm:
    """The line's cut form: the one posted, with its errors, else filled with the line's
    figure and this stage's reason and comment."""
    if cut is not None and cut[0] == line_id:
        return cut[1]
    initial: dict[str, Any] = {"approved_amount": current}
    if decision is not None:
        initial |= {"reason": decision.reason, "comment": decision.comment}
    return CutForm(line_id=line_id, initial=initial)


def _reached_order(
    project: Project, stage: ReviewStage | None, figures: amounts.LineFigures
) -> int:
    """The order of the last review stage the project has reached: every stage once
    approved, the current one while in review, else the last that decided on a line."""
    if project.state in APPROVED_STATES:  # closed (结项) since, too
        return amounts.AFTER_EVERY_STAGE
    if project.state == ProjectState.IN_REVIEW and stage is not None:
        return stage.order
    return figures.last_decided_order()


@login_required
@require_POST
def cut_line(request: HttpRequest, code: str, line_id: int) -> HttpResponse:
    """Set one line's approved amount at the current stage (a POST from the review page).
    Refused, the review page is drawn again with the input kept and the error at its field."""
    user = request_member(request)
    project = get_project_for_user(user, code)
    version = posted_version(request)
    _refuse_outright(user, project, Action.PASS, version)
    form = CutForm(request.POST, line_id=line_id)
    if form.is_valid():
        try:
            services.set_line_amount(
                project,
                actor=user,
                expected_version=version,
                line_id=line_id,
                approved_amount=form.cleaned_data["approved_amount"],
                reason=form.cleaned_data["reason"],
                comment=form.cleaned_data["comment"],
            )
        except WorkflowError as error:
            form.add_error(error.field, error.message)
        else:
            messages.success(request, gettext("Approved amount saved."))
            return redirect(f"{reverse('budgeting:review', args=[project.code])}#lines")
    context = _review_context(user, project, cut=(line_id, form))
    if not any(row[0].pk == line_id and row[3] is not None for row in context["line_rows"]):
        # The line or the right to cut it went meanwhile: no form to show the error at.
        for problems in form.errors.values():
            for problem in problems:
                messages.error(request, str(problem))
        return redirect("budgeting:review", code=project.code)
    return render(request, "budgeting/review.html", context, status=400)


def _refuse_outright(user: User, project: Project, action: Action, version: int | None) -> None:
    """403 when the action is not this user's on the project as it stands now.

    Only for a page of the current version: a reviewer whose page is older (someone
    acted meanwhile, perhaps moving the project to another stage) gets the service's
    clear message instead of an error page.
    """
    # One query for the version and the stage, so both come from the same moment: read
    # apart, a decision committed in between would pair the old version with the new stage.
    review = Review.objects.select_related("stage", "project").filter(project=project).first()
    if version != (review.project.version if review else project.version):
        return
    if not can_take(user, project, review.stage if review else None, action):
        raise PermissionDenied


ACTIONS: dict[Action, Callable[..., Project]] = {
    Action.SUBMIT: services.submit,
    Action.PASS: services.pass_stage,
    Action.RETURN: services.return_for_revision,
    Action.REJECT: services.reject,
    Action.WITHDRAW: services.withdraw,
    Action.APPROVE: services.approve,
}
SUCCESS = {  # lazy: translated per request
    Action.SUBMIT: gettext_lazy("Submitted for review."),
    Action.PASS: gettext_lazy("Passed to the next stage."),
    Action.RETURN: gettext_lazy("Returned for revision."),
    Action.REJECT: gettext_lazy("Rejected."),
    Action.WITHDRAW: gettext_lazy("Withdrawn."),
    Action.APPROVE: gettext_lazy("Approved."),
}


@login_required
@require_POST
def act(request: HttpRequest, code: str, action: str) -> HttpResponse:
    """Every workflow action is a POST of the confirmation form on the review page."""
    if action not in OFFERED_ORDER:  # the library's actions have their own pages
        raise Http404
    chosen = Action(action)
    user = request_member(request)
    project = get_project_for_user(user, code)
    form = ActionForm(request.POST, action=chosen, project=project)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("budgeting:review", code=project.code)
    _refuse_outright(user, project, chosen, form.cleaned_data["version"])
    options: dict[str, Any] = {"actor": user, "expected_version": form.cleaned_data["version"]}
    if chosen != Action.SUBMIT:
        options["comment"] = form.cleaned_data.get("comment", "")
    if chosen == Action.RETURN:
        options["to_previous_stage"] = form.cleaned_data.get("to_previous_stage", False)
    try:
        ACTIONS[chosen](project, **options)
    except WorkflowError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, str(SUCCESS[chosen]))
    return redirect("budgeting:review", code=project.code)


@login_required
@require_POST
def allow_excess(request: HttpRequest, code: str) -> HttpResponse:
    """Finance lets the request exceed its unit's control figure, for a reason."""
    user = request_member(request)
    project = get_project_for_user(user, code)
    if not can_allow_excess(user, Standing.of(project)):
        raise PermissionDenied
    form = AllowanceForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("budgeting:review", code=project.code)
    try:
        round_changes.allow_excess(project, actor=user, reason=form.cleaned_data["reason"])
    except WorkflowError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, gettext("The request may exceed the control figure."))
    return redirect("budgeting:review", code=project.code)
