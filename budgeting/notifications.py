"""E-mail to the people a workflow action concerns, sent only after the commit.

The next stage's reviewers hear that a project awaits them; the submitter
hears of a return, a rejection or the approval. Sending after the commit
means no mail goes out for an action that was rolled back, and a slow mail
server never holds a row lock.
"""

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Role, User
from budgeting.models import ReviewStage
from budgeting.workflow import Action
from projects.models import Project

TELL_SUBMITTER = {Action.RETURN, Action.REJECT, Action.APPROVE}


def recipients_for(project: Project, action: Action, stage: ReviewStage | None) -> list[str]:
    addresses: set[str] = set()
    if stage is not None and action in {Action.SUBMIT, Action.PASS, Action.RETURN}:
        reviewers = User.objects.filter(is_active=True, roles__contains=[stage.role])
        if stage.role == Role.DEPARTMENT_APPROVER:
            primary = project.organization.primary_unit_id
            reviewers = reviewers.filter(Q(organization_id=primary))
        addresses.update(reviewers.exclude(email="").values_list("email", flat=True))
    if action in TELL_SUBMITTER and project.created_by.email:
        addresses.add(project.created_by.email)
    return sorted(addresses)


def notify_after_commit(
    project: Project, *, action: Action, stage: ReviewStage | None, comment: str
) -> None:
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
    message = (subject, "\n".join(lines), settings.DEFAULT_FROM_EMAIL, addresses)
    transaction.on_commit(lambda: send_mass_mail([message], fail_silently=True))
