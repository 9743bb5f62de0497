"""Crawl a running server as every demo persona and try hostile input; report any 5xx.

Not a test: a probe an engineer runs against `make run` or `make serve` before calling a
change done (issue #15). It logs in as each demo user, follows every same-site link up to a
limit, then sends each page again with hostile query parameters and a NUL in its path.

    .venv/bin/python benchmarks/crawl_probe.py http://127.0.0.1:8000 [--pages 150]

Exits 1 when any request answered 5xx, printing the method, URL and status of each.
"""

import argparse
import html
import http.client
import http.cookiejar
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections import deque

PERSONAS = (
    "edu_clerk",
    "edu_head",
    "edu_exam_clerk",
    "health_clerk",
    "data_reviewer",
    "finance_reviewer",
    "finance_director",
    "admin",
    # Two cities' people (issue #18): each sees only its own jurisdiction.
    "gz_clerk",
    "gz_finance_reviewer",
    "sz_finance_reviewer",
    "th_clerk",
    # A city's system admin: its own jurisdiction in 系统管理, nothing of the province's.
    "gz_admin",
)
SKIP = re.compile(r"/(logout|i18n)/|/delete/|\.zip$|/admin/.*/(history|password)/")
HREF = re.compile(r'href="([^"#]+)')
HOSTILE_QUERIES = (
    "year=%00",
    "year=99999999999999999999",
    "page=-1",
    "page=%C2%B2",
    "sort=%3Cscript%3E",
    "q=" + "x" * 10_000,
    "q=%00%00",
    "by=%27%3B--",
)


class SecureOverPlainHttp(http.cookiejar.DefaultCookiePolicy):
    """`make serve` marks its cookies Secure (behind TLS in production); the probe talks to it
    over plain http on loopback, so it sends them back anyway, as the TLS proxy would."""

    def return_ok_secure(
        self, cookie: http.cookiejar.Cookie, request: urllib.request.Request
    ) -> bool:
        return True


class Client:
    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar(policy=SecureOverPlainHttp())
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(self, url: str, data: dict[str, str] | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(urllib.parse.urljoin(self.base, url), data=body)  # noqa: S310
        if data is not None:
            request.add_header("Referer", self.base + "/")
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as error:
            return 599, f"no answer: {error!r}"  # counted as a failure: the server gave none

    def login(self, username: str, password: str) -> None:
        _status, page = self.request("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, "no CSRF token on the login page"
        self.request(
            "/accounts/login/",
            {"csrfmiddlewaretoken": token.group(1), "username": username, "password": password},
        )


def follow_links(client: Client, limit: int) -> tuple[list[str], list[str]]:
    """The same-site pages reachable from home, up to ``limit``, and those that answered 5xx."""
    failures = []
    seen: list[str] = []
    queue = deque(["/"])
    while queue and len(seen) < limit:
        path = queue.popleft()
        if path in seen or SKIP.search(path):
            continue
        seen.append(path)
        status, page = client.request(path)
        if status >= 500:
            failures.append(f"GET {path} {status}")
        for raw_link in HREF.findall(page):
            link = html.unescape(raw_link)
            parsed = urllib.parse.urlsplit(link)
            if (
                parsed.netloc
                or not parsed.path.startswith("/")
                or parsed.path.startswith("/static")
            ):
                continue
            queue.append(link)
    return seen, failures


def crawl(base: str, username: str, password: str, limit: int) -> list[str]:
    client = Client(base)
    client.login(username, password)
    seen, found = follow_links(client, limit)
    failures = [f"{username} {failure}" for failure in found]
    for path in sorted(seen):
        bare = urllib.parse.urlsplit(path).path
        hostile = [f"{bare}?{query}" for query in HOSTILE_QUERIES]
        hostile.append(bare.rstrip("/") + "%00x/")
        for url in hostile:
            status, _page = client.request(url)
            if status >= 500:
                failures.append(f"{username} GET {url[:120]} {status}")
    print(f"{username}: {len(seen)} pages, {len(seen) * (len(HOSTILE_QUERIES) + 1)} hostile")
    return failures


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("--pages", type=int, default=150)
    args = parser.parse_args()
    password = os.environ.get("DEMO_PASSWORD", "budget-demo-2026")
    failures = []
    for username in PERSONAS:
        failures += crawl(args.base.rstrip("/"), username, password, args.pages)
    for failure in failures:
        print(failure)
    print(f"{len(failures)} answers of 5xx")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
