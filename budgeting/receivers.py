"""budgeting's answers to the signals of lower layers (connected in apps.py)."""

from typing import Any

from django.db.models import QuerySet
from django.dispatch import receiver

from budgeting.models import LineDecision
from projects.models import EstimateLine
from projects.signals import lines_changing

_DECISION_RECORD = {
    "line": "line__name",
    "item": "line__item_code",
    "grade": "line__grade_code",
    "stage": "stage__code",
    "approved": "approved_amount",
    "reason": "reason",
}


@receiver(lines_changing, dispatch_uid="budgeting.drop_line_decisions")
def drop_line_decisions(
    sender: Any, *, lines: QuerySet[EstimateLine], **kwargs: Any
) -> list[dict[str, Any]]:
    """Delete the reviewers' approved amounts (审核数) on ``lines`` and return them for the
    history. A figure from an earlier review round means nothing once its line's amount
    changed or the line goes: it could even exceed the new amount, and final approval
    would sum it. Lines that did not change keep theirs."""
    decisions = LineDecision.objects.filter(line__in=lines)
    rows = decisions.order_by("line__position", "stage__order").values_list(
        *_DECISION_RECORD.values()
    )
    dropped = [dict(zip(_DECISION_RECORD, row, strict=True)) for row in rows]
    if dropped:
        decisions.delete()
    return dropped
