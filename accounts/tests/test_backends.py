"""The session's user is read with the user's unit: the header of every page names the
unit without a query of its own (issue #21)."""

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.backends import ModelBackend
from accounts.models import User

pytestmark = pytest.mark.django_db


def test_the_users_unit_comes_with_the_user(
    submitter: User, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(1):
        user = ModelBackend().get_user(submitter.pk)
        assert user is not None
        assert user.organization.name == submitter.organization.name


def test_an_inactive_or_missing_user_is_nobody(submitter: User) -> None:
    User.objects.filter(pk=submitter.pk).update(is_active=False)
    assert ModelBackend().get_user(submitter.pk) is None
    assert ModelBackend().get_user(0) is None


def test_a_page_names_the_unit_without_reading_it_again(client: Client, submitter: User) -> None:
    client.force_login(submitter)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("projects:list"))
    assert response.status_code == 200
    assert (
        f'<p class="user-menu__unit">{submitter.organization.name}</p>' in response.content.decode()
    )
    unit = submitter.organization_id
    by_id = f'FROM "accounts_organization" WHERE "accounts_organization"."id" = {unit}'
    assert not [q for q in queries.captured_queries if by_id in q["sql"]]
