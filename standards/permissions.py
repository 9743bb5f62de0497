"""Who may read and who may change the budget standards.

Every logged-in user reads published (and retired) standards: they price
their budgets by them. Drafts and every change belong to system admins: the
province's admins every set, a city's or county's admins their own jurisdiction's
derived sets (issue #18).
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.permissions import (
    AnyUser,
    active_user,
    administered_scope,
    administers,
    is_system_admin,
)
from standards.catalogue import VISIBLE_STATUSES, sets_with_lineage
from standards.models import StandardSet


def can_browse_standards(user: AnyUser) -> bool:
    """Any active, logged-in user."""
    return active_user(user) is not None


def can_manage_standards(user: AnyUser) -> bool:
    """System admins alone create, edit, publish, import and retire standards (each of
    them only the sets ``can_manage_set`` lets them)."""
    return is_system_admin(user)


def can_manage_set(user: AnyUser, standard_set: StandardSet) -> bool:
    """A system admin of the set's jurisdiction, or of the province."""
    return can_manage_standards(user) and administers(user, standard_set.jurisdiction_id)


def sets_visible_to(user: AnyUser) -> QuerySet[StandardSet]:
    """The standard sets the user may read; scope every lookup with it."""
    sets = sets_with_lineage()
    if can_manage_standards(user):
        # Their own jurisdiction's drafts too; never a neighbour's draft. (An empty Q, the
        # province's admins' scope, would vanish from an OR: it is every set.)
        own = administered_scope(user, "")
        return sets if own == Q() else sets.filter(Q(status__in=VISIBLE_STATUSES) | own)
    if not can_browse_standards(user):
        return sets.none()
    return sets.filter(status__in=VISIBLE_STATUSES)


def get_set_for_user(user: AnyUser, code: str) -> StandardSet:
    """The set with ``code`` if the user may see it; 404 otherwise (drafts stay unseen)."""
    standard_set = sets_visible_to(user).filter(code=code).first()
    if standard_set is None:
        raise Http404
    return standard_set
