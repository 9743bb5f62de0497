from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    """The IT inventory survey (摸清底数): campaigns, each unit's inventory, baselines."""

    name = "inventory"
    verbose_name = _("IT inventory")

    def ready(self) -> None:
        from audit.labels import register, register_details

        register(
            {
                "inventory.campaign.opened": _("Inventory survey opened"),
                "inventory.campaign.reminded": _("Reminders sent"),
                "inventory.survey.submitted": _("Inventory submitted"),
                "inventory.survey.returned": _("Inventory returned for correction"),
                "inventory.survey.accepted": _("Inventory accepted"),
                "inventory.row.added": _("Inventory row added"),
                "inventory.row.changed": _("Inventory row changed"),
                "inventory.row.removed": _("Inventory row removed"),
                "inventory.rows.imported": _("Inventory imported from Excel"),
            }
        )
        register_details(
            {
                "inventory.row.changed": _describe_change,
                "inventory.row.added": _describe_row,
                "inventory.row.removed": _describe_row,
            }
        )


def _describe_row(data: dict[str, Any]) -> str:
    """The row's name (or, for staff, its figures), as the history names it."""
    row = data["row"]
    return str(row.get("name") or " ".join(str(value) for value in row.values()))[:200]


def _describe_change(data: dict[str, Any]) -> str:
    """``机架式服务器: quantity 20 → 25; warranty end — → 2028-06-01``, with the fields'
    and the choices' labels in the reader's language."""
    from django.utils.translation import gettext

    from audit.labels import yuan
    from inventory.services import MONEY_FIELDS, ROW_MODELS

    kind = data["kind"]
    model = ROW_MODELS[kind]
    parts = []
    for name, (before, after) in data["changes"].items():
        field = model._meta.get_field(name)
        choices = {str(key): label for key, label in getattr(field, "choices", None) or ()}
        shown = [
            "—" if value in (None, "")
            else yuan(value) if name in MONEY_FIELDS.get(kind, ())
            else str(choices.get(str(value), value))
            for value in (before, after)
        ]  # fmt: skip
        parts.append(f"{getattr(field, 'verbose_name', name)} {shown[0]} → {shown[1]}")
    return gettext("%(label)s: %(details)s") % {"label": data["label"], "details": "; ".join(parts)}
