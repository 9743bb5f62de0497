"""The survey's services: who may do what from which state, all or nothing, history."""

import datetime
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.utils import translation
from django_tasks_db.models import DBTaskResult

from accounts.models import Organization, User
from audit.models import Event
from inventory import services
from inventory.models import Device, InformationSystem, SurveyState, UnitSurvey
from inventory.services import InventoryError, InventoryRows
from inventory.tests.factories import (
    device,
    filled,
    open_survey,
    submitted,
    survey_of,
    system,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def test_a_data_reviewer_opens_a_survey_with_one_unit_survey_per_unit(
    data_reviewer: User, education: Organization, health: Organization
) -> None:
    campaign = open_survey(data_reviewer, education, health)
    surveys = UnitSurvey.objects.filter(campaign=campaign)
    assert sorted(surveys.values_list("organization__code", flat=True)) == ["EDU", "HEALTH"]
    assert set(surveys.values_list("state", flat=True)) == {SurveyState.DRAFT}
    event = Event.objects.get(event_type="inventory.campaign.opened")
    assert event.actor == data_reviewer
    assert event.data["units"] == ["EDU", "HEALTH"]


def test_finance_may_open_a_survey_but_a_clerk_may_not(
    finance_reviewer: User, submitter: User, education: Organization
) -> None:
    with pytest.raises(InventoryError):
        open_survey(submitter, education)
    assert open_survey(finance_reviewer, education).year == 2026


def test_one_survey_per_year(data_reviewer: User, education: Organization) -> None:
    open_survey(data_reviewer, education)
    with pytest.raises(InventoryError, match="already"):
        open_survey(data_reviewer, education)


def test_the_unit_fills_submits_and_the_reviewer_returns_then_accepts(
    data_reviewer: User, submitter: User, education: Organization
) -> None:
    survey = survey_of(open_survey(data_reviewer, education), education)
    survey = submitted(survey, submitter)
    assert survey.state == SurveyState.SUBMITTED
    assert survey.submitted_at is not None
    with pytest.raises(InventoryError, match="correct"):
        services.act(survey, "return", actor=data_reviewer, expected_version=survey.version)
    survey = services.act(
        survey, "return", actor=data_reviewer, expected_version=survey.version, reason="缺设备"
    )
    assert (survey.state, survey.return_reason) == (SurveyState.RETURNED, "缺设备")
    returned = Event.objects.get(event_type="inventory.survey.returned")
    assert (returned.from_state, returned.to_state, returned.comment) == (
        "submitted",
        "returned",
        "缺设备",
    )
    survey = services.act(survey, "submit", actor=submitter, expected_version=survey.version)
    survey = services.act(survey, "accept", actor=data_reviewer, expected_version=survey.version)
    assert survey.state == SurveyState.ACCEPTED
    assert survey.return_reason == ""


def test_forbidden_and_out_of_state_actions_change_nothing(
    data_reviewer: User, submitter: User, outsider: User, education: Organization
) -> None:
    survey = survey_of(open_survey(data_reviewer, education), education)
    with pytest.raises(InventoryError, match="empty"):
        services.act(survey, "submit", actor=submitter, expected_version=survey.version)
    survey = filled(survey, submitter)
    with pytest.raises(InventoryError, match="not your action"):
        services.act(survey, "submit", actor=outsider, expected_version=survey.version)
    with pytest.raises(InventoryError, match="not your action"):
        services.act(survey, "accept", actor=submitter, expected_version=survey.version)
    with pytest.raises(InventoryError, match="cannot be"):
        services.act(survey, "accept", actor=data_reviewer, expected_version=survey.version)
    with pytest.raises(InventoryError, match="after you opened"):
        services.act(survey, "submit", actor=submitter, expected_version=survey.version - 1)
    survey.refresh_from_db()
    assert survey.state == SurveyState.DRAFT
    assert not Event.objects.filter(event_type__startswith="inventory.survey.").exists()


def test_a_submitted_inventory_no_longer_changes(
    data_reviewer: User, submitter: User, education: Organization
) -> None:
    survey = submitted(survey_of(open_survey(data_reviewer, education), education), submitter)
    with pytest.raises(InventoryError, match="no longer"):
        services.add_row(
            survey, "device", device(), actor=submitter, expected_version=survey.version
        )


def test_rows_added_and_removed_keep_their_history(
    data_reviewer: User, submitter: User, education: Organization
) -> None:
    survey = survey_of(open_survey(data_reviewer, education), education)
    row = services.add_row(
        survey, "system", system(name="x" * 200), actor=submitter, expected_version=1
    )
    services.remove_row(survey, "system", row.pk, actor=submitter, expected_version=2)
    assert not InformationSystem.objects.exists()
    added, removed = Event.objects.filter(target_key="2026-EDU").order_by("id")
    assert added.event_type == "inventory.row.added"
    assert removed.data["row"]["name"] == "x" * 200
    assert removed.data["row"]["construction_cost"] == "3000000.00"


def test_an_outsider_cannot_add_to_another_units_inventory(
    data_reviewer: User, outsider: User, education: Organization
) -> None:
    survey = survey_of(open_survey(data_reviewer, education), education)
    with pytest.raises(InventoryError, match="may not"):
        services.add_row(survey, "device", device(), actor=outsider, expected_version=1)
    assert not Device.objects.exists()


def test_an_amount_beyond_the_limit_is_refused(
    data_reviewer: User, submitter: User, education: Organization
) -> None:
    survey = survey_of(open_survey(data_reviewer, education), education)
    huge = device(original_value=Decimal("1000000000000.00"))
    with pytest.raises(InventoryError, match="limit"):
        services.replace_rows(
            survey, InventoryRows(devices=[device(), huge]), actor=submitter, expected_version=1
        )
    assert not Device.objects.exists()


def test_replacing_rows_replaces_the_whole_inventory(
    data_reviewer: User, submitter: User, education: Organization
) -> None:
    survey = filled(survey_of(open_survey(data_reviewer, education), education), submitter)
    survey = services.replace_rows(
        survey,
        InventoryRows(devices=[device(name="交换机"), device(name="防火墙")]),
        actor=submitter,
        expected_version=survey.version,
        source="清单.xlsx",
    )
    assert sorted(Device.objects.values_list("name", flat=True)) == ["交换机", "防火墙"]
    assert not InformationSystem.objects.exists()
    event = Event.objects.filter(event_type="inventory.rows.imported").latest("id")
    assert event.data["added"]["device"] == 2
    assert event.data["removed"]["system"] == 1
    assert event.data["source"] == "清单.xlsx"


def test_reminders_queue_one_mail_per_unit_not_yet_submitted(
    data_reviewer: User,
    submitter: User,
    outsider: User,
    department_approver: User,
    education: Organization,
    health: Organization,
) -> None:
    for person in (submitter, outsider, department_approver):
        person.email = f"{person.username}@example.gov.cn"
        person.save(update_fields=["email"])
    campaign = open_survey(data_reviewer, education, health)
    submitted(survey_of(campaign, health), outsider)
    sent = services.send_reminders(campaign, actor=data_reviewer)
    assert sent == 1
    mail = DBTaskResult.objects.get(task_path="budgeting.notifications.send_notification")
    recipients = mail.args_kwargs["args"][2]
    assert sorted(recipients) == sorted([submitter.email, department_approver.email])
    assert "2026" in mail.args_kwargs["args"][0]
    with pytest.raises(InventoryError):
        services.send_reminders(campaign, actor=submitter)


def test_a_late_unit_is_one_past_the_deadline_without_a_submission(
    data_reviewer: User, education: Organization
) -> None:
    campaign = open_survey(data_reviewer, education)
    survey = survey_of(campaign, education)
    assert not survey.is_late_on(datetime.date(2026, 3, 31))
    assert survey.is_late_on(datetime.date(2026, 4, 1))
