"""Unusual quantities: a line asking for far more of an item than other projects do.

A standard prices a unit (a person-year of on-site staff, a cloud core); it says
nothing about how many a project needs. So the quantity is judged against its
peers: the same item code in the submitted requests of every other project
(``COUNTED_STATES``, any year). A line is flagged for reviewers when its quantity
is more than ``FACTOR`` times the peers' median, once there are ``MIN_PEERS``
of them. Read-only, computed as the page is drawn (one query), so the flag follows
the province's data; it asks reviewers to look, and the clerk for no
justification, unlike the flags a standard decides.
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
NUMBER = r"^[0-9]+(\.[0-9]+)?$"


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
        return Decimal(str(raw))
    except InvalidOperation:
        return None


def peer_medians(codes: Iterable[str], project: Project) -> dict[str, tuple[Decimal, int]]:
    """Item code -> (median quantity, number of lines) over other projects' requests."""
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
        .values("item_code")
        .annotate(median=Median("quantity"), peers=Count("id"))
        .filter(peers__gte=MIN_PEERS)
        .values_list("item_code", "median", "peers")
    )
    return {
        code: (Decimal(str(median)).quantize(Decimal("0.01"), ROUND_HALF_UP), peers)
        for code, median, peers in rows
    }


def mark_unusual(lines: list[EstimateLine], project: Project) -> list[EstimateLine]:
    """Set ``unusual_quantity`` on each line (None where the quantity is ordinary or
    cannot be judged); returns the lines. One query, whatever the number of lines."""
    quantities = {line.pk: _quantity(line) for line in lines}
    codes = {line.item_code for line in lines if line.item_code and quantities[line.pk]}
    medians = peer_medians(codes, project) if codes else {}
    for line in lines:
        quantity, peer = quantities[line.pk], medians.get(line.item_code)
        unusual = None
        if quantity is not None and peer is not None and peer[0] > 0:
            median, peers = peer
            if quantity > median * FACTOR:
                unusual = UnusualQuantity(quantity, median, peers)
        line.unusual_quantity = unusual
    return lines
