"""Budget summaries: totals by one classification dimension, aggregated in PostgreSQL.

Each row links to the project list filtered to the same projects (drill-down),
so the list's filters and these groupings must mean the same thing: the unit
dimension groups by primary unit, as the list's unit filter includes a
primary unit's secondary units. The fee class lives on the estimate lines, so
that dimension sums lines (a project with lines of two fee classes counts in
both rows) and drills down to the projects having a line of the class. The finance
core system's codes (issue #20) group by the project's code of each list, labelled
"2010150 事业运行", with a row for the projects without one.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization, UnitLevel
from budgeting.models import LineDecision
from classification.models import ClassificationCode
from classification.rules import CODE_PARAMETERS, NO_CODE, PROJECT_CODE_FIELDS
from projects.estimates import FEE_CLASSES
from projects.models import (
    COUNTED_STATES,
    BudgetCategory,
    Continuity,
    EstimateLine,
    ProcurementMethod,
    Project,
    ProjectState,
)
from standards.models import ProjectKind

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=16, decimal_places=2)


def counted(projects: QuerySet[Project]) -> QuerySet[Project]:
    """The given projects that count toward the totals (see ``COUNTED_STATES``)."""
    return projects.filter(state__in=COUNTED_STATES)


@dataclass(frozen=True)
class Dimension:
    label: str | Promise
    group_by: Any  # an expression to group by
    filter_name: str  # the project list's filter for drill-down
    choices: dict[Any, str | Promise] | None  # value -> label; None: units, or the value
    of_lines: bool = False  # grouped over estimate lines rather than projects
    order: list[Any] | None = None  # the rows' order; None: the choices', else by value
    codes: bool = False  # grouped by a classification code (the key is the code's id)


DIMENSIONS: dict[str, Dimension] = {
    "unit": Dimension(
        _("Budget unit"), Coalesce("organization__parent_id", "organization_id"), "unit", None
    ),
    # Primary (一级) or secondary (二级) budget unit: how much the subordinate units ask for.
    "level": Dimension(_("Unit level"), F("organization__level"), "level", dict(UnitLevel.choices)),
    "kind": Dimension(_("Kind"), F("kind"), "kind", dict(ProjectKind.choices)),
    "continuity": Dimension(
        _("New or continuing"), F("continuity"), "continuity", dict(Continuity.choices)
    ),
    "managed": Dimension(
        _("Data administration"),
        F("managed_by_data_admin"),
        "managed",
        {True: _("Managed"), False: _("Not managed")},
    ),
    "category": Dimension(
        _("Budget category"), F("budget_category"), "category", dict(BudgetCategory.choices)
    ),
    "procurement": Dimension(
        _("Procurement method"),
        F("procurement_method"),
        "procurement",
        dict(ProcurementMethod.choices),
    ),
    "fee_class": Dimension(
        _("Fee class"), F("fee_class"), "fee_class", None, of_lines=True, order=FEE_CLASSES
    ),
    "state": Dimension(_("State"), F("state"), "state", dict(ProjectState.choices)),
    **{
        name: Dimension(kind.label, F(PROJECT_CODE_FIELDS[kind]), name, None, codes=True)
        for name, kind in CODE_PARAMETERS.items()
    },
}


def line_amount_after(order: int | None = None) -> Coalesce:
    """An estimate line's amount once the review stages up to ``order`` (every stage when
    None) have decided, as SQL: the latest such stage's decision, else the request.
    The database twin of ``amounts.LineFigures.amount_after``."""
    decisions = LineDecision.objects.filter(line=OuterRef("pk"))
    if order is not None:
        decisions = decisions.filter(stage__order__lte=order)
    latest = decisions.order_by("-stage__order").values("approved_amount")[:1]
    return Coalesce(Subquery(latest), F("amount"), output_field=MONEY)


@dataclass(frozen=True)
class SummaryRow:
    key: Any
    label: str | Promise
    projects: int
    requested: Decimal
    approved: Decimal
    # Cut = requested - approved, over the projects that have an approved amount.
    requested_of_decided: Decimal
    counted: bool = True  # False: a state row outside the totals (see COUNTED_STATES)
    drill: str | None = None  # the project list's filter value, when not the key

    @property
    def cut(self) -> Decimal:
        return self.requested_of_decided - self.approved

    @property
    def cut_rate(self) -> Decimal | None:
        if not self.requested_of_decided:
            return None
        return (self.cut / self.requested_of_decided * 100).quantize(Decimal("0.01"), ROUND_HALF_UP)

    def drill_value(self) -> str:
        if self.drill is not None:
            return self.drill
        if isinstance(self.key, bool):
            return "yes" if self.key else "no"
        return str(self.key)


def summarise(projects: QuerySet[Project], dimension: Dimension) -> list[SummaryRow]:
    """One row per value of the dimension, in one aggregate query (two for units)."""
    return rows_from(list(_grouped(projects, dimension).order_by("group")), dimension)


def rows_from(data: list[dict[str, Any]], dimension: Dimension) -> list[SummaryRow]:
    """The rows of the dimension from its groups' sums (``group``, ``projects``,
    ``requested``, ``approved``, ``requested_of_decided``), ordered and labelled."""
    order = dimension.order or list(dimension.choices or {})
    if order:  # declared order (workflow, fee classes), unknown values last
        position = {value: index for index, value in enumerate(order)}
        data.sort(key=lambda row: position.get(row["group"], len(position)))
    if dimension.codes:
        return _code_rows(data)
    labels: dict[Any, str | Promise] = {}
    if dimension.choices is not None:
        labels = dimension.choices
    elif dimension.filter_name == "unit":
        labels = dict(
            Organization.objects.filter(pk__in=[row["group"] for row in data]).values_list(
                "pk", "name"
            )
        )
    return [
        SummaryRow(
            key=row["group"],
            label=labels.get(row["group"], str(row["group"])),
            projects=row["projects"],
            requested=row["requested"],
            approved=row["approved"],
            requested_of_decided=row["requested_of_decided"],
            counted=dimension.filter_name != "state" or row["group"] in COUNTED_STATES,
        )
        for row in data
    ]


def _code_rows(data: list[dict[str, Any]]) -> list[SummaryRow]:
    """Rows of a code list's dimension, by code, the projects without one last."""
    codes = {
        pk: (code, name)
        for pk, code, name in ClassificationCode.objects.filter(
            pk__in=[row["group"] for row in data if row["group"] is not None]
        ).values_list("pk", "code", "name")
    }
    rows = [
        SummaryRow(
            key=row["group"],
            label=(
                _("No code chosen")
                if row["group"] is None
                else " ".join(codes.get(row["group"], (str(row["group"]),)))
            ),
            projects=row["projects"],
            requested=row["requested"],
            approved=row["approved"],
            requested_of_decided=row["requested_of_decided"],
            drill=NO_CODE if row["group"] is None else codes.get(row["group"], ("",))[0],
        )
        for row in data
    ]
    rows.sort(key=lambda row: (row.key is None, row.drill))
    return rows


def summary_by(projects: QuerySet[Project], by: str) -> tuple[list[SummaryRow], SummaryRow]:
    """The summary page's rows and total of ``projects`` on dimension ``by`` (the page and
    the API's /v1/summary/ alike): every state listed by state, else the counted alone."""
    dimension = DIMENSIONS[by]
    if by != "state":  # by state every state is listed; total() leaves out the uncounted
        projects = counted(projects)
    rows = summarise(projects, dimension)
    return rows, total(rows, projects, dimension)


def _grouped(projects: QuerySet[Project], dimension: Dimension) -> QuerySet[Any]:
    if dimension.of_lines:
        decided = Q(project__approved_amount__isnull=False)
        return (
            EstimateLine.objects.filter(project__in=projects)
            .annotate(group=dimension.group_by)
            .values("group")
            .annotate(
                projects=Count("project", distinct=True),
                requested=Coalesce(Sum("amount"), ZERO, output_field=MONEY),
                approved=Coalesce(
                    Sum(line_amount_after(), filter=decided), ZERO, output_field=MONEY
                ),
                requested_of_decided=Coalesce(
                    Sum("amount", filter=decided), ZERO, output_field=MONEY
                ),
            )
        )
    decided = Q(approved_amount__isnull=False)
    return (
        projects.annotate(group=dimension.group_by)
        .values("group")
        .annotate(
            projects=Count("pk"),
            requested=Coalesce(Sum("requested_amount"), ZERO, output_field=MONEY),
            approved=Coalesce(Sum("approved_amount"), ZERO, output_field=MONEY),
            requested_of_decided=Coalesce(
                Sum("requested_amount", filter=decided), ZERO, output_field=MONEY
            ),
        )
    )


def total(
    rows: list[SummaryRow],
    projects: QuerySet[Project] | None = None,
    dimension: Dimension | None = None,
    *,
    with_lines: int | None = None,
) -> SummaryRow:
    """The counted rows added up. Over lines a project may sit in several rows, so its
    projects are counted once more in the database (pass the projects and the dimension),
    unless the caller knows how many have lines (``with_lines``)."""
    rows = [row for row in rows if row.counted]
    count = sum(row.projects for row in rows)
    if dimension is not None and dimension.of_lines:
        if with_lines is not None:
            count = with_lines
        elif projects is not None:
            count = projects.filter(lines__isnull=False).distinct().count()
    return SummaryRow(
        key=None,
        label=_("Total"),
        projects=count,
        requested=sum((row.requested for row in rows), ZERO),
        approved=sum((row.approved for row in rows), ZERO),
        requested_of_decided=sum((row.requested_of_decided for row in rows), ZERO),
    )
