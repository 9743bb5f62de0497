"""A real server and real HTTP clients for the throughput and mixed-load benchmarks.

``served()`` runs gunicorn with production settings (DEBUG off, our gunicorn
config, whitenoise) against the benchmark's own database, so what is measured
is what ``make serve`` runs. The clients are threads with plain ``http.client``
connections: no keep-alive, as with gunicorn's sync workers behind nginx.
"""

import contextlib
import http.client
import re
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.db import connection
from django.test import Client

from accounts.models import User
from tests.helpers import BASE_DIR, clean_environment, free_port, gunicorn_command

# The session cookie the server expects: production names it __Host-sessionid
# when cookies are Secure; the benchmark serves plain HTTP on loopback.
SESSION_COOKIE = "sessionid"


def database_url() -> str:
    """A DATABASE_URL for the database this test process uses (the scratch test database)."""
    params = connection.get_connection_params()
    user = params.get("user") or ""
    query = (
        urlencode({"host": params["host"]}) if str(params.get("host", "")).startswith("/") else ""
    )
    host = "" if query else f"{params.get('host', '')}:{params.get('port', '') or 5432}"
    password = f":{params['password']}" if params.get("password") else ""
    return f"postgresql://{user}{password}@{host}/{params['dbname']}?{query}"


@contextlib.contextmanager
def served(log_path: Path, settings_: dict[str, str] | None = None) -> Iterator[int]:
    """gunicorn on a free loopback port with production settings and ``settings_``.

    Yields the port.
    """
    port = free_port()
    env = clean_environment(
        (settings_ or {})
        | {
            "DEBUG": "false",
            # The sessions were signed in this process: the server must share its key.
            "SECRET_KEY": settings.SECRET_KEY,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_COOKIES": "false",
            "DATABASE_URL": database_url(),
            "STATIC_MANIFEST": "false",
        }
    )
    with log_path.open("w") as log:
        server = subprocess.Popen(
            gunicorn_command(port),
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_up(port)
            yield port
        finally:
            server.terminate()
            server.wait(timeout=30)


def _wait_until_up(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            status, _body, _cookies = request(port, "GET", "/healthz", {})
        except OSError:
            time.sleep(0.2)
            continue
        if status == 200:
            return
    raise RuntimeError("gunicorn did not answer /healthz within 30 s")


def session_cookie(username: str) -> dict[str, str]:
    """Cookies of a fresh logged-in session of ``username`` (stored in the database)."""
    client = Client()
    client.force_login(User.objects.get(username=username))
    return {SESSION_COOKIE: client.cookies[settings.SESSION_COOKIE_NAME].value}


def request(
    port: int,
    method: str,
    path: str,
    cookies: dict[str, str],
    form: dict[str, str] | None = None,
) -> tuple[int, str, dict[str, str]]:
    """One request on a new connection; returns status, body and the cookies it set."""
    status, text, set_cookies, _headers = fetch(port, method, path, cookies, form)
    return status, text, set_cookies


def fetch(
    port: int,
    method: str,
    path: str,
    cookies: dict[str, str],
    form: dict[str, str] | None = None,
) -> tuple[int, str, dict[str, str], http.client.HTTPMessage]:
    """``request``, with the response's headers too."""
    connection_ = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Host": "127.0.0.1"}
    if cookies:
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    body = None
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers["Referer"] = f"http://127.0.0.1:{port}{path}"
    try:
        connection_.request(method, path, body=body, headers=headers)
        response = connection_.getresponse()
        text = response.read().decode("utf-8", "replace")
        set_cookies = {}
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            set_cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, text, set_cookies, response.headers
    finally:
        connection_.close()


HIDDEN_INPUT = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def hidden_fields(page: str, form_action: str) -> dict[str, str]:
    """The hidden inputs of the form posting to ``form_action`` on ``page``."""
    start = page.find(f'action="{form_action}"')
    if start < 0:
        return {}
    end = page.find("</form>", start)
    return dict(HIDDEN_INPUT.findall(page[start:end]))


@dataclass
class Tally:
    """Latencies and statuses of one load run, safe to fill from several threads."""

    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, status: int, seconds: float) -> None:
        with self.lock:
            self.latencies.append(seconds)
            self.statuses[status] = self.statuses.get(status, 0) + 1

    @property
    def errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500)

    def p99_ms(self) -> float:
        if len(self.latencies) < 2:
            return 0.0
        return round(statistics.quantiles(self.latencies, n=100)[98] * 1000, 1)


def run_clients(clients: list[Callable[[Tally], None]], seconds: float) -> tuple[Tally, float]:
    """Run each client callable in its own thread, over and over, for ``seconds``."""
    tally = Tally()
    stop = threading.Event()

    def loop(step: Callable[[Tally], None]) -> None:
        while not stop.is_set():
            step(tally)

    threads = [threading.Thread(target=loop, args=(step,)) for step in clients]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    return tally, time.perf_counter() - started


def timed_get(
    port: int, path: str | Callable[[], str], cookies: dict[str, str]
) -> Callable[[Tally], None]:
    """A client step: GET ``path`` (or the path it returns) and record status and latency."""

    def step(tally: Tally) -> None:
        start = time.perf_counter()
        try:
            target = path if isinstance(path, str) else path()
            status, _body, set_cookies = request(port, "GET", target, cookies)
            cookies.update(set_cookies)  # as a browser does: the CSRF cookie, a renewed session
        except OSError:
            status = 599
        tally.add(status, time.perf_counter() - start)

    return step
