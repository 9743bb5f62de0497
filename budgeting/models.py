"""Budget cycles and the multi-stage review that joins departments, the data
administration and the finance department.

The stages of a cycle are data (``ReviewStage``), so admins can change them
for a new cycle; the states and the transitions between them are code
(``budgeting.workflow``), one table in one place.
"""

import uuid
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Organization, Role, province_pk
from projects.models import Project, money_field


class CycleState(models.TextChoices):
    PREPARING = "preparing", _("Preparing")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
    ARCHIVED = "archived", _("Archived")


class BudgetCycle(models.Model):
    """A budget year's submission round (预算年度 / 编报批次)."""

    year = models.PositiveSmallIntegerField(_("budget year"))
    # Each jurisdiction runs its own years (issue #18); a single-jurisdiction install's
    # are the province's.
    jurisdiction = models.ForeignKey(
        "accounts.Jurisdiction",
        verbose_name=_("jurisdiction"),
        on_delete=models.PROTECT,
        default=province_pk,
        related_name="cycles",
    )
    name = models.CharField(_("name"), max_length=100)
    opens_at = models.DateTimeField(_("submission opens"))
    closes_at = models.DateTimeField(_("submission closes"))
    state = models.CharField(
        _("state"), max_length=20, choices=CycleState.choices, default=CycleState.PREPARING
    )

    class Meta:
        verbose_name = _("budget cycle")
        verbose_name_plural = _("budget cycles")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="cycle_window_in_order"
            ),
            models.UniqueConstraint(
                fields=["jurisdiction", "year"],
                name="one_cycle_per_year_and_jurisdiction",
                violation_error_message=_("This jurisdiction has a cycle for that year already."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def accepts_submissions(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.state == CycleState.OPEN and self.opens_at <= now <= self.closes_at


class RoundKind(models.TextChoices):
    SUBMISSION = "submission", _("Submission (上)")
    ISSUE = "issue", _("Issue (下)")


class RoundState(models.TextChoices):
    PENDING = "pending", _("Not yet open")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class BudgetRound(models.Model):
    """One round of a budget year (一上, 一下, 二上, 二下): departments submit in a
    submission round (上); finance issues in an issue round (下) the control figures, or,
    after the last submission round, the approval. Rounds are data: a year of "三上三下"
    or of a single round is configured, not coded (``budgeting.rounds`` reads them)."""

    cycle = models.ForeignKey(BudgetCycle, on_delete=models.CASCADE, related_name="rounds")
    order = models.PositiveSmallIntegerField(_("order"))
    code = models.SlugField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=50)
    kind = models.CharField(_("kind"), max_length=20, choices=RoundKind.choices)
    state = models.CharField(
        _("state"), max_length=20, choices=RoundState.choices, default=RoundState.PENDING
    )
    opens_at = models.DateTimeField(_("opens"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes"), null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("budget round")
        verbose_name_plural = _("budget rounds")
        ordering = ["cycle", "order"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "order"], name="one_round_per_position"),
            models.UniqueConstraint(fields=["cycle", "code"], name="round_code_unique_in_cycle"),
            # At most one round of a year is open at a time: the year's "now".
            models.UniqueConstraint(
                fields=["cycle"], condition=Q(state="open"), name="one_open_round_per_cycle"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cycle.year} {self.name}"


class StageCondition(models.TextChoices):
    ALWAYS = "always", _("Every project")
    MANAGED_BY_DATA_ADMIN = "managed", _("Only projects managed by the data administration")


# Names of the default stages in the user's language; a stage an admin adds
# under another code shows the name it was given.
DEFAULT_STAGE_LABELS = {
    "department": _("Department review"),
    "technical": _("Technical review"),
    "finance": _("Finance review"),
    "final": _("Final approval"),
}


class ReviewStage(models.Model):
    """One stage of a cycle's review: who decides, for which projects, with what powers."""

    cycle = models.ForeignKey(BudgetCycle, on_delete=models.CASCADE, related_name="stages")
    order = models.PositiveSmallIntegerField(_("order"))
    code = models.SlugField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=100)
    role = models.CharField(_("reviewer role"), max_length=32, choices=Role.choices)
    condition = models.CharField(
        _("applies to"),
        max_length=20,
        choices=StageCondition.choices,
        default=StageCondition.ALWAYS,
    )
    may_change_amounts = models.BooleanField(_("reviewers may change amounts"), default=False)
    is_final = models.BooleanField(
        _("final approval"), default=False, help_text=_("Passing this stage approves the budget.")
    )

    class Meta:
        verbose_name = _("review stage")
        verbose_name_plural = _("review stages")
        ordering = ["cycle", "order"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "order"], name="one_stage_per_position"),
            models.UniqueConstraint(fields=["cycle", "code"], name="stage_code_unique_in_cycle"),
        ]

    def __str__(self) -> str:
        return str(DEFAULT_STAGE_LABELS.get(self.code, self.name))

    def applies_to(self, project: Project) -> bool:
        if self.condition == StageCondition.MANAGED_BY_DATA_ADMIN:
            return project.managed_by_data_admin
        return True


class Review(models.Model):
    """Where a project stands in its cycle's review. Written only by ``budgeting.services``."""

    project = models.OneToOneField(Project, on_delete=models.PROTECT, related_name="review")
    cycle = models.ForeignKey(BudgetCycle, on_delete=models.PROTECT, related_name="reviews")
    stage = models.ForeignKey(
        ReviewStage, on_delete=models.PROTECT, null=True, blank=True, related_name="reviews"
    )
    # When the project reached its current stage: "My tasks" is oldest first by it.
    stage_entered_at = models.DateTimeField(null=True, blank=True, db_index=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # True until a reviewer decides at the stage the project was submitted to;
    # only then may the submitter still withdraw it.
    awaiting_first_decision = models.BooleanField(default=False)
    submissions = models.PositiveSmallIntegerField(default=0)
    # The submission round of the latest submission (一上, 二上, ...).
    round = models.ForeignKey(
        BudgetRound, on_delete=models.PROTECT, null=True, blank=True, related_name="reviews"
    )
    batch = models.ForeignKey(
        "ApprovalBatch", on_delete=models.PROTECT, null=True, blank=True, related_name="reviews"
    )

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")

    def __str__(self) -> str:
        return f"{self.project.code} @ {self.stage or '-'}"


class ControlFigure(models.Model):
    """The ceiling (控制数) finance issues to a primary unit in a cycle; in a submission
    round after it is issued, the unit's requests may not exceed it."""

    cycle = models.ForeignKey(BudgetCycle, on_delete=models.CASCADE, related_name="control_figures")
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="control_figures"
    )
    amount = money_field(_("control figure (yuan)"))
    # Optional split where finance wants one: of the amount, for construction (建设) and
    # for operation (运维).
    construction_amount = money_field(_("of which construction"), null=True, blank=True)
    operation_amount = money_field(_("of which operation"), null=True, blank=True)
    issued_round = models.ForeignKey(
        BudgetRound, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    issued_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("control figure")
        verbose_name_plural = _("control figures")
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "organization"], name="one_control_figure_per_unit"
            )
        ]

    def __str__(self) -> str:
        return f"{self.cycle}: {self.organization} {self.amount}"


class ApprovalBatch(models.Model):
    """Projects given final approval together (批次批复), e.g. "2027年第一批"."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    cycle = models.ForeignKey(BudgetCycle, on_delete=models.PROTECT, related_name="batches")
    name = models.CharField(_("batch name"), max_length=100)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(default=timezone.now)
    round = models.ForeignKey(
        BudgetRound, on_delete=models.PROTECT, null=True, blank=True, related_name="batches"
    )
    document_number = models.CharField(
        _("approval document number (批复文号)"), max_length=100, blank=True
    )

    class Meta:
        verbose_name = _("approval batch")
        verbose_name_plural = _("approval batches")
        ordering = ["-approved_at"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "name"], name="batch_name_unique_in_cycle")
        ]

    def __str__(self) -> str:
        return self.name


class CutReason(models.TextChoices):
    OVER_STANDARD = "over_standard", _("Above the standard")
    DUPLICATE = "duplicate", _("Duplicate construction")
    WORKLOAD_HIGH = "workload_high", _("Workload too high")
    UNNECESSARY = "unnecessary", _("Not necessary")
    OTHER = "other", _("Other")


class LineDecision(models.Model):
    """The amount a stage's reviewer approves for one estimate line (审核数), with the
    reason for a cut. One per line and stage; the latest stage's figure is the line's."""

    line = models.ForeignKey(
        "projects.EstimateLine", on_delete=models.CASCADE, related_name="decisions"
    )
    stage = models.ForeignKey(ReviewStage, on_delete=models.PROTECT, related_name="+")
    approved_amount = money_field(_("approved amount"))
    reason = models.CharField(_("cut reason"), max_length=20, choices=CutReason.choices, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("line decision")
        verbose_name_plural = _("line decisions")
        constraints = [
            models.UniqueConstraint(
                fields=["line", "stage"], name="one_decision_per_line_and_stage"
            ),
            models.CheckConstraint(
                condition=Q(approved_amount__gte=0), name="line_decision_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.line_id}@{self.stage_id}: {self.approved_amount}"


class FigureDraft(models.Model):
    """A what-if scenario for the control figures, kept until finance issues one: a change
    of the base (the units' reviewed requests) by a percentage, operation (运维) kept whole
    or not, and units whose figure is fixed. Nothing of it binds until issued."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    cycle = models.ForeignKey(BudgetCycle, on_delete=models.CASCADE, related_name="figure_drafts")
    name = models.CharField(_("draft name"), max_length=100)
    change_percent = models.DecimalField(
        _("change of the total (%)"), max_digits=6, decimal_places=2, default=Decimal("0")
    )
    keep_operation_whole = models.BooleanField(_("keep operation (运维) whole"), default=False)
    # {unit code: amount as a string}: figures finance typed or uploaded, kept as they are.
    fixed = models.JSONField(_("fixed figures"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)
    issued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("control figure draft")
        verbose_name_plural = _("control figure drafts")
        ordering = ["cycle", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "name"], name="figure_draft_name_unique"),
            models.CheckConstraint(
                condition=Q(change_percent__gte=-100) & Q(change_percent__lte=1000),
                name="figure_draft_change_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ExcessAllowance(models.Model):
    """Finance's leave for one project to exceed its unit's control figure in a round,
    with the reason, kept in the history."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    round = models.ForeignKey(BudgetRound, on_delete=models.CASCADE, related_name="+")
    reason = models.TextField(_("reason"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("allowance over the control figure")
        verbose_name_plural = _("allowances over the control figure")
        constraints = [
            models.UniqueConstraint(fields=["project", "round"], name="one_allowance_per_round")
        ]

    def __str__(self) -> str:
        return f"{self.project_id}@{self.round_id}"


class RoundResult(models.Model):
    """A project's figures when its submission round ended and the next began: what it
    requested and what the reviewers made of it (一上申报数, 一上审核数), and its lines
    then, for the next round's diff and the summary's round columns."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="round_results")
    round = models.ForeignKey(BudgetRound, on_delete=models.PROTECT, related_name="results")
    requested_amount = money_field(_("requested"))
    reviewed_amount = money_field(_("reviewed"), null=True, blank=True)
    state = models.CharField(max_length=20)
    lines = models.JSONField(default=list)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "round"], name="one_result_per_round")
        ]
        indexes = [models.Index(fields=["round", "project"])]

    def __str__(self) -> str:
        return f"{self.project_id}@{self.round_id}: {self.requested_amount}"


class ProcurementBatchState(models.TextChoices):
    DRAFT = "draft", _("Being prepared")
    APPROVED = "approved", pgettext_lazy("procurement", "Approved")


class ProcurementBatch(models.Model):
    """Single-source procurement approved together (单一来源采购方式批复), e.g.
    "2027年第一批 单一来源采购方式": approved budget projects of one year whose method is
    单一来源. Made and approved by finance through ``budgeting.procurement``."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    year = models.PositiveSmallIntegerField(_("budget year"))
    # The finance of one jurisdiction makes it, for that jurisdiction's projects.
    jurisdiction = models.ForeignKey(
        "accounts.Jurisdiction",
        verbose_name=_("jurisdiction"),
        on_delete=models.PROTECT,
        default=province_pk,
        related_name="+",
    )
    name = models.CharField(_("batch name"), max_length=100)
    document_number = models.CharField(
        _("approval document number (批复文号)"), max_length=100, blank=True
    )
    state = models.CharField(
        _("state"),
        max_length=20,
        choices=ProcurementBatchState.choices,
        default=ProcurementBatchState.DRAFT,
    )
    # Every change bumps it; a page carries the version it showed, so of two finance
    # users approving at once one wins and the other is told.
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("single-source procurement batch")
        verbose_name_plural = _("single-source procurement batches")
        ordering = ["-year", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["jurisdiction", "year", "name"],
                name="procurement_batch_name_unique_in_year",
            )
        ]

    def __str__(self) -> str:
        return self.name


class ProcurementApproval(models.Model):
    """One project in a procurement batch, with the supplier and amount it was added
    with. Withdrawn (never deleted once approved) when the project's method or supplier
    changes; a project has at most one approval that is not withdrawn."""

    batch = models.ForeignKey(ProcurementBatch, on_delete=models.PROTECT, related_name="items")
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="+")
    supplier = models.CharField(_("supplier"), max_length=200)
    amount = money_field(_("approved budget (yuan)"))
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("single-source procurement approval")
        verbose_name_plural = _("single-source procurement approvals")
        constraints = [
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(withdrawn_at__isnull=True),
                name="one_live_procurement_approval_per_project",
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="procurement_approval_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["batch", "project"])]

    def __str__(self) -> str:
        return f"{self.batch_id}: {self.project_id}"
