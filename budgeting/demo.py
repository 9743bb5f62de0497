"""Demo budget cycle and review states for ``manage.py seed_demo``.

The 2027 cycle is open (its window is set around today so the demo always
accepts submissions), and demo projects are moved through the review by the
demo users, through the same services people use, so every state and screen
has something: a few wait at each stage, one is returned, one was returned,
revised and resubmitted (the reviewer sees the diff), one rejected, one
withdrawn; finance cuts lines; one is approved singly and two in a batch.
"""

from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import Organization, User
from budgeting import cycles, services
from budgeting.models import BudgetCycle, CutReason, CycleState
from projects import services as project_services
from projects.demo import BUDGET_YEAR
from projects.models import (
    AttachmentKind,
    Project,
    ProjectKind,
    ProjectState,
    TargetIndicator,
    TargetTier,
)
from projects.readiness import REQUIRED_DOCUMENTS

# 万元, set by finance for the primary units (一下).
CONTROL_FIGURES = {"EDU": 1500, "HEALTH": 1200, "POLICE": 2000, "NATRES": 1000}

SAMPLE_PDF = b"%PDF-1.4\n% sample document of the demo data\n%%EOF\n"

# project name -> the path it takes, in steps: a username passes the project on at
# its stage; "verb:username" returns, rejects or cuts (the largest line, with a
# reason); "revise" is the clerk re-pricing lines after a return and resubmitting;
# "approve" is a single final approval, "batch" joins the demo batch.
JOURNEYS = {
    "智慧教育云平台建设": ["edu_head"],
    "教育数据共享交换平台建设": ["edu_head", "data_reviewer"],
    "教育政务服务平台运维": [
        "edu_head", "data_reviewer", "cut:finance_reviewer", "finance_reviewer", "batch",
    ],
    "考试报名系统运维": ["edu_head", "data_reviewer", "cut:finance_reviewer", "finance_reviewer"],
    "办公自动化系统升级": ["return:edu_head"],
    # Returned by the technical review, revised and back at it: the reviewer sees the diff.
    "标准化考点视频巡查系统建设": ["edu_head", "return:data_reviewer", "revise", "edu_head"],
    "全民健康信息平台运维": [
        "health_head", "data_reviewer", "cut:finance_reviewer", "finance_reviewer", "batch",
    ],
    "健康医疗数据共享交换平台建设": ["health_head"],
    "互联网医院监管平台建设": [],
    "疾控业务系统运维": ["withdraw"],
    "公安大数据平台运维": ["police_head", "finance_reviewer"],
    "政务数据共享交换平台公安节点建设": ["reject:police_head"],
    "自然资源一张图建设": ["natres_head", "data_reviewer"],
    "国土空间基础信息平台运维": ["natres_head", "data_reviewer", "finance_reviewer", "approve"],
}  # fmt: skip
BATCH_NAME = f"{BUDGET_YEAR}年第一批"
RETURN_REASONS = {  # by who returns
    "edu_head": "请补充现有系统的使用情况和升级的必要性论证。",
    "data_reviewer": "请压减软件开发工作量，并说明与现有考务系统的关系。",
}
REJECT_REASON = "与省政务服务数据管理局统一建设的共享交换平台重复，不予安排。"
CUT_COMMENT = "功能点数和人员配置偏高，参照同类项目核减。"


def seed_review() -> tuple[int, int]:
    """Create the cycle if missing and play the journeys of projects still in draft.

    Returns (cycles created, projects moved). Idempotent: a project that has
    left the draft state is not touched again.
    """
    now = timezone.now()
    users = {user.username: user for user in User.objects.all()}
    created = 0
    with transaction.atomic():
        if not BudgetCycle.objects.filter(year=BUDGET_YEAR).exists():
            cycles.create_cycle(
                actor=None,
                year=BUDGET_YEAR,
                name=f"{BUDGET_YEAR}年度部门预算（一上）",
                opens_at=now - timedelta(days=30),
                closes_at=now + timedelta(days=60),
                state=CycleState.OPEN,
            )
            created = 1
        cycle = BudgetCycle.objects.get(year=BUDGET_YEAR)
        for code, ten_thousands in CONTROL_FIGURES.items():
            if not cycle.control_figures.filter(organization__code=code).exists():
                cycles.set_control_figure(
                    cycle,
                    Organization.objects.get(code=code),
                    Decimal(ten_thousands) * 10000,
                    actor=users.get("finance_reviewer"),
                )
        moved = 0
        batch: list[Project] = []
        for name, journey in JOURNEYS.items():
            project = Project.objects.filter(
                name=name, budget_year=BUDGET_YEAR, state=ProjectState.DRAFT
            ).first()
            if project is None:
                continue
            project = _play(project, journey, users)
            if journey[-1:] == ["batch"]:
                batch.append(project)
            moved += 1
        if batch and not cycle.batches.filter(name=BATCH_NAME).exists():
            services.approve_batch(
                batch,
                actor=users["finance_director"],
                name=BATCH_NAME,
                versions={project.pk: project.version for project in batch},
            )
    return created, moved


def _play(project: Project, journey: list[str], users: dict[str, User]) -> Project:
    clerk = project.created_by
    project = _make_ready(project, clerk)
    project = services.submit(project, actor=clerk, expected_version=project.version)
    for step in journey:
        verb, _colon, username = step.rpartition(":")
        person = users.get(username, clerk)  # the step's user; the clerk's own steps name none
        version = project.version
        if verb == "return":
            project = services.return_for_revision(
                project, actor=person, expected_version=version, comment=RETURN_REASONS[username]
            )
        elif verb == "reject":
            project = services.reject(
                project, actor=person, expected_version=version, comment=REJECT_REASON
            )
        elif verb == "cut":
            project = _cut_largest_line(project, person)
        elif step == "revise":
            project = _revise(project, clerk)
        elif step == "withdraw":
            project = services.withdraw(project, actor=clerk, expected_version=version)
        elif step == "approve":
            project = services.approve(
                project, actor=users["finance_director"], expected_version=version
            )
        elif step != "batch":
            project = services.pass_stage(project, actor=person, expected_version=version)
    return project


def _cut_largest_line(project: Project, reviewer: User) -> Project:
    """Finance approves 85% of the largest line, for too high a workload."""
    line = project.lines.order_by("-amount", "position").first()
    assert line is not None
    services.set_line_amount(
        project,
        actor=reviewer,
        expected_version=project.version,
        line_id=line.pk,
        approved_amount=(line.amount * Decimal("0.85")).quantize(Decimal("100")),
        reason=CutReason.WORKLOAD_HIGH,
        comment=CUT_COMMENT,
    )
    return Project.objects.get(pk=project.pk)


def _revise(project: Project, clerk: User) -> Project:
    """After a return: the clerk re-prices the first line with a fifth less of its main
    quantity, drops the second, adds a non-standard line, and resubmits."""
    first, *others = list(project.lines.all())
    assert first.item is not None
    inputs = dict(first.inputs)
    for name in ("ufp", "quantity", "base"):
        if name in inputs:
            inputs[name] = str(max(1, int(Decimal(inputs[name]) * Decimal("0.8"))))
            break
    for line in [first, *others[:1]]:
        project = project_services.remove_line(
            project, actor=clerk, line_id=line.pk, expected_version=project.version
        )
    project_services.add_standard_line(
        project,
        actor=clerk,
        expected_version=project.version,
        item=first.item,
        grade=first.item.grades.filter(code=first.grade_code).first() if first.grade_code else None,
        values=inputs,
    )
    project = Project.objects.get(pk=project.pk)
    project_services.add_non_standard_line(
        project,
        actor=clerk,
        expected_version=project.version,
        fee_class="其他服务费",
        name="既有考点视频数据迁移",
        unit="项",
        quantity=Decimal("1"),
        unit_price=Decimal("86000"),
        justification="标准未列数据迁移服务，按市场询价。",
    )
    project = Project.objects.get(pk=project.pk)
    return services.submit(project, actor=clerk, expected_version=project.version)


def _make_ready(project: Project, clerk: User) -> Project:
    tiers = set(project.targets.values_list("tier", flat=True))
    if TargetTier.BENEFIT not in tiers:
        project = project_services.add_target(
            project,
            actor=clerk,
            expected_version=project.version,
            tier=TargetTier.BENEFIT,
            indicator=TargetIndicator.SOCIAL,
            name="业务办理时限压缩比例",
            target_value="≥ 30",
            unit="%",
        )
    for kind in REQUIRED_DOCUMENTS[ProjectKind(project.kind)]:
        label = AttachmentKind(kind).label
        project_services.attach_document(
            project,
            actor=clerk,
            kind=kind,
            upload=SimpleUploadedFile(f"{project.name}-{label}.pdf", SAMPLE_PDF),
        )
    project.refresh_from_db()
    return project
