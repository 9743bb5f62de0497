from decimal import Decimal
from typing import Any

from accounts.models import Organization, User
from projects import services
from projects.models import (
    BudgetCategory,
    Continuity,
    ProcurementMethod,
    Project,
    ProjectKind,
)


def project_fields(unit: Organization, **overrides: Any) -> dict[str, Any]:
    """A valid registration form's data, as the service takes it."""
    fields: dict[str, Any] = {
        "name": "教育考试综合管理平台",
        "organization": unit,
        "budget_year": 2027,
        "kind": ProjectKind.CONSTRUCTION,
        "continuity": Continuity.NEW,
        "predecessor": None,
        "managed_by_data_admin": True,
        "budget_category": BudgetCategory.SPECIFIC_PURPOSE,
        "procurement_method": ProcurementMethod.PUBLIC_TENDER,
        "start_year": 2027,
        "end_year": 2028,
        "background": "现有系统建于2015年，无法满足考试报名高峰需求。",
        "content": "建设报名、编排、阅卷、成绩发布四个子系统。",
        "expected_results": "报名并发能力提升至每秒5000人次。",
        "contact_name": "李明",
        "contact_phone": "020-12345678",
    }
    fields.update(overrides)
    return fields


def register(actor: User, unit: Organization | None = None, **overrides: Any) -> Project:
    fields = project_fields(unit or actor.organization, **overrides)
    year = fields["budget_year"]
    return services.register_project(
        actor=actor,
        fields=fields,
        plan={year: Decimal("1200000.00"), year + 1: Decimal("300000.00")},
    )
