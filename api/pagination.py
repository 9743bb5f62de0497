"""Cursor pagination by keyset on the primary key: each page is one ``WHERE id > n
ORDER BY id LIMIT k`` on an index, however deep, so a full sync of a year costs the
same per page from the first page to the last. The cursor is opaque to clients."""

import base64
import binascii
from collections.abc import Sequence
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from ninja.errors import HttpError

M = TypeVar("M", bound=Model)


def encode(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode(cursor: str) -> int:
    """The id a cursor points after; 400 for anything that is not one of ours."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        kind, _, number = text.partition(":")
        if kind != "id" or not number.isdigit() or len(number) > 18:
            raise ValueError(cursor)
        return int(number)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise HttpError(400, "Invalid cursor: pass the next_cursor of the previous page.") from None


def page(rows: QuerySet[M], cursor: str | None, limit: int) -> tuple[list[M], str | None]:
    """One page of ``rows`` after ``cursor``, and the cursor of the next page (None: last)."""
    if cursor:
        rows = rows.filter(pk__gt=decode(cursor))
    items = list(rows.order_by("pk")[: limit + 1])
    more = len(items) > limit
    items = items[:limit]
    return items, encode(items[-1].pk) if more else None


def page_of(items: Sequence[Any], next_cursor: str | None) -> dict[str, Any]:
    return {"items": list(items), "next_cursor": next_cursor}
