"""Who may see and act on a budget unit's data.

Plain functions of (user, unit) so views, templates and later apps share one
answer. Department staff see their own unit and, in a primary unit, its
secondary units; the reviewing bodies and admins see every unit. What a
reviewer may do with a given project is decided by the workflow's stages.
"""

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from accounts.models import Organization, Role, User

AnyUser = User | AnonymousUser

REVIEWER_ROLES = frozenset({Role.DATA_REVIEWER, Role.FINANCE_REVIEWER, Role.FINANCE_APPROVER})
# Whoever sees every unit's data; these accounts are also the ones worth most to steal.
PROVINCE_WIDE_ROLES = REVIEWER_ROLES | {Role.SYSTEM_ADMIN}


def active_user(user: AnyUser) -> User | None:
    """The user if logged in and active, else None (anonymous or deactivated)."""
    if isinstance(user, User) and user.is_active:
        return user
    return None


def request_member(request: HttpRequest) -> User:
    """The user of a request that ``login_required`` has let through, typed as ours."""
    return request.user  # type: ignore[return-value]


def has_role(user: AnyUser, role: Role) -> bool:
    """True if the user is active, logged in and holds ``role``."""
    member = active_user(user)
    return member is not None and role in member.roles


def is_system_admin(user: AnyUser) -> bool:
    """System admins maintain units, users and standards."""
    return has_role(user, Role.SYSTEM_ADMIN)


def needs_two_factor(user: AnyUser) -> bool:
    """Reviewers and system admins must pass a TOTP check when ENFORCE_2FA is on."""
    return _holds_any(user, PROVINCE_WIDE_ROLES)


def sees_all_units(user: AnyUser) -> bool:
    """Reviewers of the data administration and the finance department, and admins."""
    return _holds_any(user, PROVINCE_WIDE_ROLES)


def _holds_any(user: AnyUser, roles: frozenset[Role]) -> bool:
    member = active_user(user)
    return member is not None and bool(roles.intersection(member.roles))


def units_visible_to(user: AnyUser) -> QuerySet[Organization]:
    """The budget units whose data the user may see; use it to scope every query."""
    units = Organization.objects.all()
    if sees_all_units(user):
        return units
    member = active_user(user)
    if member is None:
        return units.none()
    return units.filter(Q(pk=member.organization_id) | Q(parent_id=member.organization_id))


def can_view_unit(user: AnyUser, unit: Organization) -> bool:
    """Own unit, a secondary unit of one's primary unit, or everything for reviewers."""
    if sees_all_units(user):
        return True
    return _in_department_scope(user, unit)


def can_submit_for_unit(user: AnyUser, unit: Organization) -> bool:
    """Submitters prepare budgets for their unit, or for its secondary units."""
    return has_role(user, Role.SUBMITTER) and _in_department_scope(user, unit)


def can_approve_for_unit(user: AnyUser, unit: Organization) -> bool:
    """The department review belongs to the approver of the unit's primary unit,
    which covers its secondary units."""
    member = active_user(user)
    return (
        member is not None
        and Role.DEPARTMENT_APPROVER in member.roles
        and member.organization_id == unit.primary_unit_id
    )


def _in_department_scope(user: AnyUser, unit: Organization) -> bool:
    member = active_user(user)
    if member is None or not unit.is_active:
        return False
    return member.organization_id in (unit.pk, unit.parent_id)
