"""The review workflow's one table: which action may move a project from which
states, and to where. Services consult it through ``check_transition``;
nothing else decides whether an action is allowed in a state.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from budgeting.models import ReviewStage
from projects.models import Project, ProjectState

S = ProjectState


class Action(models.TextChoices):
    SUBMIT = "submit", gettext_lazy("Submit")
    PASS = "pass", gettext_lazy("Pass to the next stage")
    RETURN = "return", gettext_lazy("Return for revision")
    REJECT = "reject", gettext_lazy("Reject")
    WITHDRAW = "withdraw", gettext_lazy("Withdraw")
    APPROVE = "approve", gettext_lazy("Approve")
    # The project library (issue #17, budgeting.library): not review actions, never offered
    # on the review page.
    DECLARE = "declare", gettext_lazy("Declare for a budget year")
    RETURN_TO_RESERVE = "return_to_reserve", gettext_lazy("Return to the project library")


class LifeAction(models.TextChoices):
    """What happens to an approved project after the review (the ``execution`` app's
    actions): kept apart from ``Action`` so the review page never offers them."""

    CARRY_OVER = "carry_over", gettext_lazy("Carry over (结转)")
    CLOSE = "close", gettext_lazy("Close (结项)")


@dataclass(frozen=True)
class Transition:
    sources: frozenset[ProjectState]
    target: ProjectState  # for RETURN to the previous stage the state stays IN_REVIEW


TRANSITIONS: dict[Action | LifeAction, Transition] = {
    # A withdrawn request is the submitter's again, like a returned one.
    Action.SUBMIT: Transition(frozenset({S.DRAFT, S.RETURNED, S.WITHDRAWN}), S.IN_REVIEW),
    Action.PASS: Transition(frozenset({S.IN_REVIEW}), S.IN_REVIEW),
    Action.RETURN: Transition(frozenset({S.IN_REVIEW}), S.RETURNED),
    Action.REJECT: Transition(frozenset({S.IN_REVIEW}), S.REJECTED),
    Action.WITHDRAW: Transition(frozenset({S.IN_REVIEW}), S.WITHDRAWN),
    Action.APPROVE: Transition(frozenset({S.IN_REVIEW}), S.APPROVED),
    Action.DECLARE: Transition(frozenset({S.RESERVE}), S.DRAFT),
    # From APPROVED only when cut to zero (budgeting.library.return_refusal).
    Action.RETURN_TO_RESERVE: Transition(frozenset({S.REJECTED, S.APPROVED}), S.RESERVE),
    # After approval: the unspent amount carried over stays with the approved project;
    # a closed project is executed and finished (execution.services).
    LifeAction.CARRY_OVER: Transition(frozenset({S.APPROVED}), S.APPROVED),
    LifeAction.CLOSE: Transition(frozenset({S.APPROVED}), S.CLOSED),
}

# Actions that need a written reason, kept in the history.
COMMENT_REQUIRED = frozenset({Action.RETURN, Action.REJECT})


class WorkflowError(Exception):
    """A refused action, with a message for the user in their language; ``field`` names
    the form field the refusal is about, if one is (to show it there)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def check_transition(project: Project, action: Action | LifeAction) -> Transition:
    transition = TRANSITIONS[action]
    if project.state not in transition.sources:
        raise WorkflowError(
            _("“%(action)s” is not possible while the project is %(state)s.")
            % {"action": action.label, "state": project.get_state_display()}
        )
    return transition


def applicable_stages(stages: list[ReviewStage], project: Project) -> list[ReviewStage]:
    """The cycle's stages that this project passes through, in order."""
    return [stage for stage in stages if stage.applies_to(project)]


def next_stage(
    stages: list[ReviewStage], project: Project, current: ReviewStage | None
) -> ReviewStage | None:
    path = applicable_stages(stages, project)
    if current is None:
        return path[0] if path else None
    later = [stage for stage in path if stage.order > current.order]
    return later[0] if later else None


def previous_stage(
    stages: list[ReviewStage], project: Project, current: ReviewStage
) -> ReviewStage | None:
    earlier = [stage for stage in applicable_stages(stages, project) if stage.order < current.order]
    return earlier[-1] if earlier else None
