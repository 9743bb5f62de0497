from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClassificationConfig(AppConfig):
    name = "classification"
    verbose_name = _("Classification codes")

    def ready(self) -> None:
        from audit.labels import register

        register({"classification.codes.imported": _("Classification codes imported")})
