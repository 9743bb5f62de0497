"""IT projects (政务信息化项目): registration, classification, targets, attachments."""

import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization, Role
from accounts.validators import validate_phone
from classification.models import ClassificationCode, CodeKind

# One definition of the kinds: a standard item says which kinds it may price.
from standards.catalogue import priced_by
from standards.fields import money_field
from standards.models import ProjectKind

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from projects.inventory_lines import BasisSummary
    from projects.quantities import UnusualQuantity


def _code_field(verbose_name: "StrOrPromise", kind: CodeKind) -> models.ForeignKey[Any, Any]:
    return models.ForeignKey(
        ClassificationCode,
        verbose_name=verbose_name,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": kind},
    )


class Continuity(models.TextChoices):
    NEW = "new", _("New")
    CONTINUING = "continuing", _("Continuing")


class BudgetCategory(models.TextChoices):
    OPERATING = "operating", _("Operating expenditure")
    SPECIFIC_PURPOSE = "specific_purpose", _("Specific-purpose project")


class ProcurementMethod(models.TextChoices):
    PUBLIC_TENDER = "public_tender", _("Public tender")
    INVITED_TENDER = "invited_tender", _("Invited tender")
    COMPETITIVE_NEGOTIATION = "competitive_negotiation", _("Competitive negotiation")
    COMPETITIVE_CONSULTATION = "competitive_consultation", _("Competitive consultation")
    PRICE_INQUIRY = "price_inquiry", _("Price inquiry")
    SINGLE_SOURCE = "single_source", _("Single source")
    FRAMEWORK_AGREEMENT = "framework_agreement", _("Framework agreement")


class SingleSourceReason(models.TextChoices):
    """The grounds for single-source procurement (政府采购法 第三十一条)."""

    ONLY_SUPPLIER = "only_supplier", _("Only one supplier can provide it")
    EMERGENCY = "emergency", _("An unforeseeable emergency leaves no other supplier")
    CONSISTENCY = (
        "consistency",
        _("Consistency with, or service of, an earlier procurement from the same supplier"),
    )


class ProjectState(models.TextChoices):
    """The states of a request; the transitions between them belong to the workflow."""

    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    RETURNED = "returned", _("Returned for revision")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    # In the unit's project library (项目库) without a budget year, until declared for one.
    RESERVE = "reserve", _("Reserve")
    # Executed and finished (结项): its final figures are kept, no more contracts or payments.
    CLOSED = "closed", _("Closed out")


EDITABLE_STATES = frozenset({ProjectState.DRAFT, ProjectState.RETURNED, ProjectState.RESERVE})
# The one rule for which projects count toward a year's requested and approved totals
# (control figures, the budget summary, the review waterfall and cuts, the list's
# "counted" filter they drill down to): submitted and still asking for money. A draft
# is not submitted yet; a withdrawn or rejected project asks for nothing. A returned
# project still counts: it is being revised, not dropped.
# Approved (批复), whether still executed or closed since (结项): what approved totals,
# quotas and last year's figures count.
APPROVED_STATES = (ProjectState.APPROVED, ProjectState.CLOSED)
# A closed project was approved and spent its money: it still counts.
COUNTED_STATES = (
    ProjectState.IN_REVIEW,
    ProjectState.RETURNED,
    ProjectState.APPROVED,
    ProjectState.CLOSED,
)


class Project(models.Model):
    code = models.CharField(_("project code"), max_length=40, unique=True, editable=False)
    name = models.CharField(_("project name"), max_length=200)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("budget unit"),
        on_delete=models.PROTECT,
        related_name="projects",
    )
    # None exactly for a project in the reserve (a database constraint): no budget-year
    # list, queue, total or report counts it until it is declared for a year.
    budget_year = models.PositiveSmallIntegerField(_("budget year"), null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=ProjectKind.choices)
    continuity = models.CharField(_("new or continuing"), max_length=20, choices=Continuity.choices)
    predecessor = models.ForeignKey(
        "self",
        verbose_name=_("earlier project"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="successors",
    )
    managed_by_data_admin = models.BooleanField(
        _("managed by the data administration"),
        help_text=_("Projects under its management pass its technical review."),
    )
    budget_category = models.CharField(
        _("budget project category"), max_length=20, choices=BudgetCategory.choices
    )
    procurement_method = models.CharField(
        _("procurement method"), max_length=30, choices=ProcurementMethod.choices
    )
    # A single-source project's justification (issue #17): the ground, the reasons in
    # words and the supplier it proposes; required to submit (projects.procurement).
    single_source_reason = models.CharField(
        _("single-source ground"), max_length=20, choices=SingleSourceReason.choices, blank=True
    )
    single_source_justification = models.TextField(_("single-source justification"), blank=True)
    proposed_supplier = models.CharField(_("proposed supplier"), max_length=200, blank=True)
    start_year = models.PositiveSmallIntegerField(_("start year"))
    end_year = models.PositiveSmallIntegerField(_("end year"))
    background = models.TextField(_("background and necessity"))
    content = models.TextField(_("content"))
    expected_results = models.TextField(_("expected results"))
    contact_name = models.CharField(_("contact person"), max_length=50)
    contact_phone = models.CharField(_("contact phone"), max_length=30, validators=[validate_phone])
    state = models.CharField(
        _("state"), max_length=20, choices=ProjectState.choices, default=ProjectState.DRAFT
    )
    # Declared from the project library (the reserve, or an earlier year's project continued).
    declared_from_library = models.BooleanField(default=False, editable=False)
    plan_deviation_reason = models.TextField(
        _("reason the request differs from the plan"), blank=True
    )
    # Optimistic concurrency: every save increments it, a form carries the
    # version it was loaded at, and a save from a stale form is refused.
    version = models.PositiveIntegerField(default=1, editable=False)
    requested_amount = money_field(_("requested amount"), default=Decimal("0.00"), editable=False)
    approved_amount = money_field(_("approved amount"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    # The finance core system's codes (issue #20), from the code lists of the budget year;
    # finance passes the project only with them once the year's lists exist
    # (classification.rules).
    functional_code = _code_field(_("functional classification"), CodeKind.FUNCTIONAL)
    economic_government_code = _code_field(
        _("economic classification (government)"), CodeKind.ECONOMIC_GOVERNMENT
    )
    economic_department_code = _code_field(
        _("economic classification (department)"), CodeKind.ECONOMIC_DEPARTMENT
    )
    fund_type_code = _code_field(_("fund type"), CodeKind.FUND_TYPE)
    fund_source_code = _code_field(_("fund source"), CodeKind.FUND_SOURCE)
    # The roles of every review stage the project has ever reached, added by budgeting's
    # services as it enters a stage and never taken away. A reviewing body sees the
    # project from the first time it reached one of its stages, after a return or a
    # withdrawal too; what never left its department stays there (projects.permissions).
    reached_roles = ArrayField(
        models.CharField(max_length=32, choices=Role.choices),
        verbose_name=_("review stages reached"),
        default=list,
        blank=True,
        editable=False,
    )

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["-budget_year", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_year__gte=F("start_year")), name="project_period_in_order"
            ),
            models.CheckConstraint(
                condition=(Q(continuity=Continuity.CONTINUING) & Q(predecessor__isnull=False))
                | (Q(continuity=Continuity.NEW) & Q(predecessor__isnull=True)),
                name="project_continuing_has_predecessor",
            ),
            models.CheckConstraint(
                condition=(Q(state="reserve") & Q(budget_year__isnull=True))
                | (~Q(state="reserve") & Q(budget_year__isnull=False)),
                name="project_reserve_has_no_year",
            ),
        ]
        indexes = [
            models.Index(fields=["budget_year", "organization", "state"]),
            models.Index(fields=["state"]),
            # The list's default order (newest change first), walked backwards.
            models.Index(fields=["updated_at", "code"], name="project_updated_code"),
            GinIndex(fields=["name"], opclasses=["gin_trgm_ops"], name="project_name_trgm"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    # The list shows these on every row; get_FOO_display() rebuilds a hashable copy
    # of the choices on each call, which cost the list page about a tenth of its time.
    @property
    def kind_label(self) -> str:
        return str(ProjectKind(self.kind).label)

    @property
    def continuity_label(self) -> str:
        return str(Continuity(self.continuity).label)

    @property
    def state_label(self) -> str:
        return str(ProjectState(self.state).label)

    @property
    def is_editable_state(self) -> bool:
        return self.state in EDITABLE_STATES

    @property
    def in_reserve(self) -> bool:
        return self.state == ProjectState.RESERVE

    def plan_for(self, year: int | None) -> "Decimal | None":
        """The three-year plan's figure for ``year``, if the plan has one."""
        return next((plan.amount for plan in self.year_plans.all() if plan.year == year), None)

    @property
    def differs_from_plan(self) -> bool:
        """The budget year's request is not that year's plan figure (a plan to compare
        with, and a year: a reserve project asks for nothing yet)."""
        planned = self.plan_for(self.budget_year)
        return planned is not None and planned != self.requested_amount

    @property
    def needs_plan_reason(self) -> bool:
        """The one rule of the plan (issue #17): a year's request that differs from that
        year's plan figure needs a reason (``plan_deviation_reason``), whether the project
        came from the library or was registered straight into the year. Checked at
        submission (``projects.readiness.submission_problems``)."""
        return self.differs_from_plan


class ProjectCodeCounter(models.Model):
    """The last sequence number used for a unit's projects in a year (2027-EDU-0042)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    budget_year = models.PositiveSmallIntegerField()
    last_sequence = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "budget_year"], name="one_counter_per_unit_and_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.budget_year}-{self.organization_id}: {self.last_sequence}"


class YearPlan(models.Model):
    """One year of the rolling three-year plan of amounts."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="year_plans")
    year = models.PositiveSmallIntegerField(_("year"))
    amount = money_field(_("planned amount (yuan)"), validators=[MinValueValidator(Decimal("0"))])

    class Meta:
        ordering = ["year"]
        constraints = [
            models.UniqueConstraint(fields=["project", "year"], name="one_plan_per_project_year")
        ]

    def __str__(self) -> str:
        return f"{self.year}: {self.amount}"


class TargetTier(models.TextChoices):
    OUTPUT = "output", _("Output")
    BENEFIT = "benefit", _("Benefit")
    SATISFACTION = "satisfaction", _("Satisfaction")


class TargetIndicator(models.TextChoices):
    QUANTITY = "quantity", _("Quantity")
    QUALITY = "quality", _("Quality")
    TIMELINESS = "timeliness", _("Timeliness")
    COST = "cost", _("Cost")
    ECONOMIC = "economic", _("Economic")
    SOCIAL = "social", _("Social")
    ECOLOGICAL = "ecological", _("Ecological")
    SUSTAINABLE = "sustainable", _("Sustainable")
    SERVICE_USERS = "service_users", _("Satisfaction of service users")


INDICATORS_BY_TIER = {
    TargetTier.OUTPUT: [
        TargetIndicator.QUANTITY,
        TargetIndicator.QUALITY,
        TargetIndicator.TIMELINESS,
        TargetIndicator.COST,
    ],
    TargetTier.BENEFIT: [
        TargetIndicator.ECONOMIC,
        TargetIndicator.SOCIAL,
        TargetIndicator.ECOLOGICAL,
        TargetIndicator.SUSTAINABLE,
    ],
    TargetTier.SATISFACTION: [TargetIndicator.SERVICE_USERS],
}


class PerformanceTarget(models.Model):
    """A performance target (绩效目标): tier, second-level indicator, name, value, unit."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="targets")
    tier = models.CharField(_("tier"), max_length=20, choices=TargetTier.choices)
    indicator = models.CharField(_("indicator"), max_length=20, choices=TargetIndicator.choices)
    name = models.CharField(_("indicator name"), max_length=200)
    target_value = models.CharField(_("target value"), max_length=100)
    unit = models.CharField(_("unit"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("performance target")
        verbose_name_plural = _("performance targets")
        # The order of the 绩效目标表: output, then benefit, then satisfaction.
        ordering = [
            models.Case(
                models.When(tier="output", then=0),
                models.When(tier="benefit", then=1),
                default=2,
            ).asc(),
            "id",
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.target_value}{self.unit}"


class AttachmentKind(models.TextChoices):
    FEASIBILITY_STUDY = "feasibility_study", _("Feasibility study report")
    IMPLEMENTATION_PLAN = "implementation_plan", _("Construction or implementation plan")
    PERFORMANCE_FORM = "performance_form", _("Performance target form")
    APPLICATION_FORM = "application_form", _("Project application form")
    OTHER = "other", _("Other")


class Attachment(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="attachments")
    kind = models.CharField(_("document"), max_length=30, choices=AttachmentKind.choices)
    file = models.FileField(_("file"), upload_to="attachments/%Y/")
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(max_length=100)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    # Attachments are never deleted (they are evidence of what was submitted); removing
    # one from a draft hides it.
    is_removed = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["kind", "uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


class EstimateLine(models.Model):
    """One line of the detailed budget (预算明细), priced by a standard item or, with a
    written justification, without one (non-standard).

    Everything the price depends on is frozen on the line when it is priced: the
    standard version, the item's method and parameters and the grade's figures, so
    a later standard never changes a line silently.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=0)
    fee_class = models.CharField(_("fee class"), max_length=100)
    standard_set = models.ForeignKey(
        "standards.StandardSet", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    item = models.ForeignKey(
        "standards.ServiceItem", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    item_code = models.CharField(_("item code"), max_length=32, blank=True)
    name = models.CharField(_("content"), max_length=200)
    unit = models.CharField(_("unit of measure"), max_length=16, blank=True)
    pricing_method = models.CharField(max_length=32, blank=True)
    parameters = models.JSONField(default=dict, blank=True)
    grade_code = models.CharField(_("grade"), max_length=32, blank=True)
    grade_name = models.CharField(max_length=100, blank=True)
    grade_figures = models.JSONField(default=dict, blank=True)
    inputs = models.JSONField(default=dict, blank=True)
    amount = money_field(_("requested amount"))
    explanation_zh = models.TextField(blank=True)
    explanation_en = models.TextField(blank=True)
    is_non_standard = models.BooleanField(_("non-standard"), default=False)
    is_above_standard = models.BooleanField(_("above the standard"), default=False)
    is_out_of_range = models.BooleanField(_("outside the allowed range"), default=False)
    justification = models.TextField(_("justification"), blank=True)

    class Meta:
        verbose_name = _("estimate line")
        verbose_name_plural = _("estimate lines")
        ordering = ["position", "id"]
        # Unusual quantities compare a line with the same item's lines in other projects.
        indexes = [models.Index(fields=["item_code", "unit"], name="line_item_code_unit")]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="estimate_line_amount_not_negative"
            ),
            # A flagged line always carries its reason.
            models.CheckConstraint(
                condition=(
                    Q(is_non_standard=False) & Q(is_above_standard=False) & Q(is_out_of_range=False)
                )
                | ~Q(justification=""),
                name="flagged_line_is_justified",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_code} {self.name} {self.amount}"

    def explanation(self, language: str) -> str:
        return self.explanation_en if language.startswith("en") else self.explanation_zh

    @property
    def priced_by(self) -> str:
        """Which standard priced the line and at which level its item is set (load
        ``catalogue.PRICED_BY_RELATED`` with the lines)."""
        return priced_by(self.standard_set, self.item)

    # Set by projects.quantities.mark_unusual where a page judges quantities.
    unusual_quantity: "UnusualQuantity | None" = None
    # Set by projects.inventory_lines.attach_bases: the inventory rows behind the line,
    # or, for a hardware O&M base typed by hand, (typed, the inventory's) when they differ.
    inventory_basis: "BasisSummary | None" = None
    inventory_mismatch: tuple[Decimal, Decimal] | None = None

    @property
    def flag_labels(self) -> list[str]:
        """Why reviewers should look at this line, as the labels they read."""
        labels = [str(label) for name, label in LINE_FLAGS if getattr(self, name)]
        if self.unusual_quantity is not None:
            unusual = self.unusual_quantity
            labels.append(
                _(
                    "Unusual quantity: %(quantity)s, where the %(peers)s other projects "
                    "asking for this item have a median of %(median)s"
                )
                % {
                    "quantity": f"{unusual.quantity.normalize():f}",
                    "peers": unusual.peers,
                    "median": f"{unusual.median.normalize():f}",
                }
            )
        if self.inventory_mismatch is not None:
            typed, inventory = self.inventory_mismatch
            labels.append(
                _(
                    "Base typed as %(typed)s yuan, where the unit's inventory lists devices "
                    "out of warranty worth %(inventory)s yuan"
                )
                % {"typed": f"{typed:,.2f}", "inventory": f"{inventory:,.2f}"}
            )
        return labels


# Each flag a line can carry, with the label reviewers and clerks see.
LINE_FLAGS = (
    ("is_non_standard", _("Non-standard")),
    ("is_above_standard", _("Above the standard")),
    ("is_out_of_range", _("Outside the allowed range")),
)


class PendingImport(models.Model):
    """An uploaded estimate template, read and priced once, waiting for its uploader to
    apply it (``projects.pending_imports``). Each upload has its own row under a random
    token, so previews opened side by side in several tabs all stay.

    ``lines`` holds what the preview shows and what applying re-prices (each line's
    spec and its priced fields); ``problems`` every error by row and column. The file
    itself is not kept: nothing reads it again.
    """

    token = models.CharField(max_length=64, unique=True)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The project's version at upload: applying is refused once it changed.
    version = models.PositiveIntegerField()
    # The code of the standard in force at upload ("" if none was).
    standard_code = models.CharField(max_length=32, blank=True)
    name = models.CharField(max_length=200, blank=True)
    lines = models.JSONField(default=list)
    problems = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"], name="pending_import_user_newest")]

    def __str__(self) -> str:
        return f"{self.project_id} {self.name}"


def _inventory_link(model: str) -> models.ForeignKey:
    """A basis's link to an inventory row: emptied by PostgreSQL when the row goes."""
    return models.ForeignKey(
        model,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )


class LineBasis(models.Model):
    """One inventory row an estimate line was generated from ("从资产清单生成明细"),
    with the figures its amount rests on, frozen as they were: the row may change or
    go with the unit's next survey (the link then empties, the figures stay).

    The links empty in the database itself (``ON DELETE SET NULL``, migration 0010),
    not in Django (``DO_NOTHING``): so replacing a unit's 20,000 devices is one DELETE,
    with no query of the lines, and ``inventory`` needs to know nothing of them."""

    line = models.ForeignKey(EstimateLine, on_delete=models.CASCADE, related_name="bases")
    device = _inventory_link("inventory.Device")
    system = _inventory_link("inventory.InformationSystem")
    cloud = _inventory_link("inventory.CloudResource")
    staff = _inventory_link("inventory.ITStaff")
    label = models.CharField(_("inventory row"), max_length=200)
    quantity = models.DecimalField(
        _("quantity"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    original_value = money_field(_("original value (yuan)"), null=True, blank=True)
    warranty_end = models.DateField(_("warranty end"), null=True, blank=True)

    class Meta:
        verbose_name = _("basis of a line")
        verbose_name_plural = _("bases of lines")
        ordering = ["line", "id"]

    def __str__(self) -> str:
        return self.label
