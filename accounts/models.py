"""Budget units (预算单位) and the people who work in them."""

from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import connection, models
from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.validators import validate_phone


class UnitLevel(models.TextChoices):
    PRIMARY = "primary", _("Primary budget unit")
    SECONDARY = "secondary", _("Secondary budget unit")


class AdministrativeLevel(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    COUNTY = "county", _("County")


# The province an install starts with: every unit and standard of a single-jurisdiction
# install belongs to it (migration 0003 puts today's units under it).
PROVINCE_CODE = "GD"
PROVINCE_NAME = "广东省"


class Jurisdiction(models.Model):
    """An administrative division (行政区划) with its own finance department, data
    administration, budget units, cycles and reviewers: the province, a city under it,
    or a county under a city."""

    code = models.CharField(
        _("code"),
        max_length=16,
        unique=True,
        validators=[
            RegexValidator(
                r"^[A-Z][A-Z0-9-]{1,15}$",
                _("Use 2 to 16 capital letters, digits or hyphens, starting with a letter."),
            )
        ],
        help_text=_("Short code, e.g. GD for the province, GD-GZ for Guangzhou."),
    )
    name = models.CharField(_("name"), max_length=100, unique=True)
    level = models.CharField(
        _("administrative level"), max_length=16, choices=AdministrativeLevel.choices
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("above it"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )

    class Meta:
        verbose_name = _("jurisdiction")
        verbose_name_plural = _("jurisdictions")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(level=AdministrativeLevel.PROVINCE) & Q(parent__isnull=True))
                | (~Q(level=AdministrativeLevel.PROVINCE) & Q(parent__isnull=False)),
                name="jurisdiction_parent_matches_level",
                violation_error_message=_(
                    "The province has nothing above it; a city or county has a jurisdiction "
                    "above it."
                ),
            ),
            models.UniqueConstraint(
                fields=["level"],
                condition=Q(level=AdministrativeLevel.PROVINCE),
                name="jurisdiction_one_province",
                violation_error_message=_("There is one province."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


def province_pk() -> int:
    """The province's key, made on first use: the default jurisdiction of a unit or a
    standard, so a single-jurisdiction install never has to name it.

    Plain SQL on the columns migration 0003 made, because migrations call it too, when
    the model may already have fields their tables do not."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_jurisdiction (code, name, level) VALUES (%s, %s, %s) "
            "ON CONFLICT DO NOTHING",
            [PROVINCE_CODE, PROVINCE_NAME, AdministrativeLevel.PROVINCE.value],
        )
        cursor.execute(
            "SELECT id FROM accounts_jurisdiction WHERE level = %s",
            [AdministrativeLevel.PROVINCE.value],
        )
        return cursor.fetchone()[0]


class Organization(models.Model):
    """A budget unit. Primary units report to the finance department; secondary units
    sit under one primary unit, which answers for them."""

    code = models.CharField(
        _("code"),
        max_length=16,
        unique=True,
        validators=[
            RegexValidator(
                r"^[A-Z][A-Z0-9]{1,15}$",
                _("Use 2 to 16 capital letters or digits, starting with a letter."),
            )
        ],
        help_text=_("Short code used in project codes, e.g. EDU."),
    )
    name = models.CharField(_("name"), max_length=100, unique=True)
    level = models.CharField(_("unit level"), max_length=16, choices=UnitLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("primary unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="secondary_units",
    )
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        verbose_name=_("jurisdiction"),
        on_delete=models.PROTECT,
        default=province_pk,
        related_name="units",
    )
    administrative_level = models.CharField(
        _("administrative level"),
        max_length=16,
        choices=AdministrativeLevel.choices,
        default=AdministrativeLevel.PROVINCE,
    )
    is_finance_department = models.BooleanField(
        _("finance department"),
        default=False,
        help_text=_("The finance department (财政厅) reviews and approves budgets."),
    )
    is_data_administration = models.BooleanField(
        _("data administration"),
        default=False,
        help_text=_(
            "The data administration (政务服务数据管理局) gives the technical review "
            "of projects under its management."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("budget unit")
        verbose_name_plural = _("budget units")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(level=UnitLevel.PRIMARY) & Q(parent__isnull=True))
                | (Q(level=UnitLevel.SECONDARY) & Q(parent__isnull=False)),
                name="organization_parent_matches_level",
                violation_error_message=_(
                    "A primary unit has no parent; a secondary unit has a primary unit."
                ),
            ),
            models.CheckConstraint(
                condition=Q(level=UnitLevel.PRIMARY)
                | (Q(is_finance_department=False) & Q(is_data_administration=False)),
                name="organization_reviewing_bodies_are_primary",
                violation_error_message=_("Reviewing bodies must be primary units."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str | Promise] = {}
        if self.level == UnitLevel.PRIMARY and self.parent_id:
            errors["parent"] = _("A primary unit cannot have a primary unit above it.")
        if self.level == UnitLevel.SECONDARY:
            if not self.parent_id:
                errors["parent"] = _("Choose the primary unit this secondary unit belongs to.")
            elif self.parent and self.parent.level != UnitLevel.PRIMARY:
                errors["parent"] = _("The parent must be a primary unit.")
            if self.is_finance_department or self.is_data_administration:
                errors["level"] = _("Reviewing bodies must be primary units.")
        if errors:
            raise ValidationError(errors)

    @property
    def primary_unit_id(self) -> int:
        """The primary unit that answers for this unit: itself, or its parent."""
        return self.parent_id if self.parent_id else self.pk


class Role(models.TextChoices):
    SUBMITTER = "submitter", _("Submitter")
    DEPARTMENT_APPROVER = "department_approver", _("Department approver")
    DATA_REVIEWER = "data_reviewer", _("Data-administration reviewer")
    FINANCE_REVIEWER = "finance_reviewer", _("Finance reviewer")
    FINANCE_APPROVER = "finance_approver", _("Finance approver")
    SYSTEM_ADMIN = "system_admin", _("System administrator")


class BudgetUserManager(UserManager["User"]):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("roles", [Role.SYSTEM_ADMIN])
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A person in one budget unit, holding one or more roles.

    ``is_staff`` and ``is_superuser`` follow the system-admin role, so the
    role list is the one place that says who may use Django admin.
    """

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("budget unit"),
        on_delete=models.PROTECT,
        related_name="users",
    )
    roles = ArrayField(
        models.CharField(max_length=32, choices=Role.choices),
        verbose_name=_("roles"),
        default=list,
        blank=True,
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True, validators=[validate_phone])

    REQUIRED_FIELDS = ["email", "organization"]
    objects: ClassVar[BudgetUserManager] = BudgetUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        indexes = [GinIndex(fields=["roles"], name="user_roles_gin")]

    def save(self, *args, **kwargs):
        self.roles = sorted(set(self.roles))
        self.is_staff = self.is_superuser = Role.SYSTEM_ADMIN in self.roles
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "roles" in update_fields:
            kwargs["update_fields"] = {*update_fields, "is_staff", "is_superuser"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        unknown = set(self.roles) - set(Role.values)
        if unknown:
            raise ValidationError({"roles": _("Unknown role: %s") % ", ".join(sorted(unknown))})
        if not self.organization_id:
            return
        org = self.organization
        if Role.DATA_REVIEWER in self.roles and not org.is_data_administration:
            raise ValidationError(
                {
                    "roles": _(
                        "Data-administration reviewers must belong to the data administration."
                    )
                }
            )
        finance_roles = {Role.FINANCE_REVIEWER, Role.FINANCE_APPROVER}
        if finance_roles & set(self.roles) and not org.is_finance_department:
            raise ValidationError(
                {
                    "roles": _(
                        "Finance reviewers and approvers must belong to the finance department."
                    )
                }
            )

    def get_full_name(self) -> str:
        """Chinese names read family name first, with no space (李明); others "Ada Lovelace"."""
        if _is_cjk(self.last_name) or _is_cjk(self.first_name):
            return f"{self.last_name}{self.first_name}".strip()
        return super().get_full_name()

    def role_labels(self) -> list[str]:
        return [str(Role(role).label) for role in self.roles]


def _is_cjk(text: str) -> bool:
    return any("\u4e00" <= character <= "\u9fff" for character in text)
