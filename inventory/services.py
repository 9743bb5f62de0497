"""Every change to a survey and a unit's inventory, with its history.

Each function runs in one transaction, locks the row it changes (the campaign,
or the unit's survey) with ``select_for_update``, checks who acts, the state
and the version the actor's page showed, writes, and appends an
``audit.Event``. Refusals raise ``InventoryError`` with a message for the
user; nothing is written then.
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.jurisdictions import lock_jurisdiction
from accounts.models import Organization, User
from accounts.permissions import jurisdiction_id_of
from audit.services import record_event
from inventory import signals
from inventory.models import (
    CampaignState,
    CloudResource,
    Device,
    InformationSystem,
    ITStaff,
    SurveyCampaign,
    SurveyState,
    UnitSurvey,
)
from inventory.permissions import can_fill_survey, can_run_surveys, fillers_of
from ops.bulk import copy_objects
from standards.pricing import PricingError, check_amount


class InventoryError(Exception):
    """A refused change, with a message for the user in their language."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# The four kinds of inventory row, by the key URLs and the workbook use.
ROW_MODELS: dict[str, type[models.Model]] = {
    "system": InformationSystem,
    "device": Device,
    "cloud": CloudResource,
    "staff": ITStaff,
}
MONEY_FIELDS = {
    "system": ("construction_cost", "yearly_om_cost"),
    "device": ("original_value",),
}


class Action(models.TextChoices):
    SUBMIT = "submit", _("Submit")
    RETURN = "return", _("Return for correction")
    ACCEPT = "accept", _("Accept")


# The one table of the survey's workflow: action → (from states, to state).
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    Action.SUBMIT: (frozenset({SurveyState.DRAFT, SurveyState.RETURNED}), SurveyState.SUBMITTED),
    Action.RETURN: (frozenset({SurveyState.SUBMITTED}), SurveyState.RETURNED),
    Action.ACCEPT: (frozenset({SurveyState.SUBMITTED}), SurveyState.ACCEPTED),
}


@dataclass
class InventoryRows:
    """A unit's whole inventory as read from a workbook, unsaved (``survey`` unset)."""

    systems: list[InformationSystem] = field(default_factory=list)
    devices: list[Device] = field(default_factory=list)
    cloud: list[CloudResource] = field(default_factory=list)
    staff: list[ITStaff] = field(default_factory=list)

    def by_kind(self) -> dict[str, Sequence[models.Model]]:
        return {
            "system": self.systems,
            "device": self.devices,
            "cloud": self.cloud,
            "staff": self.staff,
        }

    @property
    def count(self) -> int:
        return sum(len(rows) for rows in self.by_kind().values())


def open_campaign(
    *,
    actor: User,
    year: int,
    title: str,
    deadline: datetime.date,
    units: Iterable[Organization],
) -> SurveyCampaign:
    """Open the survey of ``year`` of the actor's jurisdiction (issue #18): one unit
    survey, being filled in, per covered unit.

    For the data administration's reviewers and finance (``can_run_surveys``).
    Refused (InventoryError) for anyone else, a year that already has a survey in the
    actor's jurisdiction, no units, an inactive unit, another jurisdiction's unit, or a
    deadline outside the year and the next.
    """
    jurisdiction_id = jurisdiction_id_of(actor)
    if not can_run_surveys(actor) or jurisdiction_id is None:
        raise InventoryError(_("Only the data administration and finance open surveys."))
    covered = sorted(set(units), key=lambda unit: unit.code)
    if not covered:
        raise InventoryError(_("Choose the units the survey covers."), field="units")
    if any(not unit.is_active for unit in covered):
        raise InventoryError(_("A survey covers active units only."), field="units")
    if any(unit.jurisdiction_id != jurisdiction_id for unit in covered):
        raise InventoryError(_("A survey covers its own jurisdiction's units only."), field="units")
    # As the execution target's date: 9999-12-31 would leave no unit ever late.
    if deadline.year not in (year, year + 1):
        raise InventoryError(
            _("The deadline falls in the survey year (or the next)."), field="deadline"
        )
    with transaction.atomic():
        # Two runners opening the year's survey at once: the second waits, then finds the
        # first's (the unique constraint on year and jurisdiction stays the backstop).
        lock_jurisdiction(jurisdiction_id)
        if (
            SurveyCampaign.objects.select_for_update()
            .filter(year=year, jurisdiction_id=jurisdiction_id)
            .exists()
        ):
            raise InventoryError(
                _("There is already a survey for %(year)s.") % {"year": year}, field="year"
            )
        campaign = SurveyCampaign(
            year=year,
            jurisdiction_id=jurisdiction_id,
            title=title,
            deadline=deadline,
            opened_by=actor,
        )
        _full_clean(campaign, exclude=["opened_by"])
        campaign.save()
        UnitSurvey.objects.bulk_create(
            [UnitSurvey(campaign=campaign, organization=unit) for unit in covered]
        )
        record_event(
            "inventory.campaign.opened",
            actor=actor,
            target=campaign,
            target_key=str(year),
            to_state=CampaignState.OPEN,
            data={
                "title": title,
                "deadline": deadline.isoformat(),
                "units": [unit.code for unit in covered],
            },
        )
    return campaign


def act(
    survey: UnitSurvey, action: str, *, actor: User, expected_version: int, reason: str = ""
) -> UnitSurvey:
    """Submit (the unit's submitters and approver, from being filled in or returned),
    return with a reason or accept (the survey runners, from submitted).

    Refused (InventoryError, nothing written) for an action not allowed from the
    survey's state, by someone whose action it is not, on a page older than the
    survey (``expected_version``), a return without a reason, or a submission of
    an empty inventory.
    """
    if action not in TRANSITIONS:
        raise InventoryError(_("Unknown action."))
    sources, target = TRANSITIONS[action]
    with transaction.atomic():
        locked = _lock(survey, expected_version=expected_version)
        if action == Action.SUBMIT:
            allowed = can_fill_survey(actor, locked)
        else:
            allowed = can_run_surveys(actor)
        if not allowed:
            raise InventoryError(_("This is not your action."))
        if locked.state not in sources:
            raise InventoryError(
                _("This inventory is %(state)s: it cannot be %(action)s now.")
                % {"state": locked.state_label, "action": Action(action).label}
            )
        reason = reason.strip()
        if action == Action.RETURN and not reason:
            raise InventoryError(_("Say what the unit must correct."), field="reason")
        if action == Action.SUBMIT and not _has_rows(locked):
            raise InventoryError(_("The inventory is empty: add its rows before submitting."))
        before = locked.state
        locked.state = target
        locked.return_reason = reason if action == Action.RETURN else ""
        update = ["state", "return_reason", "version", "updated_at"]
        if action == Action.SUBMIT:
            locked.submitted_at = timezone.now()
            update.append("submitted_at")
        _bump(locked)
        locked.save(update_fields=update)
        record_event(
            f"inventory.survey.{target}",
            actor=actor,
            target=locked,
            target_key=locked.key,
            from_state=before,
            to_state=target,
            comment=reason,
        )
    return locked


def add_row(
    survey: UnitSurvey, kind: str, row: models.Model, *, actor: User, expected_version: int
) -> models.Model:
    """Add one inventory row of ``kind`` to a survey being filled in or returned.

    For the unit's submitters and approver. Refused (InventoryError) as
    ``act`` refuses a stale page, and for a row the model refuses or an amount
    beyond the limit (``check_amount``).
    """
    with transaction.atomic():
        locked = _lock_for_edit(survey, actor=actor, expected_version=expected_version)
        row.survey = locked  # type: ignore[attr-defined]
        _check_row(kind, row)
        row.save()
        _changed(
            locked,
            "inventory.row.added",
            actor,
            {"kind": kind, "row_id": row.pk, "row": row_record(kind, row)},
        )
    return row


def change_row(
    survey: UnitSurvey,
    kind: str,
    row_id: int,
    values: dict[str, Any],
    *,
    actor: User,
    expected_version: int,
) -> models.Model:
    """Change the fields ``values`` names of one inventory row, in place, while the survey
    is being filled in or returned; the history keeps each changed field before and after.

    For the unit's submitters and approver. Refused (InventoryError, nothing written) as
    ``add_row`` refuses, and for a row that is not this survey's (another unit's id typed
    into the URL reads as a row that no longer exists). Nothing changed is no change:
    no event, the version stays.
    """
    with transaction.atomic():
        locked = _lock_for_edit(survey, actor=actor, expected_version=expected_version)
        row = _row_of(locked, kind, row_id, lock=True)
        before = row_record(kind, row)
        for name, value in values.items():
            if name not in before:
                raise InventoryError(_("Unknown field."))
            setattr(row, name, value)
        _check_row(kind, row)
        after = row_record(kind, row)
        changes = {
            name: [before[name], after[name]] for name in before if before[name] != after[name]
        }
        if not changes:
            return row
        row.save(update_fields=list(changes))
        _changed(
            locked,
            "inventory.row.changed",
            actor,
            {"kind": kind, "row_id": row.pk, "label": str(row)[:200], "changes": changes},
        )
    return row


def remove_row(
    survey: UnitSurvey, kind: str, row_id: int, *, actor: User, expected_version: int
) -> None:
    """Remove one inventory row (kept in the history as it was)."""
    with transaction.atomic():
        locked = _lock_for_edit(survey, actor=actor, expected_version=expected_version)
        row = _row_of(locked, kind, row_id)
        record = row_record(kind, row)
        row.delete()
        _changed(
            locked,
            "inventory.row.removed",
            actor,
            {"kind": kind, "row_id": row_id, "row": record},
        )


def _row_of(survey: UnitSurvey, kind: str, row_id: int, *, lock: bool = False) -> models.Model:
    """The survey's row of ``kind`` and id, or InventoryError: an unknown kind, an id of
    another survey's row and a removed row all read as a row that no longer exists."""
    model = ROW_MODELS.get(kind)
    rows = model._default_manager.filter(survey=survey, pk=row_id) if model else None
    row = (rows.select_for_update() if lock else rows).first() if rows is not None else None
    if row is None:
        raise InventoryError(_("That row no longer exists."))
    return row


def replace_rows(
    survey: UnitSurvey,
    rows: InventoryRows,
    *,
    actor: User,
    expected_version: int,
    source: str = "",
) -> UnitSurvey:
    """Replace the whole inventory of a survey by ``rows`` (a workbook), all or nothing.

    The rows were checked by the reader; they are checked again here (every amount
    against the limit) before anything is written. The history keeps the counts
    and the file name; the removed rows' count and the added rows' sums.
    """
    for kind, kind_rows in rows.by_kind().items():
        for row in kind_rows:
            _check_row(kind, row, full=False)
    with transaction.atomic():
        locked = _lock_for_edit(survey, actor=actor, expected_version=expected_version)
        removed = {}
        for kind, model in ROW_MODELS.items():
            removed[kind], _by_model = model._default_manager.filter(survey=locked).delete()
        for kind, kind_rows in rows.by_kind().items():
            _copy_rows(ROW_MODELS[kind], locked, kind_rows)
        _changed(
            locked,
            "inventory.rows.imported",
            actor,
            {
                "source": source,
                "removed": removed,
                "added": {kind: len(kind_rows) for kind, kind_rows in rows.by_kind().items()},
                "device_value": sum(
                    (device.original_value for device in rows.devices), Decimal("0.00")
                ),
            },
        )
    return locked


def send_reminders(campaign: SurveyCampaign, *, actor: User) -> int:
    """Queue a reminder mail to the people who fill each unit's inventory that is not
    submitted yet (being filled in or returned); the number of mails queued.

    For the survey runners. The mail is queued in this transaction through
    ``signals.mail_wanted`` (budgeting's mail task, sent by the background worker), so
    the request never waits for the mail server.
    """
    if not can_run_surveys(actor):
        raise InventoryError(_("Only the data administration and finance send reminders."))
    with transaction.atomic():
        locked = SurveyCampaign.objects.select_for_update().get(pk=campaign.pk)
        waiting = list(
            UnitSurvey.objects.filter(
                campaign=locked, state__in=[SurveyState.DRAFT, SurveyState.RETURNED]
            ).select_related("organization")
        )
        people = fillers_of([survey.organization_id for survey in waiting])
        sent = 0
        for survey in waiting:
            addresses = sorted(people.get(survey.organization_id, set()))
            if not addresses:
                continue
            subject = _("[IT project budgeting] IT inventory survey %(year)s: reminder") % {
                "year": locked.year
            }
            lines = [
                _("Unit: %(unit)s") % {"unit": survey.organization.name},
                _("State: %(state)s") % {"state": survey.state_label},
                _("Deadline: %(date)s") % {"date": locked.deadline.isoformat()},
            ]
            if survey.return_reason:
                lines.append(_("To correct: %(reason)s") % {"reason": survey.return_reason})
            signals.mail_wanted.send(
                sender=SurveyCampaign, subject=subject, body="\n".join(lines), recipients=addresses
            )
            sent += 1
        record_event(
            "inventory.campaign.reminded",
            actor=actor,
            target=locked,
            target_key=str(locked.year),
            data={"units": [survey.organization.code for survey in waiting], "mails": sent},
        )
    return sent


def _copy_rows(model: type[models.Model], survey: UnitSurvey, rows: Sequence[models.Model]) -> None:
    """Write ``rows`` of ``model`` into ``survey`` with PostgreSQL's COPY (``ops.bulk``), in
    the caller's transaction. The rows were checked before (the reader, ``_check_row``)."""
    for row in rows:
        row.survey_id = survey.pk  # type: ignore[attr-defined]
    copy_objects(model, rows)


def row_record(kind: str, row: models.Model) -> dict[str, Any]:
    """What the history keeps of a row: every field but its keys."""
    record: dict[str, Any] = {}
    for model_field in row._meta.concrete_fields:
        if model_field.name in {"id", "survey"}:
            continue
        record[model_field.name] = getattr(row, model_field.attname)
    return record


def _check_row(kind: str, row: models.Model, *, full: bool = True) -> None:
    for name in MONEY_FIELDS.get(kind, ()):
        value = getattr(row, name)
        if value is None:
            continue
        try:
            label = getattr(row._meta.get_field(name), "verbose_name", name)
            check_amount(Decimal(value), label, name)
        except PricingError as error:
            raise InventoryError(error.message, field=name) from error
    if full:
        _full_clean(row, exclude=["survey"])


def _full_clean(instance: models.Model, *, exclude: list[str]) -> None:
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as error:
        field_name, messages = next(iter(error.message_dict.items()))
        raise InventoryError(
            " ".join(messages), field=None if field_name == "__all__" else field_name
        ) from error


def _lock(survey: UnitSurvey, *, expected_version: int) -> UnitSurvey:
    locked = (
        UnitSurvey.objects.select_for_update(of=("self",))
        .select_related("campaign", "organization")
        .get(pk=survey.pk)
    )
    if locked.version != expected_version:
        raise InventoryError(
            _(
                "Someone changed this inventory after you opened it. Nothing was changed: "
                "reload the page to see the current version."
            )
        )
    return locked


def _lock_for_edit(survey: UnitSurvey, *, actor: User, expected_version: int) -> UnitSurvey:
    locked = _lock(survey, expected_version=expected_version)
    if not can_fill_survey(actor, locked):
        raise InventoryError(_("You may not change this inventory."))
    if not locked.is_editable:
        raise InventoryError(
            _("This inventory is %(state)s and can no longer be changed.")
            % {"state": locked.state_label}
        )
    return locked


def _has_rows(survey: UnitSurvey) -> bool:
    return any(
        model._default_manager.filter(survey=survey).exists() for model in ROW_MODELS.values()
    )


def _changed(survey: UnitSurvey, event: str, actor: User, data: dict[str, Any]) -> None:
    """The rows of the locked ``survey`` changed: a new version, and the history event."""
    _bump(survey)
    survey.save(update_fields=["version", "updated_at"])
    record_event(event, actor=actor, target=survey, target_key=survey.key, data=data)


def _bump(survey: UnitSurvey) -> None:
    survey.version += 1
    survey.updated_at = timezone.now()
