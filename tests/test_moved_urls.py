"""The reports moved from /review/… to /reports/…: old bookmarks and mailed links still work."""

import uuid

import pytest
from django.test import Client

from accounts.models import User


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/review/summary/?year=2027&by=unit", "/reports/summary/?year=2027&by=unit"),
        ("/review/summary/export.xlsx?year=2027", "/reports/summary/export.xlsx?year=2027"),
        ("/review/summary/review/", "/reports/summary/review/"),
        ("/review/summary/waterfall.xlsx", "/reports/summary/waterfall.xlsx"),
        ("/review/summary/cut-reasons.xlsx", "/reports/summary/cut-reasons.xlsx"),
        ("/review/summary/open-data.zip?year=2027", "/reports/summary/open-data.zip?year=2027"),
    ],
)
def test_old_report_addresses_redirect_permanently(
    client: Client, finance_reviewer: User, old: str, new: str
) -> None:
    client.force_login(finance_reviewer)
    response = client.get(old)
    assert response.status_code == 301
    assert response["Location"] == new


def test_an_old_export_address_keeps_its_id(client: Client, submitter: User) -> None:
    client.force_login(submitter)
    public_id = uuid.uuid4()
    response = client.get(f"/review/exports/{public_id}/download/")
    assert response.status_code == 301
    assert response["Location"] == f"/reports/exports/{public_id}/download/"
    # The new address checks ownership as before: nobody's export is a 404.
    assert client.get(response["Location"]).status_code == 404


def test_the_review_of_a_project_stays_under_review(client: Client, submitter: User) -> None:
    client.force_login(submitter)
    assert client.get("/review/").status_code == 200  # my tasks
    assert client.get("/review/2027-NOPE-0001/").status_code == 404
