"""factory_boy factories for the standards catalogue and the people who use it."""

import datetime
from decimal import Decimal

import factory

from accounts.models import (
    AdministrativeLevel,
    Jurisdiction,
    Organization,
    Role,
    UnitLevel,
    User,
    province_pk,
)
from standards.models import FeeCategory, Grade, ServiceItem, SetStatus, StandardSet
from standards.pricing import Method


class OrganizationFactory(factory.django.DjangoModelFactory[Organization]):
    class Meta:
        model = Organization
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"UNIT{n}")
    name = factory.Sequence(lambda n: f"测试单位{n}")
    level = UnitLevel.PRIMARY


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    organization = factory.SubFactory(OrganizationFactory)
    roles = factory.LazyFunction(lambda: [Role.SUBMITTER])
    password = factory.django.Password("test-password-123")


class StandardSetFactory(factory.django.DjangoModelFactory[StandardSet]):
    class Meta:
        model = StandardSet

    code = factory.Sequence(lambda n: f"STD-{n}")
    name = "广东省省级政务信息化服务预算编制标准"
    region = "广东省"
    version_label = "2019 试行"
    effective_from = datetime.date(2019, 1, 1)
    status = SetStatus.DRAFT


class FeeCategoryFactory(factory.django.DjangoModelFactory[FeeCategory]):
    class Meta:
        model = FeeCategory

    standard_set = factory.SubFactory(StandardSetFactory)
    code = factory.Sequence(lambda n: f"C{n}")
    name = factory.Sequence(lambda n: f"费用类别{n}")


class ServiceItemFactory(factory.django.DjangoModelFactory[ServiceItem]):
    class Meta:
        model = ServiceItem

    standard_set = factory.SubFactory(StandardSetFactory)
    category = factory.SubFactory(
        FeeCategoryFactory, standard_set=factory.SelfAttribute("..standard_set")
    )
    code = factory.Sequence(lambda n: f"I{n:04d}")
    name = factory.Sequence(lambda n: f"服务内容{n}")
    unit = "人年"
    pricing_method = Method.UNIT_PRICE
    parameters = factory.LazyFunction(dict)


class GradeFactory(factory.django.DjangoModelFactory[Grade]):
    class Meta:
        model = Grade

    item = factory.SubFactory(ServiceItemFactory)
    code = factory.Sequence(lambda n: f"G{n}")
    name = "标准"
    unit_price = Decimal("83900.00")


def filled_set(items: int = 2, *, status: str = SetStatus.PUBLISHED, **fields) -> StandardSet:
    """A set with one fee class, ``items`` items of two grades each, in ``status``."""
    standard_set = StandardSetFactory.create(**fields)
    category = FeeCategoryFactory.create(standard_set=standard_set, code="2", name="运行维护服务费")
    for number in range(items):
        item = ServiceItemFactory.create(
            standard_set=standard_set,
            category=category,
            code=f"2.{number + 1:02d}",
            name=f"运维服务{number + 1}",
        )
        GradeFactory.create(item=item, code="A", name="一级", unit_price=Decimal("83900.00"))
        GradeFactory.create(item=item, code="B", name="二级", unit_price=Decimal("125900.00"))
    if status != SetStatus.DRAFT:
        # A draft may move on; the trigger allows it.
        StandardSet.objects.filter(pk=standard_set.pk).update(status=status)
        standard_set.refresh_from_db()
    return standard_set


def jurisdiction(code: str = "GD-GZ", name: str = "广州市", parent: str = "") -> Jurisdiction:
    """A city (or, with ``parent`` a city's code, a county), made on first use."""
    above = (
        Jurisdiction.objects.get(code=parent)
        if parent
        else Jurisdiction.objects.get(pk=province_pk())
    )
    level = AdministrativeLevel.COUNTY if parent else AdministrativeLevel.CITY
    made, _created = Jurisdiction.objects.get_or_create(
        code=code, defaults={"name": name, "level": level, "parent": above}
    )
    return made


def derived_set(
    base: StandardSet, code: str = "GZ-2020", where: Jurisdiction | None = None
) -> StandardSet:
    """A draft standard of ``where`` (default Guangzhou) inheriting from ``base`` (published)."""
    from standards import services

    return services.derive_set(
        base,
        code=code,
        name="广州市政务信息化服务预算编制标准",
        region="广州市",
        version_label="2020",
        effective_from=datetime.date(2020, 1, 1),
        actor=None,
        jurisdiction=where or jurisdiction(),
    )


def new_version(source: StandardSet, code: str = "GD-2021") -> StandardSet:
    """A draft copy of ``source`` in force from 2021."""
    from standards import services

    return services.copy_to_new_version(
        source,
        code=code,
        version_label="2021",
        effective_from=datetime.date(2021, 1, 1),
        actor=None,
    )
