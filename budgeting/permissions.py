"""Who may take which workflow action, and when: the one place that decides.

``available_actions`` is what the review page offers; the services refuse through
``check`` with the same rules, so a button is shown exactly when its action would
be accepted. The rules combine the transition table (the state), whose action it
is (``can_take``: the unit's submitters, the current stage's reviewers) and what
else the action needs (an open window and a complete request to submit, a later
stage to pass to, the final stage to approve, no decision yet to withdraw).
What the user types (a reason, the batch name) and the version they saw are the
forms' and the services' own business.

Below them, the scopes: which reviews, batches and control figures each user
sees. Every review or batch lookup of the views goes through them, so a page
lists exactly what the same rules let the user act on.
"""

from dataclasses import dataclass
from enum import Enum
from functools import cached_property

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization, Role, UnitLevel, User
from accounts.permissions import (
    AnyUser,
    active_user,
    approval_scope,
    approvers_for_unit,
    can_approve_for_unit,
    can_submit_for_unit,
    has_role,
    in_jurisdiction,
    is_system_admin,
    jurisdiction_id_of,
    jurisdiction_of_unit,
    jurisdiction_scope,
    submission_scope,
)
from budgeting import enforcement, rounds, workflow
from budgeting.models import (
    ApprovalBatch,
    BudgetCycle,
    BudgetRound,
    ProcurementBatch,
    Review,
    ReviewStage,
    RoundKind,
)
from budgeting.workflow import Action, WorkflowError
from classification.rules import missing_codes_to_pass
from projects.models import Project, ProjectState
from projects.permissions import project_scope_on, projects_visible_to
from projects.readiness import submission_problems

# The order the review page offers them in: the step forward first.
OFFERED_ORDER = [
    Action.SUBMIT,
    Action.WITHDRAW,
    Action.APPROVE,
    Action.PASS,
    Action.RETURN,
    Action.REJECT,
]


def can_decide_at(user: AnyUser, project: Project, stage: ReviewStage | None) -> bool:
    """The stage's role decides; the department stage belongs to the approver of the
    project's primary unit, every other stage to its reviewing body: the one of the
    project's unit's jurisdiction (issue #18)."""
    if stage is None or not has_role(user, Role(stage.role)):
        return False
    if stage.role == Role.DEPARTMENT_APPROVER:
        return can_approve_for_unit(user, project.organization)
    return in_jurisdiction(user, project.organization)


def can_submit(user: AnyUser, project: Project) -> bool:
    """The unit's submitters submit and withdraw its requests."""
    return can_submit_for_unit(user, project.organization)


def can_take(user: AnyUser, project: Project, stage: ReviewStage | None, action: Action) -> bool:
    """Whether the action is this user's at all: the unit's submitters submit and withdraw,
    the current stage's reviewers decide. A user who may see the project but for whom
    this is false gets 403 on a current page."""
    if action in (Action.SUBMIT, Action.WITHDRAW):
        return can_submit(user, project)
    return can_decide_at(user, project, stage)


class Standing:
    """A project as the rules read it: its review and the stages of its cycle.

    Each is read once, and only when a rule needs it, so the review page and a
    service (which passes the rows it has locked) ask the database no more than
    they did before the rules were gathered here.
    """

    def __init__(self, project: Project, review: Review | None) -> None:
        self.project = project
        self.review = review

    @classmethod
    def of(cls, project: Project) -> "Standing":
        review = Review.objects.select_related("cycle", "stage").filter(project=project).first()
        return cls(project, review)

    @property
    def stage(self) -> ReviewStage | None:
        return self.review.stage if self.review else None

    @cached_property
    def stages(self) -> list[ReviewStage]:
        """The stages of the review's cycle, in order; none before the first submission."""
        return list(self.review.cycle.stages.order_by("order")) if self.review else []

    @cached_property
    def _submission(self) -> tuple[BudgetCycle | None, list[ReviewStage]]:
        year = self.project.budget_year
        if year is None:  # in the project library's reserve: no year, no cycle
            return None, []
        if self.review and self.review.cycle.year == year:
            return self.review.cycle, self.stages
        # The cycle with its stages in one query; a second only for a cycle without stages.
        # The year's cycle is the one of the project's unit's jurisdiction (issue #18).
        cycles = cycles_of_unit(self.project.organization_id).filter(year=year)
        stages = list(
            ReviewStage.objects.filter(cycle__in=cycles).select_related("cycle").order_by("order")
        )
        if stages:
            return stages[0].cycle, stages
        return cycles.first(), []

    @cached_property
    def rounds(self) -> list[BudgetRound]:
        """The rounds of the project's year, in order (one query, only when a rule asks)."""
        cycle = self.submission_cycle
        return list(cycle.rounds.order_by("order")) if cycle else []

    @property
    def open_round(self) -> BudgetRound | None:
        """The round of the year that is open now, if any."""
        return rounds.open_round(self.rounds)

    @property
    def submission_cycle(self) -> BudgetCycle | None:
        """The cycle a submission goes to: the one of the project's budget year."""
        return self._submission[0]

    @property
    def submission_stages(self) -> list[ReviewStage]:
        """That cycle's stages, in order."""
        return self._submission[1]

    @cached_property
    def missing_for_submission(self) -> tuple[str, ...]:
        """What the request still lacks (``projects.readiness``), asked once."""
        return tuple(submission_problems(self.project))

    @cached_property
    def previous_stage(self) -> ReviewStage | None:
        """Where a return to the previous stage would send the project, if anywhere."""
        stage = self.stage
        return workflow.previous_stage(self.stages, self.project, stage) if stage else None


class Stands(Enum):
    """What stands in the way of an action."""

    STATE = "state"  # the transition table: not from this state
    PERSON = "person"  # not this user's action (``can_take``)
    CONDITION = "condition"  # this user's, in the right state, but something is missing


@dataclass(frozen=True)
class Refusal:
    """Why an action is refused: the reasons in the user's language, in the order the
    services have always given them."""

    stands: Stands
    reasons: tuple[str, ...]

    @property
    def message(self) -> str:
        return " ".join(self.reasons)


def refusal(standing: Standing, user: AnyUser, action: Action) -> Refusal | None:
    """Why ``user`` may not take ``action`` on the project as it stands, or None if they may.

    Checked in the order the services have always checked: the state, then whose
    action it is, then what else the action needs; the first that fails answers
    (a submission lists everything it lacks at once).
    """
    project, stage = standing.project, standing.stage
    try:
        workflow.check_transition(project, action)
    except WorkflowError as error:
        return Refusal(Stands.STATE, (error.message,))
    if not can_take(user, project, stage, action):
        if action == Action.SUBMIT:
            reason = _("Only the unit's submitters may submit this project.")
        elif action == Action.WITHDRAW:
            reason = _("Only the unit's submitters may withdraw this project.")
        else:
            reason = _("You may not decide on this project at its current stage.")
        return Refusal(Stands.PERSON, (reason,))
    reasons = _what_is_missing(standing, action)
    return Refusal(Stands.CONDITION, tuple(reasons)) if reasons else None


# The decisions that move a project on (issue #20: finance's need the codes).
DECIDING = (Action.PASS, Action.APPROVE)


def _what_is_missing(standing: Standing, action: Action) -> list[str]:
    if action == Action.SUBMIT:
        return _missing_for_submission(standing)
    if action == Action.WITHDRAW:
        review = standing.review
        if review is None or not review.awaiting_first_decision:
            return [
                _("A reviewer has already decided on this project; it can no longer be withdrawn.")
            ]
        return []
    # A decision: can_take has made sure there is a stage and it is this user's.
    stage = standing.stage
    assert stage is not None
    missing = []
    if action == Action.PASS and stage.is_final:
        missing.append(_("This is the final stage: approve the budget instead."))
    elif action == Action.PASS and stage.role == Role.DEPARTMENT_APPROVER:
        missing.extend(_over_figure(standing))
    elif action == Action.PASS and not workflow.next_stage(
        standing.stages, standing.project, stage
    ):
        missing.append(_("There is no later stage to pass the project to."))
    elif action == Action.APPROVE and not stage.is_final:
        missing.append(_("Only the final stage approves; pass the project on instead."))
    elif action == Action.APPROVE and not _approvable_in_round(standing):
        missing.append(
            _(
                "Final approval comes after the year's last round; this project was "
                "submitted in %(round)s, whose review ends in control figures."
            )
            % {"round": standing.review.round.name}  # type: ignore[union-attr]
        )
    # Issue #20: finance passes or approves only with the year's classification codes.
    missing += missing_codes_to_pass(standing.project, stage.role, action in DECIDING)
    return missing


def _approvable_in_round(standing: Standing) -> bool:
    """Projects of the year's last submission round (or of a year before rounds) are
    approved; those of an earlier round wait at the final stage for the next round."""
    review = standing.review
    if review is None or review.round_id is None:
        return True
    round_ = next((r for r in standing.rounds if r.pk == review.round_id), None)
    return round_ is None or rounds.is_last_submission(round_, standing.rounds)


# --- The same rule as a query (the batch approval list) -----------------------------------


def approvable_reviews(reviews: QuerySet[Review]) -> QuerySet[Review]:
    """The queryset twin of ``_approvable_in_round``: the reviews among ``reviews`` of
    the year's last submission round (or of no round). A review of an earlier round
    (一上 before 二上) waits for the next round, not for approval: no submission round
    of its year comes after its own. One ``NOT EXISTS``, whatever the number of rows."""
    # Joined from the review's own round id (no join in the outer query, so a review
    # without a round stays in) to the rounds of its year.
    later_submission = BudgetRound.objects.filter(
        cycle__rounds__pk=OuterRef("round_id"),
        kind=RoundKind.SUBMISSION,
        order__gt=F("cycle__rounds__order"),
    )
    return reviews.filter(~Exists(later_submission))


def _over_figure(standing: Standing, *, submitting: bool = False) -> list[str]:
    """The refusal when counting the project would take its unit over the control figure
    in a round bound by figures (``budgeting.enforcement``); nothing otherwise."""
    round_ = standing.open_round
    if round_ is None or not rounds.bound_by_figures(round_, standing.rounds):
        return []
    review = standing.review
    if not submitting and review is not None and review.round_id not in (None, round_.pk):
        return []  # a request of an earlier round waits for it, not for the figure
    excess = enforcement.excess_over_figure(standing.project, round_)
    return [excess.message()] if excess else []


def _missing_for_submission(standing: Standing) -> list[str]:
    """An open window of the budget year's cycle and a complete request, every reason at
    once; then a first stage for the project in that cycle."""
    project, cycle = standing.project, standing.submission_cycle
    problems = list(standing.missing_for_submission)
    if cycle is None:
        problems.insert(
            0, _("There is no budget cycle for %(year)s.") % {"year": project.budget_year}
        )
    elif not cycle.accepts_submissions():
        problems.insert(0, _("The submission window of %(cycle)s is not open.") % {"cycle": cycle})
    elif not _submission_round_open(standing):
        round_ = standing.open_round
        problems.insert(
            0,
            _("%(cycle)s is in %(round)s: no submissions now.")
            % {"cycle": cycle, "round": round_.name if round_ else _("no open round")},
        )
    else:
        problems.extend(_over_figure(standing, submitting=True))
    if not problems and workflow.next_stage(standing.submission_stages, project, None) is None:
        problems.append(_("The cycle has no review stage for this project."))
    return problems


def _submission_round_open(standing: Standing) -> bool:
    """A submission round (上) is open, within its own window if it has one."""
    round_ = standing.open_round
    if round_ is None or round_.kind != RoundKind.SUBMISSION:
        return False
    now = timezone.now()
    return (round_.opens_at is None or round_.opens_at <= now) and (
        round_.closes_at is None or now <= round_.closes_at
    )


def available_actions(
    project: Project, user: AnyUser, *, standing: Standing | None = None
) -> list[Action]:
    """The workflow actions ``user`` may take on ``project`` now, as the review page
    offers them; exactly those the services accept (given a current version and, where
    one is needed, a reason). Pass ``standing`` when the project's review is at hand."""
    standing = standing or Standing.of(project)
    return [action for action in OFFERED_ORDER if refusal(standing, user, action) is None]


def check(standing: Standing, user: AnyUser, action: Action) -> workflow.Transition:
    """The services' side of ``available_actions``: the transition, or WorkflowError
    with the reason the action is refused."""
    refused = refusal(standing, user, action)
    if refused is not None:
        raise WorkflowError(refused.message)
    return workflow.TRANSITIONS[action]


def amount_refusal(standing: Standing, user: AnyUser) -> str | None:
    """Why ``user`` may not set a line's approved amount now, or None if they may: only
    while the project is in review, by the current stage's reviewers, at a stage whose
    reviewers may change amounts."""
    if standing.project.state != ProjectState.IN_REVIEW:
        return _("Amounts change only while the project is in review.")
    stage = standing.stage
    if stage is None or not can_decide_at(user, standing.project, stage):
        return _("You may not decide on this project at its current stage.")
    if not stage.may_change_amounts:
        return _("Reviewers at this stage do not change amounts.")
    return None


# --- Scopes: which reviews, batches and control figures each user sees ------------------


def cycles_of_unit(unit_id: int) -> QuerySet[BudgetCycle]:
    """The cycles of a unit's jurisdiction: "the cycle of year N" for a project or a
    unit is ``cycles_of_unit(unit).filter(year=N)`` (issue #18: each jurisdiction runs
    its own years, rounds, stages, control figures and batches)."""
    return BudgetCycle.objects.filter(jurisdiction_id=jurisdiction_of_unit(unit_id))


def cycles_visible_to(user: AnyUser) -> QuerySet[BudgetCycle]:
    """The cycles of the user's jurisdiction: the ones whose rounds, figures and batches
    the user's pages show and finance manages; none for an anonymous user."""
    member = active_user(user)
    if member is None:
        return BudgetCycle.objects.none()
    return cycles_of_unit(member.organization_id)


FINANCE_ROLES = frozenset({Role.FINANCE_REVIEWER, Role.FINANCE_APPROVER})


def reviews_decided_by(user: AnyUser) -> QuerySet[Review]:
    """The reviews standing at a stage this user decides, whatever the project's state
    (the queryset twin of ``can_decide_at``), among the projects the user may see."""
    member = active_user(user)
    if member is None:
        return Review.objects.none()
    at_my_stage = Q(stage__role__in=set(member.roles) - {Role.DEPARTMENT_APPROVER}) | (
        Q(stage__role=Role.DEPARTMENT_APPROVER) & approval_scope(member, "project__organization")
    )
    reviews = Review.objects.filter(at_my_stage)
    visible = project_scope_on(member, "project")  # on the joined project: no subquery
    return reviews if visible is None else reviews.filter(visible)


def stages_decided_by(user: AnyUser) -> QuerySet[ReviewStage]:
    """The review stages whose reviewers include this user (by role), for the queues'
    stage filter; which of their projects the user decides is ``reviews_decided_by``'s."""
    member = active_user(user)
    if member is None:
        return ReviewStage.objects.none()
    return ReviewStage.objects.filter(
        role__in=set(member.roles), cycle__in=cycles_visible_to(member)
    )


def deciders_at(project: Project, stage: ReviewStage) -> QuerySet[User]:
    """The active users who decide on ``project`` at ``stage`` (the user twin of
    ``can_decide_at``): the stage's role, and for the department review the approvers
    of the project's primary unit."""
    if stage.role == Role.DEPARTMENT_APPROVER:
        return approvers_for_unit(project.organization)
    return User.objects.filter(
        is_active=True,
        roles__contains=[stage.role],
        organization__jurisdiction_id=jurisdiction_of_unit(project.organization_id),
    )


def projects_submittable_by(user: AnyUser) -> QuerySet[Project]:
    """The projects whose requests this user submits and withdraws (the queryset twin
    of ``can_submit``): a submitter's active unit and its secondary units."""
    return projects_visible_to(user).filter(submission_scope(user))


def can_approve_batches(user: AnyUser) -> bool:
    """Finance approvers give the final approval, one project or a batch at a time."""
    return has_role(user, Role.FINANCE_APPROVER)


def batches_visible_to(user: AnyUser) -> QuerySet[ApprovalBatch]:
    """The approval batches the user may open: every batch of their jurisdiction's cycles
    for the finance approvers."""
    if not can_approve_batches(user):
        return ApprovalBatch.objects.none()
    return ApprovalBatch.objects.filter(cycle__in=cycles_visible_to(user))


def get_batch_for_user(user: AnyUser, public_id: str) -> ApprovalBatch:
    """The batch with this public id if the user may see it; 404 otherwise."""
    return get_object_or_404(
        batches_visible_to(user).select_related("approved_by"), public_id=public_id
    )


def sees_every_control_figure(user: AnyUser) -> bool:
    """Finance, which sets the control figures, and system admins see every unit's;
    the data administration's reviewers none."""
    member = active_user(user)
    if member is None or Role.DATA_REVIEWER in member.roles:
        return False
    return bool(FINANCE_ROLES.intersection(member.roles)) or is_system_admin(member)


def control_figure_units(user: AnyUser) -> QuerySet[Organization]:
    """The units whose control figure (and totals against it) the user sees: every
    department's primary unit for finance and admins; their own unit for a primary
    department's staff; none for a secondary unit's staff (the figure covers sibling
    units they may not see) nor for the reviewing bodies' other staff."""
    member = active_user(user)
    if member is None:
        return Organization.objects.none()
    departments = Organization.objects.filter(
        level=UnitLevel.PRIMARY, is_finance_department=False, is_data_administration=False
    )
    if sees_every_control_figure(member):
        return departments.filter(jurisdiction_scope(member, ""))
    return departments.filter(pk=member.organization_id)


def can_manage_rounds(user: AnyUser) -> bool:
    """Finance opens and closes a year's rounds and issues its control figures."""
    member = active_user(user)
    return member is not None and bool(FINANCE_ROLES.intersection(member.roles))


def can_manage_cycle(user: AnyUser, cycle: BudgetCycle) -> bool:
    """Finance manages the rounds and figures of its own jurisdiction's cycles only."""
    return can_manage_rounds(user) and cycle.jurisdiction_id == jurisdiction_id_of(user)


def can_allow_excess(user: AnyUser, standing: Standing) -> bool:
    """Finance may let a request of the open round bound by figures exceed its unit's
    figure (``round_changes.allow_excess`` decides again, under lock)."""
    if not sees_every_control_figure(user) or standing.project.state in (
        ProjectState.APPROVED,
        ProjectState.CLOSED,
        ProjectState.REJECTED,
    ):
        return False
    round_ = standing.open_round
    return round_ is not None and rounds.bound_by_figures(round_, standing.rounds)


# --- Single-source procurement batches (issue #17) -------------------------------------------


def can_handle_procurement(user: AnyUser) -> bool:
    """Finance (its reviewers and approvers) makes and approves the single-source
    procurement batches; units see their own projects' procurement state only."""
    member = active_user(user)
    return member is not None and bool(FINANCE_ROLES.intersection(member.roles))


def procurement_batches_visible_to(user: AnyUser) -> QuerySet[ProcurementBatch]:
    """Every procurement batch of their jurisdiction for finance; none for anyone else."""
    member = active_user(user)
    if member is None or not can_handle_procurement(member):
        return ProcurementBatch.objects.none()
    return ProcurementBatch.objects.filter(
        jurisdiction_id=jurisdiction_of_unit(member.organization_id)
    )


def get_procurement_batch_for_user(user: AnyUser, public_id: str) -> ProcurementBatch:
    """The procurement batch with this public id if the user may see it; 404 otherwise."""
    return get_object_or_404(
        procurement_batches_visible_to(user).select_related("created_by", "approved_by"),
        public_id=public_id,
    )
