"""Who may decide at a review stage."""

from accounts.models import Role
from accounts.permissions import AnyUser, can_approve_for_unit, can_submit_for_unit, has_role
from budgeting.models import ReviewStage
from budgeting.workflow import Action
from projects.models import Project


def can_decide_at(user: AnyUser, project: Project, stage: ReviewStage | None) -> bool:
    """The stage's role decides; the department stage belongs to the approver of the
    project's primary unit, every other stage to its reviewing body."""
    if stage is None or not has_role(user, Role(stage.role)):
        return False
    if stage.role == Role.DEPARTMENT_APPROVER:
        return can_approve_for_unit(user, project.organization)
    return True


def can_submit(user: AnyUser, project: Project) -> bool:
    """The unit's submitters submit and withdraw its requests."""
    return can_submit_for_unit(user, project.organization)


def can_take(user: AnyUser, project: Project, stage: ReviewStage | None, action: Action) -> bool:
    """Whether the action is this user's at all: the unit's submitters submit and withdraw,
    the current stage's reviewers decide. The state is the transition table's business."""
    if action in (Action.SUBMIT, Action.WITHDRAW):
        return can_submit(user, project)
    return can_decide_at(user, project, stage)
