from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UiConfig(AppConfig):
    """Shared presentation, without models: template tags, money formatting,
    request-parameter parsing, the one formula-safe Excel writer, the language."""

    name = "ui"
    verbose_name = _("User interface")
