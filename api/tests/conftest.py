"""API fixtures: approved projects of two departments, and clients of each scope."""

from collections.abc import Callable

import pytest
from django.test import Client

from accounts.models import Organization, Role, User
from accounts.tests.factories import UserFactory
from api import services
from api.models import ApiClient
from budgeting import services as workflow
from budgeting.models import BudgetCycle
from budgeting.tests.workflow_fixtures import make_ready
from projects.models import Project
from projects.tests.factories import register


def approve_all_the_way(project: Project, clerk: User, *deciders: User) -> Project:
    """Submit ``project`` and pass it through every stage, the last decider approving."""
    project = workflow.submit(project, actor=clerk, expected_version=project.version)
    *passing, approver = deciders
    for reviewer in passing:
        project = workflow.pass_stage(project, actor=reviewer, expected_version=project.version)
    return workflow.approve(project, actor=approver, expected_version=project.version)


@pytest.fixture
def deciders(
    department_approver: User, data_reviewer: User, finance_reviewer: User, finance_approver: User
) -> tuple[User, ...]:
    return (department_approver, data_reviewer, finance_reviewer, finance_approver)


@pytest.fixture
def approved(cycle: BudgetCycle, submitter: User, deciders: tuple[User, ...]) -> Project:
    """EDU's project, approved (批复) in 2027."""
    return approve_all_the_way(make_ready(register(submitter), submitter), submitter, *deciders)


@pytest.fixture
def health_approved(
    cycle: BudgetCycle, outsider: User, health: Organization, deciders: tuple[User, ...]
) -> Project:
    """卫健委's project, approved in 2027 (its own department approver)."""
    approver = UserFactory.create(
        username="health_approver", organization=health, roles=[Role.DEPARTMENT_APPROVER]
    )
    project = make_ready(register(outsider, name="全民健康信息平台"), outsider)
    return approve_all_the_way(project, outsider, approver, *deciders[1:])


@pytest.fixture
def register_client(admin_user: User) -> Callable[..., tuple[ApiClient, str]]:
    def make(name: str = "finance-core", **scope: object) -> tuple[ApiClient, str]:
        scope.setdefault("all_units", True)
        return services.register_client(actor=admin_user, name=name, **scope)  # type: ignore[arg-type]

    return make


@pytest.fixture
def finance_key(register_client: Callable[..., tuple[ApiClient, str]]) -> str:
    """The finance core system's key: reads all units."""
    return register_client()[1]


@pytest.fixture
def education_key(
    register_client: Callable[..., tuple[ApiClient, str]], education: Organization
) -> str:
    """教育厅's own system: reads its units only."""
    return register_client("edu-system", all_units=False, units=[education])[1]


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def api_client() -> Client:
    return Client()
