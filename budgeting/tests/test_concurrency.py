"""Two reviewers deciding on one project at the same moment: exactly one wins.

Real threads with their own PostgreSQL connections, released together by a
barrier, so both read the same version before either writes. Without the row
lock and the version check both would succeed (see shared/research/quality.md).
"""

import threading

import pytest
from django.db import connection

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


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_decisions_have_exactly_one_winner(
    cycle: BudgetCycle,
    submitter: User,
    department_approver: User,
    education: Organization,
    settings,
    tmp_path,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    second_approver = UserFactory.create(
        username="edu_head_2", organization=education, roles=[Role.DEPARTMENT_APPROVER]
    )
    for trial in range(TRIALS):
        project = make_ready(register(submitter, name=f"并发测试项目{trial}"), submitter)
        project = services.submit(project, actor=submitter, expected_version=project.version)
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
