"""Personas shared by every app's tests: one per role, plus an outsider.

The province: a finance department (CZT), the data administration (ZSJ), the
education department (EDU) with a secondary unit (EDUEXAM), and the health
department (HEALTH), whose clerk is the outsider to everything of EDU.
"""

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import caches
from django.core.management import call_command

from accounts.models import Organization, Role, UnitLevel, User
from accounts.tests.factories import OrganizationFactory, SecondaryUnitFactory, UserFactory
from budgeting.tests.workflow_fixtures import at_finance, cycle, ready_project
from ops.page_cache import CACHE_ALIAS
from tests.helpers import module_data

__all__ = [
    "at_finance",
    "cycle",
    "ready_project",
]  # workflow fixtures, shared with the browser tests


@pytest.fixture(autouse=True)
def _uploads_in_a_temporary_directory(settings: Any, tmp_path: Path) -> None:
    """Tests never write into var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(scope="module")
def demo_province(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """``seed_demo`` once for the module (about 15 s a run) instead of once per test."""
    with module_data(django_db_blocker):
        call_command("seed_demo", stdout=io.StringIO())
        yield


@pytest.fixture
def page_cache_on(settings: Any) -> Iterator[None]:
    """The page cache as in production (the suite turns it off: most tests never commit,
    so the generation that forgets pages would never move). Needs committed data."""
    settings.PAGE_CACHE_SECONDS = 300
    caches[CACHE_ALIAS].clear()
    yield
    caches[CACHE_ALIAS].clear()


@pytest.fixture
def finance_department(db: None) -> Organization:
    return OrganizationFactory.create(code="CZT", name="省财政厅", is_finance_department=True)


@pytest.fixture
def data_administration(db: None) -> Organization:
    return OrganizationFactory.create(
        code="ZSJ", name="省政务服务数据管理局", is_data_administration=True
    )


@pytest.fixture
def education(db: None) -> Organization:
    return OrganizationFactory.create(code="EDU", name="省教育厅")


@pytest.fixture
def exam_authority(education: Organization) -> Organization:
    return SecondaryUnitFactory.create(
        code="EDUEXAM", name="省教育考试院", parent=education, level=UnitLevel.SECONDARY
    )


@pytest.fixture
def health(db: None) -> Organization:
    return OrganizationFactory.create(code="HEALTH", name="省卫生健康委")


def _persona(username: str, unit: Organization, role: Role) -> User:
    return UserFactory.create(username=username, organization=unit, roles=[role])


@pytest.fixture
def submitter(education: Organization) -> User:
    return _persona("edu_clerk", education, Role.SUBMITTER)


@pytest.fixture
def secondary_submitter(exam_authority: Organization) -> User:
    return _persona("exam_clerk", exam_authority, Role.SUBMITTER)


@pytest.fixture
def department_approver(education: Organization) -> User:
    return _persona("edu_head", education, Role.DEPARTMENT_APPROVER)


@pytest.fixture
def data_reviewer(data_administration: Organization) -> User:
    return _persona("data_reviewer", data_administration, Role.DATA_REVIEWER)


@pytest.fixture
def finance_reviewer(finance_department: Organization) -> User:
    return _persona("finance_reviewer", finance_department, Role.FINANCE_REVIEWER)


@pytest.fixture
def finance_approver(finance_department: Organization) -> User:
    return _persona("finance_director", finance_department, Role.FINANCE_APPROVER)


@pytest.fixture
def admin_user(data_administration: Organization) -> User:
    return _persona("admin", data_administration, Role.SYSTEM_ADMIN)


@pytest.fixture
def outsider(health: Organization) -> User:
    """A submitter of another department: must never see or touch EDU's data."""
    return _persona("health_clerk", health, Role.SUBMITTER)
