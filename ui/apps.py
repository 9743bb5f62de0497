from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UiConfig(AppConfig):
    """Shared presentation: template tags, money formatting, request-parameter parsing,
    the path converters of public codes, the one formula-safe Excel writer, the
    language, and the forms sent once (``ui.submissions``, its one table)."""

    name = "ui"
    verbose_name = _("User interface")

    def ready(self) -> None:
        from ui import converters

        converters.register()
