"""Who may see and act on a budget unit's data.

Plain functions of (user, unit) so views, templates and later apps share one
answer. Department staff see their own unit and, in a primary unit, its
secondary units; the reviewing bodies see every unit of their jurisdiction (the
finance department and data administration of Guangzhou review Guangzhou's units,
issue #18); system admins see every unit they administer (the province's admins every
unit, a city's admins their city's: ``administered_scope``). What a reviewer may do with a given
project is decided by the workflow's stages.
"""

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet, Subquery
from django.http import HttpRequest

from accounts.models import Jurisdiction, Organization, Role, User

AnyUser = User | AnonymousUser

# The reviewing bodies, each by the roles of its review stages: the data administration
# and the finance department.
REVIEWING_BODIES = (
    frozenset({Role.DATA_REVIEWER}),
    frozenset({Role.FINANCE_REVIEWER, Role.FINANCE_APPROVER}),
)
REVIEWER_ROLES: frozenset[Role] = frozenset().union(*REVIEWING_BODIES)
# A filter that matches no row (Django answers it without asking the database).
NOTHING = Q(pk__in=[])
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


def reviewing_body_roles(user: AnyUser) -> frozenset[Role]:
    """The stage roles of the reviewing body the user reviews for (a finance approver's
    body holds the finance review too). Its reviewers see a project once it has reached
    a stage of one of these roles (``projects.permissions.projects_visible_to``)."""
    member = active_user(user)
    if member is None:
        return frozenset()
    return frozenset().union(*(body for body in REVIEWING_BODIES if body & set(member.roles)))


def needs_two_factor(user: AnyUser) -> bool:
    """Reviewers and system admins must pass a TOTP check when ENFORCE_2FA is on."""
    return _holds_any(user, PROVINCE_WIDE_ROLES)


def sees_all_units(user: AnyUser) -> bool:
    """Reviewers of the data administration and the finance department (every unit of
    their jurisdiction: ``jurisdiction_scope``), and admins (every unit)."""
    return _holds_any(user, PROVINCE_WIDE_ROLES)


def jurisdiction_of_unit(unit_id: int) -> Subquery:
    """The jurisdiction of a unit as a subquery, so a filter by it costs no query of its
    own (a request's user arrives without its unit)."""
    return Subquery(Organization.objects.filter(pk=unit_id).values("jurisdiction_id")[:1])


def jurisdiction_scope(user: AnyUser, unit_field: str = "organization") -> Q:
    """Rows of the units of the user's own jurisdiction (the province's, a city's or a
    county's: exactly that one, not the ones below it). ``unit_field`` as in
    ``department_scope``. Matches nothing for an anonymous or inactive user."""
    member = active_user(user)
    key = None if member is None else _jurisdiction_key(member)
    if key is None:  # never "IS NULL": a unit without a jurisdiction would match
        return NOTHING
    return Q(**{_on(unit_field, "jurisdiction_id"): key})


def _jurisdiction_key(member: User) -> int | Subquery | None:
    """The user's jurisdiction's key as a constant when their unit is loaded already (a
    request's user is read with it: ``accounts.backends``), else as a subquery; either
    way no query of its own. A constant lets PostgreSQL estimate the rows it matches
    from its statistics; behind a subquery (an InitPlan parameter) it guesses, and at
    100,000 projects it took the director's 5,000 projects awaiting final approval for
    86 and sorted them all instead of walking the waiting-since index to the first 50
    (89 → 15 ms, issue #21)."""
    if "organization" in member._state.fields_cache:
        return member.organization.jurisdiction_id
    return jurisdiction_of_unit(member.organization_id)


def jurisdiction_id_of(user: AnyUser) -> int | None:
    """The user's jurisdiction's key (their unit's), read once per user object."""
    member = active_user(user)
    if member is None:
        return None
    cached = getattr(member, "_jurisdiction_id", None)
    if cached is None:
        if "organization" in member._state.fields_cache:
            cached = member.organization.jurisdiction_id
        else:
            cached = (
                Organization.objects.filter(pk=member.organization_id)
                .values_list("jurisdiction_id", flat=True)
                .first()
            )
        member._jurisdiction_id = cached  # type: ignore[attr-defined]
    return cached


def jurisdiction_of(user: AnyUser) -> Jurisdiction | None:
    """The user's jurisdiction (their unit's), or None for an anonymous user."""
    member = active_user(user)
    return None if member is None else Jurisdiction.objects.filter(units__users=member).first()


def in_jurisdiction(user: AnyUser, unit: Organization) -> bool:
    """The object twin of ``jurisdiction_scope``: ``unit`` is of the user's jurisdiction."""
    key = jurisdiction_id_of(user)
    return key is not None and unit.jurisdiction_id == key


def administered_scope(user: AnyUser, unit_field: str = "organization") -> Q:
    """The units (or rows of units) a system admin manages and sees, in Django admin and
    on every page: a city's or county's admin its own jurisdiction's only; the province's
    admins every one (issue #18). ``unit_field`` as in ``department_scope``."""
    own = _administered_jurisdiction(user)
    if own is None:
        return NOTHING
    pk, parent_id = own
    return Q() if parent_id is None else Q(**{_on(unit_field, "jurisdiction_id"): pk})


def administers_province(user: AnyUser) -> bool:
    """A system admin of the province's own units: every jurisdiction's units, people,
    standards and cycles, and what belongs to no jurisdiction (the code lists, the API
    clients, the history). A city's or county's admin manages its own jurisdiction's."""
    own = _administered_jurisdiction(user)
    return own is not None and own[1] is None


def administers(user: AnyUser, jurisdiction_id: int | None) -> bool:
    """The object twin of ``administered_scope``: a system admin of that jurisdiction, or
    of the province."""
    own = _administered_jurisdiction(user)
    return own is not None and (own[1] is None or own[0] == jurisdiction_id)


def _administered_jurisdiction(user: AnyUser) -> tuple[int, int | None] | None:
    """The key and parent key of a system admin's jurisdiction, read once per user
    object; None for anyone else."""
    member = active_user(user)
    if member is None or Role.SYSTEM_ADMIN not in member.roles:
        return None
    if not hasattr(member, "_administered"):
        member._administered = (  # type: ignore[attr-defined]
            Jurisdiction.objects.filter(pk=jurisdiction_of_unit(member.organization_id))
            .values_list("pk", "parent_id")
            .first()
        )
    return member._administered  # type: ignore[attr-defined]


def is_provincial_finance(user: AnyUser) -> bool:
    """Finance (reviewers and approvers) of the province's finance department: they read
    the roll-up across every jurisdiction (``/reports/province/``), never act on a city's."""
    member = active_user(user)
    if member is None or not {Role.FINANCE_REVIEWER, Role.FINANCE_APPROVER} & set(member.roles):
        return False
    return Jurisdiction.objects.filter(
        pk=jurisdiction_of_unit(member.organization_id), parent__isnull=True
    ).exists()


def _holds_any(user: AnyUser, roles: frozenset[Role]) -> bool:
    member = active_user(user)
    return member is not None and bool(roles.intersection(member.roles))


def department_scope(user: AnyUser, unit_field: str = "organization") -> Q:
    """The one rule of a department's reach, as a filter: rows of the user's own unit
    and of its secondary units. ``unit_field`` is the lookup path of the row's unit
    ("" when filtering units themselves). Matches nothing for an anonymous or
    inactive user. ``_in_department_scope`` is its twin for one unit object."""
    member = active_user(user)
    if member is None:
        return NOTHING
    unit = member.organization_id
    return Q(**{_on(unit_field, "pk"): unit}) | Q(**{_on(unit_field, "parent_id"): unit})


def approval_scope(user: AnyUser, unit_field: str = "organization") -> Q:
    """Rows of the units whose department review the user gives (the filter twin of
    ``can_approve_for_unit``): an approver's own unit if primary, and its secondary units."""
    member = active_user(user)
    if member is None or Role.DEPARTMENT_APPROVER not in member.roles:
        return NOTHING
    unit = member.organization_id
    return Q(**{_on(unit_field, "pk"): unit, _on(unit_field, "parent__isnull"): True}) | Q(
        **{_on(unit_field, "parent_id"): unit}
    )


def submission_scope(user: AnyUser, unit_field: str = "organization") -> Q:
    """Rows of the active units the user submits for (the filter twin of
    ``can_submit_for_unit``)."""
    if not has_role(user, Role.SUBMITTER):
        return NOTHING
    return department_scope(user, unit_field) & Q(**{_on(unit_field, "is_active"): True})


def _on(unit_field: str, lookup: str) -> str:
    """``lookup`` on the unit reached through ``unit_field`` ("": the row is the unit)."""
    return f"{unit_field}__{lookup}" if unit_field else lookup


def units_visible_to(user: AnyUser) -> QuerySet[Organization]:
    """The budget units whose data the user may see; use it to scope every query."""
    units = Organization.objects.all()
    if is_system_admin(user):
        return units.filter(administered_scope(user, ""))
    if sees_all_units(user):
        return units.filter(jurisdiction_scope(user, ""))
    return units.filter(department_scope(user, ""))


def approvers_for_unit(unit: Organization) -> QuerySet[User]:
    """The active users who give ``unit``'s department review (``can_approve_for_unit``)."""
    return User.objects.filter(
        is_active=True,
        roles__contains=[Role.DEPARTMENT_APPROVER],
        organization_id=unit.primary_unit_id,
    )


def can_view_unit(user: AnyUser, unit: Organization) -> bool:
    """Own unit, a secondary unit of one's primary unit, every unit of their jurisdiction
    for reviewers, what they administer for admins."""
    if is_system_admin(user):
        return administers_province(user) or in_jurisdiction(user, unit)
    if sees_all_units(user):
        return in_jurisdiction(user, unit)
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
