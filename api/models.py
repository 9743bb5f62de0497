"""API clients (other systems, not people), their keys and the log of their calls."""

import uuid

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from api.scopes import Scope


class ApiClient(models.Model):
    """A system that calls the API (the finance core system, a city's platform, the
    treasury). Its key is shown once and stored as a SHA-256 hash; the ``key_prefix``
    (the key's public first part) finds the row without comparing every hash."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=100, unique=True)
    scopes = ArrayField(
        models.CharField(max_length=32, choices=Scope.choices),
        verbose_name=_("scopes"),
        default=list,
        blank=True,
        help_text=_("The endpoints the client may call, each for reading or writing."),
    )
    all_units = models.BooleanField(
        _("all budget units"),
        default=False,
        help_text=_(
            "Sees every project that reached the finance review, as the finance "
            "department does; otherwise only the chosen units and their secondary units."
        ),
    )
    jurisdiction = models.ForeignKey(
        "accounts.Jurisdiction",
        verbose_name=_("jurisdiction"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_(
            "Only this jurisdiction's units (a city's finance system sees its own city); "
            "blank: every jurisdiction's."
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

    def has_scope(self, scope: Scope) -> bool:
        return self.is_active and scope.value in self.scopes


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


class WebhookEvent(models.TextChoices):
    PROJECT_APPROVED = "project.approved", _("A project is approved")
    QUOTA_CHANGED = "quota.changed", _("An approved project's quota changes")


class Webhook(models.Model):
    """A consumer's address, registered by an admin for a client: it receives every
    event of the client's projects (``WebhookEvent``), signed with the secret
    (HMAC-SHA256, docs/api.md). The secret is shown once; the signature needs it as it
    is, so it is kept as it is, like a mail server's password."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(
        ApiClient, verbose_name=_("API client"), on_delete=models.CASCADE, related_name="webhooks"
    )
    url = models.URLField(
        _("consumer URL"),
        max_length=500,
        help_text=_("Where the events are posted, e.g. https://core.example.gov.cn/hooks/budget."),
    )
    secret = models.CharField(max_length=64, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["client__name", "url"]

    def __str__(self) -> str:
        return f"{self.client} → {self.url}"


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Given up")


class WebhookDelivery(models.Model):
    """One event for one webhook: queued in the transaction of the change, sent by the
    background worker (``api.webhooks.deliver``), tried again with growing waits."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(_("event"), max_length=40, choices=WebhookEvent.choices)
    project_code = models.CharField(_("project"), max_length=64)
    # The quota's figures without its change time: the next change is a change only if
    # they differ (``api.webhooks``).
    quota_digest = models.CharField(max_length=64)
    body = models.TextField(_("body"))  # exactly the bytes signed and sent, as UTF-8
    state = models.CharField(
        _("state"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("queued"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["webhook", "project_code", "-id"], name="webhook_delivery_latest")
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.project_code}"


class WebhookAttempt(models.Model):
    """One try of a delivery: the consumer's status, or why there was none."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    number = models.PositiveSmallIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("when"), default=timezone.now)
    status_code = models.PositiveSmallIntegerField(_("status"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(_("milliseconds"))

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number} {self.status_code or self.error}"
