"""The project library's actions (issue #17): declare a project for a budget year
("申报 2028 年预算") and return one to the reserve ("退回项目库").

- A reserve project declared for a year moves into it: ``Action.DECLARE``, RESERVE →
  DRAFT, keeping its code, lines, targets and documents (the project page then offers to
  re-price lines with the year's standard).
- A project of an earlier year declared again is continued: a new draft of the year,
  continuing it (续建, ``predecessor``), its lines re-priced with the year's standard
  (``projects.library.continue_into``); the earlier project is unchanged.
- A rejected project, or an approved one cut to zero, returns to the reserve:
  ``Action.RETURN_TO_RESERVE``, → RESERVE without a year, its history kept; the
  reviewers' figures on its lines go (listed in the history), as they would after a
  change of its lines.

The years a project may be declared for are those whose budget cycle takes submissions
now (``declarable_years``). Each action locks the project row, checks the version the
clerk saw and the rules (``declare_refusal``, ``return_refusal``: the same ones the
library page asks to show its buttons), writes and records the history event in one
transaction; refusals raise ``WorkflowError`` and change nothing.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import AnyUser
from audit.services import record_event
from budgeting import workflow
from budgeting.models import BudgetCycle, CycleState, Review
from budgeting.permissions import can_submit, cycles_of_unit
from budgeting.receivers import drop_line_decisions
from budgeting.workflow import Action, WorkflowError
from projects import estimates, library
from projects.errors import ProjectError
from projects.models import EstimateLine, Project, ProjectState


def declarable_years(unit_id: int | None = None, now: datetime | None = None) -> list[int]:
    """The budget years a unit may declare projects for: those whose cycle (of the unit's
    jurisdiction; None: the province's) takes submissions now (open, within its window),
    earliest first. One query."""
    now = now or timezone.now()
    cycles = (
        cycles_of_unit(unit_id)
        if unit_id
        else BudgetCycle.objects.filter(jurisdiction__parent__isnull=True)
    )
    return list(
        cycles.filter(state=CycleState.OPEN, opens_at__lte=now, closes_at__gte=now)
        .order_by("year")
        .values_list("year", flat=True)
    )


def declare_refusal(
    project: Project,
    user: AnyUser,
    year: int,
    years: list[int],
    continued_years: list[int] | None = None,
) -> str | None:
    """Why ``user`` may not declare ``project`` for ``year`` now, or None if they may.

    The unit's submitters, for a year of ``years`` (``declarable_years``): a reserve
    project (the transition table's DECLARE), or a project of an earlier year not yet
    continued into ``year`` (``continued_years``: the years it was, when the caller read
    them; else asked here).
    """
    if not can_submit(user, project):
        return _("Only the unit's submitters may declare its projects.")
    if year not in years:
        return _("The %(year)s budget takes no submissions now.") % {"year": year}
    if project.in_reserve:
        return _reserve_refusal(project, year)
    return _continuation_refusal(project, year, continued_years)


def _reserve_refusal(project: Project, year: int) -> str | None:
    if project.end_year is not None and project.end_year < year:
        return _(
            "The project is planned to end in %(end)s: change its years before declaring "
            "it for %(year)s."
        ) % {"end": project.end_year, "year": year}
    predecessor = project.predecessor
    if predecessor is not None and (predecessor.budget_year or year) >= year:
        return _("The earlier project must be from an earlier budget year.")
    return None


def _continuation_refusal(
    project: Project, year: int, continued_years: list[int] | None
) -> str | None:
    if project.budget_year is None or project.budget_year >= year:
        return _("Only a project of an earlier year can be continued into %(year)s.") % {
            "year": year
        }
    if continued_years is None:
        continued_years = [
            year for year in project.successors.values_list("budget_year", flat=True) if year
        ]
    if year in continued_years:
        return _("This project was already declared for %(year)s.") % {"year": year}
    return None


def return_refusal(project: Project, user: AnyUser) -> str | None:
    """Why ``user`` may not return ``project`` to the reserve, or None if they may: the
    unit's submitters, a rejected project or an approved one whose approved amount is zero."""
    try:
        workflow.check_transition(project, Action.RETURN_TO_RESERVE)
    except WorkflowError as error:
        return error.message
    if project.state == ProjectState.APPROVED and project.approved_amount != Decimal("0.00"):
        return _("Only a project approved with nothing can return to the project library.")
    if not can_submit(user, project):
        return _("Only the unit's submitters may return its projects to the library.")
    return None


def library_actions(user: AnyUser, project: Project) -> dict[str, Any]:
    """What the project library offers ``user`` on ``project`` (the review page's part):
    the years to declare it for, and whether it may return to the reserve."""
    years = declarable_years(project.organization_id)
    return {
        "library_years": [
            year for year in years if declare_refusal(project, user, year, years) is None
        ],
        "may_return_to_library": return_refusal(project, user) is None,
    }


def declare_for_year(project: Project, *, actor: User, year: int, expected_version: int) -> Project:
    """Declare ``project`` for ``year``'s budget: a reserve project moves into the year
    (DRAFT); a project of an earlier year is continued by a new draft of the year. Returns
    the draft. Refused (WorkflowError, nothing written) as ``declare_refusal`` says, or
    when the project changed since ``expected_version``.
    """
    with transaction.atomic():
        locked = _lock(project, expected_version)
        refused = declare_refusal(locked, actor, year, declarable_years(locked.organization_id))
        if refused:
            raise WorkflowError(refused)
        if locked.in_reserve:
            return _declare(locked, actor=actor, year=year)
        return _continue(locked, actor=actor, year=year)


def _declare(project: Project, *, actor: User, year: int) -> Project:
    return _move(
        project,
        actor=actor,
        action=Action.DECLARE,
        changes={"budget_year": year, "declared_from_library": True},
        data={"year": year, "planned": project.plan_for(year)},
    )


def _move(
    project: Project,
    *,
    actor: User,
    action: Action,
    changes: dict[str, Any],
    data: dict[str, Any],
) -> Project:
    """Move the locked ``project`` by ``action`` of the transition table, with ``changes``
    to its fields, and record the event with ``data`` (and the amounts and version)."""
    transition = workflow.check_transition(project, action)
    from_state = project.state
    for name, value in changes.items():
        setattr(project, name, value)
    project.state = transition.target
    project.version += 1
    project.updated_at = timezone.now()
    project.save(update_fields=[*changes, "state", "version", "updated_at"])
    record_event(
        f"budgeting.project.{action.value}",
        actor=actor,
        target=project,
        target_key=project.code,
        from_state=from_state,
        to_state=project.state,
        data={**data, "requested_amount": project.requested_amount, "version": project.version},
    )
    return project


def _continue(source: Project, *, actor: User, year: int) -> Project:
    try:
        continued = library.continue_into(
            source,
            year=year,
            actor=actor,
            standard=estimates.standard_for_year(year, source.organization),
        )
    except ProjectError as error:
        raise WorkflowError(error.message) from error
    project = continued.project
    record_event(
        f"budgeting.project.{Action.DECLARE.value}",
        actor=actor,
        target=project,
        target_key=project.code,
        to_state=project.state,
        data={
            "year": year,
            "predecessor": source.code,
            "standard": continued.repricing.standard.code if continued.repricing else "",
            "repriced": continued.repriced_lines,
            "requested_amount": project.requested_amount,
            "predecessor_requested": source.requested_amount,
            "version": project.version,
        },
    )
    record_event(
        "budgeting.project.continued",
        actor=actor,
        target=source,
        target_key=source.code,
        data={"year": year, "successor": project.code},
    )
    return project


def return_to_reserve(project: Project, *, actor: User, expected_version: int) -> Project:
    """Return a rejected project, or one approved with nothing, to the unit's reserve (no
    budget year), keeping its code and history; the reviewers' figures on its lines go.
    Refused (WorkflowError, nothing written) as ``return_refusal`` says, or when the
    project changed since ``expected_version``."""
    with transaction.atomic():
        locked = _lock(project, expected_version)
        refused = return_refusal(locked, actor)
        if refused:
            raise WorkflowError(refused)
        year, approved = locked.budget_year, locked.approved_amount
        dropped = drop_line_decisions(
            EstimateLine, lines=EstimateLine.objects.filter(project=locked)
        )
        Review.objects.filter(project=locked).update(stage=None, stage_entered_at=None)
        _move(
            locked,
            actor=actor,
            action=Action.RETURN_TO_RESERVE,
            changes={"budget_year": None, "approved_amount": None},
            data={"year": year, "approved_amount": approved, "decisions_dropped": dropped},
        )
    return locked


def _lock(project: Project, expected_version: int) -> Project:
    locked = (
        Project.objects.select_for_update(of=("self",))
        .select_related("organization", "predecessor")
        .get(pk=project.pk)
    )
    if locked.version != expected_version:
        raise WorkflowError(
            _(
                "Someone acted on this project after you opened it; nothing was changed. "
                "Reload the page to see its current state."
            )
        )
    return locked
