"""Moving a budget year from round to round (一上 → 一下 → 二上 → 二下), and finance's
leave for a request over its unit's control figure. Each is one transaction with locks,
checks and history, like every workflow action (``budgeting.services``).

Opening a submission round after the first (二上) takes the year's reviewed requests
into it: each project waiting at the final stage goes back to its unit to be revised
to the control figure, its lines and figures kept (``RoundResult``) for the summary's
round columns and the next round's diff. A project finance does not take is rejected
(不予安排) with a reason at the final stage before, as any rejection.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import in_jurisdiction
from audit.services import record_event
from budgeting import amounts, diff, rounds
from budgeting.models import (
    BudgetCycle,
    BudgetRound,
    CycleState,
    ExcessAllowance,
    Review,
    RoundResult,
    RoundState,
)
from budgeting.permissions import (
    can_manage_cycle,
    can_manage_rounds,
    cycles_of_unit,
    sees_every_control_figure,
)
from budgeting.services import record_move
from budgeting.workflow import Action, WorkflowError
from projects.models import Project, ProjectState


def advance_round(cycle: BudgetCycle, *, actor: User, expected_round: int | None) -> BudgetRound:
    """Close the year's open round and open the next (or close the last). ``expected_round``
    is the id of the round the user saw open (None if none was): of two finance users
    advancing at once, one wins and the other is told.

    Raises ``WorkflowError`` (nothing written) when refused: a year not open, a stale
    page, or requests of the round before still in review short of the final stage.
    """
    if not can_manage_cycle(actor, cycle):
        raise WorkflowError(_("Only finance opens and closes the rounds of a budget year."))
    with transaction.atomic():
        locked = BudgetCycle.objects.select_for_update().get(pk=cycle.pk)
        if locked.state != CycleState.OPEN:
            raise WorkflowError(_("The rounds move only while the budget year is open."))
        year_rounds = list(locked.rounds.select_for_update().order_by("order"))
        current = rounds.open_round(year_rounds)
        if (current.pk if current else None) != expected_round:
            raise WorkflowError(
                _(
                    "Someone moved the year to another round after you opened the page; "
                    "nothing was changed. Reload the page to see where it stands."
                )
            )
        last_closed = max(
            (r for r in year_rounds if r.state == RoundState.CLOSED),
            key=lambda r: r.order,
            default=None,
        )
        following = rounds.next_round(current or last_closed, year_rounds)
        if current is None and following is None:
            raise WorkflowError(_("Every round of this year is closed."))
        now = timezone.now()
        if current is not None:
            current.state, current.closed_at = RoundState.CLOSED, now
            current.save(update_fields=["state", "closed_at"])
        taken = 0
        if following is not None:
            earlier = rounds.previous_submission(following, year_rounds)
            if following.kind == "submission" and earlier is not None:
                taken = _take_into_round(locked, earlier, following, actor=actor)
            following.state, following.opened_at = RoundState.OPEN, now
            following.save(update_fields=["state", "opened_at"])
        record_event(
            "budgeting.cycle.round_changed",
            actor=actor,
            target=locked,
            target_key=str(locked.year),
            from_state=current.code if current else "",
            to_state=following.code if following else "",
            data={
                "closed": current.name if current else "",
                "opened": following.name if following else "",
                "projects_taken": taken,
            },
        )
    return following or current  # type: ignore[return-value]


def _take_into_round(
    cycle: BudgetCycle, earlier: BudgetRound, following: BudgetRound, *, actor: User
) -> int:
    """Return every request of ``earlier`` that finance's review finished (waiting at the
    final stage) to its unit for revision in ``following``; keep every request's figures
    of ``earlier``. Refused while any request of ``earlier`` is still in review before."""
    unfinished = (
        Review.objects.filter(round=earlier, project__state=ProjectState.IN_REVIEW)
        .exclude(stage__is_final=True)
        .count()
    )
    if unfinished:
        raise WorkflowError(
            _(
                "%(count)s requests of %(round)s are still in review before the final stage; "
                "finish their review first."
            )
            % {"count": unfinished, "round": earlier.name}
        )
    # Lock in id order, like every action, so this never deadlocks with one.
    projects = list(
        Project.objects.select_for_update(of=("self",)).filter(review__round=earlier).order_by("pk")
    )
    reviews = {
        review.project_id: review
        for review in Review.objects.select_for_update().filter(project__in=projects)
    }
    figures_of = amounts.figures_of(projects)
    comment = _(
        "%(round)s: revise the request to the control figure your unit was issued and "
        "submit it again."
    ) % {"round": following.name}
    taken = 0
    for project in projects:
        in_final = project.state == ProjectState.IN_REVIEW
        figures = figures_of[project.pk]
        snapshot = diff.snapshot(figures.lines)
        current = figures.current()
        for record in snapshot:
            record["reviewed"] = str(current[record["id"]])
        RoundResult.objects.update_or_create(
            project=project,
            round=earlier,
            defaults={
                "requested_amount": project.requested_amount,
                "reviewed_amount": (
                    figures.approved_total()
                    if in_final
                    else (0 if project.state == ProjectState.REJECTED else None)
                ),
                "state": project.state,
                "lines": snapshot,
            },
        )
        if in_final:
            record_move(
                project,
                reviews[project.pk],
                actor=actor,
                action=Action.RETURN,
                state=ProjectState.RETURNED,
                stage=None,
                comment=comment,
                extra={"lines": snapshot, "round": following.code},
            )
            taken += 1
    return taken


def allow_excess(project: Project, *, actor: User, reason: str) -> ExcessAllowance:
    """Finance lets ``project`` exceed its unit's control figure in the open round, for a
    reason kept in the history. Raises ``WorkflowError`` (nothing written) otherwise."""
    if not sees_every_control_figure(actor) or not in_jurisdiction(actor, project.organization):
        raise WorkflowError(_("Only finance may allow a request over the control figure."))
    reason = reason.strip()
    if not reason:
        raise WorkflowError(_("Give the reason for the allowance."), field="reason")
    with transaction.atomic():
        locked = Project.objects.select_for_update(of=("self",)).get(pk=project.pk)
        year = locked.budget_year  # None in the project library's reserve: no rounds
        year_rounds = (
            list(
                BudgetRound.objects.filter(
                    cycle__in=cycles_of_unit(locked.organization_id).filter(year=year)
                )
            )
            if year
            else []
        )
        round_ = rounds.open_round(year_rounds)
        if round_ is None or not rounds.bound_by_figures(round_, year_rounds):
            raise WorkflowError(_("No round bound by control figures is open for this year."))
        allowance, created = ExcessAllowance.objects.get_or_create(
            project=locked, round=round_, defaults={"reason": reason, "granted_by": actor}
        )
        if not created:
            raise WorkflowError(_("Finance has allowed this request already in this round."))
        record_event(
            "budgeting.project.excess_allowed",
            actor=actor,
            target=locked,
            target_key=locked.code,
            comment=reason,
            data={"round": round_.code},
        )
    return allowance


def set_round_window(
    round_: BudgetRound,
    *,
    actor: User,
    opens_at: datetime | None,
    closes_at: datetime | None,
) -> BudgetRound:
    """Set the window of a round (either end may stay open): submissions in a submission
    round are taken only within it. Raises ``WorkflowError`` (nothing written) for a
    window that closes before it opens, a closed round or a year that is history."""
    if not can_manage_rounds(actor):
        raise WorkflowError(_("Only finance opens and closes the rounds of a budget year."))
    if opens_at and closes_at and closes_at <= opens_at:
        raise WorkflowError(_("The round must close after it opens."), field="closes_at")
    with transaction.atomic():
        locked = BudgetRound.objects.select_for_update().select_related("cycle").get(pk=round_.pk)
        if not can_manage_cycle(actor, locked.cycle):
            raise WorkflowError(_("Only finance opens and closes the rounds of a budget year."))
        if locked.cycle.state == CycleState.ARCHIVED or locked.state == RoundState.CLOSED:
            raise WorkflowError(_("A closed round is history: its window no longer changes."))
        before = [locked.opens_at, locked.closes_at]
        locked.opens_at, locked.closes_at = opens_at, closes_at
        if before != [opens_at, closes_at]:
            locked.save(update_fields=["opens_at", "closes_at"])
            record_event(
                "budgeting.cycle.round_window_set",
                actor=actor,
                target=locked.cycle,
                target_key=str(locked.cycle.year),
                data={"round": locked.code, "before": before, "after": [opens_at, closes_at]},
            )
    return locked
