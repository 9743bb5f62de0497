"""The words budgeting's history events show beside their label (audit.labels)."""

from typing import Any

from django.utils.translation import gettext as _

from audit.labels import yuan
from budgeting.models import CutReason


def line_amount_set(data: dict[str, Any]) -> str:
    """A reviewer's figure for a line: 系统开发：500,000.00 → 350,000.00 元，理由：工作量偏高."""
    values = {"line": data["line"], "before": yuan(data["before"]), "after": yuan(data["after"])}
    if data.get("reason"):
        values["reason"] = str(CutReason(data["reason"]).label)
        return _("%(line)s: %(before)s → %(after)s yuan, reason: %(reason)s") % values
    return _("%(line)s: %(before)s → %(after)s yuan") % values


def control_figures_issued(data: dict[str, Any]) -> str:
    """An issue of control figures: 方案“压减一成”，4 个单位，合计 1,234.00 元."""
    return _("draft %(draft)s, %(count)s units, %(total)s yuan in total") % {
        "draft": data["draft"],
        "count": len(data["figures"]),
        "total": yuan(data["total"]),
    }


def procurement(data: dict[str, Any]) -> str:
    """A project in a single-source procurement batch: 2027年第一批 单一来源采购方式，
    供应商：某公司，1,234.00 元."""
    return _("%(batch)s, supplier: %(supplier)s, %(amount)s yuan") % {
        "batch": data["batch"],
        "supplier": data["supplier"] or "—",
        "amount": yuan(data["amount"] or 0),
    }


DESCRIBERS = {
    "budgeting.procurement.added": procurement,
    "budgeting.procurement.removed": procurement,
    "budgeting.procurement.approved": procurement,
    "budgeting.procurement.withdrawn": procurement,
    "budgeting.line.amount_set": line_amount_set,
    "budgeting.control_figures.issued": control_figures_issued,
}
