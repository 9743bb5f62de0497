import pytest
from django.db import DatabaseError, transaction

from accounts.models import Organization
from audit.models import Event
from audit.services import record_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(education: Organization) -> Event:
    return record_event(
        "test.recorded", actor=None, target=education, target_key=education.code, comment="原始"
    )


def test_record_event_stores_target_and_details(event: Event, education: Organization) -> None:
    stored = Event.objects.get(pk=event.pk)
    assert stored.target_type == "accounts.organization"
    assert stored.target_key == "EDU"
    assert stored.target_label == "省教育厅"
    assert stored.comment == "原始"


def test_the_database_refuses_to_update_history(event: Event) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Event.objects.filter(pk=event.pk).update(comment="篡改")
    assert Event.objects.get(pk=event.pk).comment == "原始"


def test_the_database_refuses_to_delete_history(event: Event) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Event.objects.filter(pk=event.pk).delete()
    assert Event.objects.filter(pk=event.pk).exists()


def test_every_event_type_the_services_write_has_a_label() -> None:
    """A history row should read as words, not as an event code."""
    import re
    from pathlib import Path

    from audit.labels import label_for

    root = Path(__file__).resolve().parents[2]
    written = set()
    for app in ("projects", "budgeting"):
        for source in (root / app).glob("*.py"):
            written |= set(
                re.findall(
                    r'"((?:projects|budgeting)\.(?:project|target|attachment|line)\.[a-z_]+)"',
                    source.read_text(),
                )
            )
    written |= {
        f"budgeting.project.{action}"
        for action in ("submit", "pass", "return", "reject", "withdraw", "approve")
    }
    unlabelled = sorted(event for event in written if label_for(event) == event)
    assert not unlabelled, unlabelled
