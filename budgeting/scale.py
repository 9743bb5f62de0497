"""Synthetic review queues for benchmarks and query-count tests (issue #21).

Like ``projects.scale``, rows are bulk-inserted, not written through the services:
this is volume for measuring the queues, not history anyone will read. Each project
stands in review at ``stage``, having reached every stage up to it, so the stage's
reviewers see it in their queue as they would a real one.
"""

import random
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import Organization, User
from budgeting import rounds
from budgeting.models import Review, ReviewStage
from projects.estimates import FEE_CLASSES
from projects.models import (
    BudgetCategory,
    Continuity,
    EstimateLine,
    ProcurementMethod,
    Project,
    ProjectCodeCounter,
    ProjectKind,
    ProjectState,
)


def seed_waiting(
    count: int, *, stage: ReviewStage, units: list[Organization], seed: int = 21
) -> list[Project]:
    """Add ``count`` projects of ``units`` (in turn) waiting at ``stage``, with amounts
    and submission times spread out, submitted in the year's open round (or its first
    submission round); returns them."""
    rng = random.Random(seed)  # noqa: S311  # reproducible test data, not security
    clerk = User.objects.order_by("pk").first()
    if not units or clerk is None:
        raise ValueError("Seed units and a user first.")
    year = stage.cycle.year
    year_rounds = list(stage.cycle.rounds.order_by("order"))
    round_ = rounds.open_round(year_rounds) or next(
        iter(rounds.submission_rounds(year_rounds)), None
    )
    earlier = stage.cycle.stages.filter(order__lte=stage.order)
    reached = sorted(set(earlier.values_list("role", flat=True)))
    now = timezone.now()
    with transaction.atomic():
        counters = {}
        for unit in units:
            counter, _created = ProjectCodeCounter.objects.select_for_update().get_or_create(
                organization=unit, budget_year=year
            )
            counters[unit.pk] = counter
        projects = []
        for number in range(count):
            unit = units[number % len(units)]
            counter = counters[unit.pk]
            counter.last_sequence += 1
            projects.append(
                Project(
                    code=f"{year}-{unit.code}-{counter.last_sequence:04d}",
                    name=f"排队项目{number:05d}",
                    organization=unit,
                    budget_year=year,
                    kind=ProjectKind.CONSTRUCTION,
                    continuity=Continuity.NEW,
                    managed_by_data_admin=True,
                    budget_category=BudgetCategory.SPECIFIC_PURPOSE,
                    procurement_method=rng.choice(ProcurementMethod.values),
                    start_year=year,
                    end_year=year,
                    background="合成数据，用于性能测试。",
                    content="合成数据。",
                    expected_results="合成数据。",
                    contact_name="测试",
                    contact_phone="000",
                    state=ProjectState.IN_REVIEW,
                    requested_amount=Decimal(rng.randrange(10_000_00, 5_000_000_00)) / 100,
                    created_by=clerk,
                    reached_roles=reached,
                )
            )
        Project.objects.bulk_create(projects, batch_size=2000)
        # One line each, of the requested amount: approval fixes the amount of the lines.
        EstimateLine.objects.bulk_create(
            (
                EstimateLine(
                    project=project,
                    position=0,
                    fee_class=FEE_CLASSES[0],
                    item_code="1.01",
                    name="合成服务",
                    unit="项",
                    amount=project.requested_amount,
                    is_non_standard=True,
                    justification="合成数据。",
                )
                for project in projects
            ),
            batch_size=5000,
        )
        ProjectCodeCounter.objects.bulk_update(list(counters.values()), ["last_sequence"])
        Review.objects.bulk_create(
            (
                Review(
                    project=project,
                    cycle=stage.cycle,
                    round=round_,
                    stage=stage,
                    submitted_at=now - timedelta(minutes=rng.randrange(1, 500_000)),
                    submitted_by=clerk,
                    stage_entered_at=now - timedelta(minutes=rng.randrange(1, 500_000)),
                    submissions=1,
                )
                for project in projects
            ),
            batch_size=2000,
        )
    return projects
