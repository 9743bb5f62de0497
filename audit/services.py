from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone

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


# What ``record_events_from``'s query gives for each event, in this order.
SELECTED = (
    "event_type",
    "actor_id",
    "target_type",
    "target_key",
    "target_label",
    "comment",
    "data",
)


def record_events_from(select: str, params: Sequence[Any]) -> int:
    """``record_events`` for events a query computes (a history event per group of
    rows a set-wise write made: the treasury file's projects), in one INSERT … SELECT,
    without a Python object each. ``select`` (constant SQL with ``%s`` placeholders for
    ``params``) gives the ``SELECTED`` columns in that order, ``data`` as ``jsonb``;
    ``target_label`` is cut to its 200 characters. Call it inside the transaction of the
    change it records. Returns the number of events."""
    table = Event._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{table}" (occurred_at, from_state, to_state, '  # noqa: S608  # nosec B608: constant SQL
            f"{', '.join(SELECTED)}) SELECT %s, '', '', e.event_type, e.actor_id, "
            "e.target_type, e.target_key, left(e.target_label, 200), e.comment, e.data "
            f"FROM ({select}) AS e",
            [timezone.now(), *params],
        )
        return int(cursor.rowcount)


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
