"""A large draft standard made by bulk insert, for the standards benchmarks."""

from decimal import Decimal

from standards.models import FeeCategory, Grade, ServiceItem, SetStatus, StandardSet
from standards.tests.factories import StandardSetFactory

GRADES = (("A", "一级", "83900.00"), ("B", "二级", "125900.00"))


def large_set(code: str, items: int, grades_per_item: int) -> StandardSet:
    """A draft of ``items`` unit-price items with ``grades_per_item`` grades (at most 2) each."""
    standard = StandardSetFactory.create(code=code, status=SetStatus.DRAFT)
    category = FeeCategory.objects.create(standard_set=standard, code="2", name="运行维护服务费")
    made = ServiceItem.objects.bulk_create(
        ServiceItem(
            standard_set=standard,
            category=category,
            code=f"2.{number:05d}",
            name=f"运维服务{number}",
            unit="人年",
            pricing_method="unit_price",
            parameters={},
            position=number,
        )
        for number in range(items)
    )
    Grade.objects.bulk_create(
        Grade(item=item, code=code, name=name, unit_price=Decimal(price))
        for item in made
        for code, name, price in GRADES[:grades_per_item]
    )
    return standard
