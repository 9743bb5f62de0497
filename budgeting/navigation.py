"""The navigation each user sees, built from the permission helpers.

Later apps add their sections here, each guarded by the same permission
function that guards its views, so a link is shown exactly when it works.
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
    url_name: str


def items_for(request: HttpRequest) -> list[NavItem]:
    user = active_user(request.user)
    if user is None:
        return []
    items = [
        NavItem(_("Home"), reverse("home"), "home"),
        NavItem(_("Budget standards"), reverse("standards:index"), "standards:index"),
    ]
    if is_system_admin(user):
        items.append(NavItem(_("Administration"), reverse("admin:index"), "admin:index"))
    return items
