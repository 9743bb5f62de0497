"""A sample provincial standard and a derived city standard, loaded by ``seed_demo``.

SAMPLE DATA, not the official text: the structure follows 粤财行〔2019〕82号
as BRIEF.md describes it, the figures come from BRIEF.md (function points,
O&M staff, 等保, hardware O&M) and, where no public figure was found (cloud
compute and storage), are invented and labelled so. Idempotent: a set whose
code exists is left as it is.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction

from accounts.models import AdministrativeLevel, Jurisdiction, province_pk
from standards import services
from standards.models import FeeCategory, Grade, ProjectKind, ServiceItem, StandardSet, Unit
from standards.pricing import Method

PROVINCE_CODE = "DEMO-GD-2019"
CITY_CODE = "DEMO-GZ-2020"
COUNTY_CODE = "DEMO-GZ-TH-2024"
REVISION_CODE = "DEMO-GD-2026"
SAMPLE = "（示例数据）"
BUILD: list[str] = [ProjectKind.CONSTRUCTION.value]
RUN: list[str] = [ProjectKind.OPERATION.value]
FP_BASIS = (
    "粤财行〔2019〕82号 软件开发服务分册 5.1.1；GB/T 36964-2018。生产率取 CSBMK P50（示例）。"
)


@dataclass(frozen=True)
class DemoGrade:
    code: str
    name: str
    unit_price: str | None = None
    coefficient: str | None = None
    range_min: str | None = None
    range_max: str | None = None


@dataclass(frozen=True)
class DemoItem:
    code: str
    name: str
    unit: str
    method: str
    kinds: list[str]
    basis: str
    parameters: dict[str, Any] = field(default_factory=dict)
    grades: tuple[DemoGrade, ...] = ()


FEE_CLASSES: tuple[tuple[str, str, tuple[DemoItem, ...]], ...] = (
    (
        "1",
        "软件开发服务费",
        (
            DemoItem(
                "1.1",
                "定制软件开发服务（功能点估算法）",
                Unit.FUNCTION_POINT,
                Method.FUNCTION_POINTS,
                BUILD,
                FP_BASIS,
                {
                    "category_factors": {
                        "业务处理": "1.0",
                        "应用集成和科学计算": "1.2",
                        "大数据多媒体": "1.3",
                        "人工智能": "1.5",
                    },
                    "reuse_factors": {"高": "1/3", "中": "2/3", "低": "1"},
                    "productivity": "6.51",
                    "productivity_float": "0.20",
                    "hours_per_person_month": "174",
                    "person_month_rate": "24000",
                },
            ),
            DemoItem(
                "1.2",
                "定制软件开发服务（工作量估算法）",
                Unit.PERSON_MONTH,
                Method.WORKLOAD,
                BUILD,
                "粤财行〔2019〕82号 软件开发服务分册 5.1.2。",
                {"stages": ["需求设计", "编码", "测试", "部署"], "person_month_rate": "24000"},
            ),
            DemoItem(
                "1.3",
                "定制软件升级服务",
                Unit.ITEM,
                Method.PERCENTAGE,
                BUILD,
                "升级服务费 = 实际开发服务费 × 升级功能变化率（≤30%，无法确定时取 15%）。",
                {"rate_max": "0.30", "rate_default": "0.15"},
            ),
            DemoItem(
                "1.4",
                "定制软件租赁服务",
                Unit.YEAR,
                Method.AMORTISED,
                RUN,
                "年租赁费 = 综合租赁费 ÷ 分摊年数 × (1 + W)，预算编制时 W = 0。",
                {"min_years": "1", "default_years": "3", "adjustment": "0"},
            ),
        ),
    ),
    (
        "2",
        "运行维护服务费",
        (
            DemoItem(
                "2.1",
                "软件运维服务（驻场人员）",
                Unit.PERSON_YEAR,
                Method.UNIT_PRICE,
                RUN,
                "软件运维 83,900–125,900 元/人年（柳财审〔2020〕16号，参考）。",
                grades=(
                    DemoGrade("L1", "一般", "83900.00", range_min="83900", range_max="125900"),
                    DemoGrade("L2", "较高", "104900.00", range_min="83900", range_max="125900"),
                    DemoGrade("L3", "高", "125900.00", range_min="83900", range_max="125900"),
                ),
            ),
            DemoItem(
                "2.2",
                "硬件设备运维服务",
                Unit.ITEM,
                Method.PERCENTAGE,
                RUN,
                "年运维费按设备原值的 5%（一般）至 8%（分散部署）计取。",
                {"rate_min": "0.05", "rate_max": "0.08", "rate_default": "0.05"},
            ),
        ),
    ),
    (
        "3",
        "系统业务运营服务费",
        (
            DemoItem(
                "3.1",
                "业务运营支撑服务（人员）",
                Unit.PERSON_YEAR,
                Method.UNIT_PRICE,
                RUN,
                f"按运维人员标准参照执行{SAMPLE}。",
                grades=(DemoGrade("STD", "标准", "83900.00"),),
            ),
        ),
    ),
    (
        "4",
        "基础设施服务费",
        (
            DemoItem(
                "4.1",
                "云计算服务（计算资源）",
                Unit.CORE_YEAR,
                Method.UNIT_PRICE,
                RUN,
                f"政务云计算资源按 核·年 计价{SAMPLE}。",
                grades=(
                    DemoGrade("GEN", "通用型", "1200.00"),
                    DemoGrade("HPC", "计算增强型", "1600.00"),
                ),
            ),
            DemoItem(
                "4.2",
                "云存储服务",
                Unit.TB_YEAR,
                Method.UNIT_PRICE,
                RUN,
                f"政务云存储按 TB·年 计价{SAMPLE}。",
                grades=(
                    DemoGrade("BLOCK", "块存储", "3000.00"),
                    DemoGrade("OBJECT", "对象存储", "1500.00"),
                ),
            ),
            DemoItem(
                "4.3",
                "硬件设备服务（以租代购）",
                Unit.DEVICE_YEAR,
                Method.AMORTISED,
                RUN,
                "年服务费 = (设备采购成本 + 资金成本) ÷ 分摊年限（计算机设备不少于 6 年）"
                " + 年运维费（设备原值的 5%）。",
                {"min_years": "6", "default_years": "6", "om_rate": "0.05"},
            ),
        ),
    ),
    (
        "5",
        "其他服务费",
        (
            DemoItem(
                "5.1",
                "网络安全等级保护测评",
                Unit.TIME,
                Method.UNIT_PRICE,
                BUILD + RUN,
                "等保二级 80,000 元；三级 100,000 元 × 1.0–1.3（柳财审〔2020〕16号，参考）。",
                grades=(
                    DemoGrade("L2", "二级", "80000.00"),
                    DemoGrade("L3", "三级", "100000.00", "1.0", "1.0", "1.3"),
                ),
            ),
        ),
    ),
)

# Guangzhou (GD-GZ) and the codes the jurisdiction demo shares (see accounts).
CITY_JURISDICTION = ("GD-GZ", "广州市")
# The city pays its O&M staff and cloud cores a little less, and says why.
CITY_OVERRIDES = {
    "2.1": {"L2": "98000.00", "L3": "118000.00"},
    "4.1": {"GEN": "1100.00"},
}
CITY_REASONS = {
    "2.1": f"广州市驻场运维人员市场价低于全省平均，按市人社部门工资指导价下调{SAMPLE}。",
    "4.1": f"市政务云统一采购，通用型计算资源中标价更低{SAMPLE}。",
}
# A service only the city buys, and one it no longer prices separately.
CITY_LOCAL_ITEM = DemoItem(
    "5.2",
    "政务外网接入服务（广州市）",
    Unit.YEAR,
    Method.UNIT_PRICE,
    RUN,
    f"广州市电子政务外网接入按 年 计价{SAMPLE}。",
    grades=(DemoGrade("STD", "标准接入", "36000.00"),),
)
CITY_LOCAL_REASON = f"广州市各单位统一接入市电子政务外网，省标准未列此项{SAMPLE}。"
CITY_RETIRED = {"1.4": f"广州市定制软件一律购买服务或自建，不再以租赁方式计列{SAMPLE}。"}


def seed_standards() -> int:
    """Create and publish the sample standards that are missing; return how many were made."""
    created = 0
    with transaction.atomic():
        province = StandardSet.objects.filter(code=PROVINCE_CODE).first()
        if province is None:
            province = _seed_province()
            created += 1
        city = StandardSet.objects.filter(code=CITY_CODE).first()
        if city is None:
            city = _seed_city(province)
            created += 1
        if not StandardSet.objects.filter(code=COUNTY_CODE).exists() and city.jurisdiction_id == (
            city_jurisdiction().pk
        ):
            _seed_county(city)
            created += 1
    return created


# The province's revision: on-site O&M staff cost more, security assessments less.
# Both price lines of the demo projects, so their drafts have something to re-price.
REVISED_PRICES = {
    "2.1": {"L2": "109900.00"},
    "5.1": {"L3": "95000.00"},
}


def seed_revision() -> int:
    """The province's revised standard, in force from mid-2026: published after the demo
    projects were priced with the 2019 one, as happens in a real cycle. Returns 1 if made."""
    if StandardSet.objects.filter(code=REVISION_CODE).exists():
        return 0
    with transaction.atomic():
        draft = services.copy_to_new_version(
            StandardSet.objects.get(code=PROVINCE_CODE),
            code=REVISION_CODE,
            version_label="2026 修订",
            effective_from=datetime.date(2026, 7, 1),
            actor=None,
        )
        for item_code, prices in REVISED_PRICES.items():
            grades = Grade.objects.filter(
                item__standard_set=draft, item__code=item_code, code__in=prices
            )
            for grade in grades:
                grade.unit_price = Decimal(prices[grade.code])
                services.save_grade(grade, actor=None)
        services.publish_set(draft, actor=None)
    return 1


def _seed_province() -> StandardSet:
    province = services.save_set(
        StandardSet(
            code=PROVINCE_CODE,
            name=f"广东省省级政务信息化服务预算编制标准{SAMPLE}",
            region="广东省",
            version_label="2019 试行",
            effective_from=datetime.date(2019, 1, 1),
        ),
        actor=None,
    )
    for position, (code, name, items) in enumerate(FEE_CLASSES, start=1):
        category = services.save_category(
            FeeCategory(standard_set=province, code=code, name=name, position=position),
            actor=None,
        )
        for item_position, demo in enumerate(items, start=1):
            item = services.save_item(
                ServiceItem(
                    standard_set=province,
                    category=category,
                    code=demo.code,
                    name=demo.name,
                    unit=demo.unit,
                    project_kinds=list(demo.kinds),
                    basis=demo.basis,
                    pricing_method=demo.method,
                    parameters=demo.parameters,
                    position=item_position,
                ),
                actor=None,
            )
            for grade_position, grade in enumerate(demo.grades, start=1):
                services.save_grade(
                    Grade(
                        item=item,
                        code=grade.code,
                        name=grade.name,
                        unit_price=_decimal(grade.unit_price),
                        coefficient=_decimal(grade.coefficient),
                        range_min=_decimal(grade.range_min),
                        range_max=_decimal(grade.range_max),
                        position=grade_position,
                    ),
                    actor=None,
                )
    return services.publish_set(province, actor=None)


def city_jurisdiction() -> Jurisdiction:
    """Guangzhou, made on first use under the province (the jurisdiction demo makes the
    same, by the same code)."""
    code, name = CITY_JURISDICTION
    city, _created = Jurisdiction.objects.get_or_create(
        code=code,
        defaults={
            "name": name,
            "level": AdministrativeLevel.CITY,
            "parent": Jurisdiction.objects.get(pk=province_pk()),
        },
    )
    return city


def _seed_city(province: StandardSet) -> StandardSet:
    """Guangzhou's standard: the province's with two prices overridden, one local item
    and one item retired, each with its reason; it prices Guangzhou's units' projects."""
    city = services.derive_set(
        province,
        code=CITY_CODE,
        name=f"广州市政务信息化服务预算编制标准{SAMPLE}",
        region="广州市",
        version_label="2020",
        effective_from=datetime.date(2020, 1, 1),
        actor=None,
        jurisdiction=city_jurisdiction(),
    )
    for item_code, prices in CITY_OVERRIDES.items():
        item = services.override_item(city, item_code, actor=None, reason=CITY_REASONS[item_code])
        for grade in item.grades.filter(code__in=prices):
            grade.unit_price = Decimal(prices[grade.code])
            services.save_grade(grade, actor=None)
    local = CITY_LOCAL_ITEM
    item = services.save_item(
        ServiceItem(
            standard_set=city,
            category=FeeCategory.objects.get(standard_set=province, code=local.code[0]),
            code=local.code,
            name=local.name,
            unit=local.unit,
            project_kinds=list(local.kinds),
            basis=local.basis,
            pricing_method=local.method,
            parameters=local.parameters,
            position=2,
            derivation_reason=CITY_LOCAL_REASON,
        ),
        actor=None,
    )
    for position, demo_grade in enumerate(local.grades, start=1):
        services.save_grade(
            Grade(
                item=item,
                code=demo_grade.code,
                name=demo_grade.name,
                unit_price=_decimal(demo_grade.unit_price),
                position=position,
            ),
            actor=None,
        )
    for item_code, reason in CITY_RETIRED.items():
        services.retire_item(city, item_code, reason=reason, actor=None)
    return services.publish_set(city, actor=None)


# Tianhe (GD-GZ-TH, under Guangzhou) assesses level-2 systems for less.
COUNTY_JURISDICTION = ("GD-GZ-TH", "天河区")
COUNTY_OVERRIDES = {"5.1": {"L2": "75000.00"}}
COUNTY_REASON = f"天河区等保二级测评集中招标，中标价低于市标准{SAMPLE}。"


def _seed_county(city: StandardSet) -> StandardSet:
    """Tianhe's standard, derived from Guangzhou's: one price overridden, the rest inherited."""
    code, name = COUNTY_JURISDICTION
    tianhe, _created = Jurisdiction.objects.get_or_create(
        code=code,
        defaults={"name": name, "level": AdministrativeLevel.COUNTY, "parent": city_jurisdiction()},
    )
    county = services.derive_set(
        city,
        code=COUNTY_CODE,
        name=f"天河区政务信息化服务预算编制标准{SAMPLE}",
        region="广州市天河区",
        version_label="2024",
        effective_from=datetime.date(2024, 1, 1),
        actor=None,
        jurisdiction=tianhe,
    )
    for item_code, prices in COUNTY_OVERRIDES.items():
        item = services.override_item(county, item_code, actor=None, reason=COUNTY_REASON)
        for grade in item.grades.filter(code__in=prices):
            grade.unit_price = Decimal(prices[grade.code])
            services.save_grade(grade, actor=None)
    return services.publish_set(county, actor=None)


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)
