"""Two finance users approving one single-source procurement batch at the same moment:
one wins, the other is told, and each project's approval is recorded once (issue #17).

Real threads with their own PostgreSQL connections, released together by a barrier, so
both read the same batch version before either writes (as test_concurrency.py does).
"""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import translation

from accounts.models import Role, User
from audit.models import Event
from budgeting import procurement
from budgeting.models import BudgetCycle, ProcurementBatch, ProcurementBatchState
from budgeting.tests.test_procurement import JUSTIFIED
from budgeting.workflow import WorkflowError
from projects.models import Project, ProjectState
from projects.tests.factories import register

pytestmark = pytest.mark.django_db(transaction=True)
TRIALS = 10


def test_two_finance_users_approving_one_batch_have_exactly_one_winner(
    cycle: BudgetCycle, submitter: User, finance_reviewer: User, finance_approver: User
) -> None:
    for trial in range(TRIALS):
        project = register(submitter, name=f"单一来源竞争{trial}", **JUSTIFIED)
        Project.objects.filter(pk=project.pk).update(
            state=ProjectState.APPROVED,
            approved_amount=Decimal("100.00"),
            reached_roles=[Role.FINANCE_REVIEWER, Role.FINANCE_APPROVER],
        )
        batch = procurement.create_batch(
            actor=finance_reviewer, year=2027, name=f"第{trial}批", projects=[project]
        )
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def approve(
            person: User,
            batch: ProcurementBatch = batch,
            barrier: threading.Barrier = barrier,
            outcomes: list[str] = outcomes,
        ) -> None:
            try:
                with translation.override("en"):
                    barrier.wait(timeout=10)
                    procurement.approve_batch(batch, actor=person, expected_version=batch.version)
                outcomes.append(person.username)
            except WorkflowError as error:
                outcomes.append(f"refused: {error.message}")
            finally:
                connection.close()

        threads = [
            threading.Thread(target=approve, args=(person,))
            for person in (finance_reviewer, finance_approver)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        refused = [outcome for outcome in outcomes if outcome.startswith("refused")]
        assert len(outcomes) == 2 and len(refused) == 1, f"trial {trial}: {outcomes}"
        assert "was approved on" in refused[0]
        batch.refresh_from_db()
        assert batch.state == ProcurementBatchState.APPROVED
        winner = next(outcome for outcome in outcomes if not outcome.startswith("refused"))
        assert batch.approved_by.username == winner  # type: ignore[union-attr]
        assert (
            Event.objects.filter(
                event_type="budgeting.procurement.approved", target_key=project.code
            ).count()
            == 1
        )
