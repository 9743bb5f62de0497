"""Rendered pages kept for the user who asked, until anything in the database changes.

The project list and a project's page are the busiest pages and the dearest
to draw (a dozen queries and hundreds of rows of template). ``cached_page``
keeps each rendered page in the ``pages`` cache under a key made of:

- the page generation, a PostgreSQL sequence that moves on after every
  committed transaction that wrote anything but sessions and login attempts;
- the user, the language, the full path (filters, sort, page), whether htmx
  asked, today's date;
- a hash of the user's CSRF secret, because the page carries a token made
  from it (a page drawn for one browser would carry a token another browser's
  cookie does not match).

Why one generation for the whole database rather than a key per object: a
project's page shows its unit, its lines, the standards, the stages, other
projects (similar, earlier) and the user's roles, and a key per object would
have to name every one of them; a change that one of them forgot would show
a stale page. The generation cannot forget: it is moved by an execute
wrapper on every database connection, so every write through Django (ORM,
raw SQL, the admin, import-export, management commands) moves it, with no
call to remember in the services. The price is that every write empties the
cache for everybody; pages are then drawn afresh, as without the cache.

Why after commit: a page drawn while a write is still uncommitted shows the
old data; were the generation moved before the commit, that old page could be
stored under the new generation and shown until the next write. Moved after
the commit, an old page can only be stored under the old generation, which
nobody asks for any more.

Invalidation by scope (issue #21). One generation for everything made every write
anywhere redraw every page. Now the tables whose rows belong to one project (its row,
lines, reviews, decisions, history...) move no global generation: PostgreSQL triggers
(installed by the domain apps, which name their tables with ``register_scoped_tables``)
call ``ops_touch_pages`` with the scopes a write touched (``project:<code>``,
``unit:<id>``, ``cycle:<year>``...), in the write's own transaction, so a scope's new
generation commits with the data (a page keyed by it cannot hold older data). Each
cached view names the scopes its page shows (``register_page_scopes``, by URL name; a
view without them depends on every cycle, i.e. on every scoped write). The key holds
the global generation and a digest of the scopes' generations, read in one query
before the view draws. Every other table still moves the global generation after
commit, as before. ``X-Page-Cache`` says whether a page was served from the cache
(``hit``), drawn and kept (``miss``), or drawn without the cache (``bypass``).

Pages are not cached when there are messages to show (they are shown once),
without a CSRF cookie yet, for anyone not logged in, or for any answer but a
plain 200. ``PAGE_CACHE_SECONDS`` (0 turns the cache off) bounds how long a
page lives even without writes: the same day's deadlines and windows are
re-read at least that often. Writes made outside Django (psql, pg_restore)
do not move the generation: run ``manage.py bump_page_generation`` after them.
"""

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any

import psycopg
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import caches
from django.db import ProgrammingError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

SEQUENCE = "ops_page_generation"  # spelled out in the SQL below, which takes no names
CACHE_ALIAS = "pages"
HEADER = "X-Page-Cache"

# Statements that cannot change what a page shows. Anything else counts as a
# write: being wrong this way costs a page drawn again, the other way a stale page.
# A server-side cursor (QuerySet.iterator) is DECLAREd over a SELECT: a read too.
READ_ONLY = re.compile(
    r"\s*(SELECT|SHOW|SET|SAVEPOINT|RELEASE|ROLLBACK|BEGIN|COMMIT|DECLARE|FETCH|CLOSE)\b", re.I
)
# Tables written on (nearly) every request, login or export step that no cached
# page shows: the session (saved on every request for the idle timeout),
# django-axes, the background exports' jobs and task queue (progress is
# written every second while an export runs), the log of API calls; and the
# summary's kept totals (``reports.cells``), which no cached page shows; the
# stored pages themselves (``ops_pagecache``, the ``pages`` cache in PostgreSQL); and
# the forms already acted on (``ui.submissions``: a registration's own rows touch
# their scopes, its token must not empty every cached page).
UNSHOWN_TABLE = re.compile(
    r"\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"
    r'"(?:django_session|axes_\w+|budgeting_exportjob|django_tasks_database_\w+|api_apicall'
    r"|reports_summarycell|reports_summaryshare|reports_unitcell|ops_pagecache"
    r"|ui_formsubmission)\"",
    re.I,
)


WRITTEN_TABLE = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"(\w+)"', re.I)

# Tables whose writes the domain's triggers turn into scopes (``register_scoped_tables``).
_scoped_tables: set[str] = set()


def register_scoped_tables(tables: Iterable[str]) -> None:
    """Writes to these tables move no global generation: triggers on them touch the
    scopes they change (``ops_touch_pages``), or no cached page shows them."""
    _scoped_tables.update(tables)


def is_write(sql: str) -> bool:
    """Whether the statement moves the global generation."""
    if READ_ONLY.match(sql) or UNSHOWN_TABLE.match(sql):
        return False
    table = WRITTEN_TABLE.match(sql)
    return table is None or table.group(1) not in _scoped_tables


def watch_writes(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    """Execute wrapper: after a write, move the generation once its transaction commits."""
    result = execute(sql, params, many, context)
    if is_write(sql):
        connection: BaseDatabaseWrapper = context["connection"]
        # Once per transaction: a transaction of a thousand writes moves it once.
        # Entries are (savepoint ids, callback, robust).
        if not any(entry[1] is bump_generation for entry in connection.run_on_commit):
            transaction.on_commit(bump_generation, using=connection.alias, robust=True)
    return result


def install_write_watcher(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """connection_created receiver: every new database connection watches its writes.

    Not Django's own short-lived maintenance connections (creating a test
    database), which have no alias of their own and write no data.
    """
    if connection.alias in settings.DATABASES and watch_writes not in connection.execute_wrappers:
        connection.execute_wrappers.append(watch_writes)


def bump_generation(using: str = "default") -> None:
    with connections[using].cursor() as cursor:
        try:
            cursor.execute("SELECT nextval('ops_page_generation')")
        except ProgrammingError as error:
            # `migrate` writes before it creates the sequence: nothing is cached yet.
            if not isinstance(error.__cause__, psycopg.errors.UndefinedTable):
                raise


def jump_generation(using: str = "default") -> None:
    """Move the generation past any value it may have had, even before a restore.

    A restored database brings back an older generation, under which pages
    drawn since may still be cached. Jumping to the clock in milliseconds
    leaves them behind: the generation moves by one per write, which would
    take more than a thousand writes a second, sustained, to catch up.
    """
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT setval('ops_page_generation', greatest("
            "(SELECT last_value FROM ops_page_generation) + 1,"
            " (extract(epoch FROM clock_timestamp()) * 1000)::bigint))"
        )


def current_generation(using: str = "default") -> int:
    """The generation now: moves on with every nextval, whichever session called it."""
    with connections[using].cursor() as cursor:
        # last_value stays 1 across the first nextval; is_called says it happened.
        cursor.execute("SELECT last_value + is_called::int FROM ops_page_generation")
        row = cursor.fetchone()
    return int(row[0])


@dataclass(frozen=True)
class PageScopes:
    """The scopes a page shows: the named ones, and every cycle's when ``every_cycle``
    (every scoped write touches its project's cycle)."""

    names: tuple[str, ...] = ()
    every_cycle: bool = False


EVERYTHING = PageScopes(every_cycle=True)
ScopeResolver = Callable[..., PageScopes]
_page_scopes: dict[str, ScopeResolver] = {}


def register_page_scopes(view_name: str, resolver: ScopeResolver) -> None:
    """``resolver(request, **url_kwargs)`` names the scopes the view's page shows."""
    _page_scopes[view_name] = resolver


def scopes_of(request: HttpRequest, kwargs: dict[str, Any]) -> PageScopes:
    match = request.resolver_match
    resolver = _page_scopes.get(match.view_name) if match is not None else None
    return EVERYTHING if resolver is None else resolver(request, **kwargs)


def generations(scopes: PageScopes, using: str = "default") -> tuple[int, str]:
    """The global generation and a digest of the scopes' generations, in one query."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT last_value + is_called::int FROM ops_page_generation),"
            " (SELECT md5(coalesce(string_agg(scope || '=' || generation, ',' ORDER BY scope),"
            " '')) FROM ops_pagescope WHERE scope = ANY(%s) OR (%s AND scope LIKE 'cycle:%%'))",
            [list(scopes.names), scopes.every_cycle],
        )
        row = cursor.fetchone()
    return int(row[0]), str(row[1])


def page_key(request: HttpRequest, scopes: PageScopes = EVERYTHING) -> str | None:
    """The cache key of this request's page, or None when it must be drawn afresh."""
    if request.method != "GET" or not request.user.is_authenticated:
        return None
    csrf_secret = request.META.get("CSRF_COOKIE")
    if not csrf_secret or len(get_messages(request)):
        return None
    private = hashlib.sha256(
        "\n".join(
            [csrf_secret, request.get_full_path(), request.headers.get("HX-Request", "")]
        ).encode()
    ).hexdigest()
    generation, scoped = generations(scopes)
    return ":".join(
        [
            "page",
            str(generation),
            scoped,
            str(request.user.pk),
            translation.get_language() or "",
            timezone.localdate().isoformat(),
            private,
        ]
    )


def cached_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve the page from the cache when nothing changed since it was drawn for this user.

    Goes inside ``login_required`` and after every access check that does not
    read the database; the checks that do are the view's, and their result
    cannot change without a write, which moves the generation.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        seconds = settings.PAGE_CACHE_SECONDS
        key = page_key(request, scopes_of(request, kwargs)) if seconds > 0 else None
        if key is None:
            response = view(request, *args, **kwargs)
            response[HEADER] = "bypass"
            return response
        cache = caches[CACHE_ALIAS]
        stored = cache.get(key)
        if stored is not None:
            content_type, content = stored
            response = HttpResponse(content, content_type=content_type)
            response[HEADER] = "hit"
            return response
        response = view(request, *args, **kwargs)
        if _storable(response):
            cache.set(key, (response["Content-Type"], response.content), seconds)
            response[HEADER] = "miss"
        else:
            response[HEADER] = "bypass"
        return response

    return wrapper


def _storable(response: HttpResponse) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not response.has_header("Cache-Control")
    )
