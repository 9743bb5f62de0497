"""A new city or county in one step: the jurisdiction, its finance department and data
administration (``accounts.jurisdictions``), and its first budget year with the default
review stages and rounds (``budgeting.cycles.create_cycle``), in one transaction with
the history of each. Used by the ``create_jurisdiction`` command and by ``seed_demo``."""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from accounts.jurisdictions import Bodies, create_jurisdiction
from accounts.models import Jurisdiction, User
from budgeting import cycles
from budgeting.models import BudgetCycle, CycleState
from budgeting.rounds import ONE_ROUND


@dataclass(frozen=True)
class FirstYear:
    """The first budget year of a new jurisdiction."""

    year: int
    name: str
    opens_at: datetime
    closes_at: datetime
    state: str = CycleState.PREPARING


def set_up_jurisdiction(
    *,
    actor: User | None,
    code: str,
    name: str,
    level: str,
    parent: Jurisdiction,
    finance: tuple[str, str],
    data_administration: tuple[str, str],
    first_year: FirstYear | None,
) -> tuple[Bodies, BudgetCycle | None]:
    """The jurisdiction and its bodies, and (if given) its first year with the default
    stages and one round. All or nothing: ``ValidationError`` leaves nothing written."""
    with transaction.atomic():
        bodies = create_jurisdiction(
            actor=actor,
            code=code,
            name=name,
            level=level,
            parent=parent,
            finance=finance,
            data_administration=data_administration,
        )
        cycle = None
        if first_year is not None:
            cycle = cycles.create_cycle(
                actor=actor,
                year=first_year.year,
                name=first_year.name,
                opens_at=first_year.opens_at,
                closes_at=first_year.closes_at,
                state=first_year.state,
                rounds=ONE_ROUND,
                jurisdiction=bodies.jurisdiction,
            )
    return bodies, cycle
