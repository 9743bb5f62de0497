"""Two finance users approving one single-source procurement batch at the same moment:
one wins, the other is told, and each project's approval is recorded once (issue #17).

Real threads with their own PostgreSQL connections, released together by a barrier, so
both read the same batch version before either writes (as test_concurrency.py does).
"""

import threading

import pytest
from django.db import connection
from django.utils import translation

from accounts.models import User
from audit.models import Event
from budgeting import procurement
from budgeting.models import BudgetCycle, ProcurementBatch, ProcurementBatchState
from budgeting.tests.test_procurement import approved_quickly
from budgeting.workflow import WorkflowError
from projects import procurement as project_procurement
from projects.models import Project

pytestmark = pytest.mark.django_db(transaction=True)
TRIALS = 10


def test_two_finance_users_approving_one_batch_have_exactly_one_winner(
    cycle: BudgetCycle, submitter: User, finance_reviewer: User, finance_approver: User
) -> None:
    for trial in range(TRIALS):
        (project,) = approved_quickly(submitter, 1, start=trial)
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


def test_a_change_of_method_during_the_approval_never_deadlocks_nor_leaves_it_approved(
    cycle: BudgetCycle, submitter: User, finance_reviewer: User, finance_approver: User
) -> None:
    """The clerk changes the method while finance approves the batch holding the project:
    whichever goes first, no deadlock, and the project ends withdrawn."""
    for trial in range(TRIALS):
        (project,) = approved_quickly(submitter, 1, start=100 + trial)
        batch = procurement.create_batch(
            actor=finance_reviewer, year=2027, name=f"变更第{trial}批", projects=[project]
        )
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def run(
            step: str,
            batch: ProcurementBatch = batch,
            project: Project = project,
            barrier: threading.Barrier = barrier,
            errors: list[BaseException] = errors,
        ) -> None:
            try:
                barrier.wait(timeout=10)
                if step == "approve":
                    procurement.approve_batch(
                        batch, actor=finance_approver, expected_version=batch.version
                    )
                else:
                    project_procurement.change_procurement(
                        project,
                        actor=submitter,
                        fields={"procurement_method": "public_tender"},
                        expected_version=project.version,
                        comment="改为公开招标",
                    )
            except WorkflowError:
                pass  # the approval found the project gone: told, nothing written
            except BaseException as error:  # a deadlock would land here
                errors.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=run, args=(step,)) for step in ("approve", "change")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert not errors, f"trial {trial}: {errors}"
        assert procurement.standing_of(project).code == "withdrawn"
