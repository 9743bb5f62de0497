"""gunicorn settings for `make serve` and production: `gunicorn -c python:config.gunicorn_conf`.

The bind address comes from the command line (`--bind`), so the same file
serves a loopback `make serve` and an app server behind nginx.
"""

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

MANAGE_PY = Path(__file__).resolve().parent.parent / "manage.py"


def worker_count(environ: Mapping[str, str] = os.environ) -> int:
    """gunicorn's advice, (2 x cores) + 1 sync workers, unless WEB_CONCURRENCY says otherwise."""
    configured = environ.get("WEB_CONCURRENCY", "").strip()
    if configured:
        return max(1, int(configured))
    return 2 * (os.cpu_count() or 1) + 1


wsgi_app = "config.wsgi:application"
workers = worker_count()
worker_class = "sync"
# Past 30 s a request is killed: long imports and exports belong in the background.
timeout = 30
graceful_timeout = 30
# Our RequestLogMiddleware writes the one access line per request (with the user),
# so gunicorn's own access log would only repeat it.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# gunicorn 25+ opens a control socket at one path per system user, which a
# second instance (make serve beside a test run) would take over; we reload
# with HUP (systemctl reload) and need none.
control_socket_disable = True


# `make serve` runs the background worker (exports, mail) beside gunicorn with
# RUN_TASK_WORKER=true: `manage.py run_worker`, which keeps django-tasks' db_worker
# running (it starts it again when it exits, after a database restart for one, see
# ops/workers.py), started once the arbiter is ready and stopped when it exits, so
# one Ctrl-C or SIGTERM ends both. In its own session, so a terminal's Ctrl-C
# reaches gunicorn alone and the worker gets one SIGTERM, on which it finishes
# the export it is writing. In production the worker is a systemd unit of its
# own (docs/deployment.md).
def when_ready(server: Any) -> None:
    if os.environ.get("RUN_TASK_WORKER", "").strip().lower() in ("1", "true", "yes", "on"):
        server.task_worker = subprocess.Popen(  # our own command, no shell
            [sys.executable, str(MANAGE_PY), "run_worker"],
            start_new_session=True,
        )
        server.log.info("Started the background worker (pid %s)", server.task_worker.pid)


def on_exit(server: Any) -> None:
    worker = getattr(server, "task_worker", None)
    if worker is None:
        return
    worker.terminate()
    try:
        worker.wait(timeout=90)  # the longest export, with room to spare
    except subprocess.TimeoutExpired:
        worker.terminate()  # a second signal: the worker stops its task at once
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
