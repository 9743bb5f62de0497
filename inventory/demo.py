"""Demo inventory survey for ``manage.py seed_demo``: the 2026 survey of every demo unit
but the two reviewing bodies, through the services people use. Most units submitted
(two were accepted), 广东省国土资源测绘院 is late (still filling in after the deadline),
广东省疾病预防控制中心 was returned for correction. The inventories are small but
telling: 广东省自然资源信息中心 runs a live 政务数据共享交换平台 (the police's
construction project resembles it), 交通管理局 retired a system it still has O&M for.
"""

import datetime
from decimal import Decimal

from django.db import transaction

from accounts.models import Organization, User, province_pk
from inventory import services
from inventory.models import (
    CloudResource,
    Device,
    DeviceType,
    Employment,
    Hosting,
    InformationSystem,
    ITStaff,
    StaffRole,
    SurveyCampaign,
    SystemStatus,
    UnitSurvey,
)

YEAR = 2026
DEADLINE = datetime.date(2026, 11, 30)
LATE = "NATRESSURVEY"
RETURNED = "HEALTHCDC"
ACCEPTED = ("EDUTECH", "POLICE")
RETURN_REASON = "硬件设备原值与资产账不符，请核对后重新报送；云资源请按政务云分配单填写。"
# unit → who fills its inventory in (a clerk of the unit or of its primary unit)
CLERKS = {
    "EDU": "edu_clerk", "EDUEXAM": "edu_exam_clerk", "EDUTECH": "edu_clerk",
    "HEALTH": "health_clerk", "HEALTHCDC": "health_clerk",
    "POLICE": "police_clerk", "POLICETRAFFIC": "police_clerk",
    "NATRES": "natres_clerk", "NATRESSURVEY": "natres_clerk", "NATRESINFO": "natres_clerk",
}  # fmt: skip
L, R, G, OWN = SystemStatus.LIVE, SystemStatus.RETIRED, Hosting.GOV_CLOUD, Hosting.OWN_ROOM

# unit → systems: (name, purpose, built year, construction cost, yearly O&M, users,
# hosting, security level, status)
SYSTEMS = {
    "EDU": [
        ("教育政务服务平台", "教育政务服务事项网上办理", 2021, 3_200_000, 320_000, 12_000, G, 3, L),
        ("教育统计信息系统", "全省教育事业统计", 2016, 1_100_000, 90_000, 800, OWN, 2, L),
    ],
    "EDUEXAM": [("考试报名系统", "各类考试网上报名与缴费", 2019, 2_600_000, 260_000, 900_000, G, 3, L)],
    "EDUTECH": [("数字教育资源公共服务平台", "数字教育资源汇聚与共享", 2018, 4_100_000, 380_000, 300_000, G, 2, L)],
    "HEALTH": [("全民健康信息平台", "区域全民健康信息互联互通", 2020, 8_500_000, 900_000, 50_000, G, 3, L)],
    "HEALTHCDC": [("疾控业务系统", "传染病报告与疾控业务", 2014, 1_800_000, 150_000, 6_000, OWN, 3, L)],
    "POLICE": [("公安大数据平台", "警务数据汇聚与分析", 2020, 12_000_000, 1_300_000, 20_000, OWN, 3, L)],
    "POLICETRAFFIC": [
        ("交通违法处理系统", "交通违法记录处理与缴款", 2015, 2_200_000, 210_000, 3_000, OWN, 3, L),
        ("道路视频监控设备管理系统", "旧版视频监控管理（已由新平台替代）", 2012, 900_000, 0, 0, OWN, 2, R),
    ],
    "NATRES": [("国土空间基础信息平台", "国土空间数据汇聚与服务", 2019, 6_800_000, 700_000, 4_000, G, 3, L)],
    "NATRESINFO": [
        ("政务数据共享交换平台", "自然资源数据共享交换", 2020, 2_400_000, 200_000, 1_500, G, 3, L),
        ("不动产登记信息系统", "不动产登记业务办理", 2017, 3_600_000, 300_000, 2_500, OWN, 3, L),
    ],
}  # fmt: skip
# unit → devices: (type, name, quantity, original value, purchased, warranty end)
DEVICES: dict[str, list[tuple[str, str, int, int, str, str | None]]] = {
    "EDU": [
        (DeviceType.SERVER, "机架式服务器", 20, 1_000_000, "2018-06-01", "2021-06-01"),
        (DeviceType.NETWORK, "核心交换机", 2, 360_000, "2023-03-01", "2028-03-01"),
    ],
    "EDUEXAM": [(DeviceType.SERVER, "考务服务器", 8, 480_000, "2019-04-01", "2022-04-01")],
    "EDUTECH": [(DeviceType.STORAGE, "资源存储阵列", 1, 650_000, "2018-09-01", "2021-09-01")],
    "HEALTH": [
        (DeviceType.SERVER, "数据库服务器", 6, 900_000, "2020-05-01", "2023-05-01"),
        (DeviceType.SECURITY, "下一代防火墙", 2, 240_000, "2024-01-01", "2027-01-01"),
    ],
    "HEALTHCDC": [(DeviceType.SERVER, "业务服务器", 4, 260_000, "2014-07-01", "2017-07-01")],
    "POLICE": [(DeviceType.SERVER, "大数据节点服务器", 40, 4_800_000, "2020-10-01", "2023-10-01")],
    "POLICETRAFFIC": [(DeviceType.TERMINAL, "道路监控摄像机", 600, 3_000_000, "2016-05-01", "2019-05-01")],
    "NATRES": [(DeviceType.STORAGE, "遥感影像存储", 2, 1_200_000, "2019-08-01", "2022-08-01")],
    "NATRESINFO": [(DeviceType.NETWORK, "机房网络设备", 12, 540_000, "2017-03-01", None)],
    "NATRESSURVEY": [(DeviceType.SERVER, "测绘数据服务器", 3, 210_000, "2021-03-01", "2024-03-01")],
}  # fmt: skip
# unit → cloud allocations: (name, cores, memory GB, storage TB)
CLOUD = {
    "EDU": [("教育政务服务平台云资源", 96, 384, "30")],
    "EDUEXAM": [("考试报名高峰扩容", 128, 512, "10")],
    "EDUTECH": [("教育资源云存储", 32, 128, "120")],
    "HEALTH": [("全民健康信息平台云资源", 160, 640, "80")],
    "NATRES": [("国土空间平台云资源", 64, 256, "200")],
    "NATRESINFO": [("共享交换平台云资源", 32, 128, "12")],
}
# unit → staff: (employment, role, count)
STAFF = {
    "EDU": [(Employment.IN_HOUSE, StaffRole.MANAGEMENT, 4), (Employment.OUTSOURCED, StaffRole.OPERATION, 3)],
    "EDUEXAM": [(Employment.OUTSOURCED, StaffRole.OPERATION, 2)],
    "EDUTECH": [(Employment.IN_HOUSE, StaffRole.DEVELOPMENT, 3)],
    "HEALTH": [(Employment.IN_HOUSE, StaffRole.MANAGEMENT, 5), (Employment.OUTSOURCED, StaffRole.OPERATION, 6)],
    "HEALTHCDC": [(Employment.OUTSOURCED, StaffRole.OPERATION, 2)],
    "POLICE": [(Employment.IN_HOUSE, StaffRole.SECURITY, 8), (Employment.OUTSOURCED, StaffRole.OPERATION, 10)],
    "POLICETRAFFIC": [(Employment.OUTSOURCED, StaffRole.OPERATION, 4)],
    "NATRES": [(Employment.IN_HOUSE, StaffRole.MANAGEMENT, 3), (Employment.OUTSOURCED, StaffRole.OPERATION, 4)],
    "NATRESINFO": [(Employment.OUTSOURCED, StaffRole.OPERATION, 3)],
}  # fmt: skip


def seed_inventory() -> int:
    """Open the 2026 survey if missing and fill it as described; the number of units
    covered (0 when it existed already: nothing is touched again)."""
    if SurveyCampaign.objects.filter(year=YEAR, jurisdiction_id=province_pk()).exists():
        return 0
    users = {user.username: user for user in User.objects.all()}
    units = {unit.code: unit for unit in Organization.objects.filter(code__in=CLERKS)}
    with transaction.atomic():
        campaign = services.open_campaign(
            actor=users["data_reviewer"],
            year=YEAR,
            title=f"{YEAR}年省直单位信息化底数调查",
            deadline=DEADLINE,
            units=units.values(),
        )
        for survey in UnitSurvey.objects.filter(campaign=campaign).select_related(
            "organization", "campaign"
        ):
            _fill(survey, users)
    return len(units)


def _fill(survey: UnitSurvey, users: dict[str, User]) -> None:
    code = survey.organization.code
    clerk = users[CLERKS[code]]
    reviewer = users["data_reviewer"]
    survey = services.replace_rows(
        survey, _rows(code), actor=clerk, expected_version=survey.version, source="demo"
    )
    if code == LATE:
        return
    survey = services.act(survey, "submit", actor=clerk, expected_version=survey.version)
    if code == RETURNED:
        services.act(
            survey,
            "return",
            actor=reviewer,
            expected_version=survey.version,
            reason=RETURN_REASON,
        )
    elif code in ACCEPTED:
        services.act(survey, "accept", actor=reviewer, expected_version=survey.version)


def _rows(code: str) -> services.InventoryRows:
    return services.InventoryRows(
        systems=[
            InformationSystem(
                name=name,
                purpose=purpose,
                built_year=built,
                construction_cost=Decimal(cost),
                yearly_om_cost=Decimal(om),
                users=people,
                hosting=hosting,
                security_level=level,
                status=status,
            )
            for name, purpose, built, cost, om, people, hosting, level, status in SYSTEMS.get(
                code, []
            )
        ],
        devices=[
            Device(
                device_type=kind,
                name=name,
                quantity=quantity,
                original_value=Decimal(value),
                purchase_date=datetime.date.fromisoformat(bought),
                warranty_end=datetime.date.fromisoformat(ends) if ends else None,
            )
            for kind, name, quantity, value, bought, ends in DEVICES.get(code, [])
        ],
        cloud=[
            CloudResource(name=name, cores=cores, memory_gb=memory, storage_tb=Decimal(storage))
            for name, cores, memory, storage in CLOUD.get(code, [])
        ],
        staff=[
            ITStaff(employment=employment, role=role, count=count)
            for employment, role, count in STAFF.get(code, [])
        ],
    )
