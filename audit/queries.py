"""Reading the history: the events of one object, as the pages show them."""

from dataclasses import dataclass
from typing import NamedTuple

from django.db import models
from django.utils.functional import Promise

from audit.labels import details_for, label_for
from audit.models import Event


class HistoryEntry(NamedTuple):
    event: Event
    label: str | Promise  # the event type in words, in the user's language
    details: str  # what it changed, in words (a line and its amounts), or ""


@dataclass(frozen=True)
class History:
    entries: list[HistoryEntry]
    limit: int
    more: bool  # older events exist than the ``limit`` shown


def history_of(target: models.Model, key: str, *, limit: int = 100) -> History:
    """The latest ``limit`` events of one object, newest first, with their actors (one query).

    ``key`` is the object's public key, as ``record_event`` was given it (a project's
    code). One more row than shown is read, to tell whether older ones exist.
    """
    events = list(
        Event.objects.filter(target_type=target._meta.label_lower, target_key=key)
        .select_related("actor")
        .order_by("-occurred_at", "-id")[: limit + 1]
    )
    return History(
        entries=[
            HistoryEntry(event, label_for(event.event_type), details_for(event))
            for event in events[:limit]
        ],
        limit=limit,
        more=len(events) > limit,
    )
