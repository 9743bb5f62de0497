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


_DIGITS = re.compile(r"[0-9]+")


def page_number(raw: str | None) -> int:
    """A list's page number from the query string, never an error: 1 for anything but
    ASCII digits (junk, "-3", "0", NUL), and a number too long for ``whole_number`` the
    largest, which ``Paginator.get_page`` turns into the last page as it does any page
    past the end."""
    if raw is not None and _DIGITS.fullmatch(raw) and whole_number(raw) is None:
        return POSTGRES_INT_MAX
    return whole_number(raw) or 1
