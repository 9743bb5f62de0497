"""run_worker keeps the background worker running: it waits for the database, starts
the worker again when it exits, passes a stop on once, and fails the tasks a dead
worker left running."""

import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from django.db import OperationalError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from ops import workers
from ops.workers import Supervisor


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(code)]


def _dead_process() -> str:
    """The identity of a process of this machine that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return f"{workers.PLACE}:{child.pid}"


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "ops.workers"]


def test_a_worker_that_exits_is_started_again_with_a_growing_delay(
    caplog: pytest.LogCaptureFixture,
) -> None:
    recoveries = 0

    def recover() -> None:
        nonlocal recoveries
        recoveries += 1
        if recoveries == 4:
            supervisor.stopping = True

    supervisor = Supervisor(
        _python("import sys; sys.exit(3)"), recover=recover, first_delay=0.05, longest_delay=0.1
    )
    assert supervisor.run() == 3
    assert supervisor.starts == 3
    assert recoveries == 4  # before every start: what the last one left is failed first
    lines = _warnings(caplog)
    assert len(lines) == 3
    assert all("exited with code 3" in line for line in lines)
    assert supervisor.delay == 0.1  # doubled each time, up to the longest


def test_it_waits_for_the_database_before_starting_the_worker(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    started = tmp_path / "started"
    attempts = 0

    def recover() -> None:
        nonlocal attempts
        attempts += 1
        if attempts <= 3:
            raise OperationalError('connection to server at "127.0.0.1" failed: Connection refused')
        if started.exists():
            supervisor.stopping = True

    supervisor = Supervisor(
        _python(f"open({str(started)!r}, 'w').close()"), recover=recover, first_delay=0.01
    )
    supervisor.run()
    assert supervisor.starts == 1  # not one start while the database was away
    lines = _warnings(caplog)
    assert [line.split(";")[0] for line in lines[:3]] == [
        'Database unavailable (OperationalError: connection to server at "127.0.0.1" failed: '
        "Connection refused)"
    ] * 3
    assert not [r for r in caplog.records if r.exc_info]  # a line each, no traceback


def test_a_bug_in_the_recovery_does_not_keep_the_worker_from_starting(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def recover() -> None:
        if supervisor.starts:
            supervisor.stopping = True
            return
        raise ZeroDivisionError("a receiver's bug")

    supervisor = Supervisor(_python("pass"), recover=recover, first_delay=0.01)
    supervisor.run()
    assert supervisor.starts == 1
    assert any(r.exc_info and r.exc_info[0] is ZeroDivisionError for r in caplog.records)


def test_a_stop_is_passed_on_once_and_the_supervisor_ends_with_the_worker(
    tmp_path: Path,
) -> None:
    """SIGTERM: the worker finishes its task and stops, and so does the supervisor."""
    heard = tmp_path / "heard"
    ready = tmp_path / "ready"
    child = f"""
        import pathlib, signal, sys, time
        def finish(signum, frame):
            with open({str(heard)!r}, "a") as out:
                out.write(signal.Signals(signum).name + "\\n")
            sys.exit(0)
        signal.signal(signal.SIGTERM, finish)
        pathlib.Path({str(ready)!r}).touch()
        time.sleep(60)
    """
    supervisor = Supervisor(_python(child), recover=lambda: None, first_delay=0.01)
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(supervisor.run()))
    thread.start()
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    supervisor.stop(signal.SIGTERM)
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert result == [0]
    assert heard.read_text() == "SIGTERM\n"
    assert supervisor.starts == 1


def test_only_a_process_of_this_machine_that_has_exited_is_gone() -> None:
    assert workers.is_gone(_dead_process())
    assert not workers.is_gone(workers.this_process())
    assert not workers.is_gone(f"another-host:{workers.PLACE.split(':')[1]}:1")
    assert not workers.is_gone(f"{workers.PLACE.split(':')[0]}:4026500000:999999")
    assert not workers.is_gone("3f9c2a0d9b8e4f6a")  # db_worker's own random ids
    assert not workers.is_gone("")
    assert len(workers.this_process()) <= 64  # db_worker's limit for a worker id


@pytest.mark.django_db
def test_tasks_left_running_by_a_dead_worker_are_failed() -> None:
    def task(status: str, worker: str) -> DBTaskResult:
        return DBTaskResult.objects.create(
            status=status,
            args_kwargs={"args": [], "kwargs": {}},
            task_path="reports.export_jobs.write_lines_export",
            backend_name="default",
            run_after=timezone.now(),
            worker_ids=[worker],
        )

    dead = task("RUNNING", _dead_process())
    alive = task("RUNNING", workers.this_process())
    done = task("SUCCESSFUL", _dead_process())
    elsewhere = task("RUNNING", "another-host:1:1")
    assert workers.fail_tasks_of_lost_workers() == 1
    for result in (dead, alive, done, elsewhere):
        result.refresh_from_db()
    assert (dead.status, dead.exception_class_path) == ("FAILED", "ops.workers.WorkerLost")
    assert "stopped before it finished" in dead.traceback
    assert [alive.status, done.status, elsewhere.status] == ["RUNNING", "SUCCESSFUL", "RUNNING"]


def test_a_worker_whose_supervisor_was_killed_stops(tmp_path: Path) -> None:
    """kill -9 of run_worker (gunicorn's last resort) leaves no worker running on alone:
    the worker hears SIGTERM (and so finishes its task) once its parent is gone."""
    heard = tmp_path / "heard"
    worker = f"""
        import signal, sys, time
        from ops import workers
        def finish(signum, frame):
            open({str(heard)!r}, "w").write(signal.Signals(signum).name)
            sys.exit(0)
        signal.signal(signal.SIGTERM, finish)
        workers.stop_when_orphaned(poll=0.05)
        print("ready", flush=True)
        time.sleep(30)
    """
    supervisor = f"""
        import subprocess, sys, time
        child = subprocess.Popen({_python(worker)!r}, stdout=subprocess.PIPE, text=True)
        child.stdout.readline()
        print("ready", flush=True)
        time.sleep(30)
    """
    parent = subprocess.Popen(_python(supervisor), stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    assert parent.stdout.readline() == "ready\n"
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 20
    while not heard.exists():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert heard.read_text() == "SIGTERM"
