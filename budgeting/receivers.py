"""budgeting's answers to the signals of lower layers (connected in apps.py)."""

from typing import Any

from django.db.models import QuerySet
from django.dispatch import receiver

from budgeting.models import LineDecision
from budgeting.notifications import send_notification
from inventory.signals import mail_wanted
from projects.models import EstimateLine, Project
from projects.signals import LineReview, line_reviews_wanted, lines_changing

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


@receiver(line_reviews_wanted, dispatch_uid="budgeting.latest_line_decisions")
def latest_line_decisions(
    sender: Any, *, project: Project, lines: list[EstimateLine], **kwargs: Any
) -> dict[int, LineReview]:
    """Each line's decision at the latest stage that decided on it (its approved amount
    now, as ``amounts.LineFigures.current`` has it), with the reason and the comment."""
    wanted = {line.pk for line in lines}
    latest: dict[int, LineDecision] = {}
    # By project, not by the lines' ids: one query, even for a project without lines.
    for decision in (
        LineDecision.objects.filter(line__project=project)
        .select_related("stage")
        .order_by("stage__order")
    ):
        if decision.line_id in wanted:
            latest[decision.line_id] = decision
    return {
        line_id: LineReview(
            approved=decision.approved_amount,
            reason=decision.get_reason_display() if decision.reason else "",
            comment=decision.comment,
            stage=str(decision.stage),
        )
        for line_id, decision in latest.items()
    }


@receiver(mail_wanted, dispatch_uid="budgeting.queue_inventory_mail")
def queue_inventory_mail(
    sender: Any, *, subject: str, body: str, recipients: list[str], **kwargs: Any
) -> None:
    """Queue a mail the inventory survey asks for (a reminder), in the caller's
    transaction, as the workflow's own mails are queued."""
    send_notification.enqueue(subject, body, recipients)
