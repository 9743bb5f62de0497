"""Control figures before and at their issue (一下): what each primary unit asked for and
was granted in the submission round before (一上申报数 / 一上审核数), finance's what-if
drafts over them, and the issue that turns one draft into the binding figures.

``load_basis`` reads everything a page needs in a constant number of queries, whatever
the number of units and projects: the rounds, the round's projects (or the figures
recorded when the round ended, ``RoundResult``), their reviewed totals (only while the
round's figures are live), last year's approvals and the issued figures.
``propose`` is pure arithmetic on it, so a draft costs nothing more to show, and three
side by side cost the same as one.

The services (``create_draft``, ``change_draft``, ``issue_draft``) are finance's alone
(``permissions.can_manage_rounds``); each locks the cycle, checks, writes and records
its history event in one transaction, like every workflow action.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import F, Max, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization, UnitLevel, User
from accounts.permissions import approvers_for_unit
from audit.services import record_event
from budgeting import rounds
from budgeting.enforcement import wan
from budgeting.models import (
    BudgetCycle,
    BudgetRound,
    ControlFigure,
    CycleState,
    FigureDraft,
    LineDecision,
    RoundResult,
)
from budgeting.notifications import send_notification
from budgeting.permissions import can_manage_cycle, can_manage_rounds
from budgeting.workflow import WorkflowError
from projects.models import (
    APPROVED_STATES,
    COUNTED_STATES,
    EstimateLine,
    Project,
    ProjectKind,
)
from standards.pricing import PricingError, check_amount

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
HUNDRED = Decimal("100")
MIN_PERCENT, MAX_PERCENT = Decimal("-100"), Decimal("1000")


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


# --- What the units asked for and were granted ----------------------------------------


@dataclass
class ProjectFigures:
    """One project of a unit in the base round: requested and reviewed (审核数)."""

    code: str
    name: str
    kind: str
    requested: Decimal
    reviewed: Decimal

    @property
    def is_operation(self) -> bool:
        return self.kind == ProjectKind.OPERATION


@dataclass
class UnitBasis:
    """A primary unit's figures (its secondary units' projects included)."""

    unit: Organization
    requested: Decimal = ZERO  # 一上申报数
    reviewed: Decimal = ZERO  # 一上审核数: the base a draft changes
    reviewed_operation: Decimal = ZERO  # of it, 运维 projects
    last_year: Decimal = ZERO  # last year's approved total
    issued: ControlFigure | None = None
    projects: list[ProjectFigures] = field(default_factory=list)

    @property
    def reviewed_construction(self) -> Decimal:
        return self.reviewed - self.reviewed_operation


@dataclass
class Basis:
    cycle: BudgetCycle
    rounds: list[BudgetRound]
    base_round: BudgetRound | None  # the submission round the figures answer (一上)
    issue_round: BudgetRound | None  # the round that issues them (一下)
    recorded: bool  # the base round's figures as recorded when it ended, not live
    units: list[UnitBasis]

    @property
    def open_round(self) -> BudgetRound | None:
        return rounds.open_round(self.rounds)

    @property
    def may_issue(self) -> bool:
        """The open round issues control figures (``rounds.issues_figures``)."""
        current = self.open_round
        return current is not None and rounds.issues_figures(current, self.rounds)

    @property
    def last_issued_at(self) -> datetime | None:
        return max(
            (row.issued.issued_at for row in self.units if row.issued and row.issued.issued_at),
            default=None,
        )

    @property
    def requested_total(self) -> Decimal:
        return sum((row.requested for row in self.units), ZERO)

    @property
    def reviewed_total(self) -> Decimal:
        return sum((row.reviewed for row in self.units), ZERO)

    @property
    def last_year_total(self) -> Decimal:
        return sum((row.last_year for row in self.units), ZERO)

    @property
    def issued_total(self) -> Decimal:
        return sum((row.issued.amount for row in self.units if row.issued), ZERO)


def figure_rounds(
    year_rounds: Sequence[BudgetRound],
) -> tuple[BudgetRound | None, BudgetRound | None]:
    """The issue round whose figures are at stake, and the submission round before it:
    the open round if it issues figures, else the next one to, else the last that did."""
    issuing = [r for r in year_rounds if rounds.issues_figures(r, year_rounds)]
    current = rounds.open_round(year_rounds)
    issue: BudgetRound | None
    if current is not None and current in issuing:
        issue = current
    else:
        later = [r for r in issuing if current is None or r.order > current.order]
        issue = later[0] if later else (issuing[-1] if issuing else None)
    return issue, rounds.previous_submission(issue, year_rounds) if issue else None


def load_basis(cycle: BudgetCycle, units: Iterable[Organization]) -> Basis:
    """Each unit's 一上申报数, 一上审核数, last year's approved total, its issued figure
    and its projects, for ``units`` (primary units). Six queries at most, whatever the
    number of units or projects: the rounds, the base round's results (whether any were
    recorded; while they are live, its projects and their reviewed totals), last year's
    approvals and the figures.

    A unit's figures include its secondary units'. Counted are the requests of the base
    round in ``COUNTED_STATES``; once the round has ended (``RoundResult`` recorded) its
    recorded figures, else the live requests and the amounts as the reviews left them.
    """
    units = list(units)
    by_id = {unit.pk: UnitBasis(unit) for unit in units}
    year_rounds = list(cycle.rounds.order_by("order"))
    issue_round, base_round = figure_rounds(year_rounds)
    primary = Coalesce("project__organization__parent_id", "project__organization_id")
    recorded = False
    if base_round is not None:
        results = list(
            RoundResult.objects.filter(round=base_round, state__in=COUNTED_STATES)
            .annotate(primary=primary)
            .filter(primary__in=by_id)
            .values_list(
                "primary",
                "project__code",
                "project__name",
                "project__kind",
                "requested_amount",
                "reviewed_amount",
            )
            .order_by("project__code")
        )
        recorded = bool(results) or RoundResult.objects.filter(round=base_round).exists()
        if recorded:
            for unit_id, code, name, kind, requested, reviewed in results:
                _add(by_id[unit_id], ProjectFigures(code, name, kind, requested, reviewed))
        else:
            live_requests = Project.objects.filter(
                review__round=base_round, state__in=COUNTED_STATES
            )
            live = list(
                live_requests.annotate(
                    primary=Coalesce("organization__parent_id", "organization_id"),
                )
                .filter(primary__in=by_id)
                .values_list("pk", "primary", "code", "name", "kind", "requested_amount")
                .order_by("code")
            )
            reviewed_of = _reviewed_totals(live_requests)
            for pk, unit_id, code, name, kind, requested in live:
                _add(
                    by_id[unit_id],
                    ProjectFigures(code, name, kind, requested, reviewed_of.get(pk, ZERO)),
                )
    last_year = (
        Project.objects.filter(budget_year=cycle.year - 1, state__in=APPROVED_STATES)
        .annotate(primary=Coalesce("organization__parent_id", "organization_id"))
        .filter(primary__in=by_id)
        .values("primary")
        .annotate(total=Sum("approved_amount"))
        .order_by()
        .values_list("primary", "total")
    )
    for unit_id, total in last_year:
        by_id[unit_id].last_year = total or ZERO
    for figure in ControlFigure.objects.filter(cycle=cycle, organization_id__in=by_id):
        by_id[figure.organization_id].issued = figure
    return Basis(
        cycle=cycle,
        rounds=year_rounds,
        base_round=base_round,
        issue_round=issue_round,
        recorded=recorded,
        units=[by_id[unit.pk] for unit in units],
    )


def _reviewed_totals(projects: QuerySet[Project]) -> dict[int, Decimal]:
    """Each project's amount as the reviews left it, by id, in one query: the sum of its
    lines, each at the latest stage's decision if one was taken, else as requested (the
    rule of ``amounts.LineFigures.current``, summed in the database: at 2,000 projects
    loading every line and decision took a third of the what-if page)."""
    latest = (
        LineDecision.objects.filter(line=OuterRef("pk"))
        .order_by("-stage__order")
        .values("approved_amount")[:1]
    )
    return dict(
        EstimateLine.objects.filter(project__in=projects)
        .values("project_id")
        .annotate(reviewed=Sum(Coalesce(Subquery(latest), F("amount"))))
        .order_by()
        .values_list("project_id", "reviewed")
    )


def _add(row: UnitBasis, project: ProjectFigures) -> None:
    # A request still being revised when the round ended has no reviewed figure: its
    # request stands for it.
    if project.reviewed is None:
        project.reviewed = project.requested
    row.projects.append(project)
    row.requested += project.requested
    row.reviewed += project.reviewed
    if project.is_operation:
        row.reviewed_operation += project.reviewed


# --- A draft's proposal ---------------------------------------------------------------


@dataclass
class Share:
    """A project's part of its unit's change, in proportion to its reviewed amount."""

    project: ProjectFigures
    change: Decimal


@dataclass
class Proposal:
    basis: UnitBasis
    amount: Decimal
    construction: Decimal | None  # the split, where the draft computes one
    operation: Decimal | None
    fixed: bool

    @property
    def change(self) -> Decimal:
        """Against the base (一上审核数)."""
        return self.amount - self.basis.reviewed

    @property
    def change_vs_requested(self) -> Decimal:
        return self.amount - self.basis.requested

    @property
    def change_rate(self) -> Decimal | None:
        if not self.basis.reviewed:
            return None
        return _cents(self.change / self.basis.reviewed * HUNDRED)

    @property
    def shares(self) -> list[Share]:
        """The unit's projects, each with its part of the change (a cut is negative):
        only the construction (建设) projects carry it when operation is kept whole and
        the figure is not fixed. The parts add up to the change exactly (the last takes
        the rounding)."""
        projects = self.basis.projects
        carrying = [
            index
            for index, p in enumerate(projects)
            if self.fixed or self.operation is None or not p.is_operation
        ]
        weight = sum((projects[index].reviewed for index in carrying), ZERO)
        parts = dict.fromkeys(range(len(projects)), ZERO)
        if weight:
            left = self.change
            for index in carrying[:-1]:
                parts[index] = _cents(self.change * projects[index].reviewed / weight)
                left -= parts[index]
            parts[carrying[-1]] = left
        result = [Share(project, parts[index]) for index, project in enumerate(projects)]
        return result


def propose(basis: Basis, draft: FigureDraft) -> list[Proposal]:
    """Each unit's figure under ``draft``: the fixed figure where it fixes one; else the
    base (一上审核数) changed by the draft's percentage, half-up to the fen; with operation
    (运维) kept whole, only the construction part changes and the split is kept."""
    factor = 1 + Decimal(draft.change_percent) / HUNDRED
    fixed = fixed_figures(draft)
    proposals = []
    for row in basis.units:
        if row.unit.code in fixed:
            proposals.append(Proposal(row, fixed[row.unit.code], None, None, True))
        elif draft.keep_operation_whole:
            construction = _cents(row.reviewed_construction * factor)
            operation = row.reviewed_operation
            proposals.append(
                Proposal(row, construction + operation, construction, operation, False)
            )
        else:
            proposals.append(Proposal(row, _cents(row.reviewed * factor), None, None, False))
    return proposals


def fixed_figures(draft: FigureDraft) -> dict[str, Decimal]:
    return {code: Decimal(amount) for code, amount in (draft.fixed or {}).items()}


@dataclass
class Comparison:
    """Units × drafts: each unit's base and proposed figure per draft, with totals."""

    basis: Basis
    drafts: list[FigureDraft]
    rows: list[tuple[UnitBasis, list[Proposal]]]

    @property
    def totals(self) -> list[Decimal]:
        return [
            sum((proposals[i].amount for _row, proposals in self.rows), ZERO)
            for i in range(len(self.drafts))
        ]


def compare(basis: Basis, drafts: Sequence[FigureDraft]) -> Comparison:
    per_draft = [propose(basis, draft) for draft in drafts]
    rows = [(row, [column[i] for column in per_draft]) for i, row in enumerate(basis.units)]
    return Comparison(basis, list(drafts), rows)


# --- Checks ---------------------------------------------------------------------------


def check_percent(value: Decimal) -> None:
    if not MIN_PERCENT <= value <= MAX_PERCENT:
        raise WorkflowError(
            _("The change must lie between -100 and 1000 (per cent)."), field="change_percent"
        )


def check_fixed(
    fixed: Mapping[str, Decimal], units: Mapping[str, Organization]
) -> dict[str, Decimal]:
    """The fixed figures by unit code, to the fen; ``WorkflowError`` naming every unit
    that is unknown, not a primary department unit, or whose figure is out of bounds.
    ``units``: the primary units by code (``permissions.control_figure_units``)."""
    problems, clean = [], {}
    for code, amount in fixed.items():
        if code not in units:
            problems.append(_("%(code)s is no primary budget unit.") % {"code": code})
            continue
        try:
            check_figure(amount, units[code])
        except WorkflowError as error:
            problems.append(error.message)
            continue
        clean[code] = _cents(amount)
    if problems:
        raise WorkflowError(" ".join(problems), field="fixed")
    return clean


def check_figure(amount: Decimal, unit: Organization) -> None:
    """A figure for ``unit``: at least 0, at most the amount limit."""
    name = _("The figure of %(unit)s") % {"unit": unit.code}
    try:
        check_amount(amount, name)
    except PricingError as error:
        raise WorkflowError(error.message) from error
    if amount < 0:
        raise WorkflowError(
            _("%(name)s cannot be negative: %(amount)s.") % {"name": name, "amount": amount}
        )


def _check_finance(actor: User) -> None:
    if not can_manage_rounds(actor):
        raise WorkflowError(_("Only finance drafts and issues control figures."))


def _lock_cycle(cycle: BudgetCycle, actor: User) -> BudgetCycle:
    locked = BudgetCycle.objects.select_for_update().get(pk=cycle.pk)
    if not can_manage_cycle(actor, locked):  # another jurisdiction's year (issue #18)
        raise WorkflowError(_("Only finance drafts and issues control figures."))
    if locked.state == CycleState.ARCHIVED:
        raise WorkflowError(_("An archived cycle is history: it no longer changes."))
    return locked


def _check_name(cycle: BudgetCycle, name: str, draft: FigureDraft | None = None) -> str:
    name = name.strip()
    if not name:
        raise WorkflowError(_("Give the draft a name."), field="name")
    taken = FigureDraft.objects.filter(cycle=cycle, name=name)
    if draft is not None:
        taken = taken.exclude(pk=draft.pk)
    if taken.exists():
        raise WorkflowError(
            _("A draft named %(name)s exists already in this year.") % {"name": name},
            field="name",
        )
    return name


def primary_units_by_code(units: Iterable[Organization]) -> dict[str, Organization]:
    return {unit.code: unit for unit in units if unit.level == UnitLevel.PRIMARY}


# --- Services -------------------------------------------------------------------------


def create_draft(
    cycle: BudgetCycle,
    *,
    actor: User,
    name: str,
    change_percent: Decimal = ZERO,
    keep_operation_whole: bool = False,
) -> FigureDraft:
    """Start a what-if draft of the control figures of ``cycle`` (finance only). Nothing
    binds until it is issued. Raises ``WorkflowError`` (nothing written) for another
    user, an archived cycle, a name taken in the year or a change out of range."""
    _check_finance(actor)
    check_percent(change_percent)
    with transaction.atomic():
        locked = _lock_cycle(cycle, actor)
        name = _check_name(locked, name)
        draft = FigureDraft.objects.create(
            cycle=locked,
            name=name,
            change_percent=change_percent,
            keep_operation_whole=keep_operation_whole,
            created_by=actor,
        )
        record_event(
            "budgeting.figure_draft.created",
            actor=actor,
            target=draft,
            target_key=str(draft.public_id),
            data={
                "cycle": locked.year,
                "name": name,
                "change_percent": change_percent,
                "keep_operation_whole": keep_operation_whole,
            },
        )
    return draft


def change_draft(
    draft: FigureDraft,
    *,
    actor: User,
    expected_version: int,
    name: str,
    change_percent: Decimal,
    keep_operation_whole: bool,
    fixed: Mapping[str, Decimal],
    units: Iterable[Organization],
) -> FigureDraft:
    """Change a draft not issued yet: its name, percentage, whether operation stays
    whole, and the fixed figures (``fixed`` replaces them all; ``units`` are the primary
    units a figure may be fixed for). ``expected_version`` is the draft's version the
    user saw: of two finance users editing it at once, one wins and the other is told.

    Raises ``WorkflowError`` (nothing written) when refused: another user, a stale page,
    an issued draft, a name taken, a change out of range, a bad fixed figure.
    """
    _check_finance(actor)
    check_percent(change_percent)
    clean = check_fixed(fixed, primary_units_by_code(units))
    with transaction.atomic():
        locked_cycle = _lock_cycle(draft.cycle, actor)
        locked = FigureDraft.objects.select_for_update().get(pk=draft.pk)
        if locked.version != expected_version:
            raise WorkflowError(
                _(
                    "Someone changed this draft after you opened it; nothing was saved. "
                    "Reload the page, check their change and make yours again."
                )
            )
        if locked.issued_at is not None:
            raise WorkflowError(_("This draft was issued: it no longer changes."))
        name = _check_name(locked_cycle, name, locked)
        before = _draft_fields(locked)
        locked.name = name
        locked.change_percent = change_percent
        locked.keep_operation_whole = keep_operation_whole
        locked.fixed = {code: str(amount) for code, amount in sorted(clean.items())}
        after = _draft_fields(locked)
        changes = {key: [before[key], after[key]] for key in after if before[key] != after[key]}
        if changes:
            locked.version += 1
            locked.updated_at = timezone.now()
            locked.save()
            record_event(
                "budgeting.figure_draft.changed",
                actor=actor,
                target=locked,
                target_key=str(locked.public_id),
                data=changes,
            )
    return locked


def _draft_fields(draft: FigureDraft) -> dict[str, object]:
    return {
        "name": draft.name,
        "change_percent": str(Decimal(draft.change_percent).quantize(CENT)),
        "keep_operation_whole": draft.keep_operation_whole,
        "fixed": dict(draft.fixed or {}),
    }


def issue_token(basis_or_cycle: Basis | BudgetCycle) -> str:
    """What the issue form carries of the figures the user saw issued: the time of the
    latest issue of the year ("" if none), to tell a later issue by someone else."""
    if isinstance(basis_or_cycle, Basis):
        latest = basis_or_cycle.last_issued_at
    else:
        latest = ControlFigure.objects.filter(cycle=basis_or_cycle).aggregate(
            latest=Max("issued_at")
        )["latest"]
    return latest.isoformat() if latest else ""


def issue_draft(
    draft: FigureDraft,
    *,
    actor: User,
    expected_version: int,
    seen_issue: str,
    units: Iterable[Organization],
) -> list[ControlFigure]:
    """Issue ``draft``'s figures (下达) as every unit's control figure (``units``: the
    primary units), in the open round if it issues figures (``rounds.issues_figures``):
    one transaction under the cycle's lock, one history event with every unit's figure
    before and after, the draft marked issued, and mail to each unit's approvers queued
    with it. ``seen_issue`` is ``issue_token`` of the page the user issued from: of two
    finance users issuing at once, one wins and the other is told.

    Raises ``WorkflowError`` (nothing written) when refused: another user, a year not in
    such a round, a stale page, an issued draft, or a figure out of bounds.
    """
    _check_finance(actor)
    units = list(units)
    with transaction.atomic():
        locked_cycle = _lock_cycle(draft.cycle, actor)
        if locked_cycle.state != CycleState.OPEN:
            raise WorkflowError(_("Control figures are issued only while the budget year is open."))
        locked = FigureDraft.objects.select_for_update().get(pk=draft.pk)
        if locked.issued_at is not None:
            raise WorkflowError(
                _("This draft was issued already, at %(when)s; nothing was changed.")
                % {"when": timezone.localtime(locked.issued_at).strftime("%Y-%m-%d %H:%M")}
            )
        if issue_token(locked_cycle) != seen_issue:
            raise WorkflowError(
                _(
                    "Someone issued control figures for this year after you opened the page; "
                    "nothing was changed. Reload the page to see the figures now issued."
                )
            )
        if locked.version != expected_version:
            raise WorkflowError(
                _(
                    "Someone changed this draft after you opened it; nothing was issued. "
                    "Reload the page and check the figures again."
                )
            )
        basis = load_basis(locked_cycle, units)
        current = basis.open_round
        if current is None or not basis.may_issue:
            raise WorkflowError(
                _(
                    "Control figures are issued in a round that issues them (such as 一下); "
                    "%(cycle)s is in %(round)s. Nothing was issued."
                )
                % {
                    "cycle": locked_cycle.name,
                    "round": current.name if current else _("no open round"),
                }
            )
        proposals = propose(basis, locked)
        for proposal in proposals:
            check_figure(proposal.amount, proposal.basis.unit)
        now = timezone.now()
        figures = [
            ControlFigure(
                cycle=locked_cycle,
                organization=proposal.basis.unit,
                amount=proposal.amount,
                construction_amount=proposal.construction,
                operation_amount=proposal.operation,
                issued_round=current,
                issued_at=now,
                issued_by=actor,
            )
            for proposal in proposals
        ]
        ControlFigure.objects.bulk_create(
            figures,
            update_conflicts=True,
            unique_fields=["cycle", "organization"],
            update_fields=[
                "amount",
                "construction_amount",
                "operation_amount",
                "issued_round",
                "issued_at",
                "issued_by",
            ],
        )
        locked.issued_at = now
        locked.version += 1
        locked.updated_at = now
        locked.save(update_fields=["issued_at", "version", "updated_at"])
        record_event(
            "budgeting.control_figures.issued",
            actor=actor,
            target=locked_cycle,
            target_key=str(locked_cycle.year),
            to_state=current.code,
            data={
                "round": current.code,
                "draft": locked.name,
                "draft_id": str(locked.public_id),
                "change_percent": locked.change_percent,
                "keep_operation_whole": locked.keep_operation_whole,
                "figures": {
                    p.basis.unit.code: {
                        "before": p.basis.issued.amount if p.basis.issued else None,
                        "amount": p.amount,
                        "construction": p.construction,
                        "operation": p.operation,
                        "fixed": p.fixed,
                    }
                    for p in proposals
                },
                "total": sum((p.amount for p in proposals), ZERO),
            },
        )
        for proposal in proposals:
            _queue_mail(locked_cycle, current, proposal)
    return figures


def _queue_mail(cycle: BudgetCycle, round_: BudgetRound, proposal: Proposal) -> None:
    """Tell the unit's approvers its figure, through the mail queue (in the issue's
    transaction: the mail exists exactly when the figures do)."""
    unit = proposal.basis.unit
    addresses = sorted(
        set(approvers_for_unit(unit).exclude(email="").values_list("email", flat=True))
    )
    if not addresses:
        return
    subject = _("[IT project budgeting] %(cycle)s %(round)s: control figure of %(unit)s") % {
        "cycle": cycle.name,
        "round": round_.name,
        "unit": unit.name,
    }
    lines = [
        _("Finance has issued the control figure of %(unit)s for %(cycle)s.")
        % {"unit": unit.name, "cycle": cycle.name},
        _("Control figure: %(amount)s yuan (%(wan)s 10,000 yuan).")
        % {"amount": f"{proposal.amount:,.2f}", "wan": wan(proposal.amount)},
    ]
    if proposal.construction is not None and proposal.operation is not None:
        lines.append(
            _("Of which construction %(construction)s yuan, operation %(operation)s yuan.")
            % {
                "construction": f"{proposal.construction:,.2f}",
                "operation": f"{proposal.operation:,.2f}",
            }
        )
    lines.append(_("The requests of your unit in the next round may not exceed it in total."))
    lines.append(reverse("home"))
    send_notification.enqueue(subject, "\n".join(lines), addresses)
