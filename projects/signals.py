"""What projects tells the layers above it, or asks them, without knowing them
(docs/architecture.md)."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django.dispatch import Signal

if TYPE_CHECKING:
    from projects.models import EstimateLine, Project

# Sent inside the service's transaction just before estimate lines are removed or their
# amount changes, with ``lines``: a QuerySet of them. A receiver drops what it derived
# from those lines and returns a list of dicts describing it, which the service keeps in
# the history event under "decisions_dropped". budgeting drops the reviewers' approved
# amounts (budgeting.receivers).
lines_changing = Signal()

# Sent as a project's page is drawn, with ``project`` and ``lines``: some of its lines (a
# list). A receiver returns {line id: LineReview} for those a review has decided on, so
# the submitter sees what became of each line and why. budgeting answers with each
# line's latest decision (budgeting.receivers), in one query.
line_reviews_wanted = Signal()


# Sent as a project's page ("project") or its review page ("review") is drawn, with
# ``project``, ``page`` and ``user``. A receiver returns a list of ``Panel``s, cards the
# page includes: execution answers with the execution figures and, on a continuing
# project's review page, its predecessor's (execution.receivers).
panels_wanted = Signal()


@dataclass(frozen=True)
class Panel:
    """A card drawn by ``template`` with ``context`` as ``panel``."""

    template: str
    context: dict[str, Any]


def panels(project: "Project", page: str, user: Any) -> list[Panel]:
    """The cards the layers above add to ``page`` of ``project`` for ``user``."""
    found: list[Panel] = []
    for _receiver, answer in panels_wanted.send(
        sender=type(project), project=project, page=page, user=user
    ):
        found.extend(cast("list[Panel]", answer))
    return found


@dataclass(frozen=True)
class LineReview:
    """What the latest review stage decided for one line."""

    approved: Decimal
    reason: str  # the reason for a cut, in the user's language; "" when not cut
    comment: str
    stage: str  # the stage that decided, in the user's language


def line_reviews(project: "Project", lines: Sequence["EstimateLine"]) -> dict[int, LineReview]:
    """What the review decided for each of ``lines`` (``line_reviews_wanted``), by line id;
    empty before any decision."""
    reviews: dict[int, LineReview] = {}
    for _receiver, answer in line_reviews_wanted.send(
        sender=type(project), project=project, lines=list(lines)
    ):
        reviews.update(cast("dict[int, LineReview]", answer))
    return reviews


# Sent inside the service's transaction when a project's procurement method or proposed
# supplier changed, with ``project`` (locked), ``actor`` and ``changes`` ({field: [before,
# after]}). A receiver withdraws the procurement approval given for the old choice and
# returns a list of dicts describing what it withdrew, kept in the history event under
# "procurement_withdrawn". budgeting withdraws single-source approvals (issue #17).
procurement_changed = Signal()

# Sent as a project's page is drawn, with ``project`` and ``user``. A receiver returns a
# ``ProcurementStanding`` if it knows the project's procurement approval, else None.
procurement_wanted = Signal()


@dataclass(frozen=True)
class ProcurementStanding:
    """Where a project's procurement approval stands, in the user's language."""

    state: str  # 未申请 / 待批准 / 已批准 / 已撤销
    batch: str = ""  # the batch's name
    document_number: str = ""
    when: str = ""  # the date of the approval or the withdrawal, "YYYY-MM-DD"
    url: str = ""  # the batch's page, for those who may open it
