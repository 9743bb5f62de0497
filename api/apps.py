from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("API for other systems")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from api.receivers import queue_webhook_events
        from audit.labels import register
        from audit.models import Event

        post_save.connect(queue_webhook_events, sender=Event, dispatch_uid="api.webhooks")

        register(
            {
                "api.client.registered": _("API client registered"),
                "api.client.changed": _("API client changed"),
                "api.client.key_rotated": _("API key rotated"),
                "api.client.revoked": _("API client revoked"),
                "api.webhook.registered": _("Webhook registered"),
                "api.webhook.changed": _("Webhook changed"),
                "api.webhook.secret_rotated": _("Webhook secret rotated"),
            }
        )
