"""Single-source procurement approval in batches (单一来源采购方式批复, issue #17).

Finance gathers approved budget projects of one year whose procurement method is
单一来源 into a named batch ("2027年第一批 单一来源采购方式"), then approves it. Each
action runs in one transaction: lock the batch row (then the projects, in id order,
like every workflow action), check, write, and record a history event on the batch and
on each project it touches. A project has at most one approval that is not withdrawn
(a partial unique index); a change of its method or supplier withdraws it
(``withdraw_for_change``, the receiver of ``projects.signals.procurement_changed``).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import AnyUser, jurisdiction_id_of
from audit.services import record_event
from budgeting.models import ProcurementApproval, ProcurementBatch, ProcurementBatchState
from budgeting.permissions import can_handle_procurement
from budgeting.workflow import WorkflowError
from projects.models import ProcurementMethod, Project, ProjectState
from projects.permissions import projects_visible_to
from standards.pricing import PricingError, check_amount

NAME_MAX = ProcurementBatch._meta.get_field("name").max_length or 100
DOCUMENT_NUMBER_MAX = ProcurementBatch._meta.get_field("document_number").max_length or 100
ZERO = Decimal("0.00")
LIVE = Q(withdrawn_at__isnull=True)
# The same, from a batch to its approvals.
LIVE_ITEM = Q(items__withdrawn_at__isnull=True)


# --- What may go into a batch ---------------------------------------------------------------


def live_approvals() -> QuerySet[ProcurementApproval]:
    """The approvals not withdrawn: at most one per project."""
    return ProcurementApproval.objects.filter(LIVE)


def candidates(user: AnyUser, year: int) -> QuerySet[Project]:
    """The approved budget projects of ``year`` with method 单一来源 that are in no batch
    (or whose approval was withdrawn), among those the user sees. One query with a
    ``NOT EXISTS``, whatever the number of rows."""
    return (
        projects_visible_to(user)
        .filter(
            budget_year=year,
            state=ProjectState.APPROVED,
            procurement_method=ProcurementMethod.SINGLE_SOURCE,
        )
        .filter(~Exists(live_approvals().filter(project=OuterRef("pk"))))
    )


def _refusal_for(project: Project, year: int) -> str | None:
    """Why ``project`` (locked) cannot join a batch of ``year``, or None."""
    if project.budget_year != year:
        return _("%(code)s is of budget year %(year)s.") % {
            "code": project.code,
            "year": project.budget_year,
        }
    if project.state == ProjectState.CLOSED:
        return _("%(code)s is closed (结项): its procurement is over.") % {"code": project.code}
    if project.state != ProjectState.APPROVED:
        return _("%(code)s is not approved (批复) yet.") % {"code": project.code}
    if project.procurement_method != ProcurementMethod.SINGLE_SOURCE:
        return _("%(code)s is not procured by single source.") % {"code": project.code}
    if not project.proposed_supplier.strip():
        return _("%(code)s names no proposed supplier.") % {"code": project.code}
    return None


# --- The services ---------------------------------------------------------------------------


def _finance(actor: User) -> None:
    if not can_handle_procurement(actor):
        raise WorkflowError(_("Only finance approves single-source procurement."))


def _clean_text(value: str, maximum: int, what: str, field: str) -> str:
    value = value.strip()
    if len(value) > maximum or "\x00" in value:
        raise WorkflowError(
            _("%(what)s is at most %(max)s characters, without NUL.")
            % {"what": what, "max": maximum},
            field=field,
        )
    return value


def _lock_batch(batch: ProcurementBatch, expected_version: int) -> ProcurementBatch:
    locked = ProcurementBatch.objects.select_for_update().get(pk=batch.pk)
    if locked.state == ProcurementBatchState.APPROVED:
        raise WorkflowError(
            _("%(name)s was approved on %(when)s; nothing was changed.")
            % {
                "name": locked.name,
                "when": timezone.localtime(locked.approved_at).strftime("%Y-%m-%d %H:%M"),
            }
        )
    if locked.version != expected_version:
        raise WorkflowError(
            _(
                "Someone changed this batch after you opened it; nothing was changed. "
                "Reload the page to see it as it is."
            )
        )
    return locked


def _lock_projects(projects: Iterable[Project]) -> list[Project]:
    """The projects' rows, locked in id order (as every workflow action locks)."""
    return list(
        Project.objects.select_for_update(of=("self",))
        .filter(pk__in={project.pk for project in projects})
        .order_by("pk")
    )


def _add(batch: ProcurementBatch, projects: list[Project], actor: User) -> None:
    """Add the locked ``projects`` to ``batch`` (locked), every refusal at once."""
    if not projects:
        raise WorkflowError(_("Choose at least one project for the batch."), field="project")
    problems = [reason for p in projects if (reason := _refusal_for(p, batch.year))]
    taken = dict(
        live_approvals().filter(project__in=projects).values_list("project__code", "batch__name")
    )
    problems += [
        _("%(code)s is in %(batch)s already.") % {"code": code, "batch": name}
        for code, name in sorted(taken.items())
    ]
    if problems:
        raise WorkflowError(" ".join(problems), field="project")
    try:
        # A project another finance user put into a batch at the same moment: the
        # partial unique index decides; the savepoint keeps the transaction usable.
        with transaction.atomic():
            ProcurementApproval.objects.bulk_create(
                ProcurementApproval(
                    batch=batch,
                    project=project,
                    supplier=project.proposed_supplier.strip(),
                    amount=project.approved_amount or ZERO,
                    added_by=actor,
                )
                for project in projects
            )
    except IntegrityError as error:
        raise WorkflowError(
            _("Another batch took one of these projects just now: reload the page.")
        ) from error
    _total_within_limit(batch)
    for project in projects:
        _project_event("budgeting.procurement.added", project, batch, actor)


def _total_within_limit(batch: ProcurementBatch) -> Decimal:
    total = live_approvals().filter(batch=batch).aggregate(total=Sum("amount"))["total"] or ZERO
    try:
        return check_amount(total, _("The batch total"))
    except PricingError as error:
        raise WorkflowError(error.message) from error


def _project_event(
    event_type: str, project: Project, batch: ProcurementBatch, actor: User, **data: Any
) -> None:
    record_event(
        event_type,
        actor=actor,
        target=project,
        target_key=project.code,
        data={
            "batch": batch.name,
            "batch_id": str(batch.public_id),
            "document_number": batch.document_number,
            "supplier": project.proposed_supplier,
            "amount": project.approved_amount,
            **data,
        },
    )


def create_batch(
    *,
    actor: User,
    year: int,
    name: str,
    projects: list[Project],
    document_number: str = "",
) -> ProcurementBatch:
    """Finance names a batch of ``year`` and puts the chosen projects into it (approved,
    单一来源, with a supplier, in no other batch). All or nothing, every reason listed;
    a name used in the year already is refused (the unique constraint decides a race)."""
    _finance(actor)
    name = _clean_text(name, NAME_MAX, _("The batch name"), "name")
    if not name:
        raise WorkflowError(
            _("Name the batch, e.g. “2027年第一批 单一来源采购方式”."), field="name"
        )
    document_number = _clean_text(
        document_number, DOCUMENT_NUMBER_MAX, _("The approval document number"), "document_number"
    )
    exists = WorkflowError(
        _("A batch named “%(name)s” exists already.") % {"name": name}, field="name"
    )
    # The actor's jurisdiction's batch (issue #18): its finance's, for its projects.
    jurisdiction = jurisdiction_id_of(actor)
    if jurisdiction is None:
        raise WorkflowError(_("Only finance approves single-source procurement."))
    with transaction.atomic():
        if ProcurementBatch.objects.filter(
            jurisdiction_id=jurisdiction, year=year, name=name
        ).exists():
            raise exists
        try:
            with transaction.atomic():
                batch = ProcurementBatch.objects.create(
                    jurisdiction_id=jurisdiction,
                    year=year,
                    name=name,
                    document_number=document_number,
                    created_by=actor,
                )
        except IntegrityError:
            raise exists from None
        _add(batch, _lock_projects(projects), actor)
        record_event(
            "budgeting.procurement_batch.created",
            actor=actor,
            target=batch,
            target_key=str(batch.public_id),
            to_state=batch.state,
            data={"name": name, "year": year, "projects": sorted(p.code for p in projects)},
        )
    return batch


def add_projects(
    batch: ProcurementBatch, *, actor: User, projects: list[Project], expected_version: int
) -> ProcurementBatch:
    """Add projects to a batch being prepared (as ``create_batch`` checks them)."""
    _finance(actor)
    with transaction.atomic():
        locked = _lock_batch(batch, expected_version)
        _add(locked, _lock_projects(projects), actor)
        locked.version += 1
        locked.save(update_fields=["version"])
    return locked


def remove_projects(
    batch: ProcurementBatch, *, actor: User, projects: list[Project], expected_version: int
) -> ProcurementBatch:
    """Take projects out of a batch being prepared (nothing was approved for them)."""
    _finance(actor)
    with transaction.atomic():
        locked = _lock_batch(batch, expected_version)
        locked_projects = _lock_projects(projects)
        items = live_approvals().filter(batch=locked, project__in=locked_projects)
        if not items.exists():
            raise WorkflowError(_("Choose the projects to take out of the batch."))
        removed = {item.project_id for item in items}
        items.delete()
        for project in locked_projects:
            if project.pk in removed:
                _project_event("budgeting.procurement.removed", project, locked, actor)
        locked.version += 1
        locked.save(update_fields=["version"])
    return locked


def approve_batch(
    batch: ProcurementBatch, *, actor: User, expected_version: int
) -> ProcurementBatch:
    """Finance approves the batch's single-source procurement: every project in it is
    approved (已批准) from now on, until its method or supplier changes.

    Refused when the batch was approved already or changed since the page was loaded
    (of two finance users approving at once one wins, the other is told), when it is
    empty, or when a project no longer qualifies (every reason listed)."""
    _finance(actor)
    with transaction.atomic():
        locked = _lock_batch(batch, expected_version)
        projects = _lock_projects(
            Project(pk=pk)
            for pk in live_approvals().filter(batch=locked).values_list("project_id", flat=True)
        )
        # Read again under the projects' locks: a change of method that withdrew one of
        # them meanwhile (it holds the project's lock) is seen, and none can start now.
        supplier_of = dict(
            live_approvals().filter(batch=locked).values_list("project_id", "supplier")
        )
        projects = [project for project in projects if project.pk in supplier_of]
        if not projects:
            raise WorkflowError(_("The batch holds no project to approve."))
        problems = [reason for p in projects if (reason := _refusal_for(p, locked.year))]
        problems += [
            _("%(code)s changed its supplier since it was added.") % {"code": p.code}
            for p in projects
            if p.proposed_supplier.strip() != supplier_of[p.pk]
        ]
        if problems:
            raise WorkflowError(" ".join(problems))
        total = _total_within_limit(locked)
        locked.state = ProcurementBatchState.APPROVED
        locked.approved_by = actor
        locked.approved_at = timezone.now()
        locked.version += 1
        locked.save(update_fields=["state", "approved_by", "approved_at", "version"])
        for project in projects:
            _project_event("budgeting.procurement.approved", project, locked, actor)
        record_event(
            "budgeting.procurement_batch.approved",
            actor=actor,
            target=locked,
            target_key=str(locked.public_id),
            from_state=ProcurementBatchState.DRAFT,
            to_state=locked.state,
            data={
                "name": locked.name,
                "document_number": locked.document_number,
                "projects": [p.code for p in projects],
                "total": total,
            },
        )
    return locked


def withdraw_for_change(
    project: Project, *, actor: User, changes: dict[str, Any]
) -> list[dict[str, Any]]:
    """In the caller's transaction (the project row locked): withdraw the project's
    procurement approval, approved or still in a batch being prepared, because its
    method or supplier changed; record the event; return what was withdrawn."""
    withdrawn = []
    # Only the approval's row is locked (the caller holds the project's): locking the
    # batch too would deadlock with its approval, which locks the batch, then projects.
    for item in (
        live_approvals()
        .select_for_update(of=("self",))
        .select_related("batch")
        .filter(project=project)
    ):
        item.withdrawn_at = timezone.now()
        item.withdrawn_by = actor
        item.save(update_fields=["withdrawn_at", "withdrawn_by"])
        batch = item.batch
        record = {"batch": batch.name, "state": batch.state, "supplier": item.supplier}
        _project_event(
            "budgeting.procurement.withdrawn",
            project,
            batch,
            actor,
            changes=changes,
            was=batch.state,
        )
        withdrawn.append(record)
    return withdrawn


# --- Where a project's approval stands --------------------------------------------------------


@dataclass(frozen=True)
class ProcurementStatus:
    """A project's procurement approval: the latest approval row, if any."""

    item: ProcurementApproval | None

    @property
    def code(self) -> str:
        item = self.item
        if item is None:
            return "none"
        if item.withdrawn_at is not None:
            return "withdrawn"
        return "approved" if item.batch.state == ProcurementBatchState.APPROVED else "pending"


def standing_of(project: Project) -> ProcurementStatus:
    """The project's latest approval (the live one, else the last withdrawn): one query."""
    item = (
        ProcurementApproval.objects.filter(project=project)
        .select_related("batch")
        # The live one first, then the latest withdrawn.
        .order_by(F("withdrawn_at").desc(nulls_first=True), "-added_at")
        .first()
    )
    return ProcurementStatus(item)
