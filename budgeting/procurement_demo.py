"""The demo's single-source procurement approval (issue #17), after the review's demo.

The demo's single-source requests of the approved year are taken through the review to
approval (finance allowing one over its unit's control figure where 二上 would refuse
it, with the reason kept), and finance gathers them into "2027年第一批 单一来源采购方式"
and approves it; one single-source draft stays behind for the clerk. Through the same
services people use; idempotent (a batch that exists is left alone).
"""

from django.db import transaction

from accounts.models import User
from budgeting import procurement, round_changes, services
from budgeting.demo import _make_ready
from budgeting.models import ProcurementBatch, Review
from budgeting.permissions import Standing, deciders_at, refusal
from budgeting.workflow import Action
from projects.demo import BUDGET_YEAR
from projects.models import ProcurementMethod, Project, ProjectState

BATCH_NAME = f"{BUDGET_YEAR}年第一批 单一来源采购方式"
DOCUMENT_NUMBER = f"粤财采〔{BUDGET_YEAR}〕18号"
# The single-source requests approved for the batch; the demo's others stay as they are.
APPROVED = ["公安大数据平台运维", "传染病监测预警系统建设"]
EXCESS_REASON = "单一来源采购项目，系统须与原平台保持一致，同意超出控制数安排。"


def seed_procurement() -> int:
    """Approve the demo's single-source requests and their batch; return how many
    projects the batch holds (0 when it existed already)."""
    if ProcurementBatch.objects.filter(year=BUDGET_YEAR, name=BATCH_NAME).exists():
        return 0
    users = {user.username: user for user in User.objects.all()}
    finance, director = users["finance_reviewer"], users["finance_director"]
    with transaction.atomic():
        chosen = [
            _approve(project, finance)
            for project in Project.objects.filter(
                budget_year=BUDGET_YEAR,
                name__in=APPROVED,
                procurement_method=ProcurementMethod.SINGLE_SOURCE,
            ).order_by("code")
        ]
        chosen = [project for project in chosen if project.state == ProjectState.APPROVED]
        if not chosen:
            return 0
        batch = procurement.create_batch(
            actor=finance,
            year=BUDGET_YEAR,
            name=BATCH_NAME,
            document_number=DOCUMENT_NUMBER,
            projects=chosen,
        )
        procurement.approve_batch(batch, actor=director, expected_version=batch.version)
    return len(chosen)


def _approve(project: Project, finance: User) -> Project:
    """Take ``project`` from where it stands to approval, each stage's first decider
    deciding; a request that cannot be submitted (drafts of another round) is left."""
    clerk = project.created_by
    if project.state == ProjectState.DRAFT:
        project = _make_ready(project, clerk)
    if project.state in (ProjectState.DRAFT, ProjectState.RETURNED):
        if refusal(Standing.of(project), clerk, Action.SUBMIT) is not None:
            round_changes.allow_excess(project, actor=finance, reason=EXCESS_REASON)
            if refusal(Standing.of(project), clerk, Action.SUBMIT) is not None:
                return project
        project = services.submit(project, actor=clerk, expected_version=project.version)
    while project.state == ProjectState.IN_REVIEW:
        stage = Review.objects.select_related("stage").get(project=project).stage
        assert stage is not None
        decider = deciders_at(project, stage).order_by("username").first()
        assert decider is not None
        action = services.approve if stage.is_final else services.pass_stage
        project = action(project, actor=decider, expected_version=project.version)
    return project
