"""What an API client may call: one grant per endpoint group and direction.

A client holds a set of grants (``ApiClient.scopes``), chosen by an admin as
checkboxes. Each endpoint names the grants it needs (``api.endpoints.needs``), the
key check refuses a call without them with a 403 naming the missing grant
(``api.auth.ApiKey``), and the schema states them on every operation. The unit
scope (all units, or some) applies on top, to every grant.
"""

import json
from collections.abc import Callable, Iterable

from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    PROJECTS_READ = "projects:read", _("Read projects (projects list, one project)")
    LINES_READ = "lines:read", _("Read estimate lines (a project's lines, lines of many projects)")
    HISTORY_READ = "history:read", _("Read a project's history")
    QUOTAS_READ = "quotas:read", _("Read budget quotas (预算指标) and receive their webhooks")
    STANDARDS_READ = "standards:read", _("Read published budget standards")
    SUMMARY_READ = "summary:read", _("Read the budget summary's figures")
    CODES_READ = "codes:read", _("Read the classification code lists (支出功能分类, 经济分类…)")
    CONTRACTS_WRITE = "contracts:write", _("Write contracts from the treasury")
    PAYMENTS_WRITE = "payments:write", _("Write payments from the treasury")


READ_SCOPES = tuple(scope for scope in Scope if scope.value.endswith(":read"))
WRITE_SCOPES = (Scope.CONTRACTS_WRITE, Scope.PAYMENTS_WRITE)

# What a call needs: the grants it must hold, given the request (before its body is
# parsed, so a client without the grant hears 403 before any 422).
Needed = Callable[[HttpRequest], frozenset[Scope]]


class ScopeMissingError(Exception):
    """A 403: the grants the call needs and the client lacks (``any_of``: one of them
    would do)."""

    def __init__(self, missing: Iterable[Scope], *, any_of: bool = False) -> None:
        self.missing = sorted(scope.value for scope in missing)
        self.any_of = any_of
        super().__init__(f"missing scope {', '.join(self.missing)}")


def fixed(*scopes: Scope) -> Needed:
    """The same grants for every call of an endpoint."""
    needed = frozenset(scopes)
    return lambda request: needed


def batch_needs(request: HttpRequest) -> frozenset[Scope]:
    """A treasury batch needs ``contracts:write`` if it carries contracts and
    ``payments:write`` if it carries payments. A body that carries neither (or is no
    JSON object) needs one of the two: the caller with neither grant hears 403, the
    one with a grant hears what is wrong with the body."""
    try:
        body = json.loads(request.body or b"null")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {}
    needed = frozenset(
        scope
        for scope, key in ((Scope.CONTRACTS_WRITE, "contracts"), (Scope.PAYMENTS_WRITE, "payments"))
        if body.get(key)
    )
    return needed


def check(granted: Iterable[str], needed: frozenset[Scope]) -> None:
    """Raise ``ScopeMissingError`` naming each needed grant the client lacks; with
    nothing needed (an empty batch) one write grant suffices."""
    held = set(granted)
    if not needed:
        if not held & {scope.value for scope in WRITE_SCOPES}:
            raise ScopeMissingError(WRITE_SCOPES, any_of=True)
        return
    missing = [scope for scope in needed if scope.value not in held]
    if missing:
        raise ScopeMissingError(missing)
