"""The IT inventory survey (摸清底数): what each budget unit already runs.

A survey campaign (``SurveyCampaign``) is opened for a year by the data
administration or finance, with a deadline and the units it covers; each unit
gets one ``UnitSurvey``, which it fills (in the browser or from the survey
workbook) and submits, and which a reviewer returns with a reason or accepts.
The inventory rows (systems, devices, cloud resources, IT staff) belong to the
unit's survey of that year, so each year's baseline stays as it was submitted.

Money columns are ``standards.fields.money_field``, as on projects, and every
amount passes ``standards.pricing.check_amount`` in the services and the workbook reader.
"""

import datetime
import uuid
from typing import Any

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Jurisdiction, Organization, province_pk
from standards.fields import money_field


class CampaignState(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class SurveyCampaign(models.Model):
    """One year's survey of a jurisdiction (the province's, a city's or a county's: each
    runs its own, issue #18): the units it covers get a ``UnitSurvey`` each."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    year = models.PositiveSmallIntegerField(_("survey year"))
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        verbose_name=_("jurisdiction"),
        on_delete=models.PROTECT,
        default=province_pk,
        related_name="+",
    )
    title = models.CharField(_("title"), max_length=200)
    deadline = models.DateField(_("deadline"))
    state = models.CharField(
        _("state"), max_length=16, choices=CampaignState.choices, default=CampaignState.OPEN
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    opened_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("inventory survey")
        verbose_name_plural = _("inventory surveys")
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "jurisdiction"],
                name="one_survey_per_year_and_jurisdiction",
                violation_error_message=_("There is already a survey for this year."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.title}"


class SurveyState(models.TextChoices):
    DRAFT = "draft", _("Being filled in")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned for correction")
    ACCEPTED = "accepted", _("Accepted")


# A unit changes its rows while it holds the survey; reviewers read the others.
EDITABLE_SURVEY_STATES = frozenset({SurveyState.DRAFT, SurveyState.RETURNED})
# What counts as the unit's reported inventory (operation budgets, duplicate checks).
REPORTED_STATES = (SurveyState.SUBMITTED, SurveyState.ACCEPTED)


class UnitSurvey(models.Model):
    """One unit's answer to a campaign."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    campaign = models.ForeignKey(SurveyCampaign, on_delete=models.PROTECT, related_name="surveys")
    organization = models.ForeignKey(
        Organization, verbose_name=_("budget unit"), on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(
        _("state"), max_length=16, choices=SurveyState.choices, default=SurveyState.DRAFT
    )
    return_reason = models.TextField(_("reason for the return"), blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    # Optimistic concurrency, as on projects: every change of rows or state moves it.
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("unit inventory")
        verbose_name_plural = _("unit inventories")
        ordering = ["campaign", "organization__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "organization"], name="one_survey_per_unit_and_campaign"
            ),
            models.CheckConstraint(
                condition=~Q(state=SurveyState.RETURNED) | ~Q(return_reason=""),
                name="returned_survey_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign.year} {self.organization.name}"

    @property
    def key(self) -> str:
        """The history's key of the survey: year and unit code (2026-EDU)."""
        return f"{self.campaign.year}-{self.organization.code}"

    @property
    def state_label(self) -> str:
        return str(SurveyState(self.state).label)

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_SURVEY_STATES

    def is_late_on(self, day: datetime.date) -> bool:
        """Past the campaign's deadline and not submitted (a returned one is late too)."""
        return self.state in EDITABLE_SURVEY_STATES and day > self.campaign.deadline


class Hosting(models.TextChoices):
    GOV_CLOUD = "gov_cloud", _("Government cloud (政务云)")
    OWN_ROOM = "own_room", _("Own machine room")


class SecurityLevel(models.IntegerChoices):
    LEVEL_1 = 1, _("Level 1")
    LEVEL_2 = 2, _("Level 2")
    LEVEL_3 = 3, _("Level 3")
    LEVEL_4 = 4, _("Level 4")


class SystemStatus(models.TextChoices):
    LIVE = "live", _("Live")
    BEING_REPLACED = "being_replaced", _("Being replaced")
    RETIRED = "retired", _("Retired")


class InventoryRow(models.Model):
    survey = models.ForeignKey(UnitSurvey, on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True


class InformationSystem(InventoryRow):
    """An information system (信息系统) the unit runs, ran or is replacing."""

    survey = models.ForeignKey(UnitSurvey, on_delete=models.CASCADE, related_name="systems")
    name = models.CharField(_("system name"), max_length=200)
    purpose = models.TextField(_("purpose"), blank=True)
    built_by_project_code = models.CharField(
        _("built by project (code)"), max_length=40, blank=True
    )
    built_year = models.PositiveSmallIntegerField(
        _("year built"), validators=[MinValueValidator(1950), MaxValueValidator(2100)]
    )
    construction_cost = money_field(_("construction cost (yuan)"))
    yearly_om_cost = money_field(_("yearly O&M cost (yuan)"))
    users = models.PositiveIntegerField(_("users"))
    hosting = models.CharField(_("hosting"), max_length=16, choices=Hosting.choices)
    security_level = models.PositiveSmallIntegerField(
        _("security protection level (等保)"), choices=SecurityLevel.choices
    )
    status = models.CharField(_("status"), max_length=16, choices=SystemStatus.choices)

    class Meta:
        verbose_name = _("information system")
        verbose_name_plural = _("information systems")
        ordering = ["name", "id"]
        indexes = [
            GinIndex(fields=["name"], opclasses=["gin_trgm_ops"], name="inventory_system_name_trgm")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(construction_cost__gte=0) & Q(yearly_om_cost__gte=0),
                name="system_costs_not_negative",
                violation_error_message=_(
                    "The construction cost and the yearly O&M cost cannot be negative."
                ),
            )
        ]

    def __str__(self) -> str:
        return self.name


class DeviceType(models.TextChoices):
    SERVER = "server", _("Server")
    STORAGE = "storage", _("Storage")
    NETWORK = "network", _("Network equipment")
    SECURITY = "security", _("Security equipment")
    TERMINAL = "terminal", _("Terminal")
    OTHER = "other", _("Other")


# A device's dates within the years a system may be built in (``built_year``): 9999-12-31
# or year 1 is a typing slip, which would count as in (or out of) warranty for ever.
FIRST_DAY = datetime.date(1950, 1, 1)
LAST_DAY = datetime.date(2100, 12, 31)


def _day_validators() -> list[Any]:
    return [MinValueValidator(FIRST_DAY), MaxValueValidator(LAST_DAY)]


class Device(InventoryRow):
    """Hardware: one row per kind of device bought together (type, quantity, value)."""

    survey = models.ForeignKey(UnitSurvey, on_delete=models.CASCADE, related_name="devices")
    device_type = models.CharField(_("device type"), max_length=16, choices=DeviceType.choices)
    name = models.CharField(_("device"), max_length=200)
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    original_value = money_field(_("original value (yuan)"))
    purchase_date = models.DateField(_("purchase date"), validators=_day_validators())
    warranty_end = models.DateField(
        _("warranty end"), null=True, blank=True, validators=_day_validators()
    )

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        ordering = ["device_type", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(original_value__gte=0),
                name="device_value_not_negative",
                violation_error_message=_("The original value cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1),
                name="device_quantity_positive",
                violation_error_message=_("The quantity is at least 1."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def out_of_warranty_on(self, day: Any) -> bool:
        """No warranty recorded counts as out of warranty: someone must maintain it."""
        return self.warranty_end is None or self.warranty_end < day


class CloudResource(InventoryRow):
    """Resources allocated to the unit on the government cloud."""

    survey = models.ForeignKey(UnitSurvey, on_delete=models.CASCADE, related_name="cloud")
    name = models.CharField(_("allocation"), max_length=200)
    cores = models.PositiveIntegerField(_("cores"))
    memory_gb = models.PositiveIntegerField(_("memory (GB)"))
    storage_tb = models.DecimalField(
        _("storage (TB)"), max_digits=10, decimal_places=2, validators=[MinValueValidator(0)]
    )

    class Meta:
        verbose_name = _("cloud resource")
        verbose_name_plural = _("cloud resources")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(storage_tb__gte=0),
                name="cloud_storage_not_negative",
                violation_error_message=_("The storage cannot be negative."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class Employment(models.TextChoices):
    IN_HOUSE = "in_house", _("In-house")
    OUTSOURCED = "outsourced", _("Outsourced")


class StaffRole(models.TextChoices):
    MANAGEMENT = "management", _("IT management")
    DEVELOPMENT = "development", _("Development")
    OPERATION = "operation", _("Operation and maintenance")
    SECURITY = "security", _("Security")
    OTHER = "other", _("Other")


class ITStaff(InventoryRow):
    """How many people work on IT, by employment and role."""

    survey = models.ForeignKey(UnitSurvey, on_delete=models.CASCADE, related_name="staff")
    employment = models.CharField(_("employment"), max_length=16, choices=Employment.choices)
    role = models.CharField(_("role"), max_length=16, choices=StaffRole.choices)
    count = models.PositiveIntegerField(_("people"))

    class Meta:
        verbose_name = _("IT staff")
        verbose_name_plural = _("IT staff")
        ordering = ["employment", "role", "id"]

    def __str__(self) -> str:
        return f"{self.get_employment_display()} {self.get_role_display()} {self.count}"
