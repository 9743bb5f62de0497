"""The words projects' line events show beside their label in the history (audit.labels)."""

from typing import Any

from django.utils.translation import gettext as _

from audit.labels import yuan


def line_amount(data: dict[str, Any]) -> str:
    """A line added or removed: 系统开发：500,000.00 元."""
    line = data["line"]
    return _("%(line)s: %(amount)s yuan") % {"line": line["name"], "amount": yuan(line["amount"])}


def line_changed(data: dict[str, Any]) -> str:
    """A line edited: 系统开发：500,000.00 → 420,000.00 元."""
    before, after = data["before"], data["after"]
    return _("%(line)s: %(before)s → %(after)s yuan") % {
        "line": after["name"],
        "before": yuan(before["amount"]),
        "after": yuan(after["amount"]),
    }


DESCRIBERS = {
    "projects.line.added": line_amount,
    "projects.line.removed": line_amount,
    "projects.line.changed": line_changed,
}
