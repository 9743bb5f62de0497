"""Services: the status table, immutability (services and database), copies, derivation."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import translation

from audit.models import Event
from standards import catalogue, services
from standards.models import FeeCategory, Grade, ServiceItem, SetStatus, StandardSet
from standards.pricing import Method
from standards.tests.factories import (
    FeeCategoryFactory,
    GradeFactory,
    ServiceItemFactory,
    StandardSetFactory,
    derived_set,
    filled_set,
)

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 27)


def events(event_type: str) -> list[Event]:
    return list(Event.objects.filter(event_type=event_type))


def test_save_set_creates_a_draft_with_history(system_admin):
    standard_set = services.save_set(
        StandardSet(
            code="GD-2019",
            name="广东省省级政务信息化服务预算编制标准",
            region="广东省",
            version_label="2019 试行",
            effective_from=datetime.date(2019, 1, 1),
            status=SetStatus.PUBLISHED,  # ignored: new sets start as drafts
        ),
        actor=system_admin,
    )
    assert standard_set.status == SetStatus.DRAFT
    [event] = events("standards.set.created")
    assert event.actor == system_admin
    assert event.target_key == "GD-2019"


def test_publish_moves_a_draft_on_and_records_it(system_admin):
    draft = filled_set(2, status=SetStatus.DRAFT)
    published = services.publish_set(draft, actor=system_admin)
    assert published.status == SetStatus.PUBLISHED
    assert published.published_at is not None
    [event] = events("standards.set.published")
    assert (event.from_state, event.to_state) == ("draft", "published")
    assert event.data == {"items": 2}


def test_publishing_twice_is_refused_and_writes_nothing(system_admin):
    published = filled_set(1)
    with pytest.raises(services.StandardsError):
        services.publish_set(published, actor=system_admin)
    assert not events("standards.set.published")


def test_an_empty_set_cannot_be_published(system_admin):
    with pytest.raises(services.StandardsError):
        services.publish_set(StandardSetFactory.create(), actor=system_admin)


def test_publish_refuses_an_item_with_bad_parameters(system_admin):
    draft = filled_set(1, status=SetStatus.DRAFT)
    ServiceItem.objects.filter(standard_set=draft).update(
        pricing_method=Method.PERCENTAGE, parameters={"rate_max": "2"}
    )
    with pytest.raises(ValidationError):
        services.publish_set(draft, actor=system_admin)
    draft.refresh_from_db()
    assert draft.status == SetStatus.DRAFT


def test_retire_closes_the_effective_period(system_admin):
    published = filled_set(1)
    retired = services.retire_set(published, actor=system_admin, effective_to=TODAY)
    assert retired.status == SetStatus.RETIRED
    assert retired.effective_to == TODAY
    [event] = events("standards.set.retired")
    assert event.to_state == "retired"


def test_a_draft_cannot_be_retired(system_admin):
    with pytest.raises(services.StandardsError):
        services.retire_set(filled_set(1, status=SetStatus.DRAFT), actor=system_admin)


def test_items_of_a_draft_can_be_saved_with_history(system_admin):
    draft = filled_set(1, status=SetStatus.DRAFT)
    item = ServiceItem.objects.get(standard_set=draft)
    item.name = "软件运维服务"
    services.save_item(item, actor=system_admin)
    [event] = events("standards.item.changed")
    assert event.data == {"name": ["运维服务1", "软件运维服务"]}
    assert event.target_key == f"{draft.code}/{item.code}"


def test_services_refuse_changes_to_a_published_set(system_admin):
    published = filled_set(1)
    item = ServiceItem.objects.get(standard_set=published)
    grade = item.grades.all()[0]
    item.name = "改名"
    with pytest.raises(services.StandardsError):
        services.save_item(item, actor=system_admin)
    grade.unit_price = Decimal(1)
    with pytest.raises(services.StandardsError):
        services.save_grade(grade, actor=system_admin)
    with pytest.raises(services.StandardsError):
        services.save_category(FeeCategory(standard_set=published, code="9", name="x"), actor=None)
    with pytest.raises(services.StandardsError):
        services.delete_member(item, actor=system_admin)
    with pytest.raises(services.StandardsError):
        services.delete_set(published, actor=system_admin)
    published.name = "改名"
    with pytest.raises(services.StandardsError):
        services.save_set(published, actor=system_admin)
    assert ServiceItem.objects.get(pk=item.pk).name == "运维服务1"


@pytest.mark.parametrize(
    "write",
    [
        lambda s: ServiceItem.objects.filter(standard_set=s).update(name="x"),
        lambda s: Grade.objects.filter(item__standard_set=s).update(unit_price=1),
        lambda s: Grade.objects.filter(item__standard_set=s).delete(),
        lambda s: FeeCategory.objects.create(standard_set=s, code="X", name="x"),
        lambda s: ServiceItem.objects.bulk_create(
            [ServiceItem(standard_set=s, category=s.categories.first(), code="X", name="x")]
        ),
        lambda s: Grade.objects.create(item=s.items.first(), code="X", name="x", unit_price=1),
        lambda s: StandardSet.objects.filter(pk=s.pk).update(name="x"),
        lambda s: StandardSet.objects.filter(pk=s.pk).update(status="draft"),
    ],
    ids=[
        "item",
        "grade",
        "grade-delete",
        "category-insert",
        "item-insert",
        "grade-insert",
        "set",
        "set-back-to-draft",
    ],
)
def test_the_database_refuses_changes_to_a_published_set(write):
    published = filled_set(1)
    with pytest.raises(DatabaseError, match="is published"), transaction.atomic():
        write(published)


def test_the_database_lets_a_published_set_retire():
    published = filled_set(1)
    changed = StandardSet.objects.filter(pk=published.pk).update(
        status="retired", effective_to=TODAY
    )
    assert changed == 1
    published.refresh_from_db()
    assert (published.status, published.effective_to) == (SetStatus.RETIRED, TODAY)


def test_item_parameters_are_validated_by_method(system_admin):
    draft = filled_set(1, status=SetStatus.DRAFT)
    item = ServiceItemFactory.build(
        standard_set=draft,
        category=draft.categories.first(),
        pricing_method=Method.WORKLOAD,
        parameters={"person_month_rate": "24000"},
    )
    with pytest.raises(ValidationError) as error:
        services.save_item(item, actor=system_admin)
    assert "stages" in str(error.value)


def test_grade_outside_its_own_range_is_refused(system_admin):
    item = ServiceItemFactory.create()
    grade = Grade(
        item=item,
        code="L3",
        name="三级",
        unit_price=Decimal(100000),
        coefficient=Decimal("1.4"),
        range_min=Decimal(1),
        range_max=Decimal("1.3"),
    )
    with pytest.raises(ValidationError):
        services.save_grade(grade, actor=system_admin)


def test_codes_are_unique_within_a_set(system_admin):
    draft = filled_set(1, status=SetStatus.DRAFT)
    duplicate = ServiceItemFactory.build(
        standard_set=draft, category=draft.categories.first(), code="2.01"
    )
    with pytest.raises(ValidationError):
        services.save_item(duplicate, actor=system_admin)


def test_copy_to_new_version_copies_everything_into_an_editable_draft(system_admin):
    source = filled_set(3, code="GD-2019")
    copy = services.copy_to_new_version(
        source,
        code="GD-2021",
        version_label="2021 修订",
        effective_from=datetime.date(2021, 1, 1),
        actor=system_admin,
    )
    assert copy.status == SetStatus.DRAFT
    assert copy.previous_version == source
    assert copy.items.count() == 3
    assert Grade.objects.filter(item__standard_set=copy).count() == 6
    assert all(i.category.standard_set_id == copy.pk for i in copy.items.all())
    [event] = events("standards.set.copied")
    assert event.data == {"from": "GD-2019", "categories": 1, "items": 3, "grades": 6}
    # The copy changes; the original does not.
    grade = Grade.objects.filter(item__standard_set=copy)[0]
    grade.unit_price = Decimal("90000.00")
    services.save_grade(grade, actor=system_admin)
    assert not Grade.objects.filter(item__standard_set=source, unit_price=90000).exists()


def test_a_copy_under_a_code_taken_meanwhile_is_refused_with_nothing_copied(system_admin):
    """The second of two copies made at once waited on the source's lock, holding the
    code it chose before: told, nothing written."""
    source = filled_set(1, code="GD-2019")

    def copy() -> StandardSet:
        return services.copy_to_new_version(
            source, code="GD-2021", version_label="v2", effective_from=TODAY, actor=system_admin
        )

    copy()
    with translation.override("en"), pytest.raises(services.StandardsError) as refused:
        copy()
    assert refused.value.message == (
        "A standard with the code GD-2021 exists already: nothing was copied."
    )
    assert len(events("standards.set.copied")) == 1


def test_copy_keeps_the_category_tree():
    source = filled_set(1, status=SetStatus.DRAFT)
    top = source.categories.get()
    child = FeeCategoryFactory.create(standard_set=source, parent=top, code="2.1", name="软件运维")
    ServiceItem.objects.filter(standard_set=source).update(category=child)
    copy = services.copy_to_new_version(
        source, code="COPY", version_label="v2", effective_from=TODAY, actor=None
    )
    copied_child = copy.categories.get(code="2.1")
    assert copied_child.parent is not None
    assert copied_child.parent.standard_set_id == copy.pk
    assert copy.items.get().category == copied_child


def test_derived_set_inherits_and_overrides(system_admin):
    province = filled_set(3, code="GD-2019")
    city = derived_set(province, "GZ-2020")
    assert [i.code for i in catalogue.effective_items(city)] == ["2.01", "2.02", "2.03"]
    override = services.override_item(city, "2.02", actor=system_admin, reason="市场价较低")
    grade = override.grades.get(code="A")
    grade.unit_price = Decimal("80000.00")
    services.save_grade(grade, actor=system_admin)
    items = {i.code: i for i in catalogue.effective_items(city)}
    assert items["2.02"].standard_set_id == city.pk
    assert items["2.02"].grades.all()[0].unit_price == Decimal("80000.00")
    assert items["2.01"].standard_set_id == province.pk
    services.publish_set(city, actor=system_admin)
    assert events("standards.item.overridden")[0].target_key == "GZ-2020/2.02"


def test_override_refuses_unknown_or_repeated_items(system_admin):
    province = filled_set(1)
    city = derived_set(province, "GZ")
    with pytest.raises(services.StandardsError):
        services.override_item(city, "nope", actor=system_admin)
    services.override_item(city, "2.01", actor=system_admin)
    with pytest.raises(services.StandardsError):
        services.override_item(city, "2.01", actor=system_admin)


def test_only_published_sets_can_be_derived_from():
    with pytest.raises(services.StandardsError):
        derived_set(filled_set(1, status=SetStatus.DRAFT))


def test_a_draft_set_can_be_deleted(system_admin):
    draft = filled_set(2, status=SetStatus.DRAFT)
    services.delete_set(draft, actor=system_admin)
    assert not StandardSet.objects.filter(pk=draft.pk).exists()
    assert events("standards.set.deleted")


def test_grade_of_a_derived_item_uses_inherited_category(system_admin):
    province = filled_set(1)
    city = StandardSetFactory.create(base=province, code="SZ")
    item = ServiceItemFactory.build(
        standard_set=city, category=province.categories.first(), code="2.99"
    )
    services.save_item(item, actor=system_admin)
    GradeFactory.create(item=item)
    assert [i.code for i in catalogue.effective_items(city)] == ["2.01", "2.99"]


def test_a_set_code_may_not_shadow_a_page():
    with pytest.raises(ValidationError):
        services.save_set(StandardSetFactory.build(code="compare"), actor=None)


@pytest.mark.django_db(transaction=True)
def test_two_admins_publishing_at_once_cannot_both_succeed():
    draft = filled_set(1, status=SetStatus.DRAFT)
    outcomes: list[str] = []

    def second_admin() -> None:
        try:
            services.publish_set(draft, actor=None)
            outcomes.append("published")
        except services.StandardsError:
            outcomes.append("refused")
        finally:
            connection.close()

    with transaction.atomic():
        services.publish_set(draft, actor=None)
        other = threading.Thread(target=second_admin)
        other.start()
        other.join(timeout=0.5)
        assert other.is_alive(), "the second publish must wait for the first one's lock"
    other.join(timeout=10)
    assert outcomes == ["refused"]
    assert Event.objects.filter(event_type="standards.set.published").count() == 1


def test_the_largest_om_share_is_a_draft_field_with_its_history_and_is_copied() -> None:
    """Issue #19: the share of a system's construction cost above which yearly O&M is
    flagged belongs to the set; a draft changes it (history kept), a copy keeps it, a
    published set refuses, and 0 or more than 100 is refused."""
    draft = filled_set(1, status=SetStatus.DRAFT)
    assert draft.max_om_share == Decimal("15.00")
    draft.max_om_share = Decimal("12.5")
    services.save_set(draft, actor=None)
    event = Event.objects.get(event_type="standards.set.changed")
    assert event.data == {"max_om_share": ["15.00", "12.5"]}
    for wrong in (Decimal("0"), Decimal("100.01")):
        draft.max_om_share = wrong
        with pytest.raises(ValidationError):
            services.save_set(draft, actor=None)
    services.publish_set(StandardSet.objects.get(pk=draft.pk), actor=None)
    copy = services.copy_to_new_version(
        draft, code="NEXT", version_label="2026", effective_from=datetime.date(2026, 1, 1),
        actor=None,
    )  # fmt: skip
    assert copy.max_om_share == Decimal("12.50")
    with pytest.raises(DatabaseError), transaction.atomic():
        StandardSet.objects.filter(pk=draft.pk).update(max_om_share=Decimal("30"))
