import pytest
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy

from accounts.models import Organization, User
from audit.labels import register
from audit.queries import history_of
from audit.services import record_event

pytestmark = pytest.mark.django_db

register({"test.history.noted": gettext_lazy("Submitted")})  # a label with a translation


def test_the_history_of_an_object_is_its_events_newest_first_with_actors_and_labels(
    django_assert_num_queries, education: Organization, health: Organization, submitter: User
) -> None:
    for comment in ("第一", "第二"):
        record_event(
            "test.history.noted",
            actor=submitter,
            target=education,
            target_key=education.code,
            comment=comment,
        )
    record_event("test.history.unlabelled", actor=None, target=education, target_key="EDU")
    record_event("test.history.noted", actor=None, target=health, target_key=health.code)
    record_event("test.history.noted", actor=None, target=submitter, target_key="EDU")
    with django_assert_num_queries(1):
        history = history_of(education, education.code)
        actors = [event.actor for event, _label, _details in history.entries]
    assert [event.comment for event, _label, _details in history.entries] == ["", "第二", "第一"]
    assert actors == [None, submitter, submitter]
    assert not history.more
    with translation.override("zh-hans"):
        labels = [str(label) for _event, label, _details in history.entries]
    assert labels == ["test.history.unlabelled", "报送", "报送"]  # no label: the event type
    with translation.override("en"):
        assert str(history.entries[1].label) == "Submitted"


def test_the_history_shows_the_latest_events_and_says_when_there_are_older_ones(
    education: Organization,
) -> None:
    for number in range(4):
        record_event(
            "test.history.noted",
            actor=None,
            target=education,
            target_key=education.code,
            comment=str(number),
        )
    latest = history_of(education, education.code, limit=3)
    assert [event.comment for event, _label, _details in latest.entries] == ["3", "2", "1"]
    assert latest.more
    assert not history_of(education, education.code, limit=4).more
    with translation.override("zh-hans"):
        shown = render_to_string("includes/history.html", {"history": latest})
        whole = render_to_string(
            "includes/history.html", {"history": history_of(education, education.code, limit=4)}
        )
    assert shown.count("<li>") == 3
    assert "仅显示最近 3 条记录。" in shown
    assert whole.count("<li>") == 4
    assert "仅显示" not in whole
    assert shown.count("系统") == 3  # changes made by the system: nobody to name
