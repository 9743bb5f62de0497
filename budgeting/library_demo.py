"""The project library of ``manage.py seed_demo`` (issue #17): a reserve of projects per
unit (储备, no budget year, planned to start in the next years), one of them declared
into the open year; and, if a 2028 budget cycle takes submissions, a 2027 project
continued into 2028 (续建). Idempotent: a reserve project is identified by unit and name,
a continuation by its predecessor and year."""

from decimal import Decimal

from django.db import transaction

from accounts.models import Organization, User
from budgeting import library
from budgeting.models import BudgetCycle
from projects import demo as demo_projects
from projects import services as project_services
from projects.demo import BUDGET_YEAR, BUILD, OPER, RUN, SPEC, TARGETS, P
from projects.models import Continuity, ProcurementMethod, Project, ProjectKind

# clerk, unit, name, kind, managed, procurement, plan of its first year, planned start
RESERVE: tuple[tuple[str, str, str, ProjectKind, bool, ProcurementMethod, int, int], ...] = (
    ("edu_clerk", "EDU", "智慧校园统一身份认证建设", BUILD, True, P.PUBLIC_TENDER, 1_800_000, 2028),
    (
        "edu_clerk",
        "EDU",
        "教育督导信息系统建设",
        BUILD,
        False,
        P.COMPETITIVE_CONSULTATION,
        950_000,
        2029,
    ),
    (
        "edu_exam_clerk",
        "EDUEXAM",
        "考务指挥调度平台建设",
        BUILD,
        True,
        P.PUBLIC_TENDER,
        2_400_000,
        2028,
    ),
    ("health_clerk", "HEALTH", "医学影像云平台建设", BUILD, True, P.PUBLIC_TENDER, 5_200_000, 2028),
    (
        "health_clerk",
        "HEALTH",
        "基层医疗卫生信息系统运维",
        RUN,
        False,
        P.COMPETITIVE_NEGOTIATION,
        680_000,
        2029,
    ),
    (
        "police_clerk",
        "POLICE",
        "警务云平台扩容建设",
        BUILD,
        False,
        P.PUBLIC_TENDER,
        7_600_000,
        2028,
    ),
    (
        "police_clerk",
        "POLICE",
        "移动警务终端运维",
        RUN,
        False,
        P.FRAMEWORK_AGREEMENT,
        1_100_000,
        2029,
    ),
    (
        "natres_clerk",
        "NATRES",
        "自然资源执法监管平台建设",
        BUILD,
        True,
        P.PUBLIC_TENDER,
        3_300_000,
        2028,
    ),
    (
        "natres_clerk",
        "NATRES",
        "地质灾害监测预警系统运维",
        RUN,
        True,
        P.SINGLE_SOURCE,
        900_000,
        2028,
    ),
)
# Declared from the reserve into the demo's open year: a draft that came through the library.
DECLARED = "教育督导信息系统建设"
# Continued into 2028, when a 2028 cycle takes submissions.
CONTINUED = "智慧教育云平台建设"
NEXT_YEAR = BUDGET_YEAR + 1


def seed_library() -> int:
    """Create the missing reserve projects and declarations; return how many projects
    were created or declared."""
    clerks = {user.username: user for user in User.objects.filter(username__contains="clerk")}
    units = {unit.code: unit for unit in Organization.objects.all()}
    done = 0
    with transaction.atomic():
        for row in RESERVE:
            done += _ensure_reserve(row, clerks, units)
        declared = Project.objects.filter(name=DECLARED, state="reserve").first()
        if declared is not None and BUDGET_YEAR in library.declarable_years():
            declared = _plan_from(declared, BUDGET_YEAR)
            library.declare_for_year(
                declared,
                actor=declared.created_by,
                year=BUDGET_YEAR,
                expected_version=declared.version,
            )
            done += 1
        done += _continue_into_next_year()
    return done


def _ensure_reserve(
    row: tuple[str, str, str, ProjectKind, bool, ProcurementMethod, int, int],
    clerks: dict[str, User],
    units: dict[str, Organization],
) -> int:
    clerk_name, unit_code, name, kind, managed, procurement, amount, start = row
    unit = units[unit_code]
    if Project.objects.filter(organization=unit, name=name).exists():
        return 0
    clerk = clerks[clerk_name]
    plan = Decimal(amount)
    project = project_services.register_project(
        actor=clerk,
        fields={
            "name": name,
            "organization": unit,
            "kind": kind,
            "continuity": Continuity.NEW,
            "predecessor": None,
            "managed_by_data_admin": managed,
            "budget_category": OPER if kind == RUN else SPEC,
            "procurement_method": procurement,
            "start_year": start,
            "end_year": start + (0 if kind == RUN else 1),
            "background": f"{unit.name}已将{name}列入数字政府建设规划，待条件成熟时申报预算。",
            "content": f"{name}：需求分析、方案设计、实施部署及运行保障。",
            "expected_results": "夯实业务支撑能力，提高数据共享和协同效率。",
            "contact_name": f"{clerk.last_name}{clerk.first_name}",
            "contact_phone": "020-8313" + str(5000 + len(name)),
        },
        plan={
            start: plan,
            start + 1: (plan * Decimal("0.4")).quantize(Decimal("0.01")),
            start + 2: (plan * Decimal("0.2")).quantize(Decimal("0.01")),
        },
    )
    for tier, indicator, target, value, unit_name in TARGETS[:3]:
        project = project_services.add_target(
            project,
            actor=clerk,
            expected_version=project.version,
            tier=tier,
            indicator=indicator,
            name=target,
            target_value=value,
            unit=unit_name,
        )
    demo_projects._add_demo_lines(project, clerk, plan)  # the demo's own pricing
    return 1


def _plan_from(project: Project, year: int) -> Project:
    """The reserve project's plan starting at ``year`` (it was planned for later), so the
    declared draft compares its request with a plan of its year."""
    plans = sorted(project.year_plans.all(), key=lambda plan: plan.year)
    moved = {year + offset: plan.amount for offset, plan in enumerate(plans)}
    fields = {name: getattr(project, name) for name in project_services.RESERVE_FIELDS}
    return project_services.update_project(
        project,
        actor=project.created_by,
        fields={**fields, "start_year": year, "end_year": max(project.end_year, year)},
        plan=moved,
        expected_version=project.version,
    )


def _continue_into_next_year() -> int:
    cycle = BudgetCycle.objects.filter(year=NEXT_YEAR, jurisdiction__parent__isnull=True).first()
    if cycle is None or NEXT_YEAR not in library.declarable_years():
        return 0  # the demo's years stay as they are
    earlier = Project.objects.filter(name=CONTINUED, budget_year=BUDGET_YEAR).first()
    if earlier is None or earlier.successors.filter(budget_year=NEXT_YEAR).exists():
        return 0
    library.declare_for_year(
        earlier, actor=earlier.created_by, year=NEXT_YEAR, expected_version=earlier.version
    )
    return 1
