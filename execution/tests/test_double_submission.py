"""The clerk's contract or payment form sent twice at the same moment (a double click):
one is recorded, the other is told. Real threads with their own PostgreSQL connections,
released together by a barrier, so both carry what the page listed before either writes."""

import datetime
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.utils import translation

from accounts.models import User
from execution import services
from execution.models import Contract, Payment
from execution.services import ExecutionError
from projects.models import Project

pytestmark = pytest.mark.django_db(transaction=True)
DAY = datetime.date(2027, 3, 1)


def _twice_at_once(record: Callable[..., Any], **values: Any) -> list[str]:
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def send() -> None:
        translation.activate("en")
        try:
            barrier.wait(timeout=10)
            record(**values)
            outcomes.append("recorded")
        except ExecutionError as error:
            outcomes.append("told: " + error.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(outcomes)


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
