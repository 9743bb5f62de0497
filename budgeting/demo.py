"""Demo budget cycle and review states for ``manage.py seed_demo``.

The 2027 cycle is a year of 两上两下, open (its window is set around today so the demo
always accepts submissions). Its 一上 is complete: the units' main requests were
submitted and reviewed to the final stage, finance cutting lines; in 一下 finance
issued the control figures; 二上 is open: the requests came back to the units, and the
demo users move them on through the same services people use, so every state and
screen has something: a few wait at each stage, one is returned, one was returned,
revised and resubmitted (the reviewer sees the diff), one rejected, one withdrawn;
one is approved singly and two in a batch. One unit (自然资源厅) has a request whose
resubmission would exceed its figure: the clerk sees enforcement at once.
"""

from collections.abc import Callable
from datetime import timedelta
from decimal import ROUND_CEILING, Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import Organization, User
from budgeting import cycles, round_changes, rounds, services
from budgeting.models import BudgetCycle, CutReason, CycleState, ReviewStage
from budgeting.permissions import deciders_at
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

# The requests submitted in 一上 and reviewed to the final stage (finance cuts the
# largest line of each by 15 %), before the journeys of 二上 below.
FIRST_ROUND = [
    "智慧教育云平台建设",
    "教育政务服务平台运维",
    "考试报名系统运维",
    "全民健康信息平台运维",
    "公安大数据平台运维",
    "国土空间基础信息平台运维",
    "自然资源一张图建设",
]
# The unit left over its figure: its figure covers its other requests of 二上, not this.
OVER_FIGURE_UNIT = "NATRES"
OVER_FIGURE_PROJECT = "自然资源一张图建设"
# Every other unit's figure: its 二上 requests with this margin, in whole 10万元.
FIGURE_MARGIN = Decimal("1.2")

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
# The batch's 批复文号, which the API's quotas carry (REPLY_DOC_NO).
BATCH_DOCUMENT_NUMBER = f"粤财预〔{BUDGET_YEAR}〕1号"
RETURN_REASONS = {  # by who returns
    "edu_head": "请补充现有系统的使用情况和升级的必要性论证。",
    "data_reviewer": "请压减软件开发工作量，并说明与现有考务系统的关系。",
}
REJECT_REASON = "与省政务服务数据管理局统一建设的共享交换平台重复，不予安排。"
CUT_COMMENT = "功能点数和人员配置偏高，参照同类项目核减。"
# Why a request departs from its plan figure (the plan rule): the O&M lines were priced
# again from the inventory survey after the plan was made; a revised request changed.
PLAN_REASON = "明细按2026年资产清单和现行标准重新测算，申报数与年度规划数不同。"
REVISE_PLAN_REASON = "按技术审核意见核减开发工作量并增列既有数据迁移，申报数与年度规划数不同。"


def seed_review() -> tuple[int, int]:
    """Create the year if missing, play 一上 and 一下, then the journeys of 二上.

    Returns (cycles created, projects moved). Idempotent: each step runs only while
    the year is before it, and a project that left the draft state is not touched again.
    """
    now = timezone.now()
    users = {user.username: user for user in User.objects.all()}
    created = 0
    with transaction.atomic():
        # The province's year: the cities' and the county's are ``jurisdiction_demo``'s.
        provincial = BudgetCycle.objects.filter(jurisdiction__parent__isnull=True)
        if not provincial.filter(year=BUDGET_YEAR).exists():
            cycles.create_cycle(
                actor=None,
                year=BUDGET_YEAR,
                name=f"{BUDGET_YEAR}年度部门预算",
                opens_at=now - timedelta(days=30),
                closes_at=now + timedelta(days=60),
                state=CycleState.OPEN,
                rounds=rounds.TWO_ROUNDS,
            )
            created = 1
        cycle = provincial.get(year=BUDGET_YEAR)
        moved = 0
        if _open_round_code(cycle) == "1up":
            moved += _first_round(cycle, users)
        if _open_round_code(cycle) == "1down":
            _issue_figures(cycle, users["finance_reviewer"])
            _advance(cycle, users["finance_director"])
        batch: list[Project] = []
        for name, journey in JOURNEYS.items():
            project = Project.objects.filter(
                name=name, budget_year=BUDGET_YEAR, state__in=_NOT_YET_PLAYED
            ).first()
            if project is None or name == OVER_FIGURE_PROJECT:
                continue
            if project.state == ProjectState.RETURNED and not _returned_for_round(project):
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
                document_number=BATCH_DOCUMENT_NUMBER,
            )
    return created, moved


_NOT_YET_PLAYED = (ProjectState.DRAFT, ProjectState.RETURNED)


def _open_round_code(cycle: BudgetCycle) -> str | None:
    current = rounds.open_round(list(cycle.rounds.all()))
    return current.code if current else None


def _advance(cycle: BudgetCycle, finance: User) -> None:
    current = rounds.open_round(list(cycle.rounds.all()))
    round_changes.advance_round(
        cycle, actor=finance, expected_round=current.pk if current else None
    )


def _returned_for_round(project: Project) -> bool:
    """Returned by the opening of 二上 (not by a reviewer): its 二上 journey is still to play."""
    return project.round_results.exists() and project.review.stage_id is None


def _first_round(cycle: BudgetCycle, users: dict[str, User]) -> int:
    """一上: the FIRST_ROUND requests submitted and reviewed to the final stage, finance
    cutting; then the round closes (一下)."""
    moved = 0
    for name in FIRST_ROUND:
        project = Project.objects.filter(
            name=name, budget_year=BUDGET_YEAR, state=ProjectState.DRAFT
        ).first()
        if project is None:
            continue
        clerk = project.created_by
        project = _make_ready(project, clerk)
        project = services.submit(project, actor=clerk, expected_version=project.version)
        while (stage := project.review.stage) is not None and not stage.is_final:
            if stage.may_change_amounts:
                project = _cut_largest_line(project, users["finance_reviewer"])
            decider = deciders_at(project, stage).order_by("username").first()
            assert decider is not None, f"nobody decides {project.code} at {stage.code}"
            project = services.pass_stage(project, actor=decider, expected_version=project.version)
            project = Project.objects.select_related("review__stage").get(pk=project.pk)
        moved += 1
    _advance(cycle, users["finance_director"])
    return moved


def _issue_figures(cycle: BudgetCycle, finance: User) -> None:
    """一下: each primary unit's figure covers its 二上 requests with a margin, except the
    OVER_FIGURE_UNIT's, which covers all but the OVER_FIGURE_PROJECT."""
    totals: dict[str, Decimal] = {}
    for project in Project.objects.filter(
        budget_year=BUDGET_YEAR, name__in=[*JOURNEYS]
    ).select_related("organization__parent"):
        unit = project.organization.parent or project.organization
        # Every journey starts with a submission in 二上.
        totals[unit.code] = totals.get(unit.code, Decimal("0")) + project.requested_amount
    over = Project.objects.filter(budget_year=BUDGET_YEAR, name=OVER_FIGURE_PROJECT).first()
    for code, total in totals.items():
        if code == OVER_FIGURE_UNIT and over is not None:
            figure = (total - over.requested_amount).quantize(Decimal("1"), ROUND_CEILING)
        else:
            figure = (total * FIGURE_MARGIN / 100000).quantize(Decimal("1"), ROUND_CEILING) * 100000
        cycles.set_control_figure(cycle, Organization.objects.get(code=code), figure, actor=finance)


def _play(project: Project, journey: list[str], users: dict[str, User]) -> Project:
    clerk = project.created_by
    if project.state == ProjectState.DRAFT:  # a request back from 一上 is ready already
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
    project = explain_plan_difference(project, clerk, REVISE_PLAN_REASON)
    return services.submit(project, actor=clerk, expected_version=project.version)


def submit_and_pass(
    project: Project,
    *,
    until: Callable[[ReviewStage], bool],
    at_each_stage: Callable[[Project, ReviewStage], Project] | None = None,
) -> Project:
    """Make the project ready, submit it and pass it on, each stage's first decider (by
    username: its own jurisdiction's) deciding, until a stage ``until`` accepts or the
    review ends; ``at_each_stage`` may change the project before each stage passes it."""
    clerk = project.created_by
    project = _make_ready(project, clerk)
    project = services.submit(project, actor=clerk, expected_version=project.version)
    while True:
        project = Project.objects.select_related("review__stage", "organization").get(pk=project.pk)
        stage = project.review.stage
        if stage is None or until(stage):
            return project
        if at_each_stage is not None:
            project = at_each_stage(project, stage)
        decider = deciders_at(project, stage).order_by("username").first()
        assert decider is not None, f"nobody decides {project.code} at {stage.code}"
        services.pass_stage(project, actor=decider, expected_version=project.version)


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
    return explain_plan_difference(project, clerk, PLAN_REASON)


def explain_plan_difference(project: Project, clerk: User, reason: str) -> Project:
    """The clerk gives the reason the request departs from the year's plan figure, on the
    registration form, where the plan rule asks one (``Project.needs_plan_reason``)."""
    if not project.needs_plan_reason or project.plan_deviation_reason.strip():
        return project
    fields = {name: getattr(project, name) for name in project_services.PROJECT_FIELDS}
    return project_services.update_project(
        project,
        actor=clerk,
        fields={**fields, "plan_deviation_reason": reason},
        plan={row.year: row.amount for row in project.year_plans.all()},
        expected_version=project.version,
    )
