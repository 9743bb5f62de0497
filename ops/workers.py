"""The background worker, kept running: ``manage.py run_worker``.

django-tasks' ``db_worker`` stops for good on the first database error it
meets (a restart of the server is enough), and nothing started it again: later
exports waited in the queue for ever. ``run_worker`` supervises it:

1. Before each start it waits for the database (one log line per attempt,
   backing off from 1 to 10 seconds), marks failed the tasks that a worker of
   this machine left running when it died, and sends ``worker_starting`` so the
   apps can do the same for their own records (the reports app fails the
   exports those workers were writing, so their owners can start again at once).
2. It runs ``db_worker`` in a child process whose worker id names it (host,
   PID namespace and process id), so a later look can tell whether it still runs.
3. When the child exits without being asked to, it logs one line and starts
   it again after the same backoff (reset once a child has run for a minute).
4. A SIGTERM or SIGINT is passed on to the child, which finishes the task it is
   running and stops, and so does the supervisor; a second one stops the task.

The child has its own process group, so a terminal's Ctrl-C reaches the
supervisor alone and the child hears it once.
"""

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from django.db import connections
from django.dispatch import Signal
from django.utils import timezone

from ops.outage import is_database_unavailable

logger = logging.getLogger("ops.workers")

# Sent (by run_worker, before each start of the worker) to let apps fail what a
# dead worker left unfinished. Receivers take no arguments but ``sender``; a
# database error propagates (the supervisor waits and tries again).
worker_starting = Signal()

MANAGE_PY = Path(__file__).resolve().parent.parent / "manage.py"
FIRST_DELAY = 1.0
LONGEST_DELAY = 10.0
# A child that ran this long was healthy: the next restart waits FIRST_DELAY again.
HEALTHY_AFTER = 60.0


def _pid_namespace() -> str:
    try:
        return os.readlink("/proc/self/ns/pid").removeprefix("pid:[").removesuffix("]")
    except OSError:
        return "-"


# Where a process runs: two containers may share a host name, never a PID namespace.
PLACE = f"{socket.gethostname()[:40]}:{_pid_namespace()}"


def this_process() -> str:
    """This process's identity as a worker, e.g. ``app1:4026531836:12345`` (≤ 64 characters)."""
    return f"{PLACE}:{os.getpid()}"


def is_gone(identity: str) -> bool:
    """True when ``identity`` names a process of this place that no longer runs.

    Unknown (another machine, another container, a worker id in another format,
    a process of another user): False, so a worker is never taken for dead
    wrongly; its work is then found by its lack of progress instead.
    """
    place, _, pid = identity.rpartition(":")
    if place != PLACE or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def fail_tasks_of_lost_workers() -> int:
    """Mark failed the tasks still 'running' in a worker of this place that is gone.

    The admin then lists them under "Task results" as failed, with why, instead of
    running for ever. Returns how many.
    """
    from django_tasks_db.models import DBTaskResult

    lost = [
        result.pk
        for result in DBTaskResult.objects.filter(status="RUNNING").only("worker_ids")
        if result.worker_ids and is_gone(result.worker_ids[-1])
    ]
    if lost:
        DBTaskResult.objects.filter(pk__in=lost, status="RUNNING").update(
            status="FAILED",
            finished_at=timezone.now(),
            exception_class_path="ops.workers.WorkerLost",
            traceback="WorkerLost: the worker running this task stopped before it finished "
            "(killed, or lost its database); run_worker started a new one.",
        )
        logger.warning("Marked %s task(s) of a stopped worker as failed", len(lost))
    return len(lost)


def recover() -> None:
    """What a worker must do before it starts: fail what dead workers left running."""
    try:
        fail_tasks_of_lost_workers()
        worker_starting.send(sender=Supervisor)
    finally:
        # The supervisor holds no connection while the child runs, pooled or not.
        for connection in connections.all(initialized_only=True):
            connection.close()
            close_pool = getattr(connection, "close_pool", None)
            if close_pool is not None:
                close_pool()


class Supervisor:
    """Runs the worker (``command``) again and again until told to stop (see the module)."""

    def __init__(
        self,
        command: list[str],
        *,
        recover: Callable[[], None] = recover,
        clock: Callable[[], float] = time.monotonic,
        first_delay: float = FIRST_DELAY,
        longest_delay: float = LONGEST_DELAY,
    ) -> None:
        self.command = command
        self.recover = recover
        self.clock = clock
        self.first_delay = first_delay
        self.longest_delay = longest_delay
        self.delay = first_delay
        # A plain flag: a signal handler must take no lock the code it interrupted may hold.
        self.stopping = False
        self.child: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def stop(self, signum: int, frame: FrameType | None = None) -> None:
        """Signal handler: pass the signal on, and stop once the child has."""
        self.stopping = True
        if self.child is not None and self.child.poll() is None:
            self.child.send_signal(signum)

    def install_signal_handlers(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT):
            signal.signal(signum, self.stop)

    def run(self) -> int:
        """Until stopped; returns the last child's exit code (0 if none ran)."""
        returncode = 0
        while not self.stopping:
            if not self._recovered():
                self._back_off()
                continue
            if self.stopping:
                break
            started = self.clock()
            self.child = subprocess.Popen(self.command, process_group=0)
            self.starts += 1
            if self.stopping:  # told to stop while it was being started
                self.child.send_signal(signal.SIGTERM)
            returncode = self.child.wait()
            if self.stopping:
                break
            ran = self.clock() - started
            if ran >= HEALTHY_AFTER:
                self.delay = self.first_delay
            logger.warning(
                "The background worker (pid %s) exited with code %s after %.0f s; "
                "starting it again in %.0f s",
                self.child.pid,
                returncode,
                ran,
                self.delay,
            )
            self._back_off()
        return returncode

    def _recovered(self) -> bool:
        try:
            self.recover()
        except Exception as error:
            if not is_database_unavailable(error):
                # A bug in a receiver must not keep the queue from being worked.
                logger.exception("Recovering before the worker starts failed; starting it anyway")
                return True
            first_line = (str(error).strip().splitlines() or [""])[0]
            logger.warning(
                "Database unavailable (%s: %s); the background worker waits %.0f s",
                type(error).__name__,
                first_line[:200],
                self.delay,
            )
            return False
        return True

    def _back_off(self) -> None:
        until = self.clock() + self.delay
        while not self.stopping and self.clock() < until:
            time.sleep(min(0.2, self.delay))
        self.delay = min(self.delay * 2, self.longest_delay)


def stop_when_orphaned(poll: float = 1.0) -> None:
    """In the worker: stop (finishing the running task) if the supervisor is killed
    outright, rather than run on unsupervised beside the next one."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll)
        logger.warning("The worker's supervisor is gone: stopping")
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="orphan-watch", daemon=True).start()


def child_command(interval: float) -> list[str]:
    return [sys.executable, str(MANAGE_PY), "run_worker", "--child", f"--interval={interval}"]
