import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.db import connection, transaction
from django.utils import translation

BASE_DIR = Path(__file__).resolve().parents[1]

# The suite's own settings (pytest-env, the browser tests' async switch) must
# not leak into a subprocess that stands for production.
SUITE_ONLY = {
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "STATIC_MANIFEST",
    "STATIC_ROOT",
    "SECURE_COOKIES",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "PAGE_CACHE_SECONDS",
}


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "budget.example.gov.cn",
}


def clean_environment(overrides: dict[str, str]) -> dict[str, str]:
    """This process's environment without the suite's settings, plus ``overrides``."""
    env = {key: value for key, value in os.environ.items() if key not in SUITE_ONLY}
    env.update(overrides)
    return env


def run_python(env_overrides: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run the project's Python in a fresh process with a clean settings environment."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=clean_environment(env_overrides),
        capture_output=True,
        text=True,
        check=False,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def gunicorn_command(port: int) -> list[str]:
    """What `make serve` runs: gunicorn with our config, here on a loopback port."""
    return [
        str(Path(sys.executable).parent / "gunicorn"),
        "--config",
        "python:config.gunicorn_conf",
        "--bind",
        f"127.0.0.1:{port}",
    ]


def run_the_worker() -> None:
    """`manage.py db_worker --batch`: every queued task, then it stops. The worker
    takes over SIGINT and SIGTERM while it runs; the test session gets them back."""
    handlers = {number: signal.getsignal(number) for number in WORKER_SIGNALS}
    try:
        call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)


WORKER_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)


class SilentServer:
    """Accepts connections and never says a word, like a hung mail server or webhook
    consumer. Each connection is dropped after ``hold`` seconds, so a client without a
    timeout (the code before EMAIL_TIMEOUT) waits that long instead of forever."""

    def __init__(self, hold: float) -> None:
        self.hold = hold
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        held: list[tuple[socket.socket, float]] = []
        while not self.stopping.is_set():
            with contextlib.suppress(TimeoutError):
                connection, _address = self.listener.accept()
                self.connections += 1
                held.append((connection, time.monotonic() + self.hold))
            for connection, until in list(held):
                if time.monotonic() > until:
                    connection.close()
                    held.remove((connection, until))
        for connection, _until in held:
            connection.close()

    @contextlib.contextmanager
    def running(self) -> Iterator["SilentServer"]:
        self.thread.start()
        try:
            yield self
        finally:
            self.stopping.set()
            self.thread.join(timeout=5)
            self.listener.close()


@contextlib.contextmanager
def module_data(django_db_blocker: Any) -> Iterator[None]:
    """Data written once for a whole test module: an outer transaction, rolled back
    after the module's last test. Each test's own transaction is a savepoint inside
    it (pytest-django), so a test still sees only what it and the module wrote.
    Every test of a module that uses such a fixture must use it: a test without it
    would still see the module's data."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield
        transaction.set_rollback(True)


def seed_standards() -> int:
    """``standards.demo.seed_standards`` for a test: the first call in this process seeds
    (0.45 s of CPU), later ones from the same state (no standard yet, the same
    jurisdictions) copy the rows it made back (``tests/suite_setup.seeded_alike``).
    ``standards/tests/test_demo.py`` asserts the seeding itself."""
    from accounts.models import Jurisdiction
    from standards import demo
    from standards.models import StandardSet
    from tests import suite_setup

    def state() -> object:
        return (
            tuple(StandardSet.objects.order_by("code").values_list("code", flat=True)),
            # With the ids: the restored sets name them (a flush makes the province anew).
            tuple(Jurisdiction.objects.order_by("code").values_list("id", "code", "parent_id")),
        )

    return int(suite_setup.seeded_alike("seed_standards", demo.seed_standards, state))


def at_once(*jobs: Callable[[], Any]) -> list[Any]:
    """Run ``jobs`` in threads released together by a barrier, each on its own database
    connection and in English: what each returned or raised, in the order of ``jobs``.
    For the races of requests sent at the same moment (a transactional test's)."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list[Any] = [None] * len(jobs)

    def run(index: int) -> None:
        translation.activate("en")
        try:
            barrier.wait(timeout=10)
            outcomes[index] = jobs[index]()
        except Exception as error:  # the caller looks at what was raised
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes
