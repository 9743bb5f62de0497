"""Synthetic volume for benchmarks: many projects across the units, fast.

Rows are bulk-inserted, not written through the services: this is load for
measuring list pages and exports, not history anyone will read, and 10,000
projects through the services would take minutes.
"""

import random
from decimal import Decimal

from django.db import transaction

from accounts.models import Organization, Role, User
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

WORDS = [
    "智慧",
    "数据",
    "政务",
    "共享",
    "监管",
    "服务",
    "平台",
    "系统",
    "运维",
    "升级",
    "云",
    "中心",
]


def seed_scale(projects: int, *, year: int = 2027, seed: int = 2027, lines: int = 0) -> int:
    """Add ``projects`` synthetic projects of ``year``, each with ``lines`` estimate lines
    (the requested amount is then their sum); returns how many projects were made."""
    rng = random.Random(seed)  # noqa: S311  # reproducible test data, not security
    units = list(
        Organization.objects.filter(is_finance_department=False, is_data_administration=False)
    )
    clerk = User.objects.order_by("pk").first()
    if not units or clerk is None:
        raise ValueError("Run seed_demo first: scale data needs budget units and a user.")
    with transaction.atomic():
        counters = {
            counter.organization_id: counter
            for counter in ProjectCodeCounter.objects.select_for_update().filter(budget_year=year)
        }
        batch = []
        for _number in range(projects):
            unit = rng.choice(units)
            counter = counters.get(unit.pk)
            if counter is None:
                counter = ProjectCodeCounter.objects.create(organization=unit, budget_year=year)
                counters[unit.pk] = counter
            counter.last_sequence += 1
            kind = rng.choice(ProjectKind.values)
            batch.append(
                Project(
                    code=f"{year}-{unit.code}-{counter.last_sequence:04d}",
                    name="".join(rng.sample(WORDS, 4)) + "项目",
                    organization=unit,
                    budget_year=year,
                    kind=kind,
                    continuity=Continuity.NEW,
                    managed_by_data_admin=rng.random() < 0.6,
                    budget_category=BudgetCategory.OPERATING
                    if kind == ProjectKind.OPERATION
                    else BudgetCategory.SPECIFIC_PURPOSE,
                    procurement_method=rng.choice(ProcurementMethod.values),
                    start_year=year,
                    end_year=year,
                    background="合成数据，用于性能测试。",
                    content="合成数据。",
                    expected_results="合成数据。",
                    contact_name="测试",
                    contact_phone="020-83134000",
                    state=rng.choice([ProjectState.DRAFT, ProjectState.IN_REVIEW]),
                    requested_amount=Decimal(rng.randrange(10_000_00, 5_000_000_00)) / 100,
                    created_by=clerk,
                )
            )
            batch[-1].reached_roles = _reached_finance(batch[-1])
        if lines:
            _add_lines(batch, lines, rng)
        else:
            Project.objects.bulk_create(batch, batch_size=2000)
        ProjectCodeCounter.objects.bulk_update(list(counters.values()), ["last_sequence"])
    return projects


def _reached_finance(project: Project) -> list[str]:
    """A synthetic request in review stands at the finance review, past the earlier stages,
    so the reviewing bodies see it as they would a real one."""
    if project.state != ProjectState.IN_REVIEW:
        return []
    reached = [Role.DEPARTMENT_APPROVER, Role.FINANCE_REVIEWER]
    if project.managed_by_data_admin:
        reached.append(Role.DATA_REVIEWER)
    return sorted(reached)


def _add_lines(projects: list[Project], per_project: int, rng: random.Random) -> None:
    """Insert the projects with ``per_project`` lines each; the requested amount is their sum."""
    amounts = []
    for project in projects:
        own = [Decimal(rng.randrange(1_000_00, 500_000_00)) / 100 for _ in range(per_project)]
        project.requested_amount = sum(own, Decimal("0.00"))
        amounts.append(own)
    Project.objects.bulk_create(projects, batch_size=2000)
    EstimateLine.objects.bulk_create(
        (
            EstimateLine(
                project=project,
                position=position,
                fee_class=rng.choice(FEE_CLASSES),
                item_code=f"{position % 5 + 1}.{position + 1:02d}",
                name="".join(rng.sample(WORDS, 3)) + "服务",
                unit="项",
                amount=amount,
                is_non_standard=True,
                justification="合成数据。",
            )
            for project, own in zip(projects, amounts, strict=True)
            for position, amount in enumerate(own)
        ),
        batch_size=5000,
    )
