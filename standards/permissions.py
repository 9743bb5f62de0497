"""Who may read and who may change the budget standards.

Every logged-in user reads published (and retired) standards: they price
their budgets by them. Drafts and every change belong to system admins.
"""

from django.db.models import QuerySet
from django.http import Http404

from accounts.permissions import AnyUser, active_user, is_system_admin
from standards.catalogue import VISIBLE_STATUSES, sets_with_lineage
from standards.models import StandardSet


def can_browse_standards(user: AnyUser) -> bool:
    """Any active, logged-in user."""
    return active_user(user) is not None


def can_manage_standards(user: AnyUser) -> bool:
    """System admins alone create, edit, publish, import and retire standards."""
    return is_system_admin(user)


def sets_visible_to(user: AnyUser) -> QuerySet[StandardSet]:
    """The standard sets the user may read; scope every lookup with it."""
    sets = sets_with_lineage()
    if can_manage_standards(user):
        return sets
    if not can_browse_standards(user):
        return sets.none()
    return sets.filter(status__in=VISIBLE_STATUSES)


def get_set_for_user(user: AnyUser, code: str) -> StandardSet:
    """The set with ``code`` if the user may see it; 404 otherwise (drafts stay unseen)."""
    standard_set = sets_visible_to(user).filter(code=code).first()
    if standard_set is None:
        raise Http404
    return standard_set
