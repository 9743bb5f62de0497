"""Who opens a project's pages as it travels (issue #15), for every persona.

A reviewing body sees a request from the first time the project reached one of its
stages; what never left its department stays there (404, never a hint). Once in
tests/test_access_matrix.py; here on its own because its projects are built once for
the module (``province_once``), and the matrix's world would be counted in its lists.
"""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from budgeting import services as budgeting_services
from budgeting.tests.workflow_fixtures import make_ready, open_year
from projects.models import Project
from projects.tests.factories import register
from tests.helpers import module_data
from tests.personas import MEMBERS

pytestmark = pytest.mark.django_db

ADMIN = "admin_user"


# Who sees a request as it travels (issue #15): a reviewing body from the first time the
# project reached one of its stages, whatever happened after; what never left its
# department stays there. Each situation: how to get there from a ready EDU project, and
# which reviewing bodies see it then.
DATA, FINANCE = "data", "finance"
BODY_OF = {
    "data_reviewer": DATA,
    "finance_reviewer": FINANCE,
    "finance_approver": FINANCE,
}
SITUATIONS: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {
    # code → (steps: who does what, in order), bodies that see it
    "draft": ((), frozenset()),
    "at_department_review": (("submit",), frozenset()),
    "withdrawn_before_the_department_passed_it": (("submit", "withdraw"), frozenset()),
    "returned_by_the_department": (("submit", "department:return"), frozenset()),
    "rejected_by_the_department": (("submit", "department:reject"), frozenset()),
    "at_technical_review": (("submit", "department:pass"), frozenset({DATA})),
    "rejected_at_technical_review": (
        ("submit", "department:pass", "data:reject"),
        frozenset({DATA}),
    ),
    "not_managed_at_finance": (("unmanaged", "submit", "department:pass"), frozenset({FINANCE})),
    "returned_by_finance_then_withdrawn": (
        (
            "submit",
            "department:pass",
            "data:pass",
            "finance:return",
            "submit",
            "withdraw",
        ),
        frozenset({DATA, FINANCE}),
    ),
}
PROJECT_PAGES = ("projects:detail", "budgeting:review", "projects:attachment")
DECISIONS: dict[str, Callable[..., Project]] = {
    "pass": budgeting_services.pass_stage,
    "return": budgeting_services.return_for_revision,
    "reject": budgeting_services.reject,
}


@pytest.fixture(autouse=True)
def _uploads_in_a_temporary_directory(province_once: dict[str, Any]) -> None:
    """The projects' documents stay where ``province_once`` put them for all the tests."""


@pytest.fixture(scope="module")
def module_travelled(
    province_once: dict[str, Any], django_db_blocker: Any
) -> Iterator[dict[str, Project]]:
    with module_data(django_db_blocker):
        yield _travel(province_once)


@pytest.fixture
def travelled(module_travelled: dict[str, Project]) -> dict[str, Project]:
    """One EDU project in each situation (built once for the module: the tests only read)."""
    return module_travelled


def _travel(people: dict[str, Any]) -> dict[str, Project]:
    open_year()
    submitter: User = people["submitter"]
    deciders = {
        "department": people["department_approver"],
        "data": people["data_reviewer"],
        "finance": people["finance_reviewer"],
    }
    made = {}
    for number, (situation, (steps, _bodies)) in enumerate(SITUATIONS.items()):
        managed = "unmanaged" not in steps
        project = make_ready(
            register(submitter, name=f"访问测试{number}", managed_by_data_admin=managed),
            submitter,
        )
        for step in steps:
            version = project.version
            if step == "submit":
                project = budgeting_services.submit(
                    project, actor=submitter, expected_version=version
                )
            elif step == "withdraw":
                project = budgeting_services.withdraw(
                    project, actor=submitter, expected_version=version
                )
            elif ":" in step:
                who, action = step.split(":")
                act = DECISIONS[action]
                options = {} if action == "pass" else {"comment": "理由"}
                project = act(project, actor=deciders[who], expected_version=version, **options)
        made[situation] = project
    return made


def _sees(persona: str, bodies: frozenset[str]) -> bool:
    if persona in ("submitter", "department_approver", ADMIN):
        return True
    return BODY_OF.get(persona) in bodies


@pytest.mark.parametrize("persona", MEMBERS)
def test_what_never_left_the_department_stays_there(
    persona: str, travelled: dict[str, Project], province_once: dict[str, Any]
) -> None:
    """A reviewing body opens a project's pages only once it reached one of its stages;
    the department and admins always, the outsider never. 404, not 403: nobody outside
    learns that a code exists."""
    client = Client()
    client.force_login(province_once[persona])
    expected, actual = {}, {}
    for situation, (_steps, bodies) in SITUATIONS.items():
        project = travelled[situation]
        attachment = project.attachments.filter(is_removed=False).first()
        assert attachment is not None
        for name in PROJECT_PAGES:
            args = [project.code] + (
                [attachment.public_id] if name == "projects:attachment" else []
            )
            key = f"{situation} {name}"
            actual[key] = client.get(reverse(name, args=args)).status_code
            expected[key] = 200 if _sees(persona, bodies) else 404
    assert actual == expected


@pytest.mark.parametrize("persona", MEMBERS)
def test_lists_and_totals_show_what_each_body_may_open(
    persona: str, travelled: dict[str, Project], province_once: dict[str, Any]
) -> None:
    """The project list and the summary count exactly the projects the pages open."""
    client = Client()
    client.force_login(province_once[persona])
    seen = {
        travelled[situation].code
        for situation, (_steps, bodies) in SITUATIONS.items()
        if _sees(persona, bodies)
    }
    listed = client.get(reverse("projects:list"), {"year": "2027"}).context["page"]
    assert {project.code for project in listed.object_list} == seen
    summary = client.get(reverse("reports:summary"), {"year": "2027", "by": "state"})
    assert sum(row.projects for row, _link in summary.context["rows"]) == len(seen)
