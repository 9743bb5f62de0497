"""Two users creating the one record a jurisdiction has per year at the same moment (the
execution target, the inventory survey): one creates it, the other waits and then replaces
it (the target) or is told (the survey); never an error page. Real threads with their own
PostgreSQL connections, released together (``tests.helpers.at_once``)."""

import datetime
from collections.abc import Callable
from decimal import Decimal

import pytest

from accounts.models import Organization, User
from execution import services as execution
from execution.models import ExecutionTarget
from inventory.models import SurveyCampaign
from inventory.services import InventoryError
from inventory.tests.factories import open_survey
from tests.helpers import at_once

pytestmark = pytest.mark.django_db(transaction=True)


def _at_once(*jobs: Callable[[], object]) -> list[str]:
    """Each job's outcome, sorted: done, told (a refusal), or an error, which none may be."""
    return sorted(map(_said, at_once(*jobs)))


def _said(outcome: object) -> str:
    if isinstance(outcome, InventoryError):
        return "told: " + outcome.message
    if isinstance(outcome, Exception):
        return f"error: {outcome!r}"
    return "done"


def test_two_finance_users_setting_the_first_target_at_once(
    finance_reviewer: User, finance_approver: User
) -> None:
    due = datetime.date(2027, 9, 30)
    outcomes = _at_once(
        lambda: execution.set_target(2027, actor=finance_reviewer, rate=Decimal("50"), due_on=due),
        lambda: execution.set_target(2027, actor=finance_approver, rate=Decimal("60"), due_on=due),
    )
    assert outcomes == ["done", "done"]
    assert ExecutionTarget.objects.get(year=2027).rate in {Decimal("50"), Decimal("60")}


def test_two_runners_opening_the_years_survey_at_once(
    data_reviewer: User, finance_reviewer: User, education: Organization
) -> None:
    outcomes = _at_once(
        lambda: open_survey(data_reviewer, education),
        lambda: open_survey(finance_reviewer, education),
    )
    assert outcomes[0] == "done"
    assert outcomes[1].startswith("told: There is already a survey for")
    assert SurveyCampaign.objects.count() == 1
