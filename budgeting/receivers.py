"""budgeting's answers to the signals of lower layers (connected in apps.py)."""

from typing import Any

from django.db.models import QuerySet
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import pgettext

from budgeting import procurement
from budgeting.models import LineDecision
from budgeting.notifications import send_notification
from budgeting.permissions import can_handle_procurement
from inventory.signals import mail_wanted
from projects.models import EstimateLine, ProcurementMethod, Project
from projects.signals import (
    LineReview,
    ProcurementStanding,
    line_reviews_wanted,
    lines_changing,
    procurement_changed,
    procurement_wanted,
)

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


@receiver(procurement_changed, dispatch_uid="budgeting.withdraw_procurement")
def withdraw_procurement(
    sender: Any, *, project: Project, actor: Any, changes: dict[str, Any], **kwargs: Any
) -> list[dict[str, Any]]:
    """A project's method or supplier changed: its single-source procurement approval
    (approved, or in a batch being prepared) is withdrawn, in the caller's transaction."""
    return procurement.withdraw_for_change(project, actor=actor, changes=changes)


@receiver(procurement_wanted, dispatch_uid="budgeting.procurement_standing")
def procurement_standing(
    sender: Any, *, project: Project, user: Any, **kwargs: Any
) -> ProcurementStanding | None:
    """The project page's line on its single-source procurement approval: 未申请, 待批准
    or 已批准 in a batch, 已撤销; nothing for another method never in a batch. The batch
    is a link for finance, who may open it."""
    standing = procurement.standing_of(project)
    item = standing.item
    if item is None:
        if project.procurement_method != ProcurementMethod.SINGLE_SOURCE:
            return None
        return ProcurementStanding(pgettext("procurement", "Not applied for"))
    batch = item.batch
    labels = {
        "pending": pgettext("procurement", "Awaiting approval"),
        "approved": pgettext("procurement", "Approved"),
        "withdrawn": pgettext("procurement", "Withdrawn"),
    }
    when = item.withdrawn_at if item.withdrawn_at else batch.approved_at
    return ProcurementStanding(
        labels[standing.code],
        batch=batch.name,
        document_number=batch.document_number,
        when=timezone.localtime(when).strftime("%Y-%m-%d") if when else "",
        url=reverse("budgeting:procurement_batch", kwargs={"public_id": batch.public_id})
        if can_handle_procurement(user)
        else "",
    )
