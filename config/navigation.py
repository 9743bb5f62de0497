"""The navigation each user sees, built from the permission helpers.

Each app adds its section here, guarded by the same permission function that
guards its views, so a link is shown exactly when it works.
"""

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.permissions import active_user, is_system_admin
from budgeting.permissions import (
    can_approve_batches,
    can_handle_procurement,
    can_manage_rounds,
)


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url: str
    # The view names (or whole URL namespaces) whose pages mark this item current.
    sections: frozenset[str]


def items_for(request: HttpRequest) -> list[NavItem]:
    user = active_user(request.user)
    if user is None:
        return []
    items = [
        NavItem(_("Home"), reverse("home"), frozenset({"home"})),
        NavItem(_("Projects"), reverse("projects:list"), frozenset({"projects"})),
        NavItem(_("Project library"), reverse("library:index"), frozenset({"library"})),
        NavItem(_("Budget standards"), reverse("standards:index"), frozenset({"standards"})),
        NavItem(_("IT inventory"), reverse("inventory:index"), frozenset({"inventory"})),
        NavItem(
            _("My tasks"),
            reverse("budgeting:tasks"),
            frozenset({"budgeting:tasks", "budgeting:review"}),
        ),
    ]
    items.append(
        NavItem(
            _("Summary"),
            reverse("reports:summary"),
            frozenset({"reports:summary", "reports:review_figures"}),
        )
    )
    # Everyone follows the execution of what they see: finance all, a unit its own.
    items.append(
        NavItem(
            _("Execution progress"),
            reverse("execution:progress"),
            frozenset({"execution:progress", "execution:import"}),
        )
    )
    if can_manage_rounds(user):
        items.append(
            NavItem(
                _("Budget rounds"),
                reverse("budgeting:years"),
                frozenset({"budgeting:years", "budgeting:rounds"}),
            )
        )
        items.append(
            NavItem(
                _("Control figures"),
                reverse("budgeting:figures_latest"),
                frozenset(
                    {
                        "budgeting:figures_latest",
                        "budgeting:figures",
                        "budgeting:figure_compare",
                        "budgeting:figure_draft",
                        "budgeting:figure_issue",
                        "budgeting:figure_draft_upload",
                    }
                ),
            )
        )
    if can_approve_batches(user):
        items.append(
            NavItem(
                _("Batch approval"),
                reverse("budgeting:batches"),
                frozenset({"budgeting:batches", "budgeting:batch"}),
            )
        )
    if can_handle_procurement(user):
        items.append(
            NavItem(
                _("Single-source procurement approval"),
                reverse("budgeting:procurement_batches"),
                frozenset(
                    {
                        "budgeting:procurement_batches",
                        "budgeting:procurement_create",
                        "budgeting:procurement_batch",
                        "budgeting:procurement_sheet",
                    }
                ),
            )
        )
    if is_system_admin(user):
        items.append(NavItem(_("Administration"), reverse("admin:index"), frozenset({"admin"})))
    return items


def current_item(request: HttpRequest, items: list[NavItem]) -> NavItem | None:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return None
    for item in items:
        if match.view_name in item.sections or match.namespace in item.sections:
            return item
    return None
