"""The demo's year before its budget year (issue #17): the 2026 budget, approved (批复),
so that the execution demo (``execution/demo.py``) has a year to execute and the 2027
continuing projects (续建) have predecessors to be judged by.

The 2026 cycle (one round) is created open; the earlier projects
(``projects.demo.EARLIER``) are made ready, submitted, passed at every stage of theirs by
whoever decides there (finance cutting the largest line of each at its review) and
approved in one batch with its 批复文号; then the year is closed, its submission window
put back in 2025. Through the services people use; idempotent: a year that exists and no
longer takes submissions is left as it is.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from budgeting import cycles, services
from budgeting.demo import _cut_largest_line, submit_and_pass
from budgeting.models import BudgetCycle, CycleState, ReviewStage
from projects.demo import BUDGET_YEAR, EARLIER
from projects.models import Project, ProjectState

LAST_YEAR = BUDGET_YEAR - 1
BATCH_NAME = f"{LAST_YEAR}年第一批"
DOCUMENT_NUMBER = f"粤财预〔{LAST_YEAR}〕1号"
# When the 2026 budget took submissions: in 2025 (set as the demo closes the year).
WINDOW = (datetime.date(LAST_YEAR - 1, 6, 1), datetime.date(LAST_YEAR - 1, 9, 30))


def seed_last_year() -> int:
    """Create the year before if missing, approve its projects in a batch and close it.
    Returns how many projects were approved (0 when the year was there already)."""
    provincial = BudgetCycle.objects.filter(jurisdiction__parent__isnull=True)
    cycle = provincial.filter(year=LAST_YEAR).first()
    if cycle is not None and not cycle.accepts_submissions():
        return 0
    users = {user.username: user for user in User.objects.all()}
    now = timezone.now()
    with transaction.atomic():
        if cycle is None:
            cycle = cycles.create_cycle(
                actor=None,
                year=LAST_YEAR,
                name=f"{LAST_YEAR}年度部门预算",
                opens_at=now - datetime.timedelta(days=30),
                closes_at=now + datetime.timedelta(days=60),
                state=CycleState.OPEN,
            )
        drafts = Project.objects.filter(
            budget_year=LAST_YEAR,
            name__in=[demo.name for demo in EARLIER],
            state=ProjectState.DRAFT,
        ).order_by("code")
        approved = [_to_final_stage(project, users) for project in drafts]
        if approved:
            services.approve_batch(
                approved,
                actor=users["finance_director"],
                name=BATCH_NAME,
                versions={project.pk: project.version for project in approved},
                document_number=DOCUMENT_NUMBER,
            )
        opens, closes = (
            datetime.datetime.combine(day, datetime.time(9), tzinfo=timezone.get_current_timezone())
            for day in WINDOW
        )
        cycles.change_cycle(
            cycle,
            actor=None,
            name=cycle.name,
            opens_at=opens,
            closes_at=closes,
            state=CycleState.CLOSED,
        )
    return len(approved)


def _to_final_stage(project: Project, users: dict[str, User]) -> Project:
    """Submit the project and pass it on up to the final stage (where the batch approves
    it); finance cuts its largest line."""

    def cut_at_finance(project: Project, stage: ReviewStage) -> Project:
        if stage.may_change_amounts:
            return _cut_largest_line(project, users["finance_reviewer"])
        return project

    return submit_and_pass(
        project, until=lambda stage: stage.is_final, at_each_stage=cut_at_finance
    )
