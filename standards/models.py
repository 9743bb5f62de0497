"""The budget standards catalogue (预算编制规范和标准): versioned sets of fee
categories, service items and their grades.

A set is edited while it is a draft, then published and never changed again
(the services refuse, and so do database triggers, migrations 0002 and 0003). A new
version starts as a copy. A city or county set names a provincial ``base``:
it holds only the items it overrides and inherits the rest (see ``catalogue``).
"""

from decimal import Decimal
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import province_pk
from standards.pricing import Method, PricingError, validate_parameters

CODE_VALIDATOR = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$",
    _("Use up to 32 letters, digits, dots, dashes or underscores; start with a letter or digit."),
)
# Path segments of the standards pages that a set's code must not shadow.
RESERVED_CODES = frozenset({"compare"})
# Province -> city -> county: a derived set's base may itself be derived, once.
MAX_LINEAGE = 3
# Yearly O&M asked for a system above this share of its construction cost is flagged
# (issue #19); a set-level figure, as each standard may set its own.
DEFAULT_MAX_OM_SHARE = Decimal("15.00")


class SetStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class ProjectKind(models.TextChoices):
    """The project kinds an item applies to; ``projects`` classifies projects by the same values."""

    CONSTRUCTION = "construction", _("Construction")
    OPERATION = "operation", _("Operation and maintenance")


class Unit(models.TextChoices):
    """Units of measure (计量单位). The stored value is the Chinese unit the standards print."""

    PERSON_MONTH = "人月", _("person-month")
    PERSON_YEAR = "人年", _("person-year")
    PERSON_DAY = "人天", _("person-day")
    FUNCTION_POINT = "功能点", _("function point")
    DEVICE_YEAR = "台·年", _("device-year")
    CORE_YEAR = "核·年", _("core-year")
    TB_YEAR = "TB·年", _("TB-year")
    TIME = "次", _("time")
    ITEM = "项", _("item")
    SET = "套", _("set")
    SYSTEM_YEAR = "系统·年", _("system-year")
    YEAR = "年", _("year")


class StandardSet(models.Model):
    """One version of a standard, e.g. 广东省省级政务信息化服务预算编制标准 2019 试行."""

    code = models.CharField(
        _("code"), max_length=32, unique=True, validators=[CODE_VALIDATOR],
        help_text=_("Public code of this version, e.g. GD-2019."),
    )  # fmt: skip
    name = models.CharField(_("name"), max_length=200)
    region = models.CharField(_("issuing region"), max_length=100)
    jurisdiction = models.ForeignKey(
        "accounts.Jurisdiction",
        verbose_name=_("jurisdiction"),
        on_delete=models.PROTECT,
        default=province_pk,
        related_name="standard_sets",
        help_text=_("Whose projects this standard prices: the province, a city or a county."),
    )
    version_label = models.CharField(
        _("version"), max_length=50, help_text=_("As the document prints it, e.g. 2019 试行.")
    )
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=SetStatus.choices, default=SetStatus.DRAFT
    )
    base = models.ForeignKey(
        "self",
        verbose_name=_("based on"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="derived_sets",
        help_text=_("For a city or county standard: the standard it inherits from."),
    )
    previous_version = models.ForeignKey(
        "self",
        verbose_name=_("previous version"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next_versions",
    )
    max_om_share = models.DecimalField(
        _("largest yearly O&M, per cent of construction cost"),
        max_digits=5,
        decimal_places=2,
        default=DEFAULT_MAX_OM_SHARE,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
        help_text=_(
            "Yearly O&M requested for an information system above this share of its "
            "construction cost is flagged for the reviewers."
        ),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)

    class Meta:
        verbose_name = _("standard version")
        verbose_name_plural = _("standard versions")
        ordering = ["-effective_from", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                name="standardset_effective_window",
                violation_error_message=_("The end of the effective period precedes its start."),
            ),
            models.CheckConstraint(condition=~Q(base=F("pk")), name="standardset_base_not_itself"),
            models.CheckConstraint(
                condition=Q(max_om_share__gt=0) & Q(max_om_share__lte=100),
                name="standardset_max_om_share_range",
                violation_error_message=_("The largest O&M share is more than 0 and at most 100."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.version_label})"

    @property
    def is_draft(self) -> bool:
        return self.status == SetStatus.DRAFT

    def clean(self) -> None:
        if self.code.lower() in RESERVED_CODES:
            raise ValidationError({"code": _("This code is reserved; choose another.")})
        if self.base_id is not None:
            depth, ancestor = 1, self.base
            while ancestor is not None:
                if ancestor.pk == self.pk:
                    raise ValidationError({"base": _("A standard cannot be based on itself.")})
                depth += 1
                ancestor = ancestor.base
            if depth > MAX_LINEAGE:
                raise ValidationError(
                    {"base": _("Only a province, a city and a county level are supported.")}
                )


class FeeCategory(models.Model):
    """A fee class (费用类别, e.g. 软件开发服务费) or a sub-class under it."""

    standard_set = models.ForeignKey(
        StandardSet,
        verbose_name=_("standard version"),
        on_delete=models.CASCADE,
        related_name="categories",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent class"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
    )
    code = models.CharField(_("code"), max_length=32, validators=[CODE_VALIDATOR])
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("fee class")
        verbose_name_plural = _("fee classes")
        ordering = ["standard_set", "position", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["standard_set", "code"],
                name="feecategory_code_unique_in_set",
                violation_error_message=_("This code is already used in this standard."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        if self.parent_id is not None and self.parent is not None:
            if self.parent.standard_set_id != self.standard_set_id:
                raise ValidationError(
                    {"parent": _("The parent class belongs to another standard.")}
                )
            if self.parent.parent_id is not None:
                raise ValidationError({"parent": _("Fee classes have two levels at most.")})


class Derivation(models.TextChoices):
    """How an item of a city or county standard relates to the standard it derives from."""

    OWN = "", _("Own item")  # a provincial (not derived) standard's item
    OVERRIDE = "override", _("Override")  # replaces the base's item of the same code
    LOCAL = "local", _("Local item")  # a code the base does not have


class ServiceItem(models.Model):
    """A service item (服务内容) and how it is priced."""

    standard_set = models.ForeignKey(
        StandardSet,
        verbose_name=_("standard version"),
        on_delete=models.CASCADE,
        related_name="items",
    )
    category = models.ForeignKey(
        FeeCategory, verbose_name=_("fee class"), on_delete=models.PROTECT, related_name="items"
    )
    code = models.CharField(_("code"), max_length=32, validators=[CODE_VALIDATOR])
    name = models.CharField(_("name"), max_length=200)
    unit = models.CharField(_("unit of measure"), max_length=16, choices=Unit.choices)
    project_kinds = ArrayField(
        models.CharField(max_length=16, choices=ProjectKind.choices),
        verbose_name=_("applies to"),
        default=list,
        blank=True,
        help_text=_("Project kinds this item may price; empty means all."),
    )
    description = models.TextField(_("description"), blank=True)
    basis = models.TextField(
        _("basis"), blank=True, help_text=_("The clause or document the figures come from.")
    )
    pricing_method = models.CharField(_("pricing method"), max_length=32, choices=Method.choices)
    parameters = models.JSONField(
        _("method parameters"),
        default=dict,
        blank=True,
        help_text=_('Numbers as strings, e.g. {"rate_max": "0.30"}.'),
    )
    position = models.PositiveIntegerField(_("order"), default=0)
    derivation = models.CharField(
        _("derivation"), max_length=16, choices=Derivation.choices, default="", blank=True
    )
    derivation_reason = models.TextField(
        _("reason"),
        blank=True,
        help_text=_("Why a city or county standard overrides or adds this item."),
    )

    class Meta:
        verbose_name = _("service item")
        verbose_name_plural = _("service items")
        ordering = ["standard_set", "position", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["standard_set", "code"],
                name="serviceitem_code_unique_in_set",
                violation_error_message=_("This code is already used in this standard."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def project_kind_labels(self) -> list[str]:
        return [str(ProjectKind(kind).label) for kind in self.project_kinds]

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        try:
            validate_parameters(self.pricing_method, self.parameters)
        except PricingError as error:
            errors["parameters"] = error.message
        unknown = set(self.project_kinds) - set(ProjectKind.values)
        if unknown:
            errors["project_kinds"] = _("Unknown project kind: %s") % ", ".join(sorted(unknown))
        if self.category_id is not None and self.standard_set_id is not None:
            lineage = set_lineage_ids(self.standard_set)
            if self.category.standard_set_id not in lineage:
                errors["category"] = _("The fee class belongs to another standard.")
        if errors:
            raise ValidationError(errors)


class Grade(models.Model):
    """A grade (等次) of an item: its unit price or coefficient and the allowed range."""

    item = models.ForeignKey(
        ServiceItem, verbose_name=_("service item"), on_delete=models.CASCADE, related_name="grades"
    )
    code = models.CharField(_("code"), max_length=32, validators=[CODE_VALIDATOR])
    name = models.CharField(_("name"), max_length=100)
    unit_price = models.DecimalField(
        _("unit price (yuan)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    coefficient = models.DecimalField(
        _("coefficient"),
        max_digits=8,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    range_min = models.DecimalField(
        _("allowed minimum"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    range_max = models.DecimalField(
        _("allowed maximum"),
        max_digits=14,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_(
            "The range applies to the coefficient, or to the unit price if no coefficient."
        ),
    )
    position = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("grade")
        verbose_name_plural = _("grades")
        ordering = ["item", "position", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "code"],
                name="grade_code_unique_in_item",
                violation_error_message=_("This grade code is already used for this item."),
            ),
            models.CheckConstraint(
                condition=Q(unit_price__isnull=False) | Q(coefficient__isnull=False),
                name="grade_has_price_or_coefficient",
                violation_error_message=_("Give a unit price or a coefficient."),
            ),
            models.CheckConstraint(
                condition=Q(unit_price__isnull=True) | Q(unit_price__gte=0),
                name="grade_price_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(range_min__isnull=True)
                | Q(range_max__isnull=True)
                | Q(range_min__lte=F("range_max")),
                name="grade_range_ordered",
                violation_error_message=_("The allowed minimum exceeds the maximum."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def ranged_value(self) -> Decimal | None:
        """The figure the allowed range applies to."""
        return self.coefficient if self.coefficient is not None else self.unit_price

    def clean(self) -> None:
        value = self.ranged_value
        if value is None:
            return
        if (self.range_min is not None and value < self.range_min) or (
            self.range_max is not None and value > self.range_max
        ):
            raise ValidationError(_("The coefficient or price lies outside the allowed range."))


class RetiredItem(models.Model):
    """An item a city or county standard does not price although its base does (废止)."""

    standard_set = models.ForeignKey(
        StandardSet,
        verbose_name=_("standard version"),
        on_delete=models.CASCADE,
        related_name="retired_items",
    )
    code = models.CharField(_("item code"), max_length=32, validators=[CODE_VALIDATOR])
    reason = models.TextField(_("reason"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("retired item")
        verbose_name_plural = _("retired items")
        ordering = ["standard_set", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["standard_set", "code"],
                name="retireditem_code_unique_in_set",
                violation_error_message=_("This item is already retired in this standard."),
            )
        ]

    def __str__(self) -> str:
        return self.code


def set_lineage_ids(standard_set: StandardSet) -> list[int]:
    """The set's id and those of the sets it inherits from, nearest first."""
    ids: list[int] = []
    current: StandardSet | None = standard_set
    while current is not None and len(ids) < MAX_LINEAGE:
        ids.append(current.pk)
        current = current.base
    return ids
