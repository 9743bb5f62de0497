"""The reviewers' queues at province scale (issue #21): my tasks and the projects awaiting
batch approval, filtered, sorted and paged in the database, all through GET parameters
that keep each other (the filters, ``sort`` and ``page``). Read-only.

Which reviews a user may see is ``budgeting.permissions``'s (``reviews_decided_by``);
this module only narrows and orders what it is given.
"""

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from accounts.models import User
from budgeting.forms import QueueFilterForm
from budgeting.models import Review
from projects.models import Project
from ui.paging import CappedPaginator
from ui.params import page_number

PAGE_SIZE = 50

# Public sort keys -> ORM ordering; the project code breaks ties, so pages never overlap.
SORTS: dict[str, tuple[str, ...]] = {
    "waiting": ("stage_entered_at",),  # at the current stage since
    "submitted": ("submitted_at",),
    "amount": ("project__requested_amount",),
    "unit": ("project__organization__code",),
    "code": (),
}
DEFAULT_SORT = "waiting"  # oldest first: the first come is the first served


@dataclass(frozen=True)
class Queue:
    """A queue as the request asks for it: the reviews filtered and sorted, the filter
    form (bound, with its errors), the sort key used, and the other GET parameters
    (``query``, urlencoded, without ``page`` and ``sort``) for the links to keep."""

    reviews: QuerySet[Review]
    form: QueueFilterForm
    sort: str
    query: str
    filters: dict[str, Any]

    @property
    def filtered(self) -> bool:
        return bool(self.filters)

    def page(self, request: HttpRequest) -> Page:
        """The requested page of 50; a page past the end is the last, junk the first."""
        paginator = CappedPaginator(self.reviews, PAGE_SIZE)  # counts up to 1,000 waiting
        return paginator.get_page(page_number(request.GET.get("page")))


def queue(
    request: HttpRequest, reviews: QuerySet[Review], user: User, *, final_only: bool = False
) -> Queue:
    form = QueueFilterForm(request.GET, user=user, final_only=final_only)
    filters = form.filters()
    reviews, sort = sort_reviews(filter_reviews(reviews, filters), request.GET.get("sort", ""))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("sort", None)
    return Queue(
        reviews=reviews,
        form=form,
        sort=sort,
        query=query.urlencode(),
        filters=filters,
    )


def filter_reviews(reviews: QuerySet[Review], filters: dict[str, Any]) -> QuerySet[Review]:
    """``filters``: the valid fields of a ``QueueFilterForm``. A unit takes in its
    secondary units, as on the project list."""
    if "stage" in filters:
        reviews = reviews.filter(stage=filters["stage"])
    if "round" in filters:
        reviews = reviews.filter(round=filters["round"])
    return _by_unit_and_amount(reviews, filters, "project__")


def filter_returned(projects: QuerySet[Project], filters: dict[str, Any]) -> QuerySet[Project]:
    """The projects returned for revision by the same filters: none for a stage (a
    returned project stands at none), else by unit and amount."""
    if "stage" in filters:
        return projects.none()
    if "round" in filters:
        projects = projects.filter(review__round=filters["round"])
    return _by_unit_and_amount(projects, filters, "")


def _by_unit_and_amount(rows: QuerySet[Any], filters: dict[str, Any], project: str) -> Any:
    """``project``: the path from a row to its project ("" for projects themselves)."""
    if "unit" in filters:
        unit = filters["unit"]
        rows = rows.filter(
            Q(**{f"{project}organization": unit}) | Q(**{f"{project}organization__parent": unit})
        )
    if "amount_from" in filters:
        rows = rows.filter(**{f"{project}requested_amount__gte": filters["amount_from"]})
    if "amount_to" in filters:
        rows = rows.filter(**{f"{project}requested_amount__lte": filters["amount_to"]})
    return rows


def sort_reviews(reviews: QuerySet[Review], sort: str) -> tuple[QuerySet[Review], str]:
    """Order by a public sort key (``amount``, or ``-amount`` for the largest first);
    anything else is the default. Returns the ordered reviews and the key used."""
    key = sort.removeprefix("-")
    if key not in SORTS:
        sort = key = DEFAULT_SORT
    prefix = "-" if sort.startswith("-") else ""
    columns = [*SORTS[key], "project__code"]
    return reviews.order_by(*(prefix + column for column in columns)), sort
