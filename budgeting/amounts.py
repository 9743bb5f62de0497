"""Approved amounts per line and per stage, and the review waterfall
(requested → after each stage → approved). Two queries, whatever the lines."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from budgeting.models import LineDecision, ReviewStage
from projects.models import EstimateLine, Project


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


def _decisions(project: Project) -> dict[int, list[LineDecision]]:
    by_line: dict[int, list[LineDecision]] = {}
    for decision in (
        LineDecision.objects.filter(line__project=project)
        .select_related("stage")
        .order_by("stage__order")
    ):
        by_line.setdefault(decision.line_id, []).append(decision)
    return by_line


def amount_after(line: EstimateLine, decisions: list[LineDecision], order: int) -> Decimal:
    """The line's amount once the stages up to ``order`` have decided."""
    amount = line.amount
    for decision in decisions:
        if decision.stage.order <= order:
            amount = decision.approved_amount
    return amount


def current_amounts(project: Project) -> dict[int, Decimal]:
    """Each line's amount as the latest stage left it."""
    decisions = _decisions(project)
    return {
        line.pk: amount_after(line, decisions.get(line.pk, []), 10_000)
        for line in project.lines.all()
    }


def waterfall(project: Project, stages: list[ReviewStage]) -> list[Step]:
    lines = list(project.lines.all())
    decisions = _decisions(project)
    requested = sum((line.amount for line in lines), Decimal("0.00"))
    steps = [Step(str(_requested_label()), requested, Decimal("0.00"))]
    for stage in stages:
        total = sum(
            (amount_after(line, decisions.get(line.pk, []), stage.order) for line in lines),
            Decimal("0.00"),
        )
        steps.append(Step(str(stage), total, requested - total))
    return steps


def _requested_label() -> str:
    from django.utils.translation import gettext

    return gettext("Requested")
