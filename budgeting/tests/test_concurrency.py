"""Two reviewers deciding on one project at the same moment: exactly one wins.

Real threads with their own PostgreSQL connections, released together by a
barrier, so both read the same version before either writes. Without the row
lock and the version check both would succeed (see shared/research/quality.md).
"""

import threading

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.models import Organization, Role, User
from accounts.tests.factories import UserFactory
from audit.models import Event
from budgeting import services
from budgeting.models import BudgetCycle
from budgeting.tests.workflow_fixtures import make_ready
from budgeting.workflow import WorkflowError
from projects.models import Project, ProjectState
from projects.tests.factories import register

TRIALS = 100
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def second_approver(education: Organization, settings, tmp_path) -> User:
    """Another approver of EDU, to race ``department_approver``."""
    settings.MEDIA_ROOT = tmp_path
    return UserFactory.create(
        username="edu_head_2", organization=education, roles=[Role.DEPARTMENT_APPROVER]
    )


def _submitted(submitter: User, name: str) -> Project:
    project = make_ready(register(submitter, name=name), submitter)
    return services.submit(project, actor=submitter, expected_version=project.version)


def test_two_simultaneous_decisions_have_exactly_one_winner(
    cycle: BudgetCycle, submitter: User, department_approver: User, second_approver: User
) -> None:
    for trial in range(TRIALS):
        project = _submitted(submitter, f"并发测试项目{trial}")
        version = project.version
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def decide(
            action: str,
            person: User,
            project: Project = project,
            version: int = version,
            outcomes: list[str] = outcomes,
            barrier: threading.Barrier = barrier,
        ) -> None:
            try:
                barrier.wait(timeout=10)
                if action == "pass":
                    services.pass_stage(project, actor=person, expected_version=version)
                else:
                    services.reject(project, actor=person, expected_version=version, comment="重复")
                outcomes.append(action)
            except WorkflowError:
                outcomes.append("refused")
            finally:
                connection.close()

        threads = [
            threading.Thread(target=decide, args=("pass", department_approver)),
            threading.Thread(target=decide, args=("reject", second_approver)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(outcomes).count("refused") == 1, f"trial {trial}: {outcomes}"
        winner = next(outcome for outcome in outcomes if outcome != "refused")
        project.refresh_from_db()
        expected_state = ProjectState.IN_REVIEW if winner == "pass" else ProjectState.REJECTED
        assert project.state == expected_state
        decisions = Event.objects.filter(
            target_key=project.code,
            event_type__in=["budgeting.project.pass", "budgeting.project.reject"],
        )
        assert decisions.count() == 1


PAGE_TRIALS = 20


def test_through_the_pages_the_loser_gets_a_message_never_an_error_page(
    cycle: BudgetCycle, submitter: User, department_approver: User, second_approver: User
) -> None:
    """Two reviewers click at the same moment on pages of the same version: both get
    the review page back (a redirect), one with the success, one with the reason."""
    for trial in range(PAGE_TRIALS):
        clients = {}  # new sessions each time: no message left over from the last trial
        for person in (department_approver, second_approver):
            clients[person.username] = Client()
            clients[person.username].force_login(person)
            clients[person.username].cookies["django_language"] = "en"
        project = _submitted(submitter, f"并发页面项目{trial}")
        barrier = threading.Barrier(2)
        results: dict[str, tuple[int, list[str]]] = {}

        def click(
            username: str,
            action: str,
            clients: dict[str, Client] = clients,
            project: Project = project,
            barrier: threading.Barrier = barrier,
            results: dict[str, tuple[int, list[str]]] = results,
        ) -> None:
            try:
                barrier.wait(timeout=10)
                response = clients[username].post(
                    reverse("budgeting:act", args=[project.code, action]),
                    {f"{action}-version": str(project.version), f"{action}-comment": "重复"},
                )
                said = [str(message) for message in get_messages(response.wsgi_request)]
                results[username] = (response.status_code, said)
            finally:
                connection.close()

        threads = [
            threading.Thread(target=click, args=(department_approver.username, "pass")),
            threading.Thread(target=click, args=(second_approver.username, "reject")),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert [status for status, _said in results.values()] == [302, 302], results
        said = sorted(" ".join(messages) for _status, messages in results.values())
        losers = [text for text in said if "Someone acted on this project" in text]
        assert len(losers) == 1, f"trial {trial}: {said}"
        assert (
            Event.objects.filter(
                target_key=project.code,
                event_type__in=["budgeting.project.pass", "budgeting.project.reject"],
            ).count()
            == 1
        )
