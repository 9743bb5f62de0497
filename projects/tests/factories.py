import datetime
from decimal import Decimal
from typing import Any

from accounts.models import Organization, User
from projects import services
from projects.models import (
    BudgetCategory,
    Continuity,
    EstimateLine,
    ProcurementMethod,
    Project,
    ProjectKind,
)
from standards import services as standards_services
from standards.demo import PROVINCE_CODE
from standards.models import Grade, ServiceItem, StandardSet


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


# The factory's project plans 1,200,000 for its year and prices what each test prices, so
# by the plan rule (``Project.needs_plan_reason``) it gives the reason on its registration
# form, as a clerk would. A test of the rule itself passes ``plan_deviation_reason=""``.
PLAN_REASON = "按明细测算，申报数与年度规划数不同。"


def register(
    actor: User,
    unit: Organization | None = None,
    *,
    plan: dict[int, Decimal] | None = None,
    **overrides: Any,
) -> Project:
    fields = project_fields(
        unit or actor.organization, **{"plan_deviation_reason": PLAN_REASON, **overrides}
    )
    year = fields["budget_year"]
    if plan is None:
        plan = {year: Decimal("1200000.00"), year + 1: Decimal("300000.00")}
    return services.register_project(actor=actor, fields=fields, plan=plan)


NEWER_DEMO_CODE = "DEMO-GD-2026"


def publish_newer_version() -> StandardSet:
    """2026: O&M staff L1 dearer, hardware O&M capped at 5 %, hardware as a service gone."""
    draft = standards_services.copy_to_new_version(
        StandardSet.objects.get(code=PROVINCE_CODE),
        code=NEWER_DEMO_CODE,
        version_label="2026",
        effective_from=datetime.date(2026, 1, 1),
        actor=None,
    )
    grade = Grade.objects.get(item__standard_set=draft, item__code="2.1", code="L1")
    grade.unit_price = Decimal("90000.00")
    standards_services.save_grade(grade, actor=None)
    hardware = ServiceItem.objects.get(standard_set=draft, code="2.2")
    hardware.parameters = {**hardware.parameters, "rate_max": "0.05"}
    standards_services.save_item(hardware, actor=None)
    standards_services.delete_member(
        ServiceItem.objects.get(standard_set=draft, code="4.3"), actor=None
    )
    return standards_services.publish_set(draft, actor=None)


def add_priced_line(
    project: Project,
    clerk: User,
    code: str,
    *,
    standard: str = PROVINCE_CODE,
    grade: str = "",
    justification: str = "",
    **values: str,
) -> EstimateLine:
    """Price a line of item ``code`` of ``standard`` through the service, as the form does."""
    item = ServiceItem.objects.get(standard_set__code=standard, code=code)
    return services.add_standard_line(
        project,
        actor=clerk,
        expected_version=Project.objects.get(pk=project.pk).version,
        item=item,
        grade=item.grades.get(code=grade) if grade else None,
        values=values,
        justification=justification,
    )
