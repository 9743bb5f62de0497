"""The clerk's contract or payment form sent twice at the same moment (a double click):
one is recorded, the other is told. Real threads with their own PostgreSQL connections
(``tests.helpers.at_once``), so both carry what the page listed before either writes."""

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from accounts.models import User
from execution import services
from execution.models import Contract, Payment
from execution.services import ExecutionError
from projects.models import Project
from tests.helpers import at_once

pytestmark = pytest.mark.django_db(transaction=True)
DAY = datetime.date(2027, 3, 1)


def _twice_at_once(record: Callable[..., Any], **values: Any) -> list[str]:
    outcomes = at_once(lambda: record(**values), lambda: record(**values))
    return sorted(
        "told: " + outcome.message if isinstance(outcome, ExecutionError) else "recorded"
        for outcome in outcomes
    )


def test_a_contract_and_a_payment_sent_twice_at_once_are_recorded_once(
    approved: Project, submitter: User
) -> None:
    contract = _twice_at_once(
        services.record_contract,
        project=approved, actor=submitter, supplier="某公司", amount=Decimal("1000.00"),
        signed_on=DAY, listed=0,
    )  # fmt: skip
    payment = _twice_at_once(
        services.record_payment,
        project=approved, actor=submitter, amount=Decimal("500.00"), paid_on=DAY, listed=0,
    )  # fmt: skip
    for outcomes in (contract, payment):
        assert outcomes[0] == "recorded"
        assert outcomes[1].startswith("told: Another entry was recorded on this project")
    assert Contract.objects.count() == 1
    assert Payment.objects.count() == 1
