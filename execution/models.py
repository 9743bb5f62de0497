"""Budget execution (执行): the treasury's contracts and payments of approved projects.

Each row carries the treasury's own reference, unique, so a batch sent twice finds
its rows already there and changes nothing (``execution.services.record_batch``).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Jurisdiction, province_pk
from projects.models import Project, money_field


class TreasuryRecord(models.Model):
    """What a contract and a payment share: the treasury's reference, who
    typed it in (None: the treasury's batch) and, when it takes the project past the
    approved amount, why (``execution.limits``)."""

    # Unique by a constraint (not ``unique=True``, which adds a second, pattern index that
    # no query uses) and no index on who recorded it: a treasury file writes a hundred
    # thousand rows, each index is paid for on every one (docs/performance.md).
    reference = models.CharField(_("treasury reference"), max_length=64)
    # The database's default too: the treasury file's COPY leaves the column out (its
    # transaction's time), sparing PostgreSQL a timestamp's text on each of its rows.
    recorded_at = models.DateTimeField(default=timezone.now, db_default=Now(), editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    over_approval_reason = models.TextField(
        _("reason for exceeding the approved amount"), blank=True
    )

    class Meta:
        abstract = True


class Contract(TreasuryRecord):
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="contracts")
    supplier = models.CharField(_("supplier"), max_length=200)
    amount = money_field(_("contract amount"))
    signed_on = models.DateField(_("signed on"))

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["signed_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="contract_amount_positive"),
            models.UniqueConstraint(fields=["reference"], name="contract_reference_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.supplier} {self.amount}"


class Payment(TreasuryRecord):
    # The treasury's reference is the key (execution 0007): unique and never changed (a
    # payment is recorded, never edited), it spares a treasury file's hundred thousand
    # rows the id's sequence and a second unique index (docs/performance.md, "floor").
    reference = models.CharField(_("treasury reference"), max_length=64, primary_key=True)
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="payments")
    # Indexed only where set (``payment_contract``): most payments have no contract, and a
    # treasury file's hundred thousand would each add a NULL entry no query looks for
    # (every lookup by contract is "= a contract", which the partial index serves).
    contract = models.ForeignKey(
        Contract,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        db_index=False,
    )
    amount = money_field(_("amount paid"))
    paid_on = models.DateField(_("paid on"))

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["paid_on", "reference"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]
        indexes = [
            models.Index(
                fields=["contract"], condition=Q(contract__isnull=False), name="payment_contract"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount}"


class ExecutionTarget(models.Model):
    """Finance's target for a budget year: by ``due_on``, every approved project of the
    year should have paid at least ``rate`` % of its approved amount (e.g. 50 % by
    30 September); the dashboard lists those below it. One per year and jurisdiction:
    each jurisdiction's finance sets its own (issue #18)."""

    year = models.PositiveSmallIntegerField(_("budget year"))
    jurisdiction = models.ForeignKey(
        Jurisdiction,
        verbose_name=_("jurisdiction"),
        on_delete=models.PROTECT,
        default=province_pk,
        related_name="+",
    )
    rate = models.DecimalField(_("target execution rate (%)"), max_digits=5, decimal_places=2)
    due_on = models.DateField(_("by"))
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("execution target")
        verbose_name_plural = _("execution targets")
        constraints = [
            models.CheckConstraint(
                condition=Q(rate__gt=0) & Q(rate__lte=100), name="execution_target_rate_range"
            ),
            models.UniqueConstraint(
                fields=["year", "jurisdiction"],
                name="one_execution_target_per_year_and_jurisdiction",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}: {self.rate}% / {self.due_on}"


class CarryOverState(models.TextChoices):
    # In their own context: "Requested" elsewhere is the requested amount (申报数).
    REQUESTED = "requested", pgettext_lazy("carry-over", "Requested")
    APPROVED = "approved", pgettext_lazy("carry-over", "Approved")
    REFUSED = "refused", pgettext_lazy("carry-over", "Refused")


class CarryOver(models.Model):
    """A request to carry an approved project's unspent amount (approved − paid) over
    to the next budget year (结转): the unit asks with a reason, finance decides. One
    per project; a refused one may be asked again (the same row, its history kept)."""

    project = models.OneToOneField(Project, on_delete=models.PROTECT, related_name="carry_over")
    amount = money_field(_("amount carried over"))
    to_year = models.PositiveSmallIntegerField(_("carried over to"))
    reason = models.TextField(_("reason"))
    state = models.CharField(
        _("state"), max_length=20, choices=CarryOverState.choices, default=CarryOverState.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("carry-over")
        verbose_name_plural = _("carry-overs")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="carry_over_amount_positive")
        ]

    def __str__(self) -> str:
        return f"{self.project_id} → {self.to_year}: {self.amount}"


class Closure(models.Model):
    """A finished project's final figures (结项), frozen when it was closed."""

    project = models.OneToOneField(Project, on_delete=models.PROTECT, related_name="closure")
    approved = money_field(_("approved amount"))
    contracted = money_field(_("contracted"))
    paid = money_field(_("paid"))
    carried_over = money_field(_("carried over"))
    comment = models.TextField(_("comment"), blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("closure")
        verbose_name_plural = _("closures")

    def __str__(self) -> str:
        return f"{self.project_id} closed {self.closed_at:%Y-%m-%d}"
