"""Every change to budget units and users, with its history event.

Who may call these is decided by the caller's permission check (Django admin
for system admins; ``seed_demo`` as the system, actor None).
"""

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from accounts.models import Organization, Role, User
from audit.services import record_event

ORGANIZATION_FIELDS = [
    "code",
    "name",
    "level",
    "parent_id",
    "jurisdiction_id",
    "administrative_level",
    "is_finance_department",
    "is_data_administration",
    "is_active",
]
USER_FIELDS = [
    "username",
    "first_name",
    "last_name",
    "email",
    "phone",
    "organization_id",
    "roles",
    "is_active",
]


def save_organization(unit: Organization, *, actor: User | None) -> Organization:
    """Create or update a budget unit after full validation, recording what changed.

    Raises ``ValidationError`` (nothing written) when the unit breaks a rule,
    e.g. a secondary unit without a primary unit.
    """
    with transaction.atomic():
        before = _locked_values(Organization, unit.pk, ORGANIZATION_FIELDS)
        unit.full_clean()
        unit.save()
        _record_change(
            "accounts.organization",
            unit,
            unit.code,
            before=before,
            fields=ORGANIZATION_FIELDS,
            actor=actor,
        )
    return unit


def enable_two_factor(device: Any, *, actor: User) -> Any:
    """Confirm a user's new TOTP device once they have entered a valid code from it.

    Called by the two-factor set-up view for the device's own user. From then
    on, with ENFORCE_2FA, every login of that user asks for a code. Raises nothing.
    """
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        record_event(
            "accounts.user.two_factor_enabled",
            actor=actor,
            target=device.user,
            target_key=device.user.username,
        )
    return device


def remove_two_factor(device: Any, *, actor: User | None) -> None:
    """Remove a user's TOTP device (a lost phone), recording it: with ENFORCE_2FA their
    next login sets up a new one. System admins call it from Django admin. Raises nothing.
    """
    with transaction.atomic():
        record_event(
            "accounts.user.two_factor_removed",
            actor=actor,
            target=device.user,
            target_key=device.user.username,
            data={"device": device.name, "confirmed": device.confirmed},
        )
        device.delete()


def save_user(user: User, *, actor: User | None) -> User:
    """Create or update a user's profile, unit and roles after full validation.

    The password is not touched here; roles decide admin access (see ``User.save``).
    Raises ``ValidationError`` (nothing written) on a role the unit may not hold.
    """
    with transaction.atomic():
        before = _locked_values(User, user.pk, USER_FIELDS)
        user.full_clean(exclude=["password"])
        user.save()
        _record_change(
            "accounts.user", user, user.username, before=before, fields=USER_FIELDS, actor=actor
        )
    return user


def set_password(user: User, raw_password: str | None, *, actor: User | None) -> User:
    """Set a user's password (hashed), or with None make it unusable (no password login),
    and record that it changed: never the password nor its hash. Django admin's password
    page calls it for system admins, the password page for the user themself. Raises nothing.
    """
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if raw_password is None:
            locked.set_unusable_password()
        else:
            locked.set_password(raw_password)
        locked.save(update_fields=["password"])
        record_event(
            "accounts.user.password_set" if raw_password else "accounts.user.password_disabled",
            actor=actor,
            target=locked,
            target_key=locked.username,
        )
    user.password = locked.password
    return user


def create_user(
    *,
    username: str,
    organization: Organization,
    roles: Iterable[Role],
    password: str,
    actor: User | None,
    **profile: Any,
) -> User:
    """Create an active user with a password (hashed) and roles."""
    user = User(username=username, organization=organization, roles=list(roles), **profile)
    user.set_password(password)
    return save_user(user, actor=actor)


def _locked_values(model: type[Any], pk: int | None, fields: list[str]) -> dict[str, Any] | None:
    """The stored values of an existing row, locked until the transaction ends."""
    if pk is None:
        return None
    row = model.objects.select_for_update().filter(pk=pk).values(*fields).first()
    return row


def _record_change(
    prefix: str,
    target: Any,
    key: str,
    *,
    before: dict[str, Any] | None,
    fields: list[str],
    actor: User | None,
) -> None:
    after = {field: getattr(target, field) for field in fields}
    if before is None:
        record_event(f"{prefix}.created", actor=actor, target=target, target_key=key, data=after)
        return
    changes = {
        field: [before[field], after[field]] for field in fields if before[field] != after[field]
    }
    if changes:
        record_event(f"{prefix}.changed", actor=actor, target=target, target_key=key, data=changes)
