"""Readable names of event types, and the words for their details, registered by the
apps that write them (audit knows none of them)."""

from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.functional import Promise

from audit.models import Event

_LABELS: dict[str, str | Promise] = {}
# event type -> a function of the event's data giving the words a history row shows
_DETAILS: dict[str, Callable[[dict[str, Any]], str]] = {}


def register(labels: dict[str, str | Promise]) -> None:
    _LABELS.update(labels)


def register_details(describers: Mapping[str, Callable[[dict[str, Any]], str]]) -> None:
    _DETAILS.update(describers)


def label_for(event_type: str) -> str | Promise:
    return _LABELS.get(event_type, event_type)


def details_for(event: Event) -> str:
    """What the event changed, in words (a line, its amounts before and after), or "".
    An event recorded before its describer knew a field says nothing rather than fail."""
    describe = _DETAILS.get(event.event_type)
    if describe is None or not isinstance(event.data, dict):
        return ""
    try:
        return describe(event.data)
    except (KeyError, TypeError, ValueError, ArithmeticError):
        return ""


def yuan(value: Any) -> str:
    """An amount as the event's JSON holds it (a string or number) → 1,234,567.80."""
    try:
        return f"{Decimal(str(value)):,.2f}"
    except InvalidOperation as error:
        raise ValueError(value) from error
