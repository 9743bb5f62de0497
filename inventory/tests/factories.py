"""Surveys and inventory rows for tests."""

import datetime
from decimal import Decimal
from typing import Any

from accounts.models import Organization, User
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


def open_survey(runner: User, *units: Organization, year: int = YEAR) -> SurveyCampaign:
    return services.open_campaign(
        actor=runner,
        year=year,
        title=f"{year}年信息化摸底调查",
        deadline=datetime.date(year, 3, 31),
        units=units,
    )


def survey_of(campaign: SurveyCampaign, unit: Organization) -> UnitSurvey:
    return UnitSurvey.objects.select_related("campaign", "organization").get(
        campaign=campaign, organization=unit
    )


def system(**values: Any) -> InformationSystem:
    defaults: dict[str, Any] = {
        "name": "教育政务服务平台",
        "purpose": "教育政务服务事项网上办理",
        "built_by_project_code": "2022-EDU-0001",
        "built_year": 2022,
        "construction_cost": Decimal("3000000.00"),
        "yearly_om_cost": Decimal("300000.00"),
        "users": 5000,
        "hosting": Hosting.GOV_CLOUD,
        "security_level": 3,
        "status": SystemStatus.LIVE,
    }
    return InformationSystem(**{**defaults, **values})


def device(**values: Any) -> Device:
    defaults: dict[str, Any] = {
        "device_type": DeviceType.SERVER,
        "name": "机架式服务器",
        "quantity": 10,
        "original_value": Decimal("500000.00"),
        "purchase_date": datetime.date(2018, 5, 1),
        "warranty_end": datetime.date(2021, 5, 1),
    }
    return Device(**{**defaults, **values})


def cloud(**values: Any) -> CloudResource:
    defaults: dict[str, Any] = {
        "name": "政务云资源",
        "cores": 64,
        "memory_gb": 256,
        "storage_tb": Decimal("20.00"),
    }
    return CloudResource(**{**defaults, **values})


def staff(**values: Any) -> ITStaff:
    defaults: dict[str, Any] = {
        "employment": Employment.OUTSOURCED,
        "role": StaffRole.OPERATION,
        "count": 3,
    }
    return ITStaff(**{**defaults, **values})


def filled(
    survey: UnitSurvey, actor: User, rows: services.InventoryRows | None = None
) -> UnitSurvey:
    rows = rows or services.InventoryRows(
        systems=[system()], devices=[device()], cloud=[cloud()], staff=[staff()]
    )
    return services.replace_rows(survey, rows, actor=actor, expected_version=survey.version)


def submitted(survey: UnitSurvey, actor: User) -> UnitSurvey:
    survey = filled(survey, actor)
    return services.act(survey, "submit", actor=actor, expected_version=survey.version)
