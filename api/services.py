"""Every change to API clients and their webhooks, with its history event: register,
change, rotate the key or the secret, revoke. Callers are system admins (Django admin)
or the system (actor None).

A key is returned once, by ``register_client`` and ``rotate_key``; only its hash is
kept, so a lost key is replaced, never recovered.
"""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Jurisdiction, Organization, User
from api import keys
from api.models import ApiCall, ApiClient, Webhook
from api.scopes import READ_SCOPES
from audit.services import record_event

SCOPE_FIELDS = ("scopes", "all_units", "jurisdiction")


def _scope_of(client: ApiClient, unit_codes: Iterable[str]) -> dict[str, Any]:
    return {
        "scopes": sorted(client.scopes),
        "all_units": client.all_units,
        "jurisdiction": client.jurisdiction.code if client.jurisdiction else None,
        "units": sorted(unit_codes),
    }


def check_scope(client: ApiClient, units: Iterable[Organization]) -> None:
    """A client sees all units or some: refuse one with neither (the admin's form too)."""
    if not client.all_units and not list(units):
        raise ValidationError(
            {"units": _("Choose the budget units the client may see, or all budget units.")}
        )


def register_client(
    *,
    actor: User | None,
    name: str,
    scopes: Iterable[str] = READ_SCOPES,
    all_units: bool = False,
    units: Iterable[Organization] = (),
    jurisdiction: Jurisdiction | None = None,
) -> tuple[ApiClient, str]:
    """Register a client and issue its first key: the client and the key (show it once).
    Raises ``ValidationError`` (nothing written) for a duplicate name or no unit scope."""
    units = list(units)
    new = keys.new_key()
    client = ApiClient(
        name=name,
        scopes=sorted({str(scope) for scope in scopes}),
        all_units=all_units,
        jurisdiction=jurisdiction,
        key_prefix=new.prefix,
        key_hash=new.hash,
    )
    check_scope(client, units)
    with transaction.atomic():
        client.full_clean()
        client.save()
        client.units.set(units)
        record_event(
            "api.client.registered",
            actor=actor,
            target=client,
            target_key=str(client.public_id),
            to_state="active",
            data={"scope": _scope_of(client, (unit.code for unit in units))},
        )
    return client, new.key


def change_client(
    client: ApiClient, *, actor: User | None, units: Iterable[Organization]
) -> ApiClient:
    """Save a client's name and scope (``client`` carries the new values), recording the
    scope before and after. The key stays. Raises ``ValidationError`` as registering."""
    units = list(units)
    check_scope(client, units)
    with transaction.atomic():
        locked = ApiClient.objects.select_for_update().get(pk=client.pk)
        before = _scope_of(locked, locked.units.values_list("code", flat=True))
        client.full_clean()
        client.save(update_fields=["name", *SCOPE_FIELDS])
        client.units.set(units)
        after = _scope_of(client, (unit.code for unit in units))
        record_event(
            "api.client.changed",
            actor=actor,
            target=client,
            target_key=str(client.public_id),
            data={"scope": [before, after], "name": [locked.name, client.name]},
        )
    return client


def rotate_key(client: ApiClient, *, actor: User | None) -> str:
    """Issue a new key for an active client; the old one stops working at once.
    Returns the new key (show it once). Raises ``ValidationError`` for a revoked client."""
    new = keys.new_key()
    with transaction.atomic():
        locked = ApiClient.objects.select_for_update().get(pk=client.pk)
        if not locked.is_active:
            raise ValidationError(_("A revoked client gets no new key."))
        locked.key_prefix, locked.key_hash = new.prefix, new.hash
        locked.key_changed_at = timezone.now()
        locked.save(update_fields=["key_prefix", "key_hash", "key_changed_at"])
        record_event(
            "api.client.key_rotated",
            actor=actor,
            target=locked,
            target_key=str(locked.public_id),
            data={"key_prefix": new.prefix},
        )
    client.refresh_from_db()
    return new.key


def revoke_client(client: ApiClient, *, actor: User | None, comment: str = "") -> ApiClient:
    """Revoke a client for good: its key stops working at once. Revoking a revoked
    client changes nothing (no second event)."""
    with transaction.atomic():
        locked = ApiClient.objects.select_for_update().get(pk=client.pk)
        if not locked.is_active:
            return locked
        locked.is_active = False
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["is_active", "revoked_at"])
        record_event(
            "api.client.revoked",
            actor=actor,
            target=locked,
            target_key=str(locked.public_id),
            from_state="active",
            to_state="revoked",
            comment=comment,
        )
    return locked


def record_call(
    client_id: int, *, method: str, endpoint: str, status: int, duration_ms: int
) -> ApiCall:
    """Log one call (the middleware, after the answer). Not a history event: a log."""
    return ApiCall.objects.create(
        client_id=client_id,
        method=method[:8],
        endpoint=endpoint[:200],
        status=status,
        duration_ms=max(0, duration_ms),
    )


def check_url(url: str) -> str:
    """The address stripped; ``ValidationError`` unless http(s) with a host (the admin's
    form too)."""
    url = url.strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ValidationError(
            {"url": _("Give the consumer's address as http:// or https:// and a host.")}
        ) from None
    if len(url) > Webhook._meta.get_field("url").max_length:  # type: ignore[operator]
        raise ValidationError({"url": _("The address is too long.")})
    return url


def register_webhook(*, actor: User | None, client: ApiClient, url: str) -> tuple[Webhook, str]:
    """Register a consumer's URL for a client's events and make its signing secret: the
    webhook and the secret (show it once). Raises ``ValidationError`` for an address
    that is not http(s) or a revoked client; nothing is written then."""
    url = check_url(url)
    secret = keys.new_webhook_secret()
    with transaction.atomic():
        locked = ApiClient.objects.select_for_update().get(pk=client.pk)
        if not locked.is_active:
            raise ValidationError({"client": _("A revoked client gets no webhook.")})
        webhook = Webhook.objects.create(client=locked, url=url, secret=secret)
        record_event(
            "api.webhook.registered",
            actor=actor,
            target=webhook,
            target_key=str(webhook.public_id),
            to_state="active",
            data={"client": locked.name, "url": url},
        )
    return webhook, secret


def change_webhook(webhook: Webhook, *, actor: User | None, url: str, is_active: bool) -> Webhook:
    """Change a webhook's address or pause it (``is_active``); the secret stays. Events of
    a paused webhook are not queued, and its queued ones are not sent. Raises
    ``ValidationError`` for an address that is not http(s)."""
    url = check_url(url)
    with transaction.atomic():
        locked = Webhook.objects.select_for_update().get(pk=webhook.pk)
        before = {"url": locked.url, "is_active": locked.is_active}
        locked.url, locked.is_active = url, is_active
        locked.save(update_fields=["url", "is_active"])
        record_event(
            "api.webhook.changed",
            actor=actor,
            target=locked,
            target_key=str(locked.public_id),
            data={key: [before[key], getattr(locked, key)] for key in before},
        )
    return locked


def rotate_webhook_secret(webhook: Webhook, *, actor: User | None) -> str:
    """Make a new signing secret; deliveries from now on are signed with it. Returns it
    (show it once)."""
    secret = keys.new_webhook_secret()
    with transaction.atomic():
        locked = Webhook.objects.select_for_update().get(pk=webhook.pk)
        locked.secret = secret
        locked.save(update_fields=["secret"])
        record_event(
            "api.webhook.secret_rotated",
            actor=actor,
            target=locked,
            target_key=str(locked.public_id),
        )
    return secret
