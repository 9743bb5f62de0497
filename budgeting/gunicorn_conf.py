"""gunicorn settings for `make serve` and production: `gunicorn -c python:budgeting.gunicorn_conf`.

The bind address comes from the command line (`--bind`), so the same file
serves a loopback `make serve` and an app server behind nginx.
"""

import os
from collections.abc import Mapping


def worker_count(environ: Mapping[str, str] = os.environ) -> int:
    """gunicorn's advice, (2 x cores) + 1 sync workers, unless WEB_CONCURRENCY says otherwise."""
    configured = environ.get("WEB_CONCURRENCY", "").strip()
    if configured:
        return max(1, int(configured))
    return 2 * (os.cpu_count() or 1) + 1


wsgi_app = "budgeting.wsgi:application"
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
