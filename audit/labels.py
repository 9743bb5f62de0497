"""Readable names of event types, registered by the apps that write them."""

from django.utils.functional import Promise

_LABELS: dict[str, str | Promise] = {}


def register(labels: dict[str, str | Promise]) -> None:
    _LABELS.update(labels)


def label_for(event_type: str) -> str | Promise:
    return _LABELS.get(event_type, event_type)
