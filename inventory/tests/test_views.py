"""The survey's pages, through the test client: access, forms, workflow, query counts."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from pytest_django import DjangoAssertNumQueries

from accounts.models import Organization, Role, User
from accounts.tests.factories import OrganizationFactory, UserFactory
from inventory import services
from inventory.models import Device, InformationSystem, SurveyCampaign, SurveyState
from inventory.tests.factories import device, filled, open_survey, submitted, survey_of

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def test_a_data_reviewer_opens_a_survey_from_the_form(
    data_reviewer: User, education: Organization, health: Organization
) -> None:
    client = _client(data_reviewer)
    page = client.get(reverse("inventory:campaign_open"))
    assert page.status_code == 200
    answer = client.post(
        reverse("inventory:campaign_open"),
        {
            "year": 2026,
            "title": "2026年摸底",
            "deadline": "2026-03-31",
            "units": [education.pk, health.pk],
        },
    )
    campaign = SurveyCampaign.objects.get()
    assert answer["Location"] == reverse("inventory:campaign", args=[campaign.public_id])
    assert campaign.surveys.count() == 2


def test_a_clerk_may_not_open_or_follow_a_survey(
    submitter: User, data_reviewer: User, education: Organization
) -> None:
    campaign = open_survey(data_reviewer, education)
    client = _client(submitter)
    assert client.get(reverse("inventory:campaign_open")).status_code == 403
    assert client.get(reverse("inventory:campaign", args=[campaign.public_id])).status_code == 403


def test_the_progress_page_shows_late_and_returned_units_in_constant_queries(
    data_reviewer: User,
    submitter: User,
    education: Organization,
    health: Organization,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    extra = [OrganizationFactory.create() for _ in range(5)]
    campaign = open_survey(data_reviewer, education, health, *extra)
    survey = submitted(survey_of(campaign, education), submitter)
    services.act(
        survey, "return", actor=data_reviewer, expected_version=survey.version, reason="缺云资源"
    )
    client = _client(data_reviewer)
    url = reverse("inventory:campaign", args=[campaign.public_id])
    with (
        time_machine.travel(datetime.datetime(2026, 4, 2, tzinfo=datetime.UTC)),
        django_assert_max_num_queries(12),
    ):
        page = client.get(url)
    text = page.content.decode()
    assert "缺云资源" in text
    assert "7 units late" not in text
    assert "0 of 7 units submitted; 7 late; 1 returned for correction." in text


def test_reminders_are_queued_from_the_progress_page(
    data_reviewer: User, submitter: User, education: Organization
) -> None:
    submitter.email = "clerk@edu.example.gov.cn"
    submitter.save(update_fields=["email"])
    campaign = open_survey(data_reviewer, education)
    answer = _client(data_reviewer).post(
        reverse("inventory:campaign_remind", args=[campaign.public_id])
    )
    assert answer.status_code == 302
    assert DBTaskResult.objects.filter(
        task_path="budgeting.notifications.send_notification"
    ).exists()


def test_a_unit_fills_and_submits_and_the_reviewer_returns_it(
    data_reviewer: User, submitter: User, education: Organization
) -> None:
    survey = survey_of(open_survey(data_reviewer, education), education)
    client = _client(submitter)
    url = reverse("inventory:row_add", args=[survey.public_id, "device"])
    assert client.get(url).status_code == 200
    answer = client.post(
        url,
        {
            "version": survey.version,
            "device_type": "server",
            "name": "服务器\x00" + "x" * 10_000,
            "quantity": 2,
            "original_value": "100000.00",
            "purchase_date": "2019-01-01",
        },
    )
    assert answer.status_code == 400  # NUL and 10,000 characters: refused, with the form
    answer = client.post(
        url,
        {
            "version": survey.version,
            "device_type": "server",
            "name": "服务器",
            "quantity": 2,
            "original_value": "100000.00",
            "purchase_date": "2019-01-01",
        },
    )
    assert answer.status_code == 302
    assert Device.objects.get().original_value == Decimal("100000.00")
    survey.refresh_from_db()
    client.post(
        reverse("inventory:survey_act", args=[survey.public_id, "submit"]),
        {"version": survey.version},
    )
    survey.refresh_from_db()
    assert survey.state == SurveyState.SUBMITTED
    reviewer = _client(data_reviewer)
    page = reviewer.get(reverse("inventory:survey", args=[survey.public_id]))
    assert b"Return for correction" in page.content
    reviewer.post(
        reverse("inventory:survey_act", args=[survey.public_id, "return"]),
        {"version": survey.version, "reason": "请补充云资源"},
    )
    survey.refresh_from_db()
    assert (survey.state, survey.return_reason) == (SurveyState.RETURNED, "请补充云资源")


def test_an_outsider_gets_404_and_a_reviewer_may_not_edit(
    data_reviewer: User, outsider: User, education: Organization
) -> None:
    survey = survey_of(open_survey(data_reviewer, education), education)
    for name, args in (
        ("inventory:survey", [survey.public_id]),
        ("inventory:template", [survey.public_id]),
        ("inventory:upload", [survey.public_id]),
        ("inventory:row_add", [survey.public_id, "device"]),
    ):
        assert _client(outsider).get(reverse(name, args=args)).status_code == 404
    assert (
        _client(data_reviewer)
        .get(reverse("inventory:row_add", args=[survey.public_id, "device"]))
        .status_code
        == 403
    )
    answer = _client(outsider).post(
        reverse("inventory:survey_act", args=[survey.public_id, "submit"]), {"version": 1}
    )
    assert answer.status_code == 404


def test_the_baseline_sums_submitted_inventories_only(
    data_reviewer: User,
    submitter: User,
    outsider: User,
    education: Organization,
    health: Organization,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    campaign = open_survey(data_reviewer, education, health)
    submitted(survey_of(campaign, education), submitter)
    filled(survey_of(campaign, health), outsider)  # not submitted: not in the baseline
    client = _client(data_reviewer)
    with django_assert_max_num_queries(14):
        page = client.get(reverse("inventory:baseline"))
    rows = page.context["rows"]
    assert [row.unit for row in rows] == ["省教育厅"]
    total = page.context["total"]
    assert total.device_value == Decimal("500000.00")
    assert total.out_of_warranty_share == Decimal("100.0")
    assert total.levels == [0, 0, 1, 0]
    # Charts by age, hosting and security level, and of the hardware, each beside its table.
    figures = {figure.key: figure for figure in page.context["figures"]}
    assert list(figures) == ["age", "hosting", "levels", "hardware"]
    assert figures["levels"].rows[2] == ["Level 3", "1", "100.0"]
    assert figures["hardware"].rows[-1] == ["Total", "50.00", "50.00", "100.0"]
    html = page.content.decode()
    assert html.count('role="img"') == 4
    assert html.count("<caption") >= 4
    export = _client(data_reviewer).get(reverse("inventory:baseline_export"))
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    # A unit's clerk sees only its own units' figures.
    own = _client(outsider).get(reverse("inventory:baseline"))
    assert own.context["rows"] == []
    assert InformationSystem.objects.count() == 2


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


def test_progress_baseline_and_inventory_pages_do_not_grow_with_rows(
    data_reviewer: User, submitter: User, education: Organization
) -> None:
    few = [education, OrganizationFactory.create()]
    many = [OrganizationFactory.create() for _ in range(12)]
    small = open_survey(data_reviewer, *few, year=2025)
    large = open_survey(data_reviewer, *many, year=2026)
    survey = submitted(survey_of(small, education), submitter)
    for campaign, units in ((small, few[1:]), (large, many)):
        for unit in units:
            clerk = UserFactory.create(organization=unit, roles=[Role.SUBMITTER])
            submitted(survey_of(campaign, unit), clerk)
    client = _client(data_reviewer)
    progress = [
        _queries(client, reverse("inventory:campaign", args=[campaign.public_id]))
        for campaign in (small, large)
    ]
    baseline = [
        _queries(client, reverse("inventory:baseline") + f"?year={year}") for year in (2025, 2026)
    ]
    assert progress[0] == progress[1]
    assert baseline[0] == baseline[1]
    url = reverse("inventory:survey", args=[survey.public_id])
    before = _queries(client, url)
    services.act(
        survey, "return", actor=data_reviewer, expected_version=survey.version, reason="多"
    )
    survey.refresh_from_db()
    filled(
        survey,
        submitter,
        services.InventoryRows(devices=[device(name=f"设备{n}") for n in range(40)]),
    )
    assert _queries(client, url) == before
