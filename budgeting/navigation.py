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


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url: str
    section: str  # the URL namespace (or name) whose pages mark this item current


def items_for(request: HttpRequest) -> list[NavItem]:
    user = active_user(request.user)
    if user is None:
        return []
    items = [
        NavItem(_("Home"), reverse("home"), "home"),
        NavItem(_("Projects"), reverse("projects:list"), "projects"),
        NavItem(_("My tasks"), reverse("budgeting:tasks"), "budgeting"),
    ]
    if is_system_admin(user):
        items.append(NavItem(_("Administration"), reverse("admin:index"), "admin"))
    return items


def current_section(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return ""
    return match.namespace or match.url_name or ""
