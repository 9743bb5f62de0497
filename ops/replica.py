"""Reports and exports read from a streaming read replica, when there is one.

With ``REPLICA_DATABASE_URL`` set (docs/deployment.md, "Beyond one machine") the
settings add a ``replica`` database: a hot standby of the primary, fed by
PostgreSQL's streaming replication. Only code that asks for it reads from it:
the report views (``@reads_from_replica``) and the export worker
(``read_with_fallback``). Routing by block rather than by model, because a
report reads the models of many apps, which every other page also reads and
must read fresh.

What stays on the primary, always:
- every write, every ``select_for_update`` and every read inside a transaction
  (it must see its own uncommitted rows);
- everything outside those blocks: forms, workflow pages, the API, sessions;
- a reader who wrote recently and whose write the replica has not replayed
  yet ("read your own writes"): after any POST (PUT, PATCH, DELETE) the
  response carries a cookie with the primary's WAL position, and a report is
  read from the replica only once it has replayed that far;
- all reads while the replica is unusable: down (then left alone for
  ``REPLICA_RETRY_SECONDS``), not a standby (promoted), not streaming, or more
  than ``REPLICA_MAX_LAG_SECONDS`` behind. A report whose replica fails under
  it is read again from the primary. Faults are answered, never shown.

Migrations never run on the replica (it is read-only; the primary's WAL carries them).
"""

import contextlib
import logging
import re
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, HttpResponseBase

from ops.outage import is_database_unavailable

logger = logging.getLogger("ops.replica")

PRIMARY = DEFAULT_DB_ALIAS
REPLICA = "replica"
# The cookie of "read your own writes": the primary's WAL position after the last write.
COOKIE = "primary_lsn"
COOKIE_SECONDS = 60 * 60  # long past any lag a usable replica may have
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_LSN = re.compile(r"([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})")

# The alias reads go to inside a replica block of this thread or task (None: the primary).
_reading: ContextVar[str | None] = ContextVar("ops_replica_reading", default=None)
# Monotonic time before which the replica, having failed, is not asked again (per process).
_resting_until = 0.0

T = TypeVar("T")


class ReplicaRouter:
    """Django's router (settings.DATABASE_ROUTERS): reads to the replica inside a
    replica block, everything else to the primary."""

    def db_for_read(self, model: type, **hints: Any) -> str:
        alias = _reading.get()
        if alias is None or connections[PRIMARY].in_atomic_block:
            # Explicitly the primary: Django would otherwise follow a related object
            # back to the database an instance was read from.
            return PRIMARY
        return alias

    def db_for_write(self, model: type, **hints: Any) -> str:
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # one database, two copies of it

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return False if db == REPLICA else None


def is_configured() -> bool:
    return REPLICA in settings.DATABASES


def lsn_to_int(text: str) -> int | None:
    """PostgreSQL's ``pg_lsn`` text (``16/B374D848``) as a number, None if it is not one."""
    match = _LSN.fullmatch(text or "")
    if match is None:
        return None
    return (int(match[1], 16) << 32) | int(match[2], 16)


def primary_lsn() -> str:
    """The primary's WAL insert position: past the commit of every transaction so far."""
    with connections[PRIMARY].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_insert_lsn()::text")
        row = cursor.fetchone()
    return str(row[0])


def primary_position() -> int | None:
    """``primary_lsn`` as a number, for ``min_lsn``; None (and no query) without a replica."""
    return lsn_to_int(primary_lsn()) if is_configured() else None


@dataclass(frozen=True)
class ReplicaState:
    in_recovery: bool  # a standby (False: promoted, or not a replica at all)
    streaming: bool  # its WAL receiver runs
    replay_lsn: int  # where it has replayed to
    lag_seconds: float  # behind the primary (0 when it has replayed all it received)

    def usable(self, min_lsn: int | None) -> bool:
        return (
            self.in_recovery
            and self.streaming
            and self.lag_seconds <= settings.REPLICA_MAX_LAG_SECONDS
            and (min_lsn is None or self.replay_lsn >= min_lsn)
        )


# pg_stat_wal_receiver has a row only while the receiver runs (visible to any role).
# The lag is the age of the last transaction replayed while more WAL waits to be; with
# nothing waiting the replica is as fresh as what it received (NTP keeps the clocks).
_STATE_SQL = """
SELECT pg_is_in_recovery(),
       EXISTS (SELECT 1 FROM pg_stat_wal_receiver),
       COALESCE(pg_last_wal_replay_lsn()::text, ''),
       CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END
"""


def replica_state() -> ReplicaState:
    """Ask the replica how it is (one query); raises DatabaseError when it does not answer."""
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(_STATE_SQL)
        row = cursor.fetchone()
    in_recovery, streaming, replay, lag = row
    return ReplicaState(
        in_recovery=bool(in_recovery),
        streaming=bool(streaming),
        replay_lsn=lsn_to_int(replay) or 0,
        lag_seconds=float("inf") if lag is None else float(lag),
    )


def rest_replica(error: BaseException) -> None:
    """The replica failed: leave it alone for REPLICA_RETRY_SECONDS, so a dead one
    costs one connection timeout per process and period, not one per report."""
    global _resting_until  # noqa: PLW0603  # per process, on purpose
    _resting_until = time.monotonic() + settings.REPLICA_RETRY_SECONDS
    logger.warning(
        "The read replica failed (%s); reports read from the primary for %s s.",
        type(error).__name__,
        settings.REPLICA_RETRY_SECONDS,
    )
    with contextlib.suppress(DatabaseError):
        connections[REPLICA].close()


def choose(min_lsn: int | None = None, *, wait: float = 0.0) -> str:
    """The alias to read from: the replica if it is usable and has replayed up to
    ``min_lsn``, waiting up to ``wait`` seconds for it to get there; else the primary."""
    if not is_configured() or time.monotonic() < _resting_until:
        return PRIMARY
    deadline = time.monotonic() + wait
    while True:
        try:
            state = replica_state()
        except DatabaseError as error:
            rest_replica(error)
            return PRIMARY
        if state.usable(min_lsn):
            return REPLICA
        if time.monotonic() >= deadline or not (state.in_recovery and state.streaming):
            logger.info("Reading from the primary: the replica is %s", state)
            return PRIMARY
        time.sleep(0.05)


@contextlib.contextmanager
def reading_from_replica(min_lsn: int | None = None, *, wait: float = 0.0) -> Iterator[str]:
    """Route this block's reads (outside transactions) to the replica when ``choose``
    allows; yields the alias chosen."""
    alias = choose(min_lsn, wait=wait)
    token = _reading.set(alias if alias == REPLICA else None)
    try:
        yield alias
    finally:
        _reading.reset(token)


def read_with_fallback(
    read: Callable[[], T], *, min_lsn: int | None = None, wait: float = 0.0
) -> T:
    """``read()`` with its reads on the replica; if the replica fails under it (goes
    away, or cancels a query that replay conflicts with), ``read()`` again on the
    primary. So ``read()`` must be safe to run twice: its reads may be repeated, and
    its writes (always on the primary) must not be repeated harmfully."""
    with reading_from_replica(min_lsn, wait=wait) as alias:
        if alias != REPLICA:
            return read()
        # Django marks the connection an error came through: tells the replica's
        # failures from the primary's (which a second read would only repeat).
        connections[REPLICA].errors_occurred = False
        try:
            return read()
        except DatabaseError as error:
            if not (is_database_unavailable(error) and connections[REPLICA].errors_occurred):
                raise
            rest_replica(error)
    return read()


def written_lsn(request: HttpRequest) -> int | None:
    """The WAL position of the requester's last write (their cookie), if any."""
    return lsn_to_int(request.COOKIES.get(cookie_name(), ""))


def cookie_name() -> str:
    # As the session cookie: __Host- where cookies are secure (settings.py says why).
    return f"__Host-{COOKIE}" if settings.SESSION_COOKIE_SECURE else COOKIE


def reads_from_replica(
    view: Callable[..., HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    """A report view's decorator: its GETs read from the replica (see the module)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method not in ("GET", "HEAD") or not is_configured():
            return view(request, *args, **kwargs)
        return read_with_fallback(
            lambda: view(request, *args, **kwargs), min_lsn=written_lsn(request)
        )

    return wrapped


class ReadYourWritesMiddleware:
    """After a request that may have written (any unsafe method), remember the
    primary's WAL position in a cookie, so this browser's reports wait for the
    replica to replay it. Not signed: changing it only moves one's own reports
    between two copies of the same data."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if request.method in SAFE_METHODS or not is_configured():
            return response
        try:
            position = primary_lsn()
        except DatabaseError:
            return response  # the primary is down: the response already says so
        response.set_cookie(
            cookie_name(),
            position,
            max_age=COOKIE_SECONDS,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
        return response
