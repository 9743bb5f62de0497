from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StandardsConfig(AppConfig):
    """The budget standards catalogue and the pricing engine (issue: Budget standards)."""

    name = "standards"
    verbose_name = _("Budget standards")
