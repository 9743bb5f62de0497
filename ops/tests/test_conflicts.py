"""A unique key met by a write no service guarded (two admin add forms at once, say)
answers the 409 page, with one log line and nothing saved twice; any other integrity
error is a defect and stays a 500."""

import pytest
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

from accounts.models import User
from config.urls import handler400, handler500
from config.urls import urlpatterns as site_urls

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]
__all__ = ["handler400", "handler500", "urlpatterns"]


def twice(request: HttpRequest) -> HttpResponse:
    """As the second of two add forms sent at once: the name was free when checked."""
    unit = request.user.organization_id  # type: ignore[union-attr]
    with transaction.atomic():  # as the admin's add view: rolled back as the error leaves
        User.objects.create(username="同名用户", organization_id=unit)
        User.objects.create(username="同名用户", organization_id=unit)
    return HttpResponse("unreachable")


def broken(request: HttpRequest) -> HttpResponse:
    """An integrity error that is no race: a user without the unit every user has."""
    with transaction.atomic():
        User.objects.create(username="无单位")
    return HttpResponse("unreachable")


def checked_twice(request: HttpRequest) -> HttpResponse:
    """As the admin's user form: its check passed, the model's own check (the service's
    ``full_clean``) finds the name taken meanwhile."""
    unit = request.user.organization_id  # type: ignore[union-attr]
    User.objects.create(username="同名用户", organization_id=unit)
    User(username="同名用户", organization_id=unit).full_clean(exclude=["password"])
    return HttpResponse("unreachable")


def invalid(request: HttpRequest) -> HttpResponse:
    """A validation error of another kind escaping a view is a defect."""
    User(username="").full_clean()
    return HttpResponse("unreachable")


urlpatterns = [
    path("twice/", twice),
    path("broken/", broken),
    path("checked-twice/", checked_twice),
    path("invalid/", invalid),
    *site_urls,
]


def test_a_unique_conflict_answers_409_saying_so(
    submitter: User, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client()
    client.force_login(submitter)
    client.cookies["django_language"] = "en"
    response = client.post("/twice/")
    assert response.status_code == 409
    assert "Someone saved the same entry at the same moment as you" in response.content.decode()
    assert [r.getMessage() for r in caplog.records if r.name == "ops.conflicts"] == [
        "Unique conflict on POST /twice/, answering 409: accounts_user_username_key"
    ]


def test_another_integrity_error_stays_a_server_error(submitter: User) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(submitter)
    assert client.post("/broken/").status_code == 500


def test_a_name_the_model_finds_taken_meanwhile_answers_409_too(
    submitter: User, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client()
    client.force_login(submitter)
    assert client.post("/checked-twice/").status_code == 409
    assert [r.getMessage() for r in caplog.records if r.name == "ops.conflicts"] == [
        "Unique conflict on POST /checked-twice/, answering 409: username"
    ]
    other = Client(raise_request_exception=False)
    other.force_login(submitter)
    assert other.post("/invalid/").status_code == 500
