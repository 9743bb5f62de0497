"""Every workflow action: submit, pass, return, reject, withdraw, approve.

Each one, in a single transaction: locks the project row, checks the version
the actor saw (so of two reviewers acting at once exactly one succeeds) and the
rules of ``budgeting.permissions`` (the same ones that choose the review page's
buttons), writes the new state and stage, and appends the history event with
the totals.
"""

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import record_event
from budgeting import amounts, diff, rounds, workflow
from budgeting.models import (
    ApprovalBatch,
    CutReason,
    LineDecision,
    Review,
    ReviewStage,
)
from budgeting.notifications import queue_notification
from budgeting.permissions import Standing, amount_refusal, check, cycles_visible_to
from budgeting.workflow import COMMENT_REQUIRED, Action, WorkflowError
from projects.models import Project, ProjectState
from standards.pricing import PricingError, check_amount

DOCUMENT_NUMBER_MAX = ApprovalBatch._meta.get_field("document_number").max_length or 100


def submit(project: Project, *, actor: User, expected_version: int) -> Project:
    """Send a draft, returned or withdrawn request to the first stage that applies.

    Only the unit's submitters, only while the cycle's window is open, and only
    when nothing is missing: refused with every reason listed.
    """
    with transaction.atomic():
        standing = _lock(project, expected_version)
        transition = check(standing, actor, Action.SUBMIT)
        locked, review, cycle = standing.project, standing.review, standing.submission_cycle
        first = workflow.next_stage(standing.submission_stages, locked, None)
        assert cycle is not None and first is not None  # check() refuses a submission without
        if review is None:
            review = Review(project=locked, cycle=cycle)
        review.cycle = cycle
        review.round = standing.open_round
        review.submitted_at = timezone.now()
        review.submitted_by = actor
        review.submissions += 1
        review.awaiting_first_decision = True
        return record_move(
            locked,
            review,
            actor=actor,
            action=Action.SUBMIT,
            state=transition.target,
            stage=first,
            comment="",
        )


def pass_stage(
    project: Project, *, actor: User, expected_version: int, comment: str = ""
) -> Project:
    """The current stage's reviewer passes the project to the next stage that applies."""
    with transaction.atomic():
        standing = _lock(project, expected_version)
        transition = check(standing, actor, Action.PASS)
        locked, review, stage = _decision(standing)
        following = workflow.next_stage(standing.stages, locked, stage)
        assert following is not None  # check() refuses a pass with nowhere to go
        review.awaiting_first_decision = False
        return record_move(
            locked,
            review,
            actor=actor,
            action=Action.PASS,
            state=transition.target,
            stage=following,
            comment=comment,
        )


def return_for_revision(
    project: Project,
    *,
    actor: User,
    expected_version: int,
    comment: str,
    to_previous_stage: bool = False,
) -> Project:
    """Send the project back to the submitter (or to the previous stage), with a reason.

    A return to the submitter keeps the lines as they stand in its history event,
    so reviewers see, after resubmission, what changed against them (``budgeting.diff``).
    """
    with transaction.atomic():
        standing = _lock(project, expected_version)
        transition = check(standing, actor, Action.RETURN)
        locked, review, _stage = _decision(standing)
        _require_comment(Action.RETURN, comment)
        review.awaiting_first_decision = False
        if to_previous_stage:
            previous = standing.previous_stage
            if previous is None:
                raise WorkflowError(_("There is no previous stage to return the project to."))
            return record_move(
                locked,
                review,
                actor=actor,
                action=Action.RETURN,
                state=ProjectState.IN_REVIEW,
                stage=previous,
                comment=comment,
            )
        return record_move(
            locked,
            review,
            actor=actor,
            action=Action.RETURN,
            state=transition.target,
            stage=None,
            comment=comment,
            extra={"lines": diff.snapshot(list(locked.lines.all()))},
        )


def reject(project: Project, *, actor: User, expected_version: int, comment: str) -> Project:
    """Refuse the request (不予安排) at the current stage, with a reason."""
    with transaction.atomic():
        standing = _lock(project, expected_version)
        transition = check(standing, actor, Action.REJECT)
        locked, review, _stage = _decision(standing)
        _require_comment(Action.REJECT, comment)
        review.awaiting_first_decision = False
        return record_move(
            locked,
            review,
            actor=actor,
            action=Action.REJECT,
            state=transition.target,
            stage=None,
            comment=comment,
        )


def withdraw(project: Project, *, actor: User, expected_version: int, comment: str = "") -> Project:
    """The submitter takes the request back, until a reviewer has decided on it."""
    with transaction.atomic():
        standing = _lock(project, expected_version)
        transition = check(standing, actor, Action.WITHDRAW)
        locked, review = standing.project, standing.review
        assert review is not None  # check() allows a withdrawal only before the first decision
        review.awaiting_first_decision = False
        return record_move(
            locked,
            review,
            actor=actor,
            action=Action.WITHDRAW,
            state=transition.target,
            stage=None,
            comment=comment,
        )


def approve(
    project: Project,
    *,
    actor: User,
    expected_version: int,
    comment: str = "",
    batch: ApprovalBatch | None = None,
) -> Project:
    """Final approval (批复) at the final stage; the approved amount is fixed."""
    with transaction.atomic():
        standing = _lock(project, expected_version)
        transition = check(standing, actor, Action.APPROVE)
        locked, review, _stage = _decision(standing)
        # The approved amount (审核数) is the sum of the lines as the stages left them.
        locked.approved_amount = _within_limit(
            amounts.load(locked).approved_total(), _("The approved amount")
        )
        review.awaiting_first_decision = False
        review.batch = batch
        return record_move(
            locked,
            review,
            actor=actor,
            action=Action.APPROVE,
            state=transition.target,
            stage=None,
            comment=comment,
        )


def approve_batch(
    projects: list[Project],
    *,
    actor: User,
    name: str,
    versions: dict[int, int],
    document_number: str = "",
) -> ApprovalBatch:
    """Approve several projects at the final stage in one transaction, as a named batch
    of the round that issues the approval (``rounds.approval_round``), with finance's
    approval document number (批复文号, optional).

    All or nothing: if any project cannot be approved (wrong stage, changed
    since the page was loaded), none is, and every reason is listed.
    ``versions`` maps each project's id to the version the approver saw.
    """
    name = name.strip()
    if not name:
        raise WorkflowError(_("Name the batch, e.g. “2027年第一批”."))
    document_number = document_number.strip()
    if len(document_number) > DOCUMENT_NUMBER_MAX or "\x00" in document_number:
        raise WorkflowError(
            _("The approval document number is at most %(max)s characters, without NUL.")
            % {"max": DOCUMENT_NUMBER_MAX},
            field="document_number",
        )
    if not projects:
        raise WorkflowError(_("Choose at least one project for the batch."))
    with transaction.atomic():
        cycles = {project.budget_year for project in projects}
        year = cycles.pop() if len(cycles) == 1 else None
        if year is None:
            raise WorkflowError(_("A batch holds projects of one budget year only."))
        # The approver's jurisdiction's year: the projects are of its units (issue #18).
        cycle = cycles_visible_to(actor).filter(year=year).first()
        if cycle is None:
            raise WorkflowError(_("There is no budget cycle for %(year)s.") % {"year": year})
        batch_exists = WorkflowError(_("A batch named “%(name)s” exists already.") % {"name": name})
        if ApprovalBatch.objects.filter(cycle=cycle, name=name).exists():
            raise batch_exists
        try:
            # Another approver naming a batch alike at the same moment saw none either: the
            # unique constraint decides (the insert waits for the other's commit), and the
            # savepoint leaves the loser's transaction usable for the domain error.
            with transaction.atomic():
                batch = ApprovalBatch.objects.create(
                    cycle=cycle,
                    name=name,
                    approved_by=actor,
                    round=rounds.approval_round(list(cycle.rounds.order_by("order"))),
                    document_number=document_number,
                )
        except IntegrityError as error:
            if _violated_constraint(error) != "batch_name_unique_in_cycle":
                raise
            raise batch_exists from None
        problems = []
        # Lock in id order, like every other action, so batches never deadlock.
        for project in sorted(projects, key=lambda p: p.pk):
            try:
                approve(
                    project,
                    actor=actor,
                    expected_version=versions.get(project.pk, -1),
                    batch=batch,
                )
            except WorkflowError as error:
                problems.append(f"{project.code}: {error.message}")
        if problems:
            # Raising inside the atomic block undoes the batch and every approval.
            raise WorkflowError(" ".join(problems))
        record_event(
            "budgeting.batch.approved",
            actor=actor,
            target=batch,
            target_key=str(batch.public_id),
            data={"name": name, "projects": [p.code for p in projects]},
        )
    return batch


def _violated_constraint(error: IntegrityError) -> str | None:
    """The name of the constraint PostgreSQL reports ``error`` broke (psycopg's diagnostics)."""
    diagnostics = getattr(error.__cause__, "diag", None)
    return getattr(diagnostics, "constraint_name", None)


def _lock(project: Project, expected_version: int) -> Standing:
    # Lock the project row first, always: every action takes its locks in the
    # same order, so two actions on one project queue instead of deadlocking.
    locked = (
        Project.objects.select_for_update(of=("self",))
        .select_related("organization")
        .get(pk=project.pk)
    )
    if locked.version != expected_version:
        raise WorkflowError(
            _(
                "Someone acted on this project after you opened it; nothing was changed. "
                "Reload the page to see its current state."
            )
        )
    review = (
        Review.objects.select_for_update(of=("self",))
        .select_related("cycle", "stage")
        .filter(project=locked)
        .first()
    )
    return Standing(locked, review)


def _decision(standing: Standing) -> tuple[Project, Review, ReviewStage]:
    """The locked project, its review and its stage, once ``check`` has allowed a decision
    (which it does only at a stage)."""
    review, stage = standing.review, standing.stage
    assert review is not None and stage is not None
    return standing.project, review, stage


def _require_comment(action: Action, comment: str) -> None:
    if action in COMMENT_REQUIRED and not comment.strip():
        raise WorkflowError(
            _("Give a reason: it is sent to the submitter and kept in the history.")
        )


def record_move(
    project: Project,
    review: Review,
    *,
    actor: User,
    action: Action,
    state: ProjectState,
    stage: ReviewStage | None,
    comment: str,
    extra: dict[str, Any] | None = None,
) -> Project:
    """Write the project's new state and stage (both rows locked by the caller), queue the
    notification and record the history event with the totals."""
    from_state, from_stage = project.state, review.stage
    project.state = state
    project.version += 1
    project.updated_at = timezone.now()
    if stage is not None and stage.role not in project.reached_roles:
        # From now on the stage's reviewing body sees the project (projects.permissions).
        project.reached_roles = sorted({*project.reached_roles, stage.role})
    project.save(
        update_fields=["state", "version", "updated_at", "approved_amount", "reached_roles"]
    )
    review.stage = stage
    review.stage_entered_at = timezone.now() if stage else None
    review.save()
    data: dict[str, Any] = {
        "from_stage": from_stage.code if from_stage else "",
        "to_stage": stage.code if stage else "",
        "requested_amount": project.requested_amount,
        "approved_amount": project.approved_amount,
        "version": project.version,
        **(extra or {}),
    }
    queue_notification(project, action=action, stage=stage, comment=comment)
    record_event(
        f"budgeting.project.{action.value}",
        actor=actor,
        target=project,
        target_key=project.code,
        from_state=from_state,
        to_state=project.state,
        comment=comment.strip(),
        data=data,
    )
    return project


def _within_limit(amount: Decimal, name: str, *, field: str | None = None) -> Decimal:
    """``amount`` if a money column holds it (``pricing.check_amount``), else WorkflowError."""
    try:
        return check_amount(amount, name)
    except PricingError as error:
        raise WorkflowError(error.message, field=field) from error


def set_line_amount(
    project: Project,
    *,
    actor: User,
    expected_version: int,
    line_id: int,
    approved_amount: Decimal,
    reason: str,
    comment: str = "",
) -> LineDecision:
    """The current stage's reviewer sets the approved amount of one line (a cut, with a
    reason from the list), at a stage whose reviewers may change amounts."""
    with transaction.atomic():
        standing = _lock(project, expected_version)
        refused = amount_refusal(standing, actor)
        if refused:
            raise WorkflowError(refused)
        locked, _review, stage = _decision(standing)
        line = locked.lines.filter(pk=line_id).first()
        if line is None:
            raise WorkflowError(_("That estimate line no longer exists."))
        # The one amount limit first (a figure no column holds, an infinity), then the
        # line's own: NaN and huge figures are refused before rounding, which they break.
        if not approved_amount.is_nan():
            _within_limit(approved_amount, _("The approved amount"), field="approved_amount")
        within = approved_amount.is_finite() and abs(approved_amount) <= line.amount + 1
        if within:
            approved_amount = approved_amount.quantize(Decimal("0.01"))
        if not within or approved_amount < 0 or approved_amount > line.amount:
            raise WorkflowError(
                _("The approved amount must be between 0 and the requested %(amount)s.")
                % {"amount": f"{line.amount:,.2f}"},
                field="approved_amount",
            )
        if approved_amount < line.amount and reason not in CutReason.values:
            raise WorkflowError(_("Choose the reason for the cut."), field="reason")
        before = amounts.load(locked).current()[line.pk]
        decision, _created = LineDecision.objects.update_or_create(
            line=line,
            stage=stage,
            defaults={
                "approved_amount": approved_amount,
                "reason": reason if approved_amount < line.amount else "",
                "comment": comment.strip(),
                "decided_by": actor,
                "decided_at": timezone.now(),
            },
        )
        locked.version += 1
        locked.updated_at = timezone.now()
        locked.save(update_fields=["version", "updated_at"])
        record_event(
            "budgeting.line.amount_set",
            actor=actor,
            target=locked,
            target_key=locked.code,
            comment=comment.strip(),
            data={
                "stage": stage.code,
                "line": line.name,
                "requested": line.amount,
                "before": before,
                "after": approved_amount,
                "reason": decision.reason,
            },
        )
    return decision
