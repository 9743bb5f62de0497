"""Approved amounts per line and per stage, and the review waterfall
(requested → after each stage). Two queries, whatever the number of lines."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext

from budgeting.models import LineDecision, ReviewStage
from projects.models import EstimateLine, Project

ZERO = Decimal("0.00")
AFTER_EVERY_STAGE = 10_000  # a stage order beyond any real one


@dataclass(frozen=True)
class Step:
    label: str
    total: Decimal
    cut: Decimal  # against the requested amount

    @property
    def cut_rate(self) -> Decimal | None:
        requested = self.total + self.cut
        if not requested:
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

    def waterfall(self, stages: list[ReviewStage]) -> list[Step]:
        requested = sum((line.amount for line in self.lines), ZERO)
        steps = [Step(gettext("Requested"), requested, ZERO)]
        for stage in stages:
            total = sum((self.amount_after(line, stage.order) for line in self.lines), ZERO)
            steps.append(Step(str(stage), total, requested - total))
        return steps


def load(project: Project) -> LineFigures:
    decisions: dict[int, list[LineDecision]] = {}
    for decision in (
        LineDecision.objects.filter(line__project=project)
        .select_related("stage")
        .order_by("stage__order")
    ):
        decisions.setdefault(decision.line_id, []).append(decision)
    return LineFigures(list(project.lines.all()), decisions)
