"""Post hostile values into every form a persona can reach on a running server; report any 5xx.

Not a test: the companion of `crawl_probe.py` for POSTs (issue #15). It logs in as each demo
user, crawls the pages that user can open, and sends every POST form it finds back several
times, each time with one kind of bad input in every field the user could type into or pick
from: NUL bytes, 10,000 characters, amounts past the money column, negative and non-finite
numbers, nothing at all, choices that are not on offer, a stale or garbled version. Hidden
fields keep their values (except the garbled-version round), so the server sees what a
tampering user would send, not what a broken page would.

Run it against a throwaway database: forms that need no typed input (withdraw, delete after
confirmation) may succeed and change the demo data.

    .venv/bin/python benchmarks/form_probe.py http://127.0.0.1:8000 [--pages 120]

Exits 1 when any request answered 5xx, printing the persona, form action, round and status.
"""

import argparse
import os
import re
import sys
import urllib.parse
from html.parser import HTMLParser

sys.path.insert(0, os.path.dirname(__file__))

from crawl_probe import PERSONAS, Client, follow_links

SKIP_ACTIONS = re.compile(r"/(logout|i18n)/|/password|/two-factor|/2fa|/otp")
VERBOSE = "-v" in sys.argv or "--verbose" in sys.argv
ROUNDS = {
    "nul": lambda value: "a\x00b",
    "long": lambda value: "长" * 10_000,
    "huge": lambda value: "1" * 16 + "." + "9" * 4,
    "power": lambda value: "1e30",
    "negative": lambda value: "-1",
    "nan": lambda value: "NaN",
    "empty": lambda value: "",
    "big": lambda value: "99999999999.99",
    "junk-choice": lambda value: "<script>x</script>'; --",
}


class FormParser(HTMLParser):
    """Collect every POST form: its action and its fields (name, kind, value, options)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: dict | None = None
        self._textarea: dict | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {key: value or "" for key, value in attrs}
        if tag == "form":
            if attr.get("method", "get").lower() == "post":
                self._form = {
                    "action": attr.get("action", ""),
                    "multipart": "multipart" in attr.get("enctype", ""),
                    "fields": [],
                }
                self.forms.append(self._form)
            return
        if self._form is None or "name" not in attr:
            if tag == "option" and self._select is not None:
                self._add_option(attr)
            return
        if tag == "input":
            kind = attr.get("type", "text").lower()
            if kind in {"submit", "button", "image", "reset"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in attr:
                kind = "unchecked-" + kind
            field = {"name": attr["name"], "kind": kind, "value": attr.get("value", "")}
            self._form["fields"].append(field)
        elif tag == "select":
            self._select = {"name": attr["name"], "kind": "select", "value": "", "options": []}
            self._form["fields"].append(self._select)
        elif tag == "textarea":
            self._textarea = {"name": attr["name"], "kind": "textarea", "value": ""}
            self._form["fields"].append(self._textarea)
        elif tag == "option" and self._select is not None:
            self._select["options"].append(attr.get("value", ""))

    def _add_option(self, attr: dict[str, str]) -> None:
        assert self._select is not None
        self._select["options"].append(attr.get("value", ""))
        if "selected" in attr:
            self._select["value"] = attr.get("value", "")

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea["value"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            if self._select is not None and not self._select["value"]:
                offered = [option for option in self._select["options"] if option]
                self._select["value"] = offered[0] if offered else ""
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def hostile_data(fields: list[dict], round_name: str) -> dict[str, str]:
    make = ROUNDS.get(round_name)
    data: dict[str, str] = {}
    for field in fields:
        name, kind, value = field["name"], field["kind"], field["value"]
        if kind.startswith("unchecked-") or kind == "file":
            continue
        if name == "csrfmiddlewaretoken":
            data[name] = value
        elif kind == "hidden":
            data[name] = "x\x00" if round_name == "garbled-hidden" else value
        elif make is not None:
            data[name] = make(value)
        else:
            data[name] = value
    return data


CODE = re.compile(r"\d{4}-[A-Z]+-\d+")
TYPED = {"text", "number", "textarea", "email", "tel", "search", "date", "select"}
ONE_FIELD_ROUNDS = ("nul", "long", "huge", "power", "nan", "negative", "big")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def one_field_data(fields: list[dict], target: str, round_name: str) -> dict[str, str]:
    """The form as the page filled it, with one field made hostile: reaches checks that a
    form with every field wrong never gets to (a huge amount on an otherwise valid line)."""
    data = hostile_data(fields, "as-drawn")
    data[target] = ROUNDS[round_name](data.get(target, ""))
    return data


DESTRUCTIVE = re.compile(r"/(remove|delete|withdraw|cancel)/")


def forms_on(client: Client, pages: list[str]) -> list[tuple[str, dict]]:
    """Every POST form on the pages, once per kind of action. Forms with fields to type into
    go first; bare action buttons (submit, withdraw, remove) last, so that they do not
    move the demo projects out of the states the other forms need."""
    found, seen_actions = [], set()
    for page in pages:
        _status, body = client.request(page)
        parser = FormParser()
        parser.feed(body)
        for form in parser.forms:
            action = urllib.parse.urljoin(page, form["action"] or page)
            key = re.sub(r"\d+", "N", CODE.sub("CODE", urllib.parse.urlsplit(action).path))
            if form["multipart"] or SKIP_ACTIONS.search(action) or key in seen_actions:
                continue
            seen_actions.add(key)
            found.append((action, form))

    def bare_button(pair: tuple[str, dict]) -> bool:
        typed = [field for field in pair[1]["fields"] if field["kind"] in TYPED]
        return not typed or bool(DESTRUCTIVE.search(pair[0]))

    return sorted(found, key=bare_button)


def probe(client: Client, username: str, pages: list[str]) -> tuple[int, list[str]]:
    failures, sent = [], 0
    for action, form in forms_on(client, pages):
        statuses = []
        attempts = [(name, hostile_data(form["fields"], name)) for name in ROUNDS]
        attempts.append(("garbled-hidden", hostile_data(form["fields"], "garbled-hidden")))
        # Every number at once just under its column: products and totals past the limit.
        all_big = hostile_data(form["fields"], "as-drawn")
        for field in form["fields"]:
            if field["kind"] == "number" or (
                field["kind"] == "text" and NUMBER.match(field["value"])
            ):
                all_big[field["name"]] = "99999999999.99"
        attempts.append(("every-number-big", all_big))
        for field in form["fields"]:
            if field["kind"] in TYPED:
                attempts += [
                    (f"{field['name']}={name}", one_field_data(form["fields"], field["name"], name))
                    for name in ONE_FIELD_ROUNDS
                ]
        for round_name, data in attempts:
            status, _answer = client.request(action, data)
            statuses.append(status)
            sent += 1
            if status >= 500:
                failures.append(f"{username} POST {action} [{round_name}] {status}")
        if VERBOSE:
            print(f"  {action} {statuses}")
    return sent, failures


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("base")
    parser.add_argument("--pages", type=int, default=120)
    parser.add_argument("-v", "--verbose", action="store_true", help="print each form's answers")
    parser.add_argument("--persona", action="append", help="only these demo users (repeatable)")
    args = parser.parse_args()
    password = os.environ.get("DEMO_PASSWORD", "budget-demo-2026")
    failures: list[str] = []
    for username in args.persona or PERSONAS:
        client = Client(args.base.rstrip("/"))
        client.login(username, password)
        pages, _failures = follow_links(client, args.pages)
        sent, found = probe(client, username, pages)
        print(f"{username}: {len(pages)} pages, {sent} hostile posts, {len(found)} 5xx")
        failures += found
    for failure in failures:
        print(failure)
    print(f"{len(failures)} answers of 5xx")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
