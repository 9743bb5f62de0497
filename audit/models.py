"""The append-only history of everything that matters.

One table for every app: who did what to which object, when, and why, with
the amounts or fields before and after in ``data``. A database trigger
(migration 0002) refuses UPDATE and DELETE, so not even a bug or a careless
admin can rewrite the record.
"""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Event(models.Model):
    occurred_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty for changes made by the system, such as demo data."),
    )
    event_type = models.CharField(_("event"), max_length=100, db_index=True)
    target_type = models.CharField(_("object type"), max_length=100)
    target_key = models.CharField(_("object"), max_length=100)
    target_label = models.CharField(_("object name"), max_length=200, blank=True)
    from_state = models.CharField(_("from"), max_length=50, blank=True)
    to_state = models.CharField(_("to"), max_length=50, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("history event")
        verbose_name_plural = _("history events")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_key", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.event_type} {self.target_type}:{self.target_key}"
