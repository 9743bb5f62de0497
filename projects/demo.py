"""Demo projects for ``manage.py seed_demo``: a year of earlier projects and this
year's requests, in every classification. Idempotent: a project is identified
by unit, year and name, and one that exists is left alone."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from accounts.models import Organization, User
from projects import estimates, inventory_lines, services
from projects.models import (
    BudgetCategory,
    Continuity,
    LineBasis,
    ProcurementMethod,
    Project,
    ProjectKind,
    ProjectState,
    SingleSourceReason,
    TargetIndicator,
    TargetTier,
)

BUDGET_YEAR = 2027

BUILD, RUN = ProjectKind.CONSTRUCTION, ProjectKind.OPERATION
OPER, SPEC = BudgetCategory.OPERATING, BudgetCategory.SPECIFIC_PURPOSE
P = ProcurementMethod


@dataclass(frozen=True)
class DemoProject:
    clerk: str
    unit: str
    name: str
    kind: ProjectKind
    managed: bool
    procurement: ProcurementMethod
    plan: int  # yuan, the budget year's planned amount
    continues: str = ""  # name of the earlier (2026) project it continues


EARLIER = (
    DemoProject(
        "edu_clerk", "EDU", "教育政务服务平台建设", BUILD, True, P.PUBLIC_TENDER, 4_800_000
    ),
    DemoProject(
        "edu_clerk", "EDUEXAM", "考试报名系统建设", BUILD, True, P.PUBLIC_TENDER, 2_600_000
    ),
    DemoProject(
        "health_clerk", "HEALTH", "全民健康信息平台建设", BUILD, True, P.PUBLIC_TENDER, 9_500_000
    ),
    DemoProject(
        "police_clerk", "POLICE", "公安大数据平台建设", BUILD, False, P.SINGLE_SOURCE, 12_000_000
    ),
    DemoProject(
        "natres_clerk",
        "NATRES",
        "国土空间基础信息平台建设",
        BUILD,
        True,
        P.PUBLIC_TENDER,
        7_300_000,
    ),
)

CURRENT = (
    DemoProject("edu_clerk", "EDU", "教育政务服务平台运维", RUN, True, P.COMPETITIVE_CONSULTATION, 860_000, "教育政务服务平台建设"),
    DemoProject("edu_clerk", "EDU", "智慧教育云平台建设", BUILD, True, P.PUBLIC_TENDER, 6_200_000),
    DemoProject("edu_clerk", "EDU", "教育数据共享交换平台建设", BUILD, True, P.PUBLIC_TENDER, 3_100_000),
    DemoProject("edu_clerk", "EDU", "办公自动化系统升级", BUILD, False, P.PRICE_INQUIRY, 420_000),
    DemoProject("edu_clerk", "EDUEXAM", "考试报名系统运维", RUN, True, P.COMPETITIVE_NEGOTIATION, 380_000, "考试报名系统建设"),
    DemoProject("edu_exam_clerk", "EDUEXAM", "标准化考点视频巡查系统建设", BUILD, True, P.PUBLIC_TENDER, 5_400_000),
    DemoProject("edu_clerk", "EDUTECH", "数字教育资源公共服务平台运维", RUN, False, P.FRAMEWORK_AGREEMENT, 650_000),
    DemoProject("health_clerk", "HEALTH", "全民健康信息平台运维", RUN, True, P.COMPETITIVE_CONSULTATION, 1_450_000, "全民健康信息平台建设"),
    DemoProject("health_clerk", "HEALTH", "健康医疗数据共享交换平台建设", BUILD, True, P.PUBLIC_TENDER, 4_200_000),
    DemoProject("health_clerk", "HEALTH", "互联网医院监管平台建设", BUILD, True, P.INVITED_TENDER, 2_300_000),
    DemoProject("health_clerk", "HEALTHCDC", "传染病监测预警系统建设", BUILD, True, P.SINGLE_SOURCE, 3_900_000),
    DemoProject("health_clerk", "HEALTHCDC", "疾控业务系统运维", RUN, False, P.COMPETITIVE_NEGOTIATION, 520_000),
    DemoProject("police_clerk", "POLICE", "公安大数据平台运维", RUN, False, P.SINGLE_SOURCE, 2_800_000, "公安大数据平台建设"),
    DemoProject("police_clerk", "POLICE", "政务数据共享交换平台公安节点建设", BUILD, True, P.PUBLIC_TENDER, 1_900_000),
    DemoProject("police_clerk", "POLICETRAFFIC", "交通违法处理系统升级", BUILD, False, P.COMPETITIVE_CONSULTATION, 1_250_000),
    DemoProject("police_clerk", "POLICETRAFFIC", "道路视频监控设备运维", RUN, False, P.FRAMEWORK_AGREEMENT, 3_300_000),
    DemoProject("natres_clerk", "NATRES", "国土空间基础信息平台运维", RUN, True, P.COMPETITIVE_CONSULTATION, 990_000, "国土空间基础信息平台建设"),
    DemoProject("natres_clerk", "NATRES", "自然资源一张图建设", BUILD, True, P.PUBLIC_TENDER, 5_600_000),
    DemoProject("natres_clerk", "NATRESSURVEY", "卫星遥感影像统筹服务", RUN, True, P.SINGLE_SOURCE, 2_100_000),
    DemoProject("natres_clerk", "NATRESINFO", "不动产登记信息系统升级", BUILD, True, P.COMPETITIVE_NEGOTIATION, 1_700_000),
    DemoProject("natres_clerk", "NATRESINFO", "机房基础设施运维", RUN, False, P.PRICE_INQUIRY, 310_000),
)  # fmt: skip

TARGETS = (
    (TargetTier.OUTPUT, TargetIndicator.QUANTITY, "接入业务系统数量", "≥ 12", "个"),
    (TargetTier.OUTPUT, TargetIndicator.QUALITY, "系统可用率", "≥ 99.9", "%"),
    (TargetTier.OUTPUT, TargetIndicator.TIMELINESS, "项目按期完成率", "100", "%"),
    (TargetTier.BENEFIT, TargetIndicator.SOCIAL, "群众办事平均跑动次数", "≤ 1", "次"),
    (TargetTier.SATISFACTION, TargetIndicator.SERVICE_USERS, "服务对象满意度", "≥ 90", "%"),
)


def seed_projects() -> int:
    """Create the missing demo projects; return how many were created."""
    clerks = {user.username: user for user in User.objects.filter(username__contains="clerk")}
    units = {unit.code: unit for unit in Organization.objects.all()}
    created = 0
    with transaction.atomic():
        earlier: dict[str, Project] = {}
        for demo in EARLIER:
            project, new = _ensure(demo, BUDGET_YEAR - 1, clerks, units, predecessor=None)
            earlier[demo.name] = project
            created += new
        for demo in CURRENT:
            predecessor = earlier.get(demo.continues)
            _project, new = _ensure(demo, BUDGET_YEAR, clerks, units, predecessor=predecessor)
            created += new
    return created


def _ensure(
    demo: DemoProject,
    year: int,
    clerks: dict[str, User],
    units: dict[str, Organization],
    *,
    predecessor: Project | None,
) -> tuple[Project, bool]:
    unit = units[demo.unit]
    existing = Project.objects.filter(organization=unit, budget_year=year, name=demo.name).first()
    if existing:
        return existing, False
    clerk = clerks[demo.clerk]
    plan = Decimal(demo.plan)
    project = services.register_project(
        actor=clerk,
        fields={
            "name": demo.name,
            "organization": unit,
            "budget_year": year,
            "kind": demo.kind,
            "continuity": Continuity.CONTINUING if predecessor else Continuity.NEW,
            "predecessor": predecessor,
            "managed_by_data_admin": demo.managed,
            "budget_category": OPER if demo.kind == RUN else SPEC,
            "procurement_method": demo.procurement,
            "start_year": year,
            "end_year": year + (0 if demo.kind == RUN else 1),
            "background": f"{unit.name}现有信息化基础难以支撑业务发展需要，{demo.name}列入本单位数字政府建设规划。",
            "content": f"{demo.name}：完成需求分析、系统设计、开发实施、测试上线及运行保障。",
            "expected_results": "提升业务协同效率，减少重复录入，群众和企业办事更便捷。",
            "contact_name": f"{clerk.last_name}{clerk.first_name}",
            "contact_phone": "020-8313" + str(4000 + len(demo.name)),
            **_single_source_justification(demo),
        },
        plan={year: plan, year + 1: (plan * Decimal("0.3")).quantize(Decimal("0.01"))},
    )
    for tier, indicator, name, value, unit_name in TARGETS[: 2 + len(demo.name) % 4]:
        project = services.add_target(
            project,
            actor=clerk,
            expected_version=project.version,
            tier=tier,
            indicator=indicator,
            name=name,
            target_value=value,
            unit=unit_name,
        )
    _add_demo_lines(project, clerk, plan)
    return _plan_as_priced(project, clerk), True


def _plan_as_priced(project: Project, clerk: User) -> Project:
    """The clerk brings the budget year's plan figure to the priced request (the next
    year's stays), as on the registration form: the plan rule (``needs_plan_reason``)
    then asks no reason until the request changes."""
    project = Project.objects.prefetch_related("year_plans").get(pk=project.pk)
    if not project.differs_from_plan:
        return project
    assert project.budget_year is not None  # a project of a year, not of the reserve
    plan = {row.year: row.amount for row in project.year_plans.all()}
    return services.update_project(
        project,
        actor=clerk,
        fields={name: getattr(project, name) for name in services.PROJECT_FIELDS},
        plan={**plan, project.budget_year: project.requested_amount},
        expected_version=project.version,
    )


# Made-up suppliers of the demo's single-source projects, by unit.
DEMO_SUPPLIERS = {
    "POLICE": "粤警信息技术有限公司",
    "HEALTHCDC": "粤康医疗信息技术有限公司",
    "NATRESSURVEY": "粤图遥感科技有限公司",
}


def _single_source_justification(demo: DemoProject) -> dict[str, str]:
    """A single-source project's ground, reasons and supplier (issue #17)."""
    if demo.procurement != P.SINGLE_SOURCE:
        return {}
    return {
        "single_source_reason": SingleSourceReason.CONSISTENCY,
        "single_source_justification": (
            f"{demo.name}与本单位现有系统紧密衔接，须保证原有采购项目一致性和服务配套，"
            "由原承建单位继续提供服务。"
        ),
        "proposed_supplier": DEMO_SUPPLIERS.get(demo.unit, "原承建单位"),
    }


def _add_demo_lines(project: Project, clerk: User, plan: Decimal) -> None:
    """Lines priced by the sample standard: software by function points and the
    security assessment for construction, on-site staff and hardware O&M for operation."""
    standard = estimates.standard_for(project)
    if standard is None:
        return
    items = {item.code: item for item in estimates.items_for(project, standard)}
    lines: list[tuple[str, str | None, dict[str, str]]]
    if project.kind == BUILD:
        ufp = max(100, int(plan / 1200))
        lines = [
            ("1.1", None, {"ufp": str(ufp), "category": "业务处理", "reuse": "中"}),
            ("5.1", "L3", {"quantity": "1", "coefficient": "1.1"}),
        ]
    else:
        staff = max(1, int(plan / 250_000))
        lines = [
            ("2.1", "L2", {"quantity": str(staff)}),
            ("2.2", None, {"base": str((plan * 2).quantize(Decimal("1"))), "rate": "0.06"}),
        ]
    for code, grade_code, values in lines:
        item = items.get(code)
        if item is None:
            continue
        services.add_standard_line(
            project,
            actor=clerk,
            expected_version=Project.objects.get(pk=project.pk).version,
            item=item,
            grade=item.grades.get(code=grade_code) if grade_code else None,
            values=values,
        )


def generate_from_inventory() -> int:
    """The draft operation projects of units with a reported inventory get their lines
    from it ("从资产清单生成明细"): the hand-typed O&M staff and hardware lines go, the
    generated ones come with the rows behind them. Returns how many projects changed;
    one whose lines already rest on the inventory is left alone."""
    changed = 0
    drafts = Project.objects.filter(
        budget_year=BUDGET_YEAR, kind=RUN, state=ProjectState.DRAFT
    ).select_related("organization", "created_by")
    with transaction.atomic():
        for project in drafts:
            if LineBasis.objects.filter(line__project=project).exists():
                continue
            plan = inventory_lines.plan(project)
            if not plan.lines:
                continue
            clerk = project.created_by
            for line in project.lines.filter(item_code__in=["2.1", "2.2"]):
                services.remove_line(
                    project,
                    actor=clerk,
                    line_id=line.pk,
                    expected_version=Project.objects.get(pk=project.pk).version,
                )
            inventory_lines.generate(
                project, actor=clerk, expected_version=Project.objects.get(pk=project.pk).version
            )
            changed += 1
    return changed


def ensure_project(
    demo: DemoProject,
    year: int,
    clerks: dict[str, User],
    units: dict[str, Organization],
    *,
    predecessor: Project | None,
) -> tuple[Project, bool]:
    """The demo project, registered with its targets and lines if missing (the cities'
    demo, ``budgeting.jurisdiction_demo``, makes theirs the same way)."""
    return _ensure(demo, year, clerks, units, predecessor=predecessor)
