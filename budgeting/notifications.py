"""E-mail to the people a workflow action concerns, sent by the background worker.

The next stage's reviewers hear that a project awaits them; the submitter
hears of a return, a rejection or the approval. The action queues the mail in
its own transaction (django-tasks' database backend writes the task row
there), so a mail exists exactly when the action was saved, and the worker
(``manage.py run_worker``) sends it: an action's answer never waits for the
mail server, and a mail server that hangs holds no row lock and no request.
A mail that cannot be sent (the server refuses, or does not answer within
``EMAIL_TIMEOUT``) is logged, its task fails (the admin lists it under "Task
results" with the error), and it is tried again later, ``ATTEMPTS`` times in all.
Mail comes after every other task in the queue.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from budgeting.models import ReviewStage
from budgeting.permissions import deciders_at
from budgeting.workflow import Action
from projects.models import Project

logger = logging.getLogger(__name__)

TELL_SUBMITTER = {Action.RETURN, Action.REJECT, Action.APPROVE}
# A mail the server would not take is tried again after 5, then 10 minutes.
ATTEMPTS = 3
RETRY_AFTER = timedelta(minutes=5)


def recipients_for(project: Project, action: Action, stage: ReviewStage | None) -> list[str]:
    addresses: set[str] = set()
    if stage is not None and action in {Action.SUBMIT, Action.PASS, Action.RETURN}:
        reviewers = deciders_at(project, stage).exclude(email="")
        addresses.update(reviewers.values_list("email", flat=True))
    if action in TELL_SUBMITTER and project.created_by.email:
        addresses.add(project.created_by.email)
    return sorted(addresses)


def queue_notification(
    project: Project, *, action: Action, stage: ReviewStage | None, comment: str
) -> None:
    """Queue the mail about ``action`` in the caller's transaction (in its language)."""
    addresses = recipients_for(project, action, stage)
    if not addresses:
        return
    subject = _("[IT project budgeting] %(code)s %(name)s: %(action)s") % {
        "code": project.code,
        "name": project.name,
        "action": action.label,
    }
    lines = [
        _("Project: %(code)s %(name)s") % {"code": project.code, "name": project.name},
        _("Action: %(action)s") % {"action": action.label},
    ]
    if stage is not None:
        lines.append(_("Now at: %(stage)s") % {"stage": stage})
    if comment:
        lines.append(_("Comment: %(comment)s") % {"comment": comment})
    lines.append(reverse("budgeting:review", args=[project.code]))
    send_notification.enqueue(subject, "\n".join(lines), addresses)


# Below everything else in the queue: while the mail server hangs, each mail holds
# the worker for EMAIL_TIMEOUT, and an export asked for meanwhile goes first.
MAIL_PRIORITY = -10


@task(priority=MAIL_PRIORITY)
def send_notification(subject: str, body: str, recipients: list[str], attempt: int = 1) -> None:
    """The worker's half: send one mail; on failure log it, queue the next attempt and fail."""
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    except Exception:
        if attempt < ATTEMPTS:
            send_notification.using(run_after=timezone.now() + RETRY_AFTER * attempt).enqueue(
                subject, body, recipients, attempt=attempt + 1
            )
            outcome = f"tried again in {RETRY_AFTER * attempt}"
        else:
            outcome = "given up"
        logger.exception(
            "Could not send the mail %r to %s (attempt %s of %s, %s)",
            subject,
            ", ".join(recipients),
            attempt,
            ATTEMPTS,
            outcome,
        )
        raise
