"""Demo budget units and accounts, loaded by ``manage.py seed_demo``.

Idempotent: a unit or user that exists (by code or username) is left as it
is, so running the command twice changes nothing and keeps passwords people
may have changed.
"""

from dataclasses import dataclass, field

from django.db import transaction

from accounts import services
from accounts.models import AdministrativeLevel, Organization, Role, UnitLevel, User


@dataclass(frozen=True)
class DemoUnit:
    code: str
    name: str
    secondary: tuple[tuple[str, str], ...] = ()
    is_finance_department: bool = False
    is_data_administration: bool = False


@dataclass(frozen=True)
class DemoUser:
    username: str
    unit_code: str
    roles: tuple[Role, ...]
    last_name: str
    first_name: str
    note: str = field(default="", compare=False)


UNITS = (
    DemoUnit("CZT", "广东省财政厅", is_finance_department=True),
    DemoUnit("ZSJ", "广东省政务服务数据管理局", is_data_administration=True),
    DemoUnit(
        "EDU", "广东省教育厅", (("EDUEXAM", "广东省教育考试院"), ("EDUTECH", "广东省电化教育馆"))
    ),
    DemoUnit("HEALTH", "广东省卫生健康委员会", (("HEALTHCDC", "广东省疾病预防控制中心"),)),
    DemoUnit("POLICE", "广东省公安厅", (("POLICETRAFFIC", "广东省公安厅交通管理局"),)),
    DemoUnit(
        "NATRES",
        "广东省自然资源厅",
        (("NATRESSURVEY", "广东省国土资源测绘院"), ("NATRESINFO", "广东省自然资源信息中心")),
    ),
)

USERS = (
    DemoUser("admin", "ZSJ", (Role.SYSTEM_ADMIN,), "管", "理员"),
    DemoUser("edu_clerk", "EDU", (Role.SUBMITTER,), "李", "明"),
    DemoUser("edu_head", "EDU", (Role.DEPARTMENT_APPROVER,), "王", "芳"),
    DemoUser("edu_exam_clerk", "EDUEXAM", (Role.SUBMITTER,), "陈", "静"),
    DemoUser("health_clerk", "HEALTH", (Role.SUBMITTER,), "张", "伟"),
    DemoUser("police_clerk", "POLICE", (Role.SUBMITTER,), "周", "强"),
    DemoUser("natres_clerk", "NATRES", (Role.SUBMITTER,), "吴", "婷"),
    DemoUser("health_head", "HEALTH", (Role.DEPARTMENT_APPROVER,), "孙", "丽"),
    DemoUser("police_head", "POLICE", (Role.DEPARTMENT_APPROVER,), "郑", "军"),
    DemoUser("natres_head", "NATRES", (Role.DEPARTMENT_APPROVER,), "冯", "涛"),
    DemoUser("data_reviewer", "ZSJ", (Role.DATA_REVIEWER,), "刘", "洋"),
    DemoUser("finance_reviewer", "CZT", (Role.FINANCE_REVIEWER,), "赵", "敏"),
    DemoUser("finance_director", "CZT", (Role.FINANCE_APPROVER,), "黄", "磊"),
)


def seed_units_and_users(password: str) -> tuple[int, int]:
    """Create the missing demo units and users; return how many of each were created."""
    created_units = created_users = 0
    with transaction.atomic():
        units = {unit.code: unit for unit in Organization.objects.all()}
        for demo in UNITS:
            if demo.code not in units:
                units[demo.code] = services.save_organization(
                    Organization(
                        code=demo.code,
                        name=demo.name,
                        level=UnitLevel.PRIMARY,
                        administrative_level=AdministrativeLevel.PROVINCE,
                        is_finance_department=demo.is_finance_department,
                        is_data_administration=demo.is_data_administration,
                    ),
                    actor=None,
                )
                created_units += 1
            for code, name in demo.secondary:
                if code not in units:
                    units[code] = services.save_organization(
                        Organization(
                            code=code,
                            name=name,
                            level=UnitLevel.SECONDARY,
                            parent=units[demo.code],
                            administrative_level=AdministrativeLevel.PROVINCE,
                        ),
                        actor=None,
                    )
                    created_units += 1
        existing = set(User.objects.values_list("username", flat=True))
        for person in USERS:
            if person.username not in existing:
                services.create_user(
                    username=person.username,
                    organization=units[person.unit_code],
                    roles=person.roles,
                    password=password,
                    actor=None,
                    last_name=person.last_name,
                    first_name=person.first_name,
                )
                created_users += 1
    return created_units, created_users
