from collections.abc import Iterable
from typing import Any

from django.db import models

from audit.models import Event


def record_event(
    event_type: str,
    *,
    actor: Any,
    target: models.Model,
    target_key: str,
    from_state: str = "",
    to_state: str = "",
    comment: str = "",
    data: dict[str, Any] | None = None,
) -> Event:
    """Append one history event; call it inside the transaction of the change it records.

    ``target_key`` is the object's public key (a code or username), so the
    record stays readable without joins. ``actor`` None means the system.
    """
    event = _event(
        event_type,
        actor=actor,
        target=target,
        target_key=target_key,
        from_state=from_state,
        to_state=to_state,
        comment=comment,
        data=data,
    )
    event.save(force_insert=True)
    return event


def record_events(events: Iterable[dict[str, Any]]) -> None:
    """``record_event`` for many events at once (each a dict of its arguments), in one
    insert: a batch of payments for a thousand projects records one event each."""
    Event.objects.bulk_create([_event(**event) for event in events], batch_size=1000)


def _event(event_type: str, *, actor: Any, target: models.Model, **fields: Any) -> Event:
    data = fields.pop("data", None)
    return Event(
        event_type=event_type,
        actor=actor if getattr(actor, "pk", None) else None,
        target_type=target._meta.label_lower,
        target_label=str(target)[:200],
        data=data or {},
        **fields,
    )
