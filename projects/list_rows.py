"""The project list's rows, drawn in Python from plain tuples (issue #21).

The list is the busiest page and is drawn afresh after every write. Through the
template, each of its 50 rows cost a dozen variable lookups, a ``{% url %}`` and
a model object with its unit; here a row is one tuple from ``values_list``, the
detail address is one prefix reversed once a page, and the column labels are
translated once a page. The markup is the template's, cell for cell
(``projects/tests/test_list_rows.py`` compares them).
"""

from collections.abc import Iterable
from decimal import Decimal
from html import escape  # Django's adds a SafeString a call; the rows are marked once
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from projects.models import Continuity, Project, ProjectKind, ProjectState

# The columns a row reads, in this order.
COLUMNS = (
    "code",
    "name",
    "organization__name",
    "budget_year",
    "kind",
    "continuity",
    "managed_by_data_admin",
    "state",
    "requested_amount",
)


def row_values(projects: QuerySet[Project]) -> QuerySet[Any]:
    """The list's query as named tuples (``row.code``, ``row.name``): no model objects,
    the unit's name joined."""
    return projects.values_list(*COLUMNS, named=True)


def _yuan(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:,.2f}"  # as the ``yuan`` filter


def draw_rows(rows: Iterable[tuple[Any, ...]]) -> SafeString:
    """The ``<tr>`` of each row of ``row_values``."""
    code_label, name_label, unit_label, year_label, class_label, state_label = (
        escape(gettext("Code")),
        escape(gettext("Name")),
        escape(gettext("Budget unit")),
        escape(gettext("Year")),
        escape(gettext("Classification")),
        escape(gettext("State")),
    )
    amount_label = escape(gettext("Requested (yuan)"))
    managed = f'<span class="tag">{escape(gettext("Managed"))}</span>'
    kinds = {kind.value: escape(str(kind.label)) for kind in ProjectKind}
    continuities = {value.value: escape(str(value.label)) for value in Continuity}
    states = {state.value: escape(str(state.label)) for state in ProjectState}
    # Codes are [0-9A-Z-] (the ``code`` path converter): the prefix plus the code is
    # exactly what reverse() would give, at a hundredth of its cost.
    detail = reverse("projects:detail", args=["CODE"]).removesuffix("CODE/")
    drawn = []
    for raw_code, name, unit, year, kind, continuity, by_admin, state, amount in rows:
        code = escape(raw_code)
        drawn.append(
            f'<tr>\n<td data-label="{code_label}"><a href="{detail}{code}/">{code}</a></td>\n'
            f'<td data-label="{name_label}">{escape(name)}</td>\n'
            f'<td data-label="{unit_label}">{escape(unit)}</td>\n'
            f'<td data-label="{year_label}">{year}</td>\n'
            f'<td data-label="{class_label}" class="classification"><span class="tags">\n'
            f'<span class="tag">{kinds[kind]}</span>\n'
            f'<span class="tag">{continuities[continuity]}</span>\n'
            f"{managed if by_admin else ''}\n</span></td>\n"
            f'<td data-label="{state_label}"><span class="state state--{state}">'
            f"{states[state]}</span></td>\n"
            f'<td data-label="{amount_label}" class="num">{_yuan(amount)}</td>\n</tr>\n'
        )
    return mark_safe("".join(drawn))  # noqa: S308  # nosec B308 B703: every value escaped above
