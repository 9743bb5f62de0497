from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    """The IT inventory survey (摸清底数): campaigns, each unit's inventory, baselines."""

    name = "inventory"
    verbose_name = _("IT inventory")

    def ready(self) -> None:
        from audit.labels import register

        register(
            {
                "inventory.campaign.opened": _("Inventory survey opened"),
                "inventory.campaign.reminded": _("Reminders sent"),
                "inventory.survey.submitted": _("Inventory submitted"),
                "inventory.survey.returned": _("Inventory returned for correction"),
                "inventory.survey.accepted": _("Inventory accepted"),
                "inventory.row.added": _("Inventory row added"),
                "inventory.row.removed": _("Inventory row removed"),
                "inventory.rows.imported": _("Inventory imported from Excel"),
            }
        )
