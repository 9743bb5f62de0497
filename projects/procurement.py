"""A project's procurement method and, for single-source procurement (单一来源), its
justification: what submission needs, and the change of method after approval.

Finance approves single-source procurement in batches (``budgeting.procurement``);
this layer only tells it, through ``projects.signals.procurement_changed``, that the
method or the supplier changed, and asks it where the approval stands
(``procurement_wanted``).
"""

from collections.abc import Mapping
from typing import Any, cast

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import AnyUser, can_submit_for_unit
from audit.services import record_event
from projects.errors import ProjectError
from projects.models import ProcurementMethod, Project, ProjectState, SingleSourceReason
from projects.signals import ProcurementStanding, procurement_changed, procurement_wanted

# What a single-source project states; blank for every other method.
SINGLE_SOURCE_FIELDS = ("single_source_reason", "single_source_justification", "proposed_supplier")
# A change of any of these withdraws a procurement approval given for the old choice.
PROCUREMENT_FIELDS = ("procurement_method", *SINGLE_SOURCE_FIELDS)
WITHDRAWING_FIELDS = ("procurement_method", "proposed_supplier")
SUPPLIER_MAX = Project._meta.get_field("proposed_supplier").max_length or 200


def procurement_problems(project: Project) -> list[str]:
    """What a single-source project still lacks to be submitted, naming each field."""
    if project.procurement_method != ProcurementMethod.SINGLE_SOURCE:
        return []
    problems = []
    if not project.single_source_reason:
        problems.append(_("Single-source procurement: choose the single-source ground."))
    if not project.single_source_justification.strip():
        problems.append(_("Single-source procurement: write the single-source justification."))
    if not project.proposed_supplier.strip():
        problems.append(_("Single-source procurement: name the proposed supplier."))
    return problems


def cleaned_procurement(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The procurement fields as stored: the justification only with single source
    (nothing when ``fields`` does not name the method)."""
    if "procurement_method" not in fields:
        return {}
    method = fields["procurement_method"]
    values = {name: (fields.get(name) or "").strip() for name in SINGLE_SOURCE_FIELDS}
    if method != ProcurementMethod.SINGLE_SOURCE:
        values = dict.fromkeys(SINGLE_SOURCE_FIELDS, "")
    elif values["single_source_reason"] not in {"", *SingleSourceReason.values}:
        raise ProjectError(_("Choose a single-source ground from the list."))
    return {"procurement_method": method, **values}


def announce_change(
    project: Project, *, actor: User, changes: Mapping[str, Any]
) -> dict[str, list[dict[str, Any]]]:
    """Inside the caller's transaction: if the method or the supplier changed, tell the
    layers above (``procurement_changed``) and return what they withdrew, under
    "procurement_withdrawn", for the caller's history event; {} otherwise."""
    if not any(name in changes for name in WITHDRAWING_FIELDS):
        return {}
    withdrawn: list[dict[str, Any]] = []
    for _receiver, answer in procurement_changed.send(
        sender=Project, project=project, actor=actor, changes=dict(changes)
    ):
        withdrawn.extend(cast("list[dict[str, Any]]", answer or []))
    return {"procurement_withdrawn": withdrawn} if withdrawn else {}


def can_change_procurement(user: AnyUser, project: Project) -> bool:
    """The unit's submitters change an approved project's procurement method or
    supplier (before approval the project form does)."""
    return project.state == ProjectState.APPROVED and can_submit_for_unit(
        user, project.organization
    )


def change_procurement(
    project: Project,
    *,
    actor: User,
    fields: Mapping[str, Any],
    expected_version: int,
    comment: str = "",
) -> Project:
    """Change an approved project's procurement method, single-source justification or
    supplier, with the reason. A change of method or supplier withdraws the procurement
    approval given for the old one (``procurement_changed``), in the same transaction.

    Only the unit's submitters, only once the budget is approved; refused (ProjectError)
    on a stale version, a missing reason, no change, or an incomplete justification.
    """
    values = cleaned_procurement(fields)
    comment = comment.strip()
    if len(values["proposed_supplier"]) > SUPPLIER_MAX:
        raise ProjectError(
            _("The supplier's name is at most %(max)s characters.") % {"max": SUPPLIER_MAX}
        )
    with transaction.atomic():
        locked = (
            Project.objects.select_for_update(of=("self",))
            .select_related("organization")
            .get(pk=project.pk)
        )
        if not can_change_procurement(actor, locked):
            raise ProjectError(
                _("Only the unit's submitters change the procurement of an approved project.")
            )
        if locked.version != expected_version:
            raise ProjectError(
                _("Someone changed this project after you opened it; nothing was changed.")
            )
        changes = {
            name: [getattr(locked, name), value]
            for name, value in values.items()
            if getattr(locked, name) != value
        }
        if not changes:
            raise ProjectError(_("Nothing changed."))
        if not comment:
            raise ProjectError(_("Give the reason for the change: it is kept in the history."))
        for name, value in values.items():
            setattr(locked, name, value)
        problems = procurement_problems(locked)
        if problems:
            raise ProjectError(" ".join(problems))
        locked.version += 1
        locked.updated_at = timezone.now()
        locked.save(update_fields=[*PROCUREMENT_FIELDS, "version", "updated_at"])
        withdrawn = announce_change(locked, actor=actor, changes=changes)
        record_event(
            "projects.procurement.changed",
            actor=actor,
            target=locked,
            target_key=locked.code,
            comment=comment,
            data={"changes": changes, "version": locked.version, **withdrawn},
        )
    return locked


def procurement_standing(project: Project, user: AnyUser) -> ProcurementStanding | None:
    """Where the project's procurement approval stands, as the layers above answer
    (``procurement_wanted``); None when none answers or the project needs none."""
    for _receiver, answer in procurement_wanted.send(sender=Project, project=project, user=user):
        if answer is not None:
            return cast("ProcurementStanding", answer)
    return None
