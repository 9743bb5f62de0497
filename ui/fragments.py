"""Drawn pieces of pages kept by what they are drawn from (issue #21).

A list page's filter form is the same markup for everyone who sees the same units in
the same language with the same filters typed; drawing it through Django's form and
widget templates cost the project list about a quarter of its time. ``remembered``
keeps such a piece under a key made of *everything it is drawn from* (the caller
names them: the choices as read from the database this request, the language, the
GET values), so it can never be stale: a renamed unit is a new key, and the old
entry simply ages out. Nothing to invalidate, nothing shared between processes.
"""

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Hashable
from threading import Lock

from django.forms import Form, ModelChoiceField
from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import get_language

MAX_ENTRIES = 512  # a few hundred scopes × languages × typed filters; a few MB at most

_pieces: "OrderedDict[str, SafeString]" = OrderedDict()
_lock = Lock()


def remembered(parts: tuple[Hashable, ...], draw: Callable[[], SafeString]) -> SafeString:
    """The piece drawn by ``draw`` for these ``parts``, drawn only the first time.
    ``parts`` must name every input of ``draw``: two calls with equal parts get the
    same markup."""
    key = hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()
    with _lock:
        piece = _pieces.get(key)
        if piece is not None:
            _pieces.move_to_end(key)
            return piece
    piece = draw()
    with _lock:
        _pieces[key] = piece
        while len(_pieces) > MAX_ENTRIES:
            _pieces.popitem(last=False)
    return piece


def forget_all() -> None:
    """Empty the store (tests)."""
    with _lock:
        _pieces.clear()


def form_fields(form: Form, data: QueryDict, *, scope: tuple[Hashable, ...]) -> SafeString:
    """A filter form's fields as ``includes/field.html`` draws them, remembered.
    ``scope``: what the form's choices are read from (for a unit select, the units'
    ids and names as this request reads them); the typed values and the language are
    added here."""
    typed = tuple((name, tuple(data.getlist(name))) for name in form.fields)
    return remembered(
        (type(form).__module__, type(form).__qualname__, get_language(), typed, scope),
        lambda: render_to_string("includes/form_fields.html", {"form": form}),
    )


def read_choices(field: ModelChoiceField, label: str) -> tuple[tuple[Hashable, ...], ...]:
    """Read a model select's choices once, as (id, ``label`` column) pairs, and give
    them to the field, so that drawing it (when not remembered) reads nothing more and
    builds no model objects; the pairs are the ``scope`` of ``form_fields``. The
    label column must be what the model's ``str()`` shows. Validation still checks a
    chosen id against the field's queryset."""
    pairs = tuple(field.queryset.values_list("pk", label))  # type: ignore[union-attr]
    empty = [("", field.empty_label)] if field.empty_label is not None else []
    field.choices = [*empty, *pairs]
    return pairs
