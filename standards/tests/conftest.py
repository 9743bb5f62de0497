"""Personas for the standards tests: a system admin, a department clerk, anonymous."""

import pytest
from django.test import Client

from accounts.models import Role
from standards.tests.factories import UserFactory


@pytest.fixture
def system_admin(db):
    return UserFactory.create(username="std_admin", roles=[Role.SYSTEM_ADMIN])


@pytest.fixture
def clerk(db):
    return UserFactory.create(username="std_clerk", roles=[Role.SUBMITTER])


@pytest.fixture
def clerk_client(clerk) -> Client:
    client = Client()
    client.force_login(clerk)
    return client


@pytest.fixture
def system_admin_client(system_admin) -> Client:
    client = Client()
    client.force_login(system_admin)
    return client
