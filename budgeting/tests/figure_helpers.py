"""Setup for the control figure tests: a year of 两上两下 and requests reviewed in 一上,
through the services (a few) or bulk-inserted (volume for query counts)."""

from decimal import Decimal

from accounts.models import Organization, User
from accounts.tests.factories import OrganizationFactory
from budgeting import services
from budgeting.models import BudgetCycle, LineDecision, Review
from budgeting.scale import seed_waiting
from budgeting.tests.workflow_fixtures import make_ready
from projects.models import Project, ProjectKind
from projects.tests.factories import register


def reviewed_in_first_round(
    clerk: User,
    reviewers: list[User],
    name: str,
    *,
    kind: str = ProjectKind.CONSTRUCTION,
    cut_to: str | None = None,
) -> Project:
    """A request of ``clerk``'s unit submitted in 一上 (one line of 500,000) and passed by
    ``reviewers`` (department, data administration, finance; finance cutting the line to
    ``cut_to``): at the final stage."""
    project = make_ready(register(clerk, name=name, kind=kind), clerk)
    project = services.submit(project, actor=clerk, expected_version=project.version)
    for reviewer in reviewers:
        if cut_to is not None and reviewer is reviewers[-1]:
            services.set_line_amount(
                project,
                actor=reviewer,
                expected_version=project.version,
                line_id=project.lines.get().pk,
                approved_amount=Decimal(cut_to),
                reason="workload_high",
            )
            project.refresh_from_db()
        project = services.pass_stage(project, actor=reviewer, expected_version=project.version)
    return project


def seed_units(count: int, prefix: str = "U") -> list[Organization]:
    return [
        OrganizationFactory.create(
            code=f"{prefix}{number:04d}", name=f"测试单位{prefix}{number:04d}"
        )
        for number in range(count)
    ]


def seed_first_round(cycle: BudgetCycle, units: list[Organization], per_unit: int) -> None:
    """``per_unit`` requests per unit, bulk-inserted at finance's review in 一上, every
    other one an operation (运维) project and cut by a tenth."""
    stage = cycle.stages.get(code="finance")
    projects = seed_waiting(per_unit * len(units), stage=stage, units=units)
    first = cycle.rounds.get(order=1)
    Review.objects.filter(project__in=projects).update(round=first)
    Project.objects.filter(pk__in=[p.pk for p in projects[::2]]).update(kind=ProjectKind.OPERATION)
    finance = cycle.stages.get(code="finance")
    reviewer = User.objects.order_by("pk").first()
    LineDecision.objects.bulk_create(
        LineDecision(
            line=line,
            stage=finance,
            approved_amount=(line.amount * Decimal("0.9")).quantize(Decimal("0.01")),
            decided_by=reviewer,
            reason="workload_high",
        )
        for project in projects[::2]
        for line in project.lines.all()
    )
