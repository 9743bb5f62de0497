"""Large Excel exports: every estimate line of a cycle, written in write-only mode
(memory stays flat however many lines), in the background (``reports.export_jobs``)."""

from collections.abc import Iterable
from typing import IO, Any

from django.db.models import Case, OuterRef, QuerySet, Subquery, When
from django.utils.translation import gettext as _

from budgeting.models import LineDecision
from projects.models import APPROVED_STATES, EstimateLine, Project, ProjectState
from reports.summary import MONEY, line_amount_after
from ui.excel import YUAN_FORMAT, save_table

WIDTHS = [18, 36, 24, 12, 20, 12, 36, 10, 12, 16, 16, 10, 10]


def line_headers() -> list[str]:
    return [
        _("Project code"), _("Project name"), _("Budget unit"), _("State"), _("Fee class"),
        _("Item code"), _("Service content"), _("Unit of measure"), _("Grade"),
        _("Requested amount (yuan)"), _("Approved amount (yuan)"), _("Non-standard"),
        _("Above the standard"),
    ]  # fmt: skip


def line_rows(projects: QuerySet[Project]) -> Any:
    """The lines of these projects as plain tuples in column order, fetched in chunks.
    The approved amount (审核数) is the line's amount after every stage for approved
    projects, else the latest stage's decision on it, empty while no stage has decided."""
    states = dict(ProjectState.choices)
    yes = _("Yes")
    approved = Case(
        When(project__state__in=APPROVED_STATES, then=line_amount_after()),
        default=Subquery(
            LineDecision.objects.filter(line=OuterRef("pk"))
            .order_by("-stage__order")
            .values("approved_amount")[:1]
        ),
        output_field=MONEY,
    )
    rows = (
        EstimateLine.objects.filter(project__in=projects)
        .order_by("project__code", "position", "id")
        .annotate(approved=approved)
        .values_list(
            "project__code",
            "project__name",
            "project__organization__name",
            "project__state",
            "fee_class",
            "item_code",
            "name",
            "unit",
            "grade_name",
            "amount",
            "approved",
            "is_non_standard",
            "is_above_standard",
        )
        .iterator(chunk_size=5000)
    )
    for row in rows:
        yield (
            *row[:3],
            str(states.get(row[3], row[3])),
            *row[4:11],
            yes if row[11] else None,
            yes if row[12] else None,
        )


def write_lines(rows: Iterable[Any], target: str | IO[bytes], title: str) -> int:
    """Write rows of ``line_rows`` as one sheet; returns the number of lines."""
    return save_table(
        target,
        title,
        line_headers(),
        rows,
        formats={9: YUAN_FORMAT, 10: YUAN_FORMAT},
        widths=WIDTHS,
    )
