"""Path converters for the public codes in our URLs (issue #15).

A ``<str:...>`` segment takes anything but a slash, a NUL byte too, which
PostgreSQL refuses in a query (a server error where the address simply names
nothing). These converters admit only the alphabet the codes are made of, so any
other segment is no match: a 404 before a view or the database sees it.
Registered by ``UiConfig.ready``, before the first URLconf is read.
"""

from django.urls import register_converter
from django.urls.converters import get_converters


class CodeConverter:
    """A public code: a project's (``2027-EDU-0001``), a standard's (``GD-2019``) or an
    item's (``1.2``). The alphabet of ``standards.models.CODE_VALIDATOR``, which
    project codes (year, unit code, number) fall within too."""

    regex = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class TokenConverter:
    """A random URL-safe token (``secrets.token_urlsafe``), e.g. a pending import's."""

    regex = r"[A-Za-z0-9_-]{1,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


def register() -> None:
    """Register each converter once (Django warns when a name is registered again)."""
    registered = get_converters()
    if "code" not in registered:
        register_converter(CodeConverter, "code")
    if "token" not in registered:
        register_converter(TokenConverter, "token")
