"""A derived standard: inherit all, override with a reason, add local items, retire items;
and rebasing it onto a newer base, all or nothing (issue #18)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from audit.models import Event
from standards import catalogue, demo, rebase, services
from standards.models import Derivation, Grade, RetiredItem, ServiceItem, StandardSet
from standards.tests.factories import derived_set, filled_set, jurisdiction, new_version

pytestmark = pytest.mark.django_db


def _city() -> tuple[StandardSet, StandardSet]:
    province = filled_set(3, code="GD-2019")
    city = derived_set(province, "GZ-2020")
    item = services.override_item(city, "2.01", actor=None, reason="市场价较低")
    grade = item.grades.get(code="A")
    grade.unit_price = Decimal("80000.00")
    services.save_grade(grade, actor=None)
    local = ServiceItem(
        standard_set=city,
        category=province.categories.get(),
        code="2.09",
        name="市级专项",
        unit="年",
        pricing_method="unit_price",
        derivation_reason="省标准未列",
    )
    services.save_item(local, actor=None)
    Grade.objects.create(item=local, code="STD", name="标准", unit_price=Decimal("36000.00"))
    services.retire_item(city, "2.03", reason="市里不再购买", actor=None)
    return province, city


def test_effective_items_override_add_and_retire() -> None:
    province, city = _city()
    items = {item.code: item for item in catalogue.effective_items(city)}
    assert sorted(items) == ["2.01", "2.02", "2.09"]
    assert items["2.01"].standard_set_id == city.pk
    assert items["2.01"].derivation == Derivation.OVERRIDE
    assert items["2.01"].grades.all()[0].unit_price == Decimal("80000.00")
    assert items["2.02"].standard_set_id == province.pk
    assert items["2.09"].derivation == Derivation.LOCAL
    assert catalogue.effective_items_of([city])[city.pk].keys() == items.keys()
    assert [
        e.event_type for e in Event.objects.filter(event_type__startswith="standards.item.r")
    ] == ["standards.item.retired"]


def test_a_county_inherits_the_citys_retirements_and_may_retire_more() -> None:
    _province, city = _city()
    city = services.publish_set(city, actor=None)
    county = derived_set(city, "TH-2021", where=jurisdiction("GD-GZ-TH", "天河区", "GD-GZ"))
    services.retire_item(county, "2.09", reason="区里不需要", actor=None)
    assert [item.code for item in catalogue.effective_items(county)] == ["2.01", "2.02"]


def test_overrides_and_retirements_need_a_reason_and_a_base_item() -> None:
    province = filled_set(2, code="GD-2019")
    city = derived_set(province, "GZ-2020")
    with pytest.raises(services.StandardsError):
        services.retire_item(city, "2.01", reason=" ", actor=None)
    with pytest.raises(services.StandardsError):
        services.retire_item(city, "9.99", reason="无", actor=None)
    services.override_item(city, "2.02", actor=None)  # the reason can come later ...
    with pytest.raises(services.StandardsError, match=r"2\.02"):
        services.publish_set(city, actor=None)  # ... but before publishing
    services.retire_item(city, "2.01", reason="不再购买", actor=None)
    with pytest.raises(services.StandardsError):
        services.override_item(city, "2.01", actor=None, reason="x")


def test_a_city_derives_from_the_province_not_from_a_sibling() -> None:
    province = filled_set(1, code="GD-2019")
    with pytest.raises(services.StandardsError):
        services.derive_set(
            province,
            code="X",
            name="x",
            region="x",
            version_label="x",
            effective_from=province.effective_from,
            actor=None,
            jurisdiction=StandardSet.objects.get(pk=province.pk).jurisdiction,
        )


def test_rebase_shows_upstream_then_keeps_what_still_exists() -> None:
    province, city = _city()
    city = services.publish_set(city, actor=None)
    draft = new_version(province, "GD-2021")
    services.delete_member(ServiceItem.objects.get(standard_set=draft, code="2.03"), actor=None)
    grade = Grade.objects.get(item__standard_set=draft, item__code="2.02", code="A")
    grade.unit_price = Decimal("90000.00")
    services.save_grade(grade, actor=None)
    newer = services.publish_set(draft, actor=None)
    city = StandardSet.objects.select_related("base").get(pk=city.pk)
    assert rebase.newer_base(city) == newer
    changes = rebase.plan(city, newer)
    assert [c.new.code for c in changes.upstream.changed] == ["2.02"]
    assert [i.code for i in changes.upstream.removed] == ["2.03"]
    assert [row.code for row in changes.retired_dropped] == ["2.03"]
    rebased = rebase.rebase_set(
        city,
        newer,
        code="GZ-2021",
        version_label="2021",
        effective_from=newer.effective_from,
        actor=None,
    )
    assert rebased.base == newer and rebased.jurisdiction == city.jurisdiction
    items = {item.code: item for item in catalogue.effective_items(rebased)}
    assert sorted(items) == ["2.01", "2.02", "2.09"]
    assert items["2.01"].grades.get(code="A").unit_price == Decimal("80000.00")  # kept
    assert items["2.02"].standard_set_id == newer.pk
    assert not RetiredItem.objects.filter(standard_set=rebased).exists()
    services.publish_set(rebased, actor=None)
    assert Event.objects.filter(event_type="standards.set.rebased", target_key="GZ-2021").exists()


def test_rebase_is_all_or_nothing() -> None:
    province, city = _city()
    city = services.publish_set(city, actor=None)
    newer = services.publish_set(new_version(province, "GD-2021"), actor=None)
    with pytest.raises(services.StandardsError):  # not the newest: nothing written
        rebase.rebase_set(
            city, province, code="GZ-X", version_label="x", effective_from=newer.effective_from,
            actor=None,
        )  # fmt: skip
    # A code already taken: refused, nothing of it stays.
    with pytest.raises(ValidationError):
        rebase.rebase_set(
            city, newer, code="GD-2019", version_label="x", effective_from=newer.effective_from,
            actor=None,
        )  # fmt: skip
    assert StandardSet.objects.count() == 3
    assert not ServiceItem.objects.exclude(standard_set__in=[province, city, newer]).exists()


def test_the_demo_city_belongs_to_guangzhou_with_each_kind_of_change() -> None:
    demo.seed_standards()
    city = StandardSet.objects.select_related("base", "jurisdiction").get(code=demo.CITY_CODE)
    assert city.jurisdiction.code == "GD-GZ"
    items = {item.code: item for item in catalogue.effective_items(city)}
    assert "1.4" not in items and items["5.2"].derivation == Derivation.LOCAL
    prices = {g.code: g.unit_price for g in items["2.1"].grades.all()}
    assert prices["L2"] == Decimal("98000.00") and items["2.1"].derivation_reason


def test_the_rebase_page_shows_differences_first_then_rebases(system_admin_client) -> None:
    province, city = _city()
    city = services.publish_set(city, actor=None)
    newer = services.publish_set(new_version(province, "GD-2021"), actor=None)
    set_page = system_admin_client.get(f"/standards/{city.code}/").content.decode()
    assert f"/standards/{city.code}/rebase/" in set_page
    page = system_admin_client.get(f"/standards/{city.code}/rebase/")
    assert page.status_code == 200 and newer.code in page.content.decode()
    assert not StandardSet.objects.filter(code="GZ-2021").exists()  # GET writes nothing
    response = system_admin_client.post(
        f"/standards/{city.code}/rebase/",
        {"code": "GZ-2021", "version_label": "2021", "effective_from": "2021-01-01"},
    )
    assert response.status_code == 302
    assert StandardSet.objects.get(code="GZ-2021").base == newer


def test_a_clerk_cannot_rebase(clerk_client) -> None:
    province, city = _city()
    services.publish_set(city, actor=None)
    services.publish_set(new_version(province, "GD-2021"), actor=None)
    assert clerk_client.get(f"/standards/{city.code}/rebase/").status_code == 403


def test_the_demo_county_derives_from_guangzhou() -> None:
    demo.seed_standards()
    county = StandardSet.objects.select_related("base", "jurisdiction").get(code=demo.COUNTY_CODE)
    assert county.base is not None and county.base.code == demo.CITY_CODE
    assert county.jurisdiction.parent == demo.city_jurisdiction()
    items = {item.code: item for item in catalogue.effective_items(county)}
    assert items["2.1"].standard_set.code == demo.CITY_CODE  # the city's override, inherited
    assert {g.code: g.unit_price for g in items["5.1"].grades.all()}["L2"] == Decimal("75000.00")
    assert "1.4" not in items  # the city's retirement holds for the county
