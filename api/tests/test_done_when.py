"""Issue #20's "done when", end to end as the people and systems would do it: the admin
registers the finance core system's client in Django admin; with the key shown once it
syncs the approved 2027 quotas page by page and posts the treasury's payments twice (the
second changes nothing); the project's execution page shows the payments; and a client
scoped to 教育厅 gets 404 on a 卫健委 project."""

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Organization, User
from api.scopes import READ_SCOPES, WRITE_SCOPES
from api.tests.conftest import bearer
from execution.models import Payment
from projects.models import Project

pytestmark = pytest.mark.django_db


def _registered_in_admin(admin: Client, form: dict[str, Any]) -> str:
    """The key the admin's add page shows, once."""
    response = admin.post(reverse("admin:api_apiclient_add"), form)
    assert response.status_code == 200
    [key] = re.findall(r"<code>(bgt_[^<]+)</code>", response.content.decode())
    return key


def _sync(api: Client, key: str) -> list[dict[str, Any]]:
    quotas, cursor = [], None
    while True:
        params = {"year": "2027", "limit": "1", **({"cursor": cursor} if cursor else {})}
        response = api.get("/api/v1/quotas/", params, headers=bearer(key))
        assert response.status_code == 200
        quotas += response.json()["items"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return quotas


def test_done_when(
    admin_user: User,
    submitter: User,
    education: Organization,
    approved: Project,
    health_approved: Project,
) -> None:
    admin = Client()
    admin.force_login(admin_user)
    core_key = _registered_in_admin(
        admin,
        {"name": "财政预算管理一体化系统", "scopes": [*READ_SCOPES, *WRITE_SCOPES],
         "all_units": "on"},
    )  # fmt: skip
    api = Client()

    quotas = _sync(api, core_key)
    assert {quota["PRO_CODE"] for quota in quotas} == {approved.code, health_approved.code}
    edu = next(quota for quota in quotas if quota["PRO_CODE"] == approved.code)
    assert edu["REPLY_AMT"] == str(approved.approved_amount)

    batch = {
        "payments": [
            {"reference": "ZF-2027-101", "project_code": approved.code,
             "amount": "120000.00", "paid_on": "2027-04-01"},
        ]
    }  # fmt: skip
    first = api.post(
        "/api/v1/execution/batches/", batch, content_type="application/json",
        headers=bearer(core_key),
    )  # fmt: skip
    again = api.post(
        "/api/v1/execution/batches/", batch, content_type="application/json",
        headers=bearer(core_key),
    )  # fmt: skip
    assert first.json() == {"created": 1, "unchanged": 0}
    assert again.json() == {"created": 0, "unchanged": 1}
    assert Payment.objects.count() == 1

    page = Client()
    page.force_login(submitter)
    page.cookies["django_language"] = "en"
    html = page.get(reverse("execution:project", args=[approved.code])).content.decode()
    assert "ZF-2027-101" in html
    assert "120,000.00" in html

    edu_key = _registered_in_admin(
        admin, {"name": "教育厅业务系统", "scopes": READ_SCOPES, "units": [education.pk]}
    )
    other = api.get(f"/api/v1/projects/{health_approved.code}/", headers=bearer(edu_key))
    assert other.status_code == 404
    mine = api.get(f"/api/v1/projects/{approved.code}/", headers=bearer(edu_key))
    assert mine.status_code == 200
