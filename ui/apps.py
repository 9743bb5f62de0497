from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UiConfig(AppConfig):
    """Shared presentation, without models: template tags, money formatting,
    request-parameter parsing, the path converters of public codes, the one
    formula-safe Excel writer, the language."""

    name = "ui"
    verbose_name = _("User interface")

    def ready(self) -> None:
        from ui import converters

        converters.register()
