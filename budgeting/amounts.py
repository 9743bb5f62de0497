"""Approved amounts per line and per stage, and the review waterfall
(requested → after each stage). Two queries, whatever the number of lines."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import F, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext

from budgeting.models import LineDecision, ReviewStage
from projects.models import EstimateLine, Project
from standards.catalogue import PRICED_BY_RELATED

ZERO = Decimal("0.00")
AFTER_EVERY_STAGE = 10_000  # a stage order beyond any real one


@dataclass(frozen=True)
class Step:
    label: str
    total: Decimal
    cut: Decimal  # against the requested amount
    # False for a stage the project has not reached yet: its figures mean nothing yet.
    reached: bool = True

    @property
    def cut_rate(self) -> Decimal | None:
        requested = self.total + self.cut
        if not requested or not self.reached:
            return None
        return (self.cut / requested * 100).quantize(Decimal("0.01"), ROUND_HALF_UP)


@dataclass(frozen=True)
class LineFigures:
    """A project's lines with every stage's decisions on them, loaded once."""

    lines: list[EstimateLine]
    decisions: dict[int, list[LineDecision]]  # by line id, in stage order

    def amount_after(self, line: EstimateLine, order: int) -> Decimal:
        """The line's amount once the stages up to ``order`` have decided."""
        amount = line.amount
        for decision in self.decisions.get(line.pk, []):
            if decision.stage.order <= order:
                amount = decision.approved_amount
        return amount

    def current(self) -> dict[int, Decimal]:
        """Each line's amount as the latest stage left it."""
        return {line.pk: self.amount_after(line, AFTER_EVERY_STAGE) for line in self.lines}

    def approved_total(self) -> Decimal:
        """The approved amount (审核数) final approval fixes: the lines as the stages left them."""
        return sum(self.current().values(), ZERO)

    def decision_at(self, stage: ReviewStage | None) -> dict[int, LineDecision]:
        """Each line's decision at this stage, for lines that have one."""
        if stage is None:
            return {}
        return {
            line_id: decision
            for line_id, decisions in self.decisions.items()
            for decision in decisions
            if decision.stage_id == stage.pk
        }

    def last_decided_order(self) -> int:
        """The order of the latest stage that decided on any line (0 if none has)."""
        return max(
            (d.stage.order for decisions in self.decisions.values() for d in decisions), default=0
        )

    def waterfall(
        self, stages: list[ReviewStage], reached_order: int = AFTER_EVERY_STAGE
    ) -> list[Step]:
        """Requested, then the total after each stage; a stage beyond ``reached_order``
        (not reached yet) is a step marked not reached."""
        requested = sum((line.amount for line in self.lines), ZERO)
        steps = [Step(gettext("Requested"), requested, ZERO)]
        for stage in stages:
            total = sum((self.amount_after(line, stage.order) for line in self.lines), ZERO)
            steps.append(Step(str(stage), total, requested - total, stage.order <= reached_order))
        return steps


def approved_totals(projects: Sequence[Project]) -> dict[int, Decimal]:
    """Each project's ``approved_total`` by id, as final approval would fix it now: one
    query, whatever the number of projects and lines (the batch approval list). Summed
    in the database, each line at its latest stage's decision (the highest stage order,
    as ``LineFigures.amount_after``) or its own amount: reading the 50 projects' 500
    lines and their decisions as models cost the batch page a third of its time (issue
    #21)."""
    ids = [project.pk for project in projects]
    latest = (
        LineDecision.objects.filter(line=OuterRef("pk"))
        .order_by("-stage__order", "-pk")
        .values("approved_amount")[:1]
    )
    summed = (
        EstimateLine.objects.filter(project_id__in=ids)
        .order_by()
        .values("project_id")
        .annotate(total=Sum(Coalesce(Subquery(latest), F("amount"))))
        .values_list("project_id", "total")
    )
    totals = dict.fromkeys(ids, ZERO)
    totals.update(summed if ids else [])
    return totals


def figures_of(projects: Sequence[Project]) -> dict[int, LineFigures]:
    """Each project's ``LineFigures`` by id: two queries, whatever the number of projects
    and lines."""
    ids = [project.pk for project in projects]
    lines: dict[int, list[EstimateLine]] = {pk: [] for pk in ids}
    project_lines = EstimateLine.objects.filter(project_id__in=ids)
    # By the key, not "project" (the project's own ordering): no join to the projects.
    for line in project_lines.order_by("project_id", "position", "id"):
        lines[line.project_id].append(line)
    decisions: dict[int, list[LineDecision]] = {}
    for decision in (
        LineDecision.objects.filter(line__project_id__in=ids)
        .select_related("stage")
        .order_by("stage__order")
    ):
        decisions.setdefault(decision.line_id, []).append(decision)
    return {pk: LineFigures(lines[pk], decisions) for pk in ids}


def load(project: Project) -> LineFigures:
    decisions: dict[int, list[LineDecision]] = {}
    for decision in (
        LineDecision.objects.filter(line__project=project)
        .select_related("stage")
        .order_by("stage__order")
    ):
        decisions.setdefault(decision.line_id, []).append(decision)
    return LineFigures(list(project.lines.select_related(*PRICED_BY_RELATED)), decisions)
