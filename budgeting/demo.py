"""Demo budget cycle and review states for ``manage.py seed_demo``.

The 2027 cycle is open (its window is set around today so the demo always
accepts submissions), and some demo projects are moved through the review
by the demo reviewers, through the same services people use: a few wait at
each stage, one is returned, one rejected, two approved.
"""

from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import Organization, User
from budgeting import services
from budgeting.models import BudgetCycle, CycleState
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

# project name -> the path it takes: reviewers' usernames in order, then an outcome.
JOURNEYS = {
    "智慧教育云平台建设": ["edu_head"],
    "教育数据共享交换平台建设": ["edu_head", "data_reviewer"],
    "教育政务服务平台运维": ["edu_head", "data_reviewer", "finance_reviewer", "approve"],
    "考试报名系统运维": ["edu_head", "data_reviewer", "finance_reviewer"],
    "办公自动化系统升级": ["return"],
    "全民健康信息平台运维": ["health_head", "data_reviewer", "finance_reviewer", "approve"],
    "健康医疗数据共享交换平台建设": ["health_head"],
    "互联网医院监管平台建设": [],
    "公安大数据平台运维": ["police_head", "finance_reviewer"],
    "政务数据共享交换平台公安节点建设": ["reject"],
    "自然资源一张图建设": ["natres_head", "data_reviewer"],
}


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
            services.create_cycle(
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
                services.set_control_figure(
                    cycle,
                    Organization.objects.get(code=code),
                    Decimal(ten_thousands) * 10000,
                    actor=users.get("finance_reviewer"),
                )
        moved = 0
        for name, journey in JOURNEYS.items():
            project = Project.objects.filter(
                name=name, budget_year=BUDGET_YEAR, state=ProjectState.DRAFT
            ).first()
            if project is None:
                continue
            _play(project, journey, users)
            moved += 1
    return created, moved


def _play(project: Project, journey: list[str], users: dict[str, User]) -> None:
    clerk = project.created_by
    project = _make_ready(project, clerk)
    project = services.submit(project, actor=clerk, expected_version=project.version)
    for step in journey:
        if step == "return":
            head = users["edu_head"]
            project = services.return_for_revision(
                project,
                actor=head,
                expected_version=project.version,
                comment="请补充现有系统的使用情况和升级的必要性论证。",
            )
        elif step == "reject":
            head = users["police_head"]
            project = services.reject(
                project,
                actor=head,
                expected_version=project.version,
                comment="与省政务服务数据管理局统一建设的共享交换平台重复，不予安排。",
            )
        elif step == "approve":
            project = services.approve(
                project, actor=users["finance_director"], expected_version=project.version
            )
        else:
            project = services.pass_stage(
                project, actor=users[step], expected_version=project.version
            )


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
