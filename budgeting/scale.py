"""Synthetic review queues for benchmarks and query-count tests (issue #21).

Like ``projects.scale``, rows are bulk-inserted, not written through the services:
this is volume for measuring the queues, not history anyone will read. Each project
stands in review at ``stage``, having reached every stage up to it, so the stage's
reviewers see it in their queue as they would a real one.
"""

import random
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import (
    AdministrativeLevel,
    Jurisdiction,
    Organization,
    UnitLevel,
    User,
    province_pk,
)
from budgeting import cycles, rounds
from budgeting.models import (
    ApprovalBatch,
    BudgetCycle,
    BudgetRound,
    CutReason,
    CycleState,
    LineDecision,
    Review,
    ReviewStage,
    StageCondition,
)
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
                _waiting_review(project.pk, stage, round_=round_, clerk=clerk, rng=rng, now=now)
                for project in projects
            ),
            batch_size=2000,
        )
    return projects


def _waiting_review(
    project_id: int,
    stage: ReviewStage,
    *,
    round_: BudgetRound | None,
    clerk: User,
    rng: random.Random,
    now: datetime,
) -> Review:
    """A review of a project waiting at ``stage``, submitted and there for a while."""
    return Review(
        project_id=project_id,
        cycle_id=stage.cycle_id,
        round=round_,
        stage=stage,
        submitted_at=now - timedelta(minutes=rng.randrange(1, 500_000)),
        submitted_by=clerk,
        stage_entered_at=now - timedelta(minutes=rng.randrange(1, 500_000)),
        submissions=1,
    )


# Of the projects waiting at the final stage, the share seeded as approved (in batches).
APPROVED_SHARE = 2
BATCH_SIZE = 500
# What the finance stage leaves of each line it decides (a synthetic 10 % cut).
CUT = Decimal("0.90")


def seed_reviews(year: int, *, seed: int = 21) -> dict[str, int]:
    """Give every project of ``year`` in review without a review row one, at each stage of
    the year's cycle in turn (the technical stage only for projects it applies to),
    having reached every stage before it; the lines of a project past a stage that may
    change amounts get that stage's decision (a 10 % cut); of the projects at the final
    stage, one in ``APPROVED_SHARE`` is approved, in batches of ``BATCH_SIZE``, with its
    approved amount the sum of its decided lines. Returns counts by stage code and of
    approved projects, decisions and batches. Bulk SQL, as ``projects.scale``."""
    rng = random.Random(seed)  # noqa: S311  # reproducible test data, not security
    # Each jurisdiction's projects go to its own year (issue #18), the province's first.
    year_cycles = list(
        BudgetCycle.objects.filter(year=year)
        .select_related("jurisdiction")
        .order_by(F("jurisdiction__parent_id").asc(nulls_first=True), "jurisdiction__code")
    )
    clerk = User.objects.order_by("pk").first()
    if not year_cycles or year_cycles[0].jurisdiction.parent_id is not None or clerk is None:
        raise ValueError(f"Seed the {year} cycle and a user first (seed_demo).")
    counts: dict[str, int] = {}
    for cycle in year_cycles:
        for key, value in _seed_cycle(cycle, year, rng, clerk).items():
            counts[key] = counts.get(key, 0) + value
    return counts


def _seed_cycle(cycle: BudgetCycle, year: int, rng: random.Random, clerk: User) -> dict[str, int]:
    """``seed_reviews`` for the projects of ``cycle``'s jurisdiction."""
    stages = list(cycle.stages.order_by("order"))
    if not stages:
        raise ValueError(f"The {year} cycle has no review stages.")
    # Submitted in the year's open round, or its first submission round (as seed_waiting).
    year_rounds = list(cycle.rounds.order_by("order"))
    round_ = rounds.open_round(year_rounds) or next(
        iter(rounds.submission_rounds(year_rounds)), None
    )
    waiting = list(
        Project.objects.filter(
            budget_year=year,
            state=ProjectState.IN_REVIEW,
            review__isnull=True,
            organization__jurisdiction=cycle.jurisdiction,
        )
        .order_by("pk")
        .values_list("pk", "managed_by_data_admin")
    )
    now = timezone.now()
    counts: dict[str, int] = {stage.code: 0 for stage in stages}
    by_roles: dict[tuple[str, ...], list[int]] = {}
    at_stage: dict[int, ReviewStage] = {}
    reviews = []
    for number, (pk, managed) in enumerate(waiting):
        applicable = [
            stage
            for stage in stages
            if stage.condition != StageCondition.MANAGED_BY_DATA_ADMIN or managed
        ]
        stage = applicable[number % len(applicable)]
        at_stage[pk] = stage
        counts[stage.code] += 1
        roles = tuple(sorted({s.role for s in applicable if s.order <= stage.order}))
        by_roles.setdefault(roles, []).append(pk)
        reviews.append(_waiting_review(pk, stage, round_=round_, clerk=clerk, rng=rng, now=now))
    final = [pk for pk, stage in at_stage.items() if stage.is_final]
    approved = final[::APPROVED_SHARE]
    deciding = [stage for stage in stages if stage.may_change_amounts and not stage.is_final]
    with transaction.atomic():
        for roles, pks in by_roles.items():
            Project.objects.filter(pk__in=pks).update(reached_roles=list(roles))
        # Numbered on from the batches of an earlier call.
        first = ApprovalBatch.objects.filter(cycle=cycle, name__startswith="合成").count() + 1
        # A city's batches named apart from the province's, so every name says whose.
        where = "" if cycle.jurisdiction.parent_id is None else cycle.jurisdiction.code
        batches = [
            ApprovalBatch(
                cycle=cycle, name=f"合成{where}{year}第{first + number}批", approved_by=clerk
            )
            for number in range(-(-len(approved) // BATCH_SIZE))
        ]
        ApprovalBatch.objects.bulk_create(batches)
        batch_of = {pk: batches[index // BATCH_SIZE] for index, pk in enumerate(approved)}
        for review in reviews:
            if review.project_id in batch_of:
                review.stage = None
                review.batch = batch_of[review.project_id]
        Review.objects.bulk_create(reviews, batch_size=5000)
        decisions = _decide_lines(final, deciding, clerk) if deciding else 0
        if approved:
            _approve(approved)
    counts.update(approved=len(approved), decisions=decisions, batches=len(batches))
    return counts


def _decide_lines(projects: list[int], stages: list[ReviewStage], reviewer: User) -> int:
    """Each line of the projects gets each stage's decision, a 10 % cut: one INSERT a stage."""
    made = 0
    table = LineDecision._meta.db_table
    lines = EstimateLine._meta.db_table
    with connection.cursor() as cursor:
        for stage in stages:
            cursor.execute(
                f"INSERT INTO {table} (line_id, stage_id, approved_amount, reason, comment,"  # noqa: S608  # nosec B608: table names only
                " decided_by_id, decided_at)"
                f" SELECT id, %s, ROUND(amount * %s, 2), %s, %s, %s, now() FROM {lines}"
                " WHERE project_id = ANY(%s)",
                [stage.pk, CUT, CutReason.WORKLOAD_HIGH, "合成数据。", reviewer.pk, projects],
            )
            made += cursor.rowcount
    return made


def _approve(projects: list[int]) -> None:
    """Approved, with the approved amount the sum of the lines as the stages left them."""
    table = Project._meta.db_table
    lines = EstimateLine._meta.db_table
    decisions = LineDecision._meta.db_table
    stages = ReviewStage._meta.db_table
    Project.objects.filter(pk__in=projects).update(
        state=ProjectState.APPROVED, approved_amount=F("requested_amount")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} p SET approved_amount = t.total FROM ("  # noqa: S608  # nosec B608: table names only
            " SELECT l.project_id, SUM(COALESCE((SELECT d.approved_amount"
            f" FROM {decisions} d JOIN {stages} s ON s.id = d.stage_id WHERE d.line_id = l.id"
            ' ORDER BY s."order" DESC LIMIT 1), l.amount)) AS total'
            f" FROM {lines} l WHERE l.project_id = ANY(%s) GROUP BY l.project_id) t"
            " WHERE p.id = t.project_id",
            [projects],
        )


# A province's shape (issue #18): 21 cities, the rest counties spread over them.
CITIES = 21
UNITS_PER_JURISDICTION = 3


def seed_jurisdictions(count: int, *, year: int) -> int:
    """Make the synthetic jurisdictions up to ``count`` in all (the province counted):
    ``CITIES`` cities under the province, then counties under them in turn, each with
    its finance department, data administration and ``UNITS_PER_JURISDICTION`` budget
    units (bulk), and its ``year`` (default stages, one round, open, through
    ``cycles.create_cycle``). Idempotent by code; returns how many were made."""
    province = Jurisdiction.objects.get(pk=province_pk())
    cities = min(CITIES, max(count - 1, 0))
    wanted = [
        Jurisdiction(
            code=f"GD-C{number:02d}",
            name=f"合成市{number:02d}",
            level=AdministrativeLevel.CITY,
            parent=province,
        )
        for number in range(1, cities + 1)
    ]
    existing = set(Jurisdiction.objects.values_list("code", flat=True))
    with transaction.atomic():
        Jurisdiction.objects.bulk_create([j for j in wanted if j.code not in existing])
        city_rows = list(Jurisdiction.objects.filter(code__in=[j.code for j in wanted]))
        counties = []
        for number in range(max(count - 1 - cities, 0)):
            city = city_rows[number % len(city_rows)] if city_rows else province
            counties.append(
                Jurisdiction(
                    code=f"{city.code}-K{number // max(len(city_rows), 1) + 1:02d}",
                    name=f"{city.name}合成县{number // max(len(city_rows), 1) + 1:02d}",
                    level=AdministrativeLevel.COUNTY,
                    parent=city,
                )
            )
        Jurisdiction.objects.bulk_create([j for j in counties if j.code not in existing])
        made = [
            j
            for j in Jurisdiction.objects.filter(code__in=[j.code for j in wanted + counties])
            if j.code not in existing
        ]
        units = []
        for place in made:
            short = place.code.removeprefix("GD-").replace("-", "")
            units.append(_unit(place, f"{short}CZJ", f"{place.name}财政局", finance=True))
            units.append(_unit(place, f"{short}ZSJ", f"{place.name}数据管理局", data=True))
            units.extend(
                _unit(place, f"{short}U{unit}", f"{place.name}单位{unit}")
                for unit in range(1, UNITS_PER_JURISDICTION + 1)
            )
        Organization.objects.bulk_create(units)
        now = timezone.now()
        for place in made:
            cycles.create_cycle(
                actor=None,
                year=year,
                name=f"{year}年度{place.name}部门预算",
                opens_at=now - timedelta(days=30),
                closes_at=now + timedelta(days=60),
                state=CycleState.OPEN,
                jurisdiction=place,
            )
    return len(made)


def _unit(
    place: Jurisdiction, code: str, name: str, *, finance: bool = False, data: bool = False
) -> Organization:
    return Organization(
        code=code,
        name=name,
        level=UnitLevel.PRIMARY,
        jurisdiction=place,
        administrative_level=place.level,
        is_finance_department=finance,
        is_data_administration=data,
    )
