"""Cursor pagination by keyset on the primary key: each page is one ``WHERE id > n
ORDER BY id LIMIT k`` on an index, however deep, so a full sync of a year costs the
same per page from the first page to the last. The cursor is the last id of the page
(the schema admits digits alone, so any other is a 422 before a query); clients pass
back the ``next_cursor`` they got and read nothing into it."""

from collections.abc import Sequence
from typing import Any, TypeVar

from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


def encode(last_id: int) -> str:
    return str(last_id)


def page(rows: QuerySet[M], cursor: str | None, limit: int) -> tuple[list[M], str | None]:
    """One page of ``rows`` after ``cursor``, and the cursor of the next page (None: last)."""
    if cursor:
        rows = rows.filter(pk__gt=int(cursor))
    items = list(rows.order_by("pk")[: limit + 1])
    more = len(items) > limit
    items = items[:limit]
    return items, encode(items[-1].pk) if more else None


def page_of(items: Sequence[Any], next_cursor: str | None) -> dict[str, Any]:
    return {"items": list(items), "next_cursor": next_cursor}
