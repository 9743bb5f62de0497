"""Budget cycles, their review stages and control figures: every change, with its
checks and its history event. System admins call these from Django admin (which
shows a refusal as a form error), ``seed_demo`` as the system (actor None).

Each ``check_*`` function is the whole rule for one change: the service calls it
again under the row lock, and the admin's forms call it to show the refusal next
to the field, so the two can never disagree.
"""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Jurisdiction, Organization, Role, User
from accounts.permissions import REVIEWER_ROLES
from audit.services import record_event
from budgeting.models import (
    BudgetCycle,
    BudgetRound,
    ControlFigure,
    CycleState,
    LineDecision,
    Review,
    ReviewStage,
    RoundState,
)
from budgeting.rounds import ONE_ROUND
from budgeting.workflow import WorkflowError
from projects.models import ProjectState
from standards.pricing import PricingError, check_amount

DEFAULT_STAGES = [
    # code, name, role, condition, may change amounts, final
    ("department", "部门审核", "department_approver", "always", False, False),
    ("technical", "技术审核", "data_reviewer", "managed", False, False),
    ("finance", "财政审核", "finance_reviewer", "always", True, False),
    ("final", "终审", "finance_approver", "always", False, True),
]

# The one table of a cycle's states: prepared, opened for submissions, closed (and
# reopened for late submissions if need be), archived for good.
CYCLE_TRANSITIONS: dict[str, frozenset[str]] = {
    CycleState.PREPARING: frozenset({CycleState.OPEN}),
    CycleState.OPEN: frozenset({CycleState.CLOSED}),
    CycleState.CLOSED: frozenset({CycleState.OPEN, CycleState.ARCHIVED}),
    CycleState.ARCHIVED: frozenset(),
}
# The roles a review stage may belong to: the department's approver and the reviewing bodies.
STAGE_ROLES = frozenset({Role.DEPARTMENT_APPROVER, *REVIEWER_ROLES})
CYCLE_FIELDS = ["name", "opens_at", "closes_at", "state"]
STAGE_FIELDS = ["order", "code", "name", "role", "condition", "may_change_amounts", "is_final"]


# --- Cycles ----------------------------------------------------------------------------


def create_cycle(
    *,
    actor: User | None,
    year: int,
    name: str,
    opens_at: datetime,
    closes_at: datetime,
    state: str,
    rounds: Sequence[tuple[str, str, str]] = ONE_ROUND,
    jurisdiction: Jurisdiction | None = None,
) -> BudgetCycle:
    """Create a budget cycle with the default review stages (admins may change them)
    and its ``rounds`` (``budgeting.rounds``: one, 两上两下, ...); the first round opens
    with the cycle. ``jurisdiction``: whose year it is (None: the province's).

    Raises ``ValidationError`` (nothing written) on invalid fields, e.g. a year that
    has a cycle already or a window that closes before it opens.
    """
    with transaction.atomic():
        cycle = BudgetCycle(
            year=year, name=name, opens_at=opens_at, closes_at=closes_at, state=state
        )
        if jurisdiction is not None:
            cycle.jurisdiction = jurisdiction
        cycle.full_clean()
        cycle.save()
        for order, (code, stage_name, role, condition, may_change, final) in enumerate(
            DEFAULT_STAGES, start=1
        ):
            ReviewStage.objects.create(
                cycle=cycle,
                order=order,
                code=code,
                name=stage_name,
                role=role,
                condition=condition,
                may_change_amounts=may_change,
                is_final=final,
            )
        for order, (code, round_name, kind) in enumerate(rounds, start=1):
            BudgetRound.objects.create(
                cycle=cycle, order=order, code=code, name=round_name, kind=kind
            )
        if state == CycleState.OPEN:
            _open_first_round(cycle)
        record_event(
            "budgeting.cycle.created",
            actor=actor,
            target=cycle,
            target_key=str(cycle.year),
            to_state=cycle.state,
            data={
                "name": name,
                "opens_at": opens_at,
                "closes_at": closes_at,
                "stages": [s[0] for s in DEFAULT_STAGES],
                "rounds": [r[1] for r in rounds],
            },
        )
    return cycle


def check_cycle_change(cycle: BudgetCycle, state: str) -> None:
    """Raise ``WorkflowError`` unless the stored ``cycle`` may change and move to
    ``state`` (staying in its state is always allowed, except when archived)."""
    if cycle.state == CycleState.ARCHIVED:
        raise WorkflowError(_("An archived cycle is history: it no longer changes."))
    if state != cycle.state and state not in CYCLE_TRANSITIONS[cycle.state]:
        raise WorkflowError(
            _("A cycle that is %(current)s cannot become %(target)s.")
            % {
                "current": CycleState(cycle.state).label,
                "target": CycleState(state).label,
            }
        )


def change_cycle(
    cycle: BudgetCycle,
    *,
    actor: User | None,
    name: str,
    opens_at: datetime,
    closes_at: datetime,
    state: str,
) -> BudgetCycle:
    """Rename a cycle, move its submission window or its state (``CYCLE_TRANSITIONS``).
    The year never changes: projects belong to the cycle of their budget year.

    Raises ``WorkflowError`` on a change the table forbids and ``ValidationError`` on
    invalid fields; nothing is written then.
    """
    with transaction.atomic():
        locked = BudgetCycle.objects.select_for_update().get(pk=cycle.pk)
        check_cycle_change(locked, state)
        before = {field: getattr(locked, field) for field in CYCLE_FIELDS}
        locked.name, locked.opens_at, locked.closes_at, locked.state = (
            name,
            opens_at,
            closes_at,
            state,
        )
        locked.full_clean()
        changes = {
            field: [before[field], getattr(locked, field)]
            for field in CYCLE_FIELDS
            if before[field] != getattr(locked, field)
        }
        if changes:
            locked.save(update_fields=CYCLE_FIELDS)
            if locked.state == CycleState.OPEN:
                _open_first_round(locked)
            record_event(
                "budgeting.cycle.changed",
                actor=actor,
                target=locked,
                target_key=str(locked.year),
                from_state=before["state"],
                to_state=locked.state,
                data=changes,
            )
    return locked


def _open_first_round(cycle: BudgetCycle) -> None:
    """A year opening for the first time opens its first round; a reopened year (late
    submissions) goes on in the round it was in."""
    if not cycle.rounds.exclude(state=RoundState.PENDING).exists():
        cycle.rounds.filter(order=cycle.rounds.order_by("order").values("order")[:1]).update(
            state=RoundState.OPEN, opened_at=timezone.now()
        )


def check_cycle_deletion(cycle: BudgetCycle) -> None:
    """Raise ``WorkflowError`` if the cycle carries history: a project was submitted to it."""
    if Review.objects.filter(cycle=cycle).exists():
        raise WorkflowError(
            _("Projects were submitted to %(cycle)s: archive it instead of deleting it.")
            % {"cycle": cycle}
        )


def delete_cycle(cycle: BudgetCycle, *, actor: User | None) -> None:
    """Delete a cycle nobody submitted to (one made by mistake), with its stages and
    control figures. Raises ``WorkflowError`` otherwise."""
    with transaction.atomic():
        locked = BudgetCycle.objects.select_for_update().get(pk=cycle.pk)
        check_cycle_deletion(locked)
        record_event(
            "budgeting.cycle.deleted",
            actor=actor,
            target=locked,
            target_key=str(locked.year),
            from_state=locked.state,
            data={
                "name": locked.name,
                "control_figures": dict(
                    locked.control_figures.values_list("organization__code", "amount")
                ),
            },
        )
        locked.delete()


# --- Review stages ---------------------------------------------------------------------


def check_stages(cycle: BudgetCycle, stages: list[ReviewStage], deleted: list[ReviewStage]) -> None:
    """Raise ``WorkflowError`` unless ``stages`` (every stage the cycle is to have, in
    any order) may replace the cycle's stages, ``deleted`` going.

    Stages change only while no project of the cycle is in review and never in an
    archived cycle; each has its own order and code and a reviewing role; exactly one,
    the last, gives the final approval; a stage that decided on lines stays.
    """
    if cycle.state == CycleState.ARCHIVED:
        raise WorkflowError(_("An archived cycle is history: it no longer changes."))
    if Review.objects.filter(cycle=cycle, project__state=ProjectState.IN_REVIEW).exists():
        raise WorkflowError(
            _("Projects of this cycle are in review: its stages change only when none is.")
        )
    if not stages:
        raise WorkflowError(_("A cycle needs at least one review stage."))
    problems = [
        _("%(stage)s: a %(role)s gives no review.")
        % {"stage": stage.name, "role": Role(stage.role).label}
        for stage in stages
        if stage.role not in STAGE_ROLES
    ]
    if len({stage.order for stage in stages}) < len(stages):
        problems.append(_("Two stages have the same order."))
    if len({stage.code for stage in stages}) < len(stages):
        problems.append(_("Two stages have the same code."))
    last = max(stages, key=lambda stage: stage.order)
    if [stage for stage in stages if stage.is_final] != [last]:
        problems.append(_("Exactly one stage, the last, gives the final approval."))
    gone = [stage.pk for stage in deleted if stage.pk is not None]
    if LineDecision.objects.filter(stage__in=gone).exists() or (
        Review.objects.filter(stage__in=gone).exists()
    ):
        problems.append(_("A stage that has decided on projects cannot be deleted."))
    if problems:
        raise WorkflowError(" ".join(str(problem) for problem in problems))


def save_stages(
    cycle: BudgetCycle,
    *,
    actor: User | None,
    stages: list[ReviewStage],
    deleted: list[ReviewStage],
) -> list[ReviewStage]:
    """Replace the cycle's review stages with ``stages`` (new ones without a pk),
    deleting ``deleted``, after ``check_stages``; one history event with the stages
    before and after. Raises ``WorkflowError`` (nothing written) if refused."""
    with transaction.atomic():
        locked = BudgetCycle.objects.select_for_update().get(pk=cycle.pk)
        check_stages(locked, stages, deleted)
        before = _stage_rows(locked.stages.all())
        ReviewStage.objects.filter(pk__in=[s.pk for s in deleted if s.pk]).delete()
        # Orders and codes are unique per cycle: park the kept stages out of the way
        # first, so two stages may swap places.
        kept = [stage.pk for stage in stages if stage.pk is not None]
        for pk in kept:
            ReviewStage.objects.filter(pk=pk).update(order=10000 + pk, code=f"-{pk}")
        for stage in sorted(stages, key=lambda stage: stage.order):
            stage.cycle = locked
            stage.full_clean(exclude=["cycle"])
            stage.save()
        after = _stage_rows(locked.stages.all())
        if after != before:
            record_event(
                "budgeting.cycle.stages_changed",
                actor=actor,
                target=locked,
                target_key=str(locked.year),
                data={"before": before, "after": after},
            )
    return stages


def _stage_rows(stages: Any) -> list[dict[str, Any]]:
    return [
        {field: getattr(stage, field) for field in STAGE_FIELDS}
        for stage in sorted(stages, key=lambda stage: stage.order)
    ]


# --- Control figures -------------------------------------------------------------------


def check_control_figure(cycle: BudgetCycle, unit: Organization, amount: Decimal) -> None:
    """Raise ``WorkflowError`` unless ``amount`` may be ``unit``'s control figure in
    ``cycle``: a primary unit's, from 0 to the amount limit (``pricing.check_amount``), in
    a cycle not archived."""
    if cycle.state == CycleState.ARCHIVED:
        raise WorkflowError(_("An archived cycle is history: it no longer changes."))
    if unit.parent_id is not None:
        raise WorkflowError(_("Control figures are set for primary units."))
    if unit.jurisdiction_id != cycle.jurisdiction_id:
        raise WorkflowError(_("A cycle's control figures are for its own jurisdiction's units."))
    try:
        check_amount(amount, _("The control figure"))
    except PricingError as error:
        raise WorkflowError(error.message, field="amount") from error
    if amount < 0:
        raise WorkflowError(_("A control figure cannot be negative."), field="amount")


def set_control_figure(
    cycle: BudgetCycle, unit: Organization, amount: Decimal, *, actor: User | None
) -> ControlFigure:
    """Set (or change) a primary unit's control figure for a cycle, recording the change.
    Raises ``WorkflowError`` (nothing written) when ``check_control_figure`` refuses."""
    with transaction.atomic():
        locked = BudgetCycle.objects.select_for_update().get(pk=cycle.pk)
        check_control_figure(locked, unit, amount)
        figure = (
            ControlFigure.objects.select_for_update().filter(cycle=cycle, organization=unit).first()
        )
        before = figure.amount if figure else None
        if figure is None:
            figure = ControlFigure(cycle=locked, organization=unit, amount=amount)
        figure.amount = amount.quantize(Decimal("0.01"))
        if figure.amount != before:
            figure.save()
            record_event(
                "budgeting.control_figure.set",
                actor=actor,
                target=locked,
                target_key=f"{locked.year}-{unit.code}",
                data={"unit": unit.code, "before": before, "after": figure.amount},
            )
    return figure


def remove_control_figure(figure: ControlFigure, *, actor: User | None) -> None:
    """Withdraw a unit's control figure from a cycle that is not archived, recording it.
    Raises ``WorkflowError`` (nothing written) otherwise."""
    with transaction.atomic():
        locked = BudgetCycle.objects.select_for_update().get(pk=figure.cycle_id)
        if locked.state == CycleState.ARCHIVED:
            raise WorkflowError(_("An archived cycle is history: it no longer changes."))
        stored = (
            ControlFigure.objects.select_for_update()
            .select_related("organization")
            .filter(pk=figure.pk)
            .first()
        )
        if stored is None:
            return
        record_event(
            "budgeting.control_figure.removed",
            actor=actor,
            target=locked,
            target_key=f"{locked.year}-{stored.organization.code}",
            data={"unit": stored.organization.code, "before": stored.amount, "after": None},
        )
        stored.delete()
