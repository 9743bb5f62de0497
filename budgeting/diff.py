"""What changed in a project's estimate lines since a reviewer returned it.

``return_for_revision`` keeps the lines as they stood (``snapshot``) in the
history event of the return; after resubmission the review page compares that
snapshot with the lines now (``compare``, a pure function) and shows the added,
removed and changed lines with the amounts before and after.
"""

import json
from collections import defaultdict, deque
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext_lazy

from audit.models import Event
from projects.estimates import input_specs, values_from_inputs
from projects.models import EstimateLine, Project, ProjectState
from standards import pricing
from standards.models import ServiceItem
from ui.templatetags.ui import yuan

ZERO = Decimal("0.00")
# Pricing inputs that are sums of money, shown as 86,000.00 like every amount.
MONEY_INPUTS = frozenset(
    {"unit_price", "unit_price_override", "direct_non_labour_cost", "base", "one_off_cost",
     "recurring_costs", "annual_om"}
)  # fmt: skip
# What a reviewer compares; a difference in any of them makes the line "changed".
COMPARED = ("item", "name", "grade", "unit", "inputs", "amount")


class ChangeKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"
    UNCHANGED = "unchanged"

    @property
    def label(self) -> Any:
        return CHANGE_LABELS[self]


CHANGE_LABELS = {
    ChangeKind.ADDED: gettext_lazy("Added"),
    ChangeKind.REMOVED: gettext_lazy("Removed"),
    ChangeKind.CHANGED: gettext_lazy("Changed"),
    ChangeKind.UNCHANGED: gettext_lazy("Unchanged"),
}


def snapshot(lines: list[EstimateLine]) -> list[dict[str, Any]]:
    """The lines as plain JSON values (amounts as strings), with their ids, in order.

    Only the line's own columns: no related row is read, so the review page takes
    the same number of queries for one line as for a thousand.
    """
    return [
        json.loads(
            json.dumps(
                {
                    "id": line.pk,
                    "item": line.item_code,
                    "name": line.name,
                    "grade": line.grade_code,
                    "unit": line.unit,
                    "inputs": line.inputs,
                    "amount": line.amount,
                    "non_standard": line.is_non_standard,
                },
                cls=DjangoJSONEncoder,
            )
        )
        for line in lines
    ]


@dataclass(frozen=True)
class LineChange:
    kind: ChangeKind
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    changed: frozenset[str] = frozenset()

    @property
    def record(self) -> dict[str, Any]:
        return self.after or self.before or {}

    @property
    def amount_before(self) -> Decimal | None:
        return _amount(self.before) if self.before else None

    @property
    def amount_after(self) -> Decimal | None:
        return _amount(self.after) if self.after else None

    @property
    def difference(self) -> Decimal:
        return (self.amount_after or ZERO) - (self.amount_before or ZERO)

    @property
    def inputs_before(self) -> str:
        return describe_inputs(self.before["inputs"]) if self.before else ""

    @property
    def inputs_after(self) -> str:
        return describe_inputs(self.after["inputs"]) if self.after else ""


@dataclass(frozen=True)
class LineDiff:
    changes: list[LineChange]  # the lines now in their order, then the removed ones

    @property
    def rows(self) -> list[LineChange]:
        """What a reviewer needs to look at: every line that is not unchanged."""
        return [change for change in self.changes if change.kind != ChangeKind.UNCHANGED]

    @property
    def total_before(self) -> Decimal:
        return sum((_amount(c.before) for c in self.changes if c.before), ZERO)

    @property
    def total_after(self) -> Decimal:
        return sum((_amount(c.after) for c in self.changes if c.after), ZERO)

    @property
    def total_change(self) -> Decimal:
        return self.total_after - self.total_before

    def count(self, kind: ChangeKind) -> int:
        return sum(1 for change in self.changes if change.kind == kind)

    @property
    def unchanged_count(self) -> int:
        return self.count(ChangeKind.UNCHANGED)

    def kind_of_line(self) -> dict[int, ChangeKind]:
        """The change of each current line, by its id (for flags in the lines table)."""
        return {c.after["id"]: c.kind for c in self.changes if c.after and "id" in c.after}


def compare(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> LineDiff:
    """Pair the lines of two snapshots and say what happened to each.

    A line keeps its id while it is edited, so ids pair first; a line removed
    and added again for the same item, content and grade (how a clerk re-prices
    one) pairs next, in order, and shows as changed rather than as two rows.
    """
    index_of_id = {record["id"]: i for i, record in enumerate(before) if "id" in record}
    pairs: dict[int, int] = {}  # index in ``after`` -> index of its earlier record
    for position, record in enumerate(after):
        if (i := index_of_id.get(record.get("id"))) is not None:
            pairs[position] = i
    taken = set(pairs.values())
    # The earlier records not paired by id, by key, in order: one pass, however many lines.
    unpaired: dict[tuple[str, str, str], deque[int]] = defaultdict(deque)
    for i, earlier in enumerate(before):
        if i not in taken:
            unpaired[_key(earlier)].append(i)
    for position, record in enumerate(after):
        if position not in pairs and (candidates := unpaired.get(_key(record))):
            pairs[position] = candidates.popleft()
            taken.add(pairs[position])
    changes = []
    for position, record in enumerate(after):
        if position not in pairs:
            changes.append(LineChange(ChangeKind.ADDED, None, record))
            continue
        earlier = before[pairs[position]]
        differing = frozenset(
            field for field in COMPARED if _value(earlier, field) != _value(record, field)
        )
        kind = ChangeKind.CHANGED if differing else ChangeKind.UNCHANGED
        changes.append(LineChange(kind, earlier, record, differing))
    changes += [
        LineChange(ChangeKind.REMOVED, earlier, None)
        for i, earlier in enumerate(before)
        if i not in taken
    ]
    return LineDiff(changes)


def since_last_return(project: Project, lines: list[EstimateLine]) -> tuple[LineDiff, Event] | None:
    """The diff of the lines now against the latest return to the submitter, once the
    project has been resubmitted; None if it never was returned (one query at most)."""
    if project.state in (ProjectState.DRAFT, ProjectState.RETURNED):
        return None  # never submitted, or the submitter is still revising
    event = (
        Event.objects.filter(
            target_type=Project._meta.label_lower,
            target_key=project.code,
            event_type="budgeting.project.return",
            to_state=ProjectState.RETURNED,
            data__has_key="lines",
        )
        .select_related("actor")
        .order_by("-occurred_at", "-id")
        .first()
    )
    if event is None:
        return None
    return compare(event.data["lines"], snapshot(lines)), event


def against_review(returned: Event, lines: list[EstimateLine]) -> LineDiff | None:
    """The diff of the lines now against what the reviewers left of them when the round
    before ended (the returned snapshot's ``reviewed`` amounts, kept by
    ``round_changes``); None for a return that carries no review."""
    before = returned.data.get("lines", [])
    if not before or "reviewed" not in before[0]:
        return None
    reviewed = [{**record, "amount": record["reviewed"]} for record in before]
    return compare(reviewed, snapshot(lines))


def describe_inputs(inputs: dict[str, Any]) -> str:
    """A line's pricing inputs in words, labelled as the line form labels them:
    "Quantity used: 3; Rate (e.g. 0.15): 0.06"; a workload's stages one by one,
    "需求设计: 2; 编码: 5"."""
    labels = _input_labels()
    parts = []
    # Saved lines keep a workload's stages nested under "stages"; the form's shape
    # has one "stage:<name>" field per stage, labelled with the stage's name.
    for name, value in values_from_inputs(inputs).items():
        if value in ("", None):
            continue
        label = name.removeprefix("stage:") if name.startswith("stage:") else labels.get(name, name)
        parts.append(f"{label}: {_money(value) if name in MONEY_INPUTS else value}")
    return "; ".join(parts)


def _money(value: Any) -> Any:
    """86000 -> 86,000.00; a value that is not a number stays as it was entered."""
    try:
        return yuan(Decimal(str(value).replace(",", "")))
    except InvalidOperation:
        return value


def _input_labels() -> dict[str, Any]:
    labels: dict[str, Any] = {"unit_price": gettext_lazy("Unit price (yuan)")}
    for method in pricing.Method:
        for spec in input_specs(ServiceItem(pricing_method=method, parameters={})):
            labels.setdefault(spec.name, spec.label)
    return labels


def _key(record: dict[str, Any]) -> tuple[str, str, str]:
    """What a line removed and added again keeps: its item, content and grade."""
    return record.get("item", ""), record.get("name", ""), record.get("grade", "")


def _amount(record: dict[str, Any]) -> Decimal:
    return Decimal(str(record["amount"]))


def _value(record: dict[str, Any], field: str) -> Any:
    if field == "amount":
        return _amount(record)
    return record.get(field, "")
