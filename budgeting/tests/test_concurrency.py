"""Two reviewers deciding on one project at the same moment: exactly one wins; two
approvers naming a batch alike at the same moment: one batch, the other told it exists.

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
from django.utils import translation

from accounts.models import Organization, Role, User
from accounts.tests.factories import UserFactory
from audit.models import Event
from budgeting import services
from budgeting.models import ApprovalBatch, BudgetCycle
from budgeting.tests.workflow_fixtures import make_ready
from budgeting.workflow import WorkflowError
from projects.models import Project, ProjectState
from projects.tests.factories import register

# Each trial releases both deciders at once from a barrier; 40 trials (28 s of the
# suite's slowest test at 100) still meet the race many times over.
TRIALS = 40
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


@pytest.fixture
def second_finance_approver(finance_department: Organization) -> User:
    """Another finance approver, to race ``finance_approver`` on batches."""
    return UserFactory.create(
        username="finance_director_2",
        organization=finance_department,
        roles=[Role.FINANCE_APPROVER],
    )


@pytest.fixture
def at_final_stage(
    submitter: User, department_approver: User, data_reviewer: User, finance_reviewer: User
):
    def make(name: str) -> Project:
        project = _submitted(submitter, name)
        for reviewer in (department_approver, data_reviewer, finance_reviewer):
            project = services.pass_stage(project, actor=reviewer, expected_version=project.version)
        return project

    return make


BATCH_TRIALS = 10


def test_two_batches_named_alike_at_once_make_one_batch_and_one_clear_refusal(
    cycle: BudgetCycle,
    finance_approver: User,
    second_finance_approver: User,
    at_final_stage,
) -> None:
    """Both approvers see no batch of the name and insert one: the unique constraint
    lets one through, and the other gets the "exists already" message, not a 500
    (issue #15). Each approves a project of their own, so nothing else refuses."""
    for trial in range(BATCH_TRIALS):
        name = f"2027年第{trial}批"
        mine = {
            finance_approver.username: at_final_stage(f"批次竞争甲{trial}"),
            second_finance_approver.username: at_final_stage(f"批次竞争乙{trial}"),
        }
        barrier = threading.Barrier(2)
        outcomes: dict[str, str] = {}

        def approve(
            person: User,
            name: str = name,
            mine: dict[str, Project] = mine,
            barrier: threading.Barrier = barrier,
            outcomes: dict[str, str] = outcomes,
        ) -> None:
            project = mine[person.username]
            try:
                barrier.wait(timeout=10)
                with translation.override("en"):
                    services.approve_batch(
                        [project], actor=person, name=name, versions={project.pk: project.version}
                    )
                outcomes[person.username] = "approved"
            except WorkflowError as error:
                outcomes[person.username] = str(error.message)
            except Exception as error:  # the server error this test is about
                outcomes[person.username] = repr(error)
            finally:
                connection.close()

        threads = [
            threading.Thread(target=approve, args=(person,))
            for person in (finance_approver, second_finance_approver)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(outcomes.values()) == [
            f"A batch named “{name}” exists already.",
            "approved",
        ], f"trial {trial}: {outcomes}"
        batch = ApprovalBatch.objects.get(name=name)
        winner = next(user for user, outcome in outcomes.items() if outcome == "approved")
        assert batch.approved_by.username == winner
        approved = Project.objects.filter(state=ProjectState.APPROVED, review__batch=batch)
        assert list(approved) == [mine[winner]]


BATCH_PAGE_TRIALS = 5


def test_through_the_pages_the_second_batch_of_a_name_gets_the_message(
    cycle: BudgetCycle,
    finance_approver: User,
    second_finance_approver: User,
    at_final_stage,
) -> None:
    """The same race from the batch page's confirmation: the loser sees the page again
    (400) with "exists already" at the form, never an error page."""
    for trial in range(BATCH_PAGE_TRIALS):
        name = f"2027年页面第{trial}批"
        clients: dict[str, Client] = {}
        mine: dict[str, Project] = {}
        for person in (finance_approver, second_finance_approver):
            clients[person.username] = Client()
            clients[person.username].force_login(person)
            clients[person.username].cookies["django_language"] = "en"
            mine[person.username] = at_final_stage(f"批次页面{person.username}{trial}")
        barrier = threading.Barrier(2)
        results: dict[str, tuple[int, str]] = {}

        def confirm(
            username: str,
            name: str = name,
            clients: dict[str, Client] = clients,
            mine: dict[str, Project] = mine,
            barrier: threading.Barrier = barrier,
            results: dict[str, tuple[int, str]] = results,
        ) -> None:
            project = mine[username]
            try:
                barrier.wait(timeout=10)
                response = clients[username].post(
                    reverse("budgeting:batches"),
                    {
                        "name": name,
                        "project": [project.code],
                        f"version-{project.code}": str(project.version),
                        "step": "confirm",
                    },
                )
                results[username] = (response.status_code, response.content.decode())
            finally:
                connection.close()

        threads = [threading.Thread(target=confirm, args=(username,)) for username in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        statuses = sorted(status for status, _page in results.values())
        assert statuses == [302, 400], f"trial {trial}: {statuses}"
        refused = next(page for status, page in results.values() if status == 400)
        assert f"A batch named “{name}” exists already." in refused
        assert ApprovalBatch.objects.filter(name=name).count() == 1
