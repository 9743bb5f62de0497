"""Budget execution (执行): the treasury's contracts and payments of approved projects.

Each row carries the treasury's own reference, unique, so a batch sent twice finds
its rows already there and changes nothing (``execution.services.record_batch``).
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from projects.models import Project, money_field


class Contract(models.Model):
    reference = models.CharField(_("treasury reference"), max_length=64, unique=True)
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="contracts")
    supplier = models.CharField(_("supplier"), max_length=200)
    amount = money_field(_("contract amount"))
    signed_on = models.DateField(_("signed on"))
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["signed_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="contract_amount_positive")
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.supplier} {self.amount}"


class Payment(models.Model):
    reference = models.CharField(_("treasury reference"), max_length=64, unique=True)
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="payments")
    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    amount = money_field(_("amount paid"))
    paid_on = models.DateField(_("paid on"))
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["paid_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive")
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.amount}"
