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
"""

import io
import json
import random
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import call_command

from accounts.models import User
from audit.models import Event
from benchmarks.http_load import (
    Tally,
    hidden_fields,
    request,
    run_clients,
    served,
    session_cookie,
    timed_get,
)
from budgeting.models import Review
from budgeting.tests.workflow_fixtures import make_ready
from projects.models import Project, ProjectState
from projects.tests.factories import register

PROJECTS = 16
SECONDS = 60.0
MESSAGE = re.compile(r'<li class="message message--(\w+)">')


class Actor:
    """One user's browser: a cookie jar, and the actions this user tries."""

    def __init__(self, port: int, username: str, actions: dict[str, float], codes: list[str]):
        self.port = port
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
    paths = ["/projects/", "/review/", "/review/summary/", *(f"/projects/{c}/" for c in codes)]
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
