"""Whole numbers from a query string or a posted form, for every app's views.

``str.isdigit`` is no check before ``int``: it accepts "²" (which ``int`` refuses, a
server error) and digits of other scripts, and a long string of digits overflows a
PostgreSQL integer column when it reaches a query.
"""

import re

from django.http import HttpRequest

# The largest value of a PostgreSQL integer column (versions, ids).
POSTGRES_INT_MAX = 2_147_483_647
_ASCII_DIGITS = re.compile(r"[0-9]{1,10}")


def whole_number(raw: str | None, *, maximum: int = POSTGRES_INT_MAX) -> int | None:
    """``raw`` as an int if it is ASCII digits alone, at most ``maximum``; else None."""
    if raw is None or not _ASCII_DIGITS.fullmatch(raw):
        return None
    number = int(raw)
    return number if number <= maximum else None


def posted_version(request: HttpRequest, name: str = "version") -> int:
    """The project version a posted form was rendered with; -1 if missing or not a whole
    number, which matches no version, so the service answers that the page is stale."""
    version = whole_number(request.POST.get(name))
    return -1 if version is None else version
