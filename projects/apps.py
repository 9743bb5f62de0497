from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    """Project registration, classification and estimate lines (issue: Projects)."""

    name = "projects"
    verbose_name = _("Projects")
