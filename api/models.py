"""API clients (other systems, not people), their keys and the log of their calls."""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization


class ApiClient(models.Model):
    """A system that calls the API (the finance core system, a city's platform, the
    treasury). Its key is shown once and stored as a SHA-256 hash; the ``key_prefix``
    (the key's public first part) finds the row without comparing every hash."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=100, unique=True)
    may_read = models.BooleanField(
        _("may read"), default=True, help_text=_("Projects, lines, quotas, standards, figures.")
    )
    may_write_payments = models.BooleanField(
        _("may write payments"),
        default=False,
        help_text=_("Contracts and payments from the treasury."),
    )
    all_units = models.BooleanField(
        _("all budget units"),
        default=False,
        help_text=_(
            "Sees every project that reached the finance review, as the finance "
            "department does; otherwise only the chosen units and their secondary units."
        ),
    )
    units = models.ManyToManyField(
        Organization, verbose_name=_("budget units"), blank=True, related_name="+"
    )
    key_prefix = models.CharField(_("key prefix"), max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    is_active = models.BooleanField(_("active"), default=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    key_changed_at = models.DateTimeField(_("key issued"), default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ApiCall(models.Model):
    """One call of a known client: which endpoint (the route, not the path with its
    codes), the answer's status and how long it took. Written after the answer."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="calls")
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    method = models.CharField(_("method"), max_length=8)
    endpoint = models.CharField(_("endpoint"), max_length=200)
    status = models.PositiveSmallIntegerField(_("status"))
    duration_ms = models.PositiveIntegerField(_("milliseconds"))

    class Meta:
        verbose_name = _("API call")
        verbose_name_plural = _("API calls")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["client", "-occurred_at"], name="api_call_client_newest")]

    def __str__(self) -> str:
        return f"{self.client_id} {self.method} {self.endpoint} {self.status}"
