"""Hostile input through the browser's forms and URLs: every refusal is a 400 with a
message at the field (or a 404), never a 500, and nothing is written."""

from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.models import Organization, User
from audit.models import Event
from inventory.models import Device, InformationSystem, UnitSurvey
from inventory.tests.factories import open_survey, survey_of

pytestmark = pytest.mark.django_db

SYSTEM = {
    "name": "新系统",
    "purpose": "",
    "built_by_project_code": "",
    "built_year": "2020",
    "construction_cost": "1000000",
    "yearly_om_cost": "100000",
    "users": "10",
    "hosting": "gov_cloud",
    "security_level": "2",
    "status": "live",
}
DEVICE = {
    "device_type": "server",
    "name": "服务器",
    "quantity": "2",
    "original_value": "100000",
    "purchase_date": "2020-01-01",
    "warranty_end": "",
}


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def survey(data_reviewer: User, education: Organization) -> UnitSurvey:
    return survey_of(open_survey(data_reviewer, education), education)


def _client(user: User) -> Client:
    client = Client(raise_request_exception=True)
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


@pytest.mark.parametrize(
    ("kind", "changes", "field", "message"),
    [
        ("system", {"name": "平台\x00"}, "name", "Null characters are not allowed."),
        ("system", {"name": "名" * 10_000}, "name", "at most 200 characters"),
        ("system", {"built_year": "99999"}, "built_year", "less than or equal to 2100"),
        ("system", {"construction_cost": "-1"}, None, "cannot be negative"),
        ("system", {"construction_cost": "1e15"}, "construction_cost", "digits"),
        ("system", {"yearly_om_cost": "NaN"}, "yearly_om_cost", "Enter a number."),
        ("system", {"users": "-3"}, "users", "greater than or equal to 0"),
        ("system", {"users": "9" * 30}, "users", "less than or equal to"),
        ("system", {"status": "demolished"}, "status", "Select a valid choice."),
        ("device", {"quantity": "0"}, "quantity", "greater than or equal to 1"),
        ("device", {"quantity": "10000000000000"}, "quantity", "less than or equal to"),
        ("device", {"original_value": "-0.01"}, None, "cannot be negative"),
        ("device", {"original_value": "Infinity"}, "original_value", "Enter a number."),
        ("device", {"purchase_date": "0000-01-01"}, "purchase_date", "Enter a valid date."),
        ("device", {"purchase_date": "2020-01-01\x00"}, "purchase_date", ""),
        ("device", {"purchase_date": "9999-12-31"}, "purchase_date", "2100-12-31"),
        ("device", {"warranty_end": "0001-01-01"}, "warranty_end", "1950-01-01"),
    ],
)
def test_a_hostile_row_is_refused_at_its_field(
    survey: UnitSurvey,
    submitter: User,
    kind: str,
    changes: dict[str, str],
    field: str | None,
    message: str,
) -> None:
    data = {**(SYSTEM if kind == "system" else DEVICE), **changes, "version": survey.version}
    answer = _client(submitter).post(
        reverse("inventory:row_add", args=[survey.public_id, kind]), data
    )
    assert answer.status_code == 400
    errors = answer.context["form"].errors
    assert message in " ".join(errors.get(field or "__all__", [])), errors
    assert not InformationSystem.objects.exists() and not Device.objects.exists()
    assert not Event.objects.filter(event_type__startswith="inventory.row").exists()


def test_ten_thousand_characters_of_purpose_are_kept(survey: UnitSurvey, submitter: User) -> None:
    long = "用途" * 5000
    data = {**SYSTEM, "purpose": long, "version": survey.version}
    answer = _client(submitter).post(
        reverse("inventory:row_add", args=[survey.public_id, "system"]), data
    )
    assert answer.status_code == 302
    assert InformationSystem.objects.get().purpose == long


@pytest.mark.parametrize("version", ["", "abc", "-1", "9" * 40, "1\x00"])
def test_a_missing_or_junk_version_reads_as_a_stale_page(
    survey: UnitSurvey, submitter: User, version: str
) -> None:
    answer = _client(submitter).post(
        reverse("inventory:row_add", args=[survey.public_id, "device"]),
        {**DEVICE, "version": version},
    )
    assert answer.status_code == 400
    assert "Someone changed this inventory" in answer.content.decode()


@pytest.mark.parametrize("query", ["year=%00", "year=-1", "year=" + "9" * 40, "year=abc"])
def test_the_baseline_and_the_spend_report_ignore_junk_years(
    data_reviewer: User, query: str
) -> None:
    client = _client(data_reviewer)
    assert client.get(reverse("inventory:baseline") + "?" + query).status_code == 200
    assert client.get(reverse("inventory:baseline_export") + "?" + query).status_code == 200
    survey_query = query.replace("year", "survey")
    assert client.get(reverse("reports:inventory_spend") + "?" + survey_query).status_code == 200


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"year": "99999"}, "year"),
        ({"year": "-2026"}, "year"),
        ({"title": "摸底\x00"}, "title"),
        ({"title": "题" * 10_000}, "title"),
        ({"deadline": "2026-13-01"}, "deadline"),
        ({"deadline": "9999-12-31"}, "deadline"),
        ({"deadline": "0001-01-01"}, "deadline"),
        ({"units": ["999999999"]}, "units"),
    ],
)
def test_a_hostile_survey_is_refused_at_its_field(
    data_reviewer: User, education: Organization, changes: dict[str, object], field: str
) -> None:
    data = {"year": "2026", "title": "摸底", "deadline": "2026-03-31", "units": [education.pk]}
    answer = _client(data_reviewer).post(reverse("inventory:campaign_open"), {**data, **changes})
    assert answer.status_code == 400
    assert answer.context["form"].errors[field]
