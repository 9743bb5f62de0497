"""The navigation (config.navigation): shown by the permission helpers, current section marked."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_home_navigation_shows_admin_only_to_admins(
    client: Client, submitter: User, admin_user: User
) -> None:
    client.force_login(submitter)
    assert reverse("admin:index") not in client.get(reverse("home")).content.decode()
    client.force_login(admin_user)
    assert reverse("admin:index") in client.get(reverse("home")).content.decode()


def test_navigation_marks_the_current_section(client: Client, finance_approver: User) -> None:
    client.force_login(finance_approver)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("budgeting:batches")).content.decode()
    assert f'<a href="{reverse("budgeting:batches")}" aria-current="page">' in page
    assert f'<a href="{reverse("budgeting:tasks")}">' in page


def test_control_figures_are_in_finance_s_navigation_only(
    client: Client, finance_reviewer: User, department_approver: User
) -> None:
    url = reverse("budgeting:figures_latest")
    client.force_login(department_approver)
    assert url not in client.get(reverse("home")).content.decode()
    client.force_login(finance_reviewer)
    assert f'<a href="{url}">' in client.get(reverse("home")).content.decode()
