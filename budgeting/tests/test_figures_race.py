"""Two finance users issuing control figures at the same moment: exactly one issue
happens, the other is told. Real threads with their own PostgreSQL connections,
released together by a barrier, so both read the page's state before either writes."""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import translation

from accounts.models import Organization, User
from audit.models import Event
from budgeting import figures
from budgeting.models import ControlFigure, FigureDraft
from budgeting.permissions import control_figure_units
from budgeting.tests.workflow_fixtures import advance, two_round_year
from budgeting.workflow import WorkflowError

TRIALS = 10
pytestmark = pytest.mark.django_db(transaction=True)


def _race(jobs: list[tuple[FigureDraft, User]], seen: str) -> list[str]:
    barrier = threading.Barrier(len(jobs))
    outcomes: list[str] = []

    def issue(draft: FigureDraft, person: User) -> None:
        translation.activate("en")
        try:
            barrier.wait(timeout=10)
            units = list(control_figure_units(person).order_by("code"))
            figures.issue_draft(
                draft, actor=person, expected_version=draft.version, seen_issue=seen, units=units
            )
            outcomes.append(draft.name)
        except WorkflowError as error:
            outcomes.append("told: " + error.message)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_two_finance_users_issuing_at_once_one_wins_the_other_is_told(
    finance_reviewer: User,
    finance_approver: User,
    education: Organization,
    health: Organization,
) -> None:
    year = two_round_year()
    advance(year, finance_reviewer)  # 一下
    for trial in range(TRIALS):
        seen = figures.issue_token(year)
        mine = figures.create_draft(
            year, actor=finance_reviewer, name=f"甲{trial}", change_percent=Decimal("-10")
        )
        theirs = figures.create_draft(
            year, actor=finance_approver, name=f"乙{trial}", change_percent=Decimal("-20")
        )
        outcomes = _race([(mine, finance_reviewer), (theirs, finance_approver)], seen)
        winners = [o for o in outcomes if not o.startswith("told")]
        assert len(outcomes) == 2 and len(winners) == 1, outcomes
        assert any("Someone issued" in o for o in outcomes if o.startswith("told")), outcomes
        winner = FigureDraft.objects.get(name=winners[0])
        assert winner.issued_at is not None
        assert set(ControlFigure.objects.values_list("issued_at", flat=True)) == {winner.issued_at}
    assert Event.objects.filter(event_type="budgeting.control_figures.issued").count() == TRIALS


def test_one_draft_issued_twice_at_once_is_issued_once(
    finance_reviewer: User,
    finance_approver: User,
    education: Organization,
) -> None:
    year = two_round_year()
    advance(year, finance_reviewer)
    draft = figures.create_draft(year, actor=finance_reviewer, name="同一方案")
    outcomes = _race([(draft, finance_reviewer), (draft, finance_approver)], "")
    assert sorted(o.startswith("told") for o in outcomes) == [False, True], outcomes
    assert Event.objects.filter(event_type="budgeting.control_figures.issued").count() == 1
