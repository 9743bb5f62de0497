"""The province's units and persona users, as conftest.py's fixtures make them.

The fixtures make each one per test; a module that builds its data once
(``tests.helpers.module_data``) calls ``make_province`` instead, so both see the
same units, usernames and roles.
"""

from typing import Any

from accounts.models import Organization, Role, UnitLevel, User
from accounts.tests.factories import OrganizationFactory, SecondaryUnitFactory, UserFactory

# The names of conftest.py's persona fixtures, for tests that go through them all.
MEMBERS = (
    "submitter",
    "outsider",
    "department_approver",
    "data_reviewer",
    "finance_reviewer",
    "finance_approver",
    "admin_user",
)

# fixture name → the unit's fields
UNITS: dict[str, dict[str, Any]] = {
    "finance_department": {"code": "CZT", "name": "省财政厅", "is_finance_department": True},
    "data_administration": {
        "code": "ZSJ",
        "name": "省政务服务数据管理局",
        "is_data_administration": True,
    },
    "education": {"code": "EDU", "name": "省教育厅"},
    "health": {"code": "HEALTH", "name": "省卫生健康委"},
}
EXAM_AUTHORITY = {"code": "EDUEXAM", "name": "省教育考试院", "level": UnitLevel.SECONDARY}

# fixture name → (username, the unit's fixture name, role)
PERSONAS: dict[str, tuple[str, str, Role]] = {
    "submitter": ("edu_clerk", "education", Role.SUBMITTER),
    "secondary_submitter": ("exam_clerk", "exam_authority", Role.SUBMITTER),
    "department_approver": ("edu_head", "education", Role.DEPARTMENT_APPROVER),
    "data_reviewer": ("data_reviewer", "data_administration", Role.DATA_REVIEWER),
    "finance_reviewer": ("finance_reviewer", "finance_department", Role.FINANCE_REVIEWER),
    "finance_approver": ("finance_director", "finance_department", Role.FINANCE_APPROVER),
    "admin_user": ("admin", "data_administration", Role.SYSTEM_ADMIN),
    # A submitter of another department: must never see or touch EDU's data.
    "outsider": ("health_clerk", "health", Role.SUBMITTER),
}


def make_unit(name: str) -> Organization:
    return OrganizationFactory.create(**UNITS[name])


def make_exam_authority(education: Organization) -> Organization:
    return SecondaryUnitFactory.create(**EXAM_AUTHORITY, parent=education)


def make_persona(name: str, unit: Organization) -> User:
    username, _unit, role = PERSONAS[name]
    return UserFactory.create(username=username, organization=unit, roles=[role])


def make_province() -> dict[str, Any]:
    """Every unit and every persona at once, by fixture name."""
    made: dict[str, Any] = {name: make_unit(name) for name in UNITS}
    made["exam_authority"] = make_exam_authority(made["education"])
    for name, (_username, unit, _role) in PERSONAS.items():
        made[name] = make_persona(name, made[unit])
    return made
