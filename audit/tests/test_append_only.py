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
