"""Editing an inventory row in place (service, htmx partials, the page without
JavaScript), and each row's own history."""

import datetime
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.models import Organization, User
from audit.models import Event
from inventory import services
from inventory.models import Device, SystemStatus, UnitSurvey
from inventory.services import InventoryError
from inventory.tests.factories import device, filled, open_survey, survey_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def survey(data_reviewer: User, education: Organization, health: Organization) -> UnitSurvey:
    return survey_of(open_survey(data_reviewer, education, health), education)


def _device(survey: UnitSurvey, clerk: User) -> tuple[UnitSurvey, Device]:
    row = services.add_row(survey, "device", device(), actor=clerk, expected_version=survey.version)
    survey.refresh_from_db()
    return survey, row  # type: ignore[return-value]


def _theirs(survey: UnitSurvey, outsider: User, health: Organization) -> tuple[UnitSurvey, Device]:
    """The other unit's survey of the same campaign, filled, and its device."""
    theirs = filled(survey_of(survey.campaign, health), outsider)
    return theirs, Device.objects.get(survey=theirs)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def _editing(survey: UnitSurvey, clerk: User) -> tuple[UnitSurvey, Device, Client, str]:
    """A device of the survey, the clerk's client and the row's edit URL."""
    survey, row = _device(survey, clerk)
    url = reverse("inventory:row_edit", args=[survey.public_id, "device", row.pk])
    return survey, row, _client(clerk), url


def _post(row: Device, **changes: object) -> dict[str, object]:
    values = {
        "device_type": row.device_type,
        "name": row.name,
        "quantity": row.quantity,
        "original_value": row.original_value,
        "purchase_date": row.purchase_date.isoformat(),
        "warranty_end": row.warranty_end.isoformat() if row.warranty_end else "",
    }
    return {**values, **changes}


def test_a_change_records_each_field_before_and_after(survey: UnitSurvey, submitter: User) -> None:
    survey, row = _device(survey, submitter)
    services.change_row(
        survey,
        "device",
        row.pk,
        {"quantity": 12, "warranty_end": datetime.date(2028, 6, 1)},
        actor=submitter,
        expected_version=survey.version,
    )
    row.refresh_from_db()
    assert (row.quantity, row.warranty_end) == (12, datetime.date(2028, 6, 1))
    event = Event.objects.get(event_type="inventory.row.changed")
    assert event.data["row_id"] == row.pk
    assert event.data["changes"] == {
        "quantity": [10, 12],
        "warranty_end": ["2021-05-01", "2028-06-01"],
    }
    assert UnitSurvey.objects.get(pk=survey.pk).version == survey.version + 1


def test_no_change_is_no_event(survey: UnitSurvey, submitter: User) -> None:
    survey, row = _device(survey, submitter)
    services.change_row(
        survey, "device", row.pk, {"quantity": 10}, actor=submitter,
        expected_version=survey.version,
    )  # fmt: skip
    assert not Event.objects.filter(event_type="inventory.row.changed").exists()
    assert UnitSurvey.objects.get(pk=survey.pk).version == survey.version


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"original_value": Decimal("1000000000000.00")}, "Exceeds the amount limit"),
        ({"original_value": Decimal("-1")}, "The original value cannot be negative."),
        ({"quantity": 0}, "greater than or equal to 1"),
        ({"name": "x" * 10_000}, "at most 200 characters"),
    ],
)
def test_a_refused_change_writes_nothing(
    survey: UnitSurvey, submitter: User, changes: dict[str, object], message: str
) -> None:
    survey, row = _device(survey, submitter)
    with pytest.raises(InventoryError) as error:
        services.change_row(
            survey, "device", row.pk, changes, actor=submitter, expected_version=survey.version
        )
    assert message in error.value.message
    assert Device.objects.get(pk=row.pk).quantity == 10
    assert not Event.objects.filter(event_type="inventory.row.changed").exists()


def test_another_units_row_a_stale_page_and_a_submitted_survey_are_refused(
    survey: UnitSurvey, submitter: User, outsider: User, health: Organization
) -> None:
    theirs, their_row = _theirs(survey, outsider, health)
    survey, row = _device(survey, submitter)
    with pytest.raises(InventoryError, match="no longer exists"):
        services.change_row(
            survey, "device", their_row.pk, {"quantity": 1}, actor=submitter,
            expected_version=survey.version,
        )  # fmt: skip
    with pytest.raises(InventoryError, match="may not change"):
        services.change_row(
            theirs, "device", their_row.pk, {"quantity": 1}, actor=submitter,
            expected_version=theirs.version,
        )  # fmt: skip
    with pytest.raises(InventoryError, match="Someone changed"):
        services.change_row(
            survey, "device", row.pk, {"quantity": 1}, actor=submitter,
            expected_version=survey.version - 1,
        )  # fmt: skip
    survey = services.act(survey, "submit", actor=submitter, expected_version=survey.version)
    with pytest.raises(InventoryError, match="can no longer be changed"):
        services.change_row(
            survey, "device", row.pk, {"quantity": 1}, actor=submitter,
            expected_version=survey.version,
        )  # fmt: skip
    assert Device.objects.get(pk=their_row.pk).quantity == 10


def test_htmx_swaps_the_row_for_its_form_then_the_body_with_the_change(
    survey: UnitSurvey, submitter: User
) -> None:
    survey, row, client, url = _editing(survey, submitter)
    form = client.get(url, headers={"HX-Request": "true"})
    html = form.content.decode()
    assert form.status_code == 200 and "<html" not in html
    assert f'<tr id="device-{row.pk}"' in html and 'hx-target="#survey-body"' in html
    done = client.post(
        url, {**_post(row, quantity=25), "version": survey.version}, headers={"HX-Request": "true"}
    )
    body = done.content.decode()
    assert done.status_code == 200 and '<div id="survey-body">' in body
    assert f'value="{survey.version + 1}"' in body  # every form now posts the new version
    assert "Inventory row changed: 机架式服务器: quantity 10 → 25" in body
    refused = client.post(
        url,
        {**_post(row, original_value="-5"), "version": survey.version + 1},
        headers={"HX-Request": "true"},
    )
    assert refused["HX-Retarget"] == f"#device-{row.pk}"
    assert "The original value cannot be negative." in refused.content.decode()
    assert Device.objects.get(pk=row.pk).quantity == 25


def test_without_javascript_the_edit_is_a_page_and_a_redirect(
    survey: UnitSurvey, submitter: User
) -> None:
    survey, row, client, url = _editing(survey, submitter)
    assert "<html" in client.get(url).content.decode()
    bad = client.post(url, {**_post(row, quantity="\x00"), "version": survey.version})
    assert bad.status_code == 400
    stale = client.post(url, {**_post(row, quantity=3), "version": survey.version - 1})
    assert stale.status_code == 400
    assert "Someone changed this inventory" in stale.content.decode()
    done = client.post(url, {**_post(row, quantity=3), "version": survey.version})
    assert done.status_code == 302 and done["Location"].endswith(f"#device-{row.pk}")


def test_another_surveys_row_id_by_url_is_404(
    survey: UnitSurvey, submitter: User, outsider: User, health: Organization
) -> None:
    theirs, their_row = _theirs(survey, outsider, health)
    client = _client(submitter)
    for name in ("inventory:row_edit", "inventory:row_history"):
        assert (
            client.get(reverse(name, args=[survey.public_id, "device", their_row.pk])).status_code
            == 404
        )
        assert (
            client.get(reverse(name, args=[survey.public_id, "device", 2**62])).status_code == 404
        )
    assert (
        client.get(reverse("inventory:row_edit", args=[survey.public_id, "nope", 1])).status_code
        == 404
    )
    # And the outsider's own URL for it is not the submitter's to see.
    assert (
        client.get(
            reverse("inventory:row_history", args=[theirs.public_id, "device", their_row.pk])
        ).status_code
        == 404
    )


def test_each_row_shows_its_own_history(
    survey: UnitSurvey, submitter: User, data_reviewer: User
) -> None:
    survey = filled(survey, submitter)  # imported: the import is the row's first event
    imported = survey.systems.get()
    survey, added = _device(survey, submitter)
    services.change_row(
        survey, "system", imported.pk, {"status": SystemStatus.RETIRED}, actor=submitter,
        expected_version=survey.version,
    )  # fmt: skip
    client = _client(data_reviewer)
    page = client.get(
        reverse("inventory:row_history", args=[survey.public_id, "system", imported.pk])
    )
    html = page.content.decode()
    assert "Inventory row changed: 教育政务服务平台: status Live → Retired" in html
    assert "Inventory imported from Excel" in html
    assert "Inventory row added" not in html
    other = client.get(
        reverse("inventory:row_history", args=[survey.public_id, "device", added.pk])
    )
    assert "Inventory row added: 机架式服务器" in other.content.decode()
    assert "Inventory imported from Excel" not in other.content.decode()
    survey.refresh_from_db()
    services.remove_row(
        survey, "device", added.pk, actor=submitter, expected_version=survey.version
    )
    gone = client.get(reverse("inventory:row_history", args=[survey.public_id, "device", added.pk]))
    assert "Inventory row removed" in gone.content.decode()
    assert "The row has been removed" in gone.content.decode()
