"""Benchmark: a bounded mixed load of reads and workflow actions, then a consistency audit.

For 60 s, clerks submit and withdraw, the department head passes and returns,
the data administration and finance pass, the finance director approves, and
readers browse, all at once through gunicorn on the same 16 projects, so
actions collide. Every action is the real confirmation form (CSRF token and
the version the user saw). Afterwards no response may be an error, and every
project's history must replay to its present state: each transition starts
where the previous one ended, versions only grow, and the last one ends in the
project's state and stage (no lost or doubled transitions). And whoever won
an action sees it (its comment) on the project's page at once, though that
page is served from the page cache between writes.

``test_pages_during_writes`` (issue #21) measures the page cache at a realistic write
rate: clerks, department heads and the three reviewers act on 24 projects (each picking
one at random, so mostly different ones), each about every ``PAUSE`` seconds, while eight
finance reviewers ask for the trivial view, then list pages, then project pages. It
reports the writes a second, the page cache's hit rate (``X-Page-Cache``), the list's
and the detail's requests a second as a share of the trivial view's, and the stale
pages the writers saw (must stay 0).
"""

import io
import json
import os
import random
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from audit.models import Event
from benchmarks.http_load import (
    Tally,
    fetch,
    hidden_fields,
    request,
    run_clients,
    served,
    session_cookie,
    timed_get,
)
from budgeting.models import Review
from budgeting.tests.workflow_fixtures import make_ready
from projects.demo import BUDGET_YEAR
from projects.models import Project, ProjectState
from projects.permissions import projects_visible_to
from projects.tests.factories import register

PROJECTS = 16
SECONDS = 60.0
MESSAGE = re.compile(r'<li class="message message--(\w+)">')


class Actor:
    """One user's browser: a cookie jar, and the actions this user tries."""

    def __init__(
        self,
        port: int,
        username: str,
        actions: dict[str, float],
        codes: list[str],
        pause: float = 0.0,
    ):
        self.port = port
        self.pause = pause  # seconds between two steps: the user's pace
        self.cookies = session_cookie(username)
        self.actions = actions  # action -> the chance of taking it when it is offered
        self.codes = codes
        self.rng = random.Random(username + str(id(self)))  # noqa: S311  # load mix, not secrets
        self.outcomes: dict[str, int] = {}
        self.actions_taken = 0
        self.stale_pages = 0  # own change missing from the project page seen right after

    def _call(
        self, tally: Tally, method: str, path: str, form: dict[str, str] | None = None
    ) -> str:
        start = time.perf_counter()
        try:
            status, body, cookies = request(self.port, method, path, self.cookies, form)
        except OSError:
            status, body, cookies = 599, "", {}
        tally.add(status, time.perf_counter() - start)
        self.cookies.update(cookies)
        return body if status < 400 else ""

    def step(self, tally: Tally) -> None:
        if self.pause:
            time.sleep(self.pause * self.rng.uniform(0.5, 1.5))
        code = self.rng.choice(self.codes)
        page = self._call(tally, "GET", f"/review/{code}/")
        for action, chance in self.actions.items():
            target = f"/review/{code}/{action}/"
            fields = hidden_fields(page, target)
            if not fields or self.rng.random() > chance:
                continue
            self.actions_taken += 1
            mark = f"压力测试：请补充材料。{id(self)}-{self.actions_taken}"
            fields[f"{action}-comment"] = mark
            self._call(tally, "POST", target, fields)
            # The redirect shows whether the action won or was refused (a collision).
            after = MESSAGE.search(self._call(tally, "GET", f"/review/{code}/"))
            outcome = f"{action}_{after.group(1) if after else 'none'}"
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
            if outcome.endswith("success") and f'name="{action}-comment"' in page:
                # The project page (cached between writes) must already show the comment.
                shown = self._call(tally, "GET", f"/projects/{code}/")
                if shown and mark not in shown:
                    self.stale_pages += 1
            return


def reader(port: int, codes: list[str]) -> Callable[[Tally], None]:
    rng = random.Random(7)  # noqa: S311  # load mix, not secrets
    pages = [reverse("projects:list"), reverse("budgeting:tasks"), reverse("reports:summary")]
    paths = [*pages, *(reverse("projects:detail", args=[code]) for code in codes)]
    return timed_get(port, lambda: rng.choice(paths), session_cookie("finance_reviewer"))


def replay_problems(project: Project) -> list[str]:
    """Where the project's workflow history does not lead to its present state."""
    events = Event.objects.filter(
        target_type="projects.project",
        target_key=project.code,
        event_type__startswith="budgeting.project.",
    ).order_by("id")
    review = Review.objects.select_related("stage").filter(project=project).first()
    state, stage, version = ProjectState.DRAFT.value, "", 0
    problems = []
    for event in events:
        if event.from_state != state or event.data.get("from_stage", "") != stage:
            problems.append(f"{project.code} event {event.pk} starts at {event.from_state}")
        if event.data["version"] <= version:
            problems.append(f"{project.code} event {event.pk} repeats version {version}")
        state, stage, version = (
            event.to_state,
            event.data.get("to_stage", ""),
            event.data["version"],
        )
    present_stage = review.stage.code if review and review.stage else ""
    if (state, stage) != (project.state, present_stage):
        problems.append(f"{project.code}: history ends at {state}/{stage}, project is at "
                        f"{project.state}/{present_stage}")  # fmt: skip
    return problems


@pytest.mark.django_db(transaction=True)
def test_mixed_load_keeps_state_and_history_in_agreement(
    tmp_path: Path, settings, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=io.StringIO())
    clerk = User.objects.get(username="edu_clerk")
    codes = [
        make_ready(register(clerk, name=f"压力测试项目{number}"), clerk).code
        for number in range(PROJECTS)
    ]
    with served(tmp_path / "gunicorn.log") as port:
        actors = [
            Actor(port, "edu_clerk", {"submit": 0.9, "withdraw": 0.2}, codes),
            Actor(port, "edu_clerk", {"submit": 0.9, "withdraw": 0.2}, codes),
            # Returns outnumber final decisions, so projects keep circulating for the minute.
            Actor(port, "edu_head", {"pass": 0.7, "return": 0.3}, codes),
            Actor(port, "edu_head", {"pass": 0.7, "return": 0.3}, codes),
            Actor(port, "data_reviewer", {"pass": 0.7, "return": 0.3}, codes),
            Actor(port, "finance_reviewer", {"pass": 0.7, "return": 0.3, "reject": 0.02}, codes),
            Actor(port, "finance_director", {"approve": 0.2, "return": 0.5}, codes),
        ]
        tally, elapsed = run_clients(
            [actor.step for actor in actors] + [reader(port, codes), reader(port, codes)],
            SECONDS,
        )
    outcomes: dict[str, int] = {}
    for actor in actors:
        for outcome, count in actor.outcomes.items():
            outcomes[outcome] = outcomes.get(outcome, 0) + count
    problems = [
        problem
        for project in Project.objects.filter(code__in=codes)
        for problem in replay_problems(project)
    ]
    states: dict[str, int] = {}
    for project in Project.objects.filter(code__in=codes):
        states[project.state] = states.get(project.state, 0) + 1
    figures = {
        "mixed_load_requests": len(tally.latencies),
        "mixed_load_rps": round(len(tally.latencies) / elapsed, 1),
        "mixed_load_p99_ms": tally.p99_ms(),
        "mixed_load_errors": tally.errors,
        "mixed_load_actions_won": sum(n for key, n in outcomes.items() if key.endswith("success")),
        "mixed_load_actions_refused": sum(
            n for key, n in outcomes.items() if key.endswith("error")
        ),
        "mixed_load_history_problems": len(problems),
        "mixed_load_stale_pages": sum(actor.stale_pages for actor in actors),
    }
    with capsys.disabled():
        print("BENCH " + json.dumps(figures))
        print(f"mixed load outcomes {outcomes}, final states {states}")
    assert tally.errors == 0, tally.statuses
    assert not problems, problems[:10]
    assert figures["mixed_load_stale_pages"] == 0
    assert figures["mixed_load_actions_won"] > 0


# Pages during writes (issue #21).
PAUSE = 2.0  # each writer's pace: a step (read, maybe act) every 1-3 s
PHASE_SECONDS = float(os.environ.get("BENCH_PHASE_SECONDS", "20"))
READERS = 8
WRITING_PROJECTS = 24


class CacheTally:
    """The X-Page-Cache answers of the readers, safe to fill from several threads."""

    def __init__(self) -> None:
        self.answers: dict[str, int] = {}
        self.lock = threading.Lock()

    def add(self, answer: str) -> None:
        with self.lock:
            self.answers[answer] = self.answers.get(answer, 0) + 1

    def hit_rate(self) -> float:
        served = self.answers.get("hit", 0) + self.answers.get("miss", 0)
        return round(self.answers.get("hit", 0) / served, 3) if served else 0.0


def cached_get(
    port: int, paths: list[str], cookies: dict[str, str], answers: CacheTally, seed: int
) -> Callable[[Tally], None]:
    rng = random.Random(seed)  # noqa: S311  # load mix, not secrets

    def step(tally: Tally) -> None:
        start = time.perf_counter()
        try:
            status, _body, set_cookies, headers = fetch(port, "GET", rng.choice(paths), cookies)
            cookies.update(set_cookies)
            if headers.get("X-Page-Cache"):
                answers.add(headers["X-Page-Cache"])
        except OSError:
            status = 599
        tally.add(status, time.perf_counter() - start)

    return step


def _writing_projects() -> list[str]:
    clerk = User.objects.get(username="edu_clerk")
    return [
        make_ready(register(clerk, name=f"写入负载项目{number}"), clerk).code
        for number in range(WRITING_PROJECTS)
    ]


def _writers(port: int, codes: list[str]) -> list[Actor]:
    """Two clerks, two heads and the three reviewers, each at a user's pace, each picking
    a project of the 24 at random: they mostly act on different projects."""
    clerk, head = {"submit": 0.9, "withdraw": 0.1}, {"pass": 0.7, "return": 0.3}
    return [
        Actor(port, "edu_clerk", clerk, codes, PAUSE),
        Actor(port, "edu_clerk", clerk, codes, PAUSE),
        Actor(port, "edu_head", head, codes, PAUSE),
        Actor(port, "edu_head", head, codes, PAUSE),
        Actor(port, "data_reviewer", {"pass": 0.7, "return": 0.3}, codes, PAUSE),
        Actor(port, "finance_reviewer", {"pass": 0.6, "return": 0.4}, codes, PAUSE),
        Actor(port, "finance_director", {"approve": 0.1, "return": 0.6}, codes, PAUSE),
    ]


def _reading_pages() -> dict[str, list[str]]:
    """What the finance reviewers read: lists as they filter and page them, and the
    pages of the 40 projects they are looking into."""
    reviewer = User.objects.get(username="finance_reviewer")
    visible = projects_visible_to(reviewer).filter(budget_year=BUDGET_YEAR).order_by("code")
    units = sorted(set(visible.values_list("organization_id", flat=True)))[:5]
    lists = [
        "/projects/",
        "/projects/?page=2",
        f"/projects/?year={BUDGET_YEAR}",
        f"/projects/?year={BUDGET_YEAR}&state=in_review",
        f"/projects/?year={BUDGET_YEAR}&sort=-requested_amount",
        *(f"/projects/?unit={unit}" for unit in units),
    ]
    details = [f"/projects/{code}/" for code in visible.values_list("code", flat=True)[:40]]
    return {"list": lists, "detail": details}


@pytest.mark.django_db(transaction=True)
def test_pages_during_writes(tmp_path: Path, settings, capsys: pytest.CaptureFixture[str]) -> None:
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=io.StringIO())
    codes = _writing_projects()
    pages = _reading_pages()
    figures: dict[str, float | int] = {}
    with served(tmp_path / "gunicorn.log") as port:
        readers = [session_cookie("finance_reviewer") for _ in range(READERS)]
        for cookies in readers:  # every reader's CSRF cookie: pages are cached from then on
            cookies.update(request(port, "GET", "/", cookies)[2])
        actors = _writers(port, codes)
        writes_tally: dict[str, Any] = {}

        def write_all_along() -> None:
            tally, elapsed = run_clients([actor.step for actor in actors], PHASE_SECONDS * 3 + 10)
            writes_tally.update(tally=tally, elapsed=elapsed)

        writing = threading.Thread(target=write_all_along)
        writing.start()
        time.sleep(5)  # the writers under way
        for name, paths in (("trivial", ["/healthz"]), *pages.items()):
            answers = CacheTally()
            steps = [cached_get(port, paths, cookies, answers, seed)
                     for seed, cookies in enumerate(readers)]  # fmt: skip
            for cookies in readers:  # as they had been reading before: every page seen once
                for path in paths:
                    cookies.update(fetch(port, "GET", path, cookies)[2])
            tally, elapsed = run_clients(steps, PHASE_SECONDS)
            assert tally.errors == 0, (name, tally.statuses)
            figures[f"during_writes_{name}_rps"] = round(len(tally.latencies) / elapsed, 1)
            if name != "trivial":
                figures[f"during_writes_{name}_hit_rate"] = answers.hit_rate()
                figures[f"during_writes_{name}_share"] = round(
                    figures[f"during_writes_{name}_rps"] / figures["during_writes_trivial_rps"], 2
                )
        writing.join()
    won = sum(n for actor in actors for key, n in actor.outcomes.items() if key.endswith("success"))
    figures.update(
        {
            "during_writes_actions_won": won,
            "during_writes_writes_per_s": round(won / writes_tally["elapsed"], 2),
            "during_writes_writer_errors": writes_tally["tally"].errors,
            "during_writes_stale_pages": sum(actor.stale_pages for actor in actors),
        }
    )
    outcomes: dict[str, int] = {}
    for actor in actors:
        for outcome, count in actor.outcomes.items():
            outcomes[outcome] = outcomes.get(outcome, 0) + count
    with capsys.disabled():
        print("BENCH " + json.dumps(figures))
        print(f"writes during the pages {outcomes}")
    assert writes_tally["tally"].errors == 0, writes_tally["tally"].statuses
    assert figures["during_writes_stale_pages"] == 0
    assert won > 0
