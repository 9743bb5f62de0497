"""Unusual quantities: a line asking for far more of an item than other projects do.

A standard prices a unit (a person-year of on-site staff, a cloud core); it says
nothing about how many a project needs. So the quantity is judged against its
peers: lines of the same item code and unit of measure in the submitted requests
of every other project (``COUNTED_STATES``, any year). A line is flagged for
reviewers when its quantity is more than ``FACTOR`` times the peers' median, once
``MIN_PEERS`` other projects ask for the item: fewer would let a clerk read one
unit's figure off the label. Read-only, computed as the page is drawn (one
query), so the flag follows the province's data; it asks reviewers to look, and
the clerk for no justification, unlike the flags a standard decides.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db.models import Aggregate, Count, DecimalField, FloatField
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from projects.models import COUNTED_STATES, EstimateLine, Project

FACTOR = Decimal(3)
MIN_PEERS = 5
QUANTITY = "quantity"  # the input of the unit-price methods
# What a quantity input looks like once priced; anything else (and anything a
# numeric cast could choke on) is left out of the peers.
NUMBER = r"^[0-9]{1,12}(\.[0-9]{1,4})?$"


class Median(Aggregate):
    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


@dataclass(frozen=True)
class UnusualQuantity:
    quantity: Decimal
    median: Decimal
    peers: int


def _quantity(line: EstimateLine) -> Decimal | None:
    raw = (line.inputs or {}).get(QUANTITY)
    if raw in (None, ""):
        return None
    try:
        quantity = Decimal(str(raw))
    except InvalidOperation:
        return None
    return quantity if quantity.is_finite() else None


def peer_medians(
    codes: Iterable[str], project: Project
) -> dict[tuple[str, str], tuple[Decimal, int]]:
    """(item code, unit) -> (median quantity, number of projects) over other projects'
    requests. The median is PostgreSQL's (a double): exact enough to judge by."""
    rows = (
        EstimateLine.objects.filter(
            item_code__in=list(codes),
            project__state__in=COUNTED_STATES,
            inputs__quantity__regex=NUMBER,
        )
        .exclude(project=project)
        .annotate(
            quantity=Cast(
                KeyTextTransform(QUANTITY, "inputs"), DecimalField(max_digits=20, decimal_places=4)
            )
        )
        .values("item_code", "unit")
        .annotate(median=Median("quantity"), peers=Count("project", distinct=True))
        .filter(peers__gte=MIN_PEERS)
        .values_list("item_code", "unit", "median", "peers")
    )
    return {
        (code, unit): (Decimal(str(median)).quantize(Decimal("0.01"), ROUND_HALF_UP), peers)
        for code, unit, median, peers in rows
    }


def mark_unusual(lines: list[EstimateLine], project: Project) -> list[EstimateLine]:
    """Set ``unusual_quantity`` on each line (None where the quantity is ordinary or
    cannot be judged); returns the lines. One query, whatever the number of lines."""
    quantities = {id(line): _quantity(line) for line in lines}  # saved or not
    codes = {line.item_code for line in lines if line.item_code and quantities[id(line)]}
    medians = peer_medians(codes, project) if codes else {}
    for line in lines:
        quantity, peer = quantities[id(line)], medians.get((line.item_code, line.unit))
        unusual = None
        if quantity is not None and peer is not None and peer[0] > 0:
            median, peers = peer
            if quantity > median * FACTOR:
                unusual = UnusualQuantity(quantity, median, peers)
        line.unusual_quantity = unusual
    return lines
