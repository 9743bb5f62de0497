"""The sample standards loaded by seed_demo."""

import datetime
from decimal import Decimal

import pytest

from standards import catalogue, demo, pricing
from standards.models import SetStatus, StandardSet

pytestmark = pytest.mark.django_db


def test_seed_is_published_labelled_and_idempotent():
    assert demo.seed_standards() == 3  # the province, Guangzhou and Tianhe
    assert demo.seed_standards() == 0
    province = StandardSet.objects.get(code=demo.PROVINCE_CODE)
    city = StandardSet.objects.get(code=demo.CITY_CODE)
    assert province.status == city.status == SetStatus.PUBLISHED
    assert "示例" in province.name
    assert city.base == province
    fee_classes = [c.name for c in province.categories.filter(parent=None)]
    assert fee_classes == [
        "软件开发服务费",
        "运行维护服务费",
        "系统业务运营服务费",
        "基础设施服务费",
        "其他服务费",
    ]
    assert catalogue.provincial_set_in_force(datetime.date(2026, 1, 1)) == province


def test_city_overrides_a_few_prices_and_inherits_the_rest():
    demo.seed_standards()
    city = StandardSet.objects.select_related("base").get(code=demo.CITY_CODE)
    items = {item.code: item for item in catalogue.effective_items(city)}
    assert items["2.1"].standard_set == city
    assert {g.code: g.unit_price for g in items["2.1"].grades.all()}["L3"] == Decimal("118000.00")
    assert items["5.1"].standard_set.code == demo.PROVINCE_CODE
    assert city.base is not None
    changed = catalogue.compare(city.base, city).changed
    assert sorted(change.new.code for change in changed) == ["2.1", "4.1"]


def test_sample_function_point_item_prices_the_worked_example():
    demo.seed_standards()
    item = StandardSet.objects.get(code=demo.PROVINCE_CODE).items.get(code="1.1")
    p = item.parameters
    result = pricing.price_by_function_points(
        ufp=1000,
        category_factor=p["category_factors"]["业务处理"],
        reuse_factor=p["reuse_factors"]["低"],
        productivity=p["productivity"],
        productivity_baseline=p["productivity"],
        hours_per_person_month=p["hours_per_person_month"],
        person_month_rate=p["person_month_rate"],
    )
    assert result.amount == Decimal("897931.03")
