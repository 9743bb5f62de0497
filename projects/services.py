"""Every change to a project, its plan, targets and attachments, with its history.

Each function locks the project row, checks who may act and in what state,
writes, and records an ``audit.Event`` in one transaction. Refusals raise
``ProjectError`` with a message for the user; nothing is written then.
"""

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Organization, User
from accounts.permissions import can_submit_for_unit
from audit.services import record_event
from projects import estimates, procurement, repricing
from projects.errors import ProjectError
from projects.models import (
    INDICATORS_BY_TIER,
    Attachment,
    Continuity,
    EstimateLine,
    LineBasis,
    PerformanceTarget,
    Project,
    ProjectCodeCounter,
    ProjectState,
    YearPlan,
)
from projects.signals import lines_changing
from projects.uploads import check_document
from standards.models import Grade, ProjectKind, ServiceItem
from standards.pricing import PricingError, check_amount

# Fields a submitter edits on the registration form.
PROJECT_FIELDS = [
    "name",
    "organization",
    "budget_year",
    "kind",
    "continuity",
    "predecessor",
    "managed_by_data_admin",
    "budget_category",
    "procurement_method",
    "single_source_reason",
    "single_source_justification",
    "proposed_supplier",
    "start_year",
    "end_year",
    "background",
    "content",
    "expected_results",
    "contact_name",
    "contact_phone",
    "functional_code",
    "economic_government_code",
    "economic_department_code",
    "fund_type_code",
    "fund_source_code",
    "plan_deviation_reason",
]
# The registration form of a reserve project (项目库): no budget year, so no code lists of
# a year and no request to compare with a year's plan.
RESERVE_FIELDS = [
    name
    for name in PROJECT_FIELDS
    if name not in {"budget_year", "plan_deviation_reason"} and not name.endswith("_code")
]


def register_project(
    *, actor: User, fields: Mapping[str, Any], plan: Mapping[int, Decimal]
) -> Project:
    """Register a new draft project for one of the actor's units, with a new public code;
    without a budget year (``fields["budget_year"]`` None or absent), into the unit's
    reserve (储备, code ``R-EDU-0001``), its plan starting at its start year.

    Raises ProjectError when the actor may not submit for the unit, or the
    classification breaks a rule (a continuing project needs an earlier
    project of the same unit).
    """
    unit: Organization = fields["organization"]
    if not can_submit_for_unit(actor, unit):
        raise ProjectError(_("You may not register projects for %(unit)s.") % {"unit": unit})
    _check_classification(fields, project=None)
    fields = {**fields, **procurement.cleaned_procurement(fields)}
    with transaction.atomic():
        project = Project(**fields, created_by=actor)
        if project.budget_year is None:
            project.state = ProjectState.RESERVE
        project.code = next_code(unit, project.budget_year)
        project.save()
        _save_plan(project, plan)
        record_event(
            "projects.project.registered",
            actor=actor,
            target=project,
            target_key=project.code,
            to_state=project.state,
            data={"fields": _snapshot(project), "plan": {str(y): a for y, a in plan.items()}},
        )
    return project


def update_project(
    project: Project,
    *,
    actor: User,
    fields: Mapping[str, Any],
    plan: Mapping[int, Decimal],
    expected_version: int,
) -> Project:
    """Save the registration form of a draft or returned project.

    Refused (ProjectError) when someone saved it since the form was loaded
    (``expected_version``), when it is not editable, or on a broken rule.
    """
    with transaction.atomic():
        locked = _lock_for_edit(project, actor=actor, expected_version=expected_version)
        if fields["organization"] != locked.organization and not can_submit_for_unit(
            actor, fields["organization"]
        ):
            raise ProjectError(
                _("You may not register projects for %(unit)s.") % {"unit": fields["organization"]}
            )
        _check_classification(fields, project=locked)
        fields = {**fields, **procurement.cleaned_procurement(fields)}
        before = _snapshot(locked)
        plan_before = {plan.year: plan.amount for plan in locked.year_plans.all()}
        for name, value in fields.items():
            setattr(locked, name, value)
        _bump(locked)
        locked.save()
        _save_plan(locked, plan)
        after = _snapshot(locked)
        changes = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
        withdrawn = procurement.announce_change(locked, actor=actor, changes=changes)
        if plan_before != dict(plan):
            changes["plan"] = [
                {str(y): a for y, a in plan_before.items()},
                {str(y): a for y, a in plan.items()},
            ]
        record_event(
            "projects.project.changed",
            actor=actor,
            target=locked,
            target_key=locked.code,
            data={"changes": changes, "version": locked.version, **withdrawn},
        )
    return locked


def add_target(project: Project, *, actor: User, expected_version: int, **values: Any) -> Project:
    """Add a performance target to an editable project."""
    tier, indicator = values["tier"], values["indicator"]
    if indicator not in INDICATORS_BY_TIER.get(tier, []):
        raise ProjectError(_("This indicator does not belong to the chosen tier."))
    with transaction.atomic():
        locked = _lock_for_edit(project, actor=actor, expected_version=expected_version)
        target = PerformanceTarget.objects.create(project=locked, **values)
        _bump(locked)
        locked.save(update_fields=["version", "updated_at"])
        record_event(
            "projects.target.added",
            actor=actor,
            target=locked,
            target_key=locked.code,
            data={"target": {**values, "id": target.pk}},
        )
    return locked


def remove_target(
    project: Project, *, actor: User, target_id: int, expected_version: int
) -> Project:
    """Remove a performance target from an editable project."""
    with transaction.atomic():
        locked = _lock_for_edit(project, actor=actor, expected_version=expected_version)
        target = locked.targets.filter(pk=target_id).first()
        if target is None:
            raise ProjectError(_("That performance target no longer exists."))
        removed = {
            "tier": target.tier,
            "indicator": target.indicator,
            "name": target.name,
            "target_value": target.target_value,
            "unit": target.unit,
        }
        target.delete()
        _bump(locked)
        locked.save(update_fields=["version", "updated_at"])
        record_event(
            "projects.target.removed",
            actor=actor,
            target=locked,
            target_key=locked.code,
            data={"target": removed},
        )
    return locked


def attach_document(
    project: Project, *, actor: User, kind: str, upload: UploadedFile
) -> Attachment:
    """Store a checked document with the project (PDF, DOCX or XLSX, at most 20 MB).

    Raises ValidationError for a file that is not what it claims, ProjectError
    when the project is not editable by the actor.
    """
    content_type = check_document(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    with transaction.atomic():
        locked = _lock_for_edit(project, actor=actor, expected_version=None)
        attachment = Attachment(
            project=locked,
            kind=kind,
            original_name=upload.name or "document",
            size=upload.size or 0,
            content_type=content_type,
            sha256=digest.hexdigest(),
            uploaded_by=actor,
        )
        # The stored name is random: the original name is user input.
        attachment.file.save(f"{locked.code}-{digest.hexdigest()[:16]}", upload, save=False)
        attachment.save()
        record_event(
            "projects.attachment.added",
            actor=actor,
            target=locked,
            target_key=locked.code,
            data={"kind": kind, "name": attachment.original_name, "sha256": attachment.sha256},
        )
    return attachment


def remove_attachment(project: Project, *, actor: User, attachment_id: int) -> None:
    """Hide a document from an editable project; the file itself is kept as evidence."""
    with transaction.atomic():
        locked = _lock_for_edit(project, actor=actor, expected_version=None)
        attachment = locked.attachments.filter(pk=attachment_id, is_removed=False).first()
        if attachment is None:
            raise ProjectError(_("That document no longer exists."))
        attachment.is_removed = True
        attachment.save(update_fields=["is_removed"])
        record_event(
            "projects.attachment.removed",
            actor=actor,
            target=locked,
            target_key=locked.code,
            data={"kind": attachment.kind, "name": attachment.original_name},
        )


def _lock_for_edit(project: Project, *, actor: User, expected_version: int | None) -> Project:
    locked = (
        Project.objects.select_for_update(of=("self",))
        .select_related("organization__jurisdiction__parent__parent")
        .get(pk=project.pk)
    )
    if not can_submit_for_unit(actor, locked.organization):
        raise ProjectError(_("You may not change this project."))
    if not locked.is_editable_state:
        raise ProjectError(
            _("This project is %(state)s and can no longer be changed.")
            % {"state": locked.get_state_display()}
        )
    if expected_version is not None and locked.version != expected_version:
        raise ProjectError(
            _(
                "Someone saved this project after you opened it. Your changes were not "
                "saved: reload the page to see the current version, then make them again."
            )
        )
    return locked


def _bump(project: Project) -> None:
    project.version += 1
    project.updated_at = timezone.now()


def _check_classification(fields: Mapping[str, Any], *, project: Project | None) -> None:
    if fields["end_year"] < fields["start_year"]:
        raise ProjectError(_("The end year cannot be before the start year."))
    predecessor: Project | None = fields.get("predecessor")
    if fields["continuity"] == Continuity.NEW:
        if predecessor is not None:
            raise ProjectError(_("A new project has no earlier project."))
        return
    if predecessor is None:
        raise ProjectError(_("A continuing project must name its earlier project."))
    if predecessor.organization_id != fields["organization"].pk:
        raise ProjectError(_("The earlier project must belong to the same budget unit."))
    check_predecessor_year(predecessor, fields.get("budget_year"))
    if project is not None and predecessor.pk == project.pk:
        raise ProjectError(_("A project cannot continue itself."))


def check_predecessor_year(predecessor: Project, year: int | None) -> None:
    """An earlier project is of an earlier budget year than ``year``; a reserve project
    (no year yet) may continue any project of a year, but not another reserve project."""
    if predecessor.budget_year is None:
        raise ProjectError(_("The earlier project must be from an earlier budget year."))
    if year is not None and predecessor.budget_year >= year:
        raise ProjectError(_("The earlier project must be from an earlier budget year."))


# The code counter's "year" of the reserve: R-EDU-0001. A reserve project keeps its code
# when it is declared for a year, so its address and history stay.
RESERVE_COUNTER_YEAR = 0


def next_code(unit: Organization, year: int | None) -> str:
    """The next public code of ``unit``'s projects of ``year`` (None: the reserve), in
    the caller's transaction."""
    # The counter row is locked, so two clerks registering at once get
    # consecutive numbers rather than a unique-constraint error.
    counter, _created = ProjectCodeCounter.objects.select_for_update().get_or_create(
        organization=unit, budget_year=RESERVE_COUNTER_YEAR if year is None else year
    )
    counter.last_sequence += 1
    counter.save(update_fields=["last_sequence"])
    prefix = "R" if year is None else year
    return f"{prefix}-{unit.code}-{counter.last_sequence:04d}"


def _save_plan(project: Project, plan: Mapping[int, Decimal]) -> None:
    for year, amount in plan.items():
        try:
            check_amount(amount, _("The plan for %(year)s") % {"year": year})
        except PricingError as error:
            offset = year - plan_start(project)
            raise ProjectError(error.message, field=f"plan_{offset}") from error
    project.year_plans.exclude(year__in=list(plan)).delete()
    for year, amount in plan.items():
        YearPlan.objects.update_or_create(project=project, year=year, defaults={"amount": amount})


def plan_start(project: Project) -> int:
    """The first year of the project's three-year plan: its budget year, or, in the
    reserve, its planned start year."""
    return project.start_year if project.budget_year is None else project.budget_year


def _snapshot(project: Project) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in PROJECT_FIELDS:
        value = getattr(project, name)
        values[name] = value.pk if hasattr(value, "pk") else value
    return values


@dataclass(frozen=True)
class LineSpec:
    """One line to price: a standard item with its grade and inputs, or (no item) a
    non-standard line with its own name, figures and justification."""

    item: ServiceItem | None = None
    grade: Grade | None = None
    values: Mapping[str, Any] = field(default_factory=dict)
    justification: str = ""
    fee_class: str = ""
    name: str = ""
    unit: str = ""
    quantity: Decimal = Decimal(0)
    unit_price: Decimal = Decimal(0)


def add_standard_line(
    project: Project,
    *,
    actor: User,
    expected_version: int,
    item: ServiceItem,
    grade: Grade | None,
    values: Mapping[str, Any],
    justification: str = "",
) -> EstimateLine:
    """Price a line by a standard item and add it; the requested amount follows.

    A price above the standard or an input outside the standard's range is priced
    as given but flagged, and refused (ProjectError) without a written justification;
    inputs that cannot price at all are refused with the engine's message.
    """
    line = price_standard_line(item, grade, values, justification)
    return _add_line(project, line, actor=actor, expected_version=expected_version)


def price_standard_line(
    item: ServiceItem, grade: Grade | None, values: Mapping[str, Any], justification: str = ""
) -> EstimateLine:
    """An unsaved line priced by a standard item, with everything it depends on frozen.

    Raises ProjectError as ``add_standard_line`` does; writes nothing.
    """
    try:
        priced = estimates.quote_item(item, grade, dict(values))
    except PricingError as error:
        raise ProjectError(error.message, field=error.field) from error
    _check_justified(priced, justification)
    return estimates.price_line(EstimateLine(), item, priced, justification)


def _check_justified(priced: estimates.Quote, justification: str) -> None:
    if justification.strip():
        return
    if priced.above_standard:
        raise ProjectError(_("A price above the standard needs a written justification."))
    if priced.out_of_range:
        raise ProjectError(
            _("An input outside the standard's allowed range needs a written justification: %s")
            % " ".join(breach.message() for breach in priced.result.out_of_range)
        )


def add_non_standard_line(
    project: Project,
    *,
    actor: User,
    expected_version: int,
    fee_class: str,
    name: str,
    unit: str,
    quantity: Decimal,
    unit_price: Decimal,
    justification: str,
) -> EstimateLine:
    """Add a line no standard item covers: allowed only with a written justification,
    and flagged for every reviewer."""
    spec = LineSpec(
        fee_class=fee_class,
        name=name,
        unit=unit,
        quantity=quantity,
        unit_price=unit_price,
        justification=justification,
    )
    line = price_line(spec)
    return _add_line(project, line, actor=actor, expected_version=expected_version)


def _price_non_standard_line(spec: LineSpec) -> EstimateLine:
    """An unsaved non-standard line; ProjectError without a justification, with a
    negative figure, or one the engine refuses (``estimates.non_standard_quote``: a
    quantity of nothing, a fraction of a unit counted whole, beyond the amount limit).
    Writes nothing."""
    if not spec.justification.strip():
        raise ProjectError(_("A line without a standard item needs a written justification."))
    if spec.quantity < 0 or spec.unit_price < 0:
        raise ProjectError(_("Quantity and unit price cannot be negative."))
    try:
        priced = estimates.non_standard_quote(spec.quantity, spec.unit_price, spec.unit)
    except PricingError as error:
        raise ProjectError(error.message, field=error.field) from error
    line = EstimateLine(
        fee_class=spec.fee_class,
        name=spec.name,
        unit=spec.unit,
        inputs={"quantity": str(spec.quantity), "unit_price": str(spec.unit_price)},
        amount=priced.amount,
        explanation_zh=priced.explanation_zh,
        explanation_en=priced.explanation_en,
        is_non_standard=True,
        justification=spec.justification.strip(),
    )
    return line


def price_line(spec: LineSpec) -> EstimateLine:
    """The unsaved line for ``spec``, priced as the line forms price them (ProjectError)."""
    if spec.item is not None:
        return price_standard_line(spec.item, spec.grade, spec.values, spec.justification)
    return _price_non_standard_line(spec)


STANDARD_CHANGED = gettext_lazy(
    "The standard in force has changed since the file was uploaded, so its "
    "prices may differ from the preview. Nothing was changed: upload the "
    "file again to see them."
)


def replace_lines(
    project: Project,
    *,
    actor: User,
    expected_version: int,
    lines: Sequence[LineSpec],
    source: str = "",
    standard_code: str | None,
) -> Project:
    """Replace every estimate line of a draft or returned project (an Excel import), all or
    nothing; the requested amount follows. The old lines' approved amounts from an
    earlier review round go with them (listed in the history).

    Each line is priced as the line forms price it. Refused (ProjectError, nothing
    written) for any refused line, when the project changed since
    ``expected_version``, is no longer editable, the actor may not submit for its unit,
    or the standard in force is no longer ``standard_code`` (the one the clerk's preview
    was priced with; "" for none).
    """
    priced = [price_line(spec) for spec in lines]
    with transaction.atomic():
        locked = _lock_for_edit(project, actor=actor, expected_version=expected_version)
        standard = estimates.standard_for(locked)
        if standard_code != (standard.code if standard else ""):
            raise ProjectError(str(STANDARD_CHANGED))
        removed = [_line_record(line) for line in locked.lines.select_related("standard_set")]
        dropped = _drop_decisions(locked.lines.all())
        locked.lines.all().delete()
        for position, line in enumerate(priced, start=1):
            line.project = locked
            line.position = position
            estimates.attribute_to(line, standard)
        EstimateLine.objects.bulk_create(priced)
        before = _refresh_requested(locked)
        record_event(
            "projects.lines.imported",
            actor=actor,
            target=locked,
            target_key=locked.code,
            data={
                "source": source,
                "removed": removed,
                "added": [_line_record(line) for line in priced],
                "requested": [before, locked.requested_amount],
                "decisions_dropped": dropped,
            },
        )
    return locked


def add_generated_lines(
    project: Project,
    *,
    actor: User,
    expected_version: int,
    lines: Sequence[tuple[LineSpec, Sequence[LineBasis]]],
    source: str,
) -> list[EstimateLine]:
    """Add lines generated from the unit's inventory (``projects.inventory_lines``) to an
    operation project, each with the inventory rows it rests on; the requested amount
    follows. All or nothing, in a constant number of queries however many rows.

    For the unit's submitters while the project is a draft or returned. Refused
    (ProjectError, nothing written) for a project that is not an operation project,
    no lines, a line the engine refuses, or a page older than ``expected_version``.
    """
    if project.kind != ProjectKind.OPERATION:
        raise ProjectError(_("Only operation projects are priced from the inventory."))
    if not lines:
        raise ProjectError(_("The inventory gives no line for this project."))
    priced = [price_line(spec) for spec, _bases in lines]
    with transaction.atomic():
        locked = _lock_for_edit(project, actor=actor, expected_version=expected_version)
        start = locked.lines.count()
        standard = estimates.standard_for(locked)
        for position, line in enumerate(priced, start=start + 1):
            line.project = locked
            line.position = position
            estimates.attribute_to(line, standard)
        EstimateLine.objects.bulk_create(priced)
        bases = []
        for line, (_spec, line_bases) in zip(priced, lines, strict=True):
            for basis in line_bases:
                basis.line = line
                bases.append(basis)
        LineBasis.objects.bulk_create(bases, batch_size=5000)
        before = _refresh_requested(locked)
        record_event(
            "projects.lines.generated",
            actor=actor,
            target=locked,
            target_key=locked.code,
            data={
                "source": source,
                "added": [
                    {**_line_record(line), "basis_rows": len(line_bases)}
                    for line, (_spec, line_bases) in zip(priced, lines, strict=True)
                ],
                "requested": [before, locked.requested_amount],
            },
        )
    return priced


def remove_line(project: Project, *, actor: User, line_id: int, expected_version: int) -> Project:
    """Remove an estimate line from an editable project; the requested amount follows and
    the approved amounts reviewers gave the line go with it (listed in the history)."""
    with transaction.atomic():
        locked = _lock_for_edit(project, actor=actor, expected_version=expected_version)
        line = locked.lines.filter(pk=line_id).first()
        if line is None:
            raise ProjectError(_("That estimate line no longer exists."))
        removed = _line_record(line)
        dropped = _drop_decisions(locked.lines.filter(pk=line.pk))
        line.delete()
        before = _refresh_requested(locked)
        record_event(
            "projects.line.removed",
            actor=actor,
            target=locked,
            target_key=locked.code,
            data={
                "line": removed,
                "requested": [before, locked.requested_amount],
                "decisions_dropped": dropped,
            },
        )
    return locked


def change_line(
    project: Project, *, actor: User, expected_version: int, line_id: int, spec: LineSpec
) -> EstimateLine:
    """Replace an estimate line of a draft or returned project, in its place, by ``spec``
    priced as the line forms price it; the requested amount follows. If the line's amount
    changes, the approved amounts reviewers gave it in an earlier round go (listed in the
    history), as when a line is re-priced or removed.

    For the unit's submitters while the project is a draft or returned. Refused
    (ProjectError, nothing written) for a refused line (as ``add_standard_line``), when
    the line is gone, or when someone saved the project since ``expected_version``.
    """
    priced = price_line(spec)
    with transaction.atomic():
        locked = _lock_for_edit(project, actor=actor, expected_version=expected_version)
        line = locked.lines.select_related("standard_set").filter(pk=line_id).first()
        if line is None:
            raise ProjectError(_("That estimate line no longer exists."))
        before = _line_record(line)
        dropped = (
            _drop_decisions(locked.lines.filter(pk=line.pk)) if priced.amount != line.amount else []
        )
        estimates.attribute_to(priced, estimates.standard_for(locked))
        for name in estimates.PRICED_FIELDS:
            setattr(line, name, getattr(priced, name))
        line.save(update_fields=estimates.PRICED_FIELDS)
        requested_before = _refresh_requested(locked)
        record_event(
            "projects.line.changed",
            actor=actor,
            target=locked,
            target_key=locked.code,
            data={
                "before": before,
                "after": _line_record(line),
                "requested": [requested_before, locked.requested_amount],
                "decisions_dropped": dropped,
            },
        )
    return line


def reprice_lines(
    project: Project, *, actor: User, expected_version: int, standard_code: str
) -> Project:
    """Price again, with the standard in force for the project's year, every line priced
    by an earlier standard; the requested amount follows. All or nothing.

    Lines the current standard cannot price (item or grade gone, inputs refused, a new
    flag without a justification) stay as they are. A line whose amount changes loses the
    approved amounts reviewers gave it in an earlier round (listed in the history).
    For the unit's submitters while the project is a draft or returned. Refused
    (ProjectError) when someone saved the project since the differences were shown
    (``expected_version``), when the standard in force is no longer ``standard_code``,
    or when no line can be re-priced.
    """
    with transaction.atomic():
        locked = _lock_for_edit(project, actor=actor, expected_version=expected_version)
        # Priced again under the lock: what is written is what the rows say now.
        changes = repricing.plan(locked)
        if changes is None or changes.standard.code != standard_code:
            raise ProjectError(
                _(
                    "The standard in force has changed since the differences were shown: "
                    "look at them again."
                )
            )
        if not changes.repriced:
            raise ProjectError(_("No line can be re-priced with the current standard."))
        lines, changed = apply_repricing(changes)
        dropped = _drop_decisions(locked.lines.filter(pk__in=changed))
        requested_before = _refresh_requested(locked)
        record_event(
            "projects.lines.repriced",
            actor=actor,
            target=locked,
            target_key=locked.code,
            data={
                "standard": standard_code,
                "lines": lines,
                "kept": [row.line.item_code for row in changes.kept],
                "requested": [requested_before, locked.requested_amount],
                "decisions_dropped": dropped,
            },
        )
    return locked


def apply_repricing(changes: repricing.RepricePlan) -> tuple[list[dict[str, Any]], list[int]]:
    """Price and save again the lines ``changes`` can re-price, in the caller's
    transaction (the project row locked); each line before and after, for the history,
    and the ids of those whose amount changed. The requested amount is the caller's."""
    lines = []
    changed = []
    for row in changes.repriced:
        if row.item is None or row.quote is None:  # never: repriced rows have both
            continue
        before = _line_record(row.line)
        estimates.price_line(row.line, row.item, row.quote, row.line.justification)
        estimates.attribute_to(row.line, changes.standard)
        row.line.save(update_fields=estimates.PRICED_FIELDS)
        lines.append({"before": before, "after": _line_record(row.line)})
        if row.line.amount != before["amount"]:
            changed.append(row.line.pk)
    return lines, changed


def _add_line(
    project: Project, line: EstimateLine, *, actor: User, expected_version: int
) -> EstimateLine:
    with transaction.atomic():
        locked = _lock_for_edit(project, actor=actor, expected_version=expected_version)
        line.project = locked
        line.position = locked.lines.count() + 1
        estimates.attribute_to(line, estimates.standard_for(locked))
        line.save()
        before = _refresh_requested(locked)
        record_event(
            "projects.line.added",
            actor=actor,
            target=locked,
            target_key=locked.code,
            data={"line": _line_record(line), "requested": [before, locked.requested_amount]},
        )
    return line


# What the history keeps of a dropped decision: key → column, through the line.
def _drop_decisions(lines: QuerySet[EstimateLine]) -> list[dict[str, Any]]:
    """Tell the layers above that ``lines`` change or go (``signals.lines_changing``), so
    they drop what they derived from them (the reviewers' approved amounts); what they
    dropped, for the history event."""
    dropped: list[dict[str, Any]] = []
    for _receiver, records in lines_changing.send(sender=EstimateLine, lines=lines):
        dropped.extend(cast("list[dict[str, Any]]", records))
    return dropped


REQUESTED_TOTAL = gettext_lazy("the project's requested total")


def check_requested_total(total: Decimal) -> Decimal:
    """``total`` if it may be a project's requested amount (``pricing.check_amount``),
    else ProjectError "exceeds the amount limit"."""
    try:
        return check_amount(total, REQUESTED_TOTAL)
    except PricingError as error:
        raise ProjectError(error.message) from error


def _refresh_requested(project: Project) -> Decimal:
    """The requested amount (申报数) is the sum of the lines, each rounded once. Beyond
    the amount limit it is refused (ProjectError), so the caller's transaction undoes
    the change of lines that led there."""
    before = project.requested_amount
    project.requested_amount = check_requested_total(
        project.lines.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    )
    _bump(project)
    project.save(update_fields=["requested_amount", "version", "updated_at"])
    return before


def _line_record(line: EstimateLine) -> dict[str, Any]:
    return {
        "item": line.item_code,
        "name": line.name,
        "standard": line.standard_set.code if line.standard_set else "",
        "grade": line.grade_code,
        "inputs": line.inputs,
        "amount": line.amount,
        "non_standard": line.is_non_standard,
        "above_standard": line.is_above_standard,
        "out_of_range": line.is_out_of_range,
        "justification": line.justification,
    }
