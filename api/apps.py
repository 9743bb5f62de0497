from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("API for other systems")

    def ready(self) -> None:
        from audit.labels import register

        register(
            {
                "api.client.registered": _("API client registered"),
                "api.client.changed": _("API client changed"),
                "api.client.key_rotated": _("API key rotated"),
                "api.client.revoked": _("API client revoked"),
            }
        )
