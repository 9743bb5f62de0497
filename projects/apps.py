from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    """Project registration, classification and estimate lines (issue: Projects)."""

    name = "projects"
    verbose_name = _("Projects")

    def ready(self) -> None:
        from audit.labels import register, register_details
        from projects.history import DESCRIBERS

        register_details(DESCRIBERS)

        register(
            {
                "projects.project.registered": _("Registered"),
                "projects.project.changed": _("Changed"),
                "projects.target.added": _("Performance target added"),
                "projects.target.removed": _("Performance target removed"),
                "projects.attachment.added": _("Document uploaded"),
                "projects.attachment.removed": _("Document removed"),
                "projects.line.added": _("Estimate line added"),
                "projects.line.removed": _("Estimate line removed"),
                "projects.line.changed": _("Estimate line changed"),
                "projects.lines.repriced": _("Estimate lines re-priced with the current standard"),
                "projects.lines.imported": _("Estimate lines imported from Excel"),
                "projects.lines.generated": _("Estimate lines generated from the inventory"),
                "projects.procurement.changed": _("Procurement method or supplier changed"),
            }
        )
