"""Benchmark: control figures for 500 primary units (issue #16).

Run by ``make bench`` (not part of ``make test``): prints one JSON object with
- the what-if page of a draft (500 units, 4 requests of 一上 each, the project list of
  every unit in the page) and the overview: server time (median) and query count, which
  must equal the count at 5 units;
- two and three drafts side by side;
- issuing the figures of 500 units (one transaction: the figures, one history event,
  the mail queued for each unit's approver).
Target: the what-if page under 1 s.
"""

import json
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts.models import Role, User
from accounts.tests.factories import OrganizationFactory, UserFactory
from benchmarks.pages import measure
from budgeting import figures
from budgeting.models import BudgetRound, ControlFigure, RoundState
from budgeting.permissions import control_figure_units
from budgeting.tests.figure_helpers import seed_first_round, seed_units
from budgeting.tests.workflow_fixtures import two_round_year

REPEATS = 5
UNITS = 500
PER_UNIT = 4


def _measure(client: Client, url: str) -> tuple[float, int]:
    return measure(client, url, REPEATS)


@pytest.mark.django_db
def test_control_figures_for_500_units(capsys: pytest.CaptureFixture[str]) -> None:
    finance_unit = OrganizationFactory.create(
        code="CZT", name="省财政厅", is_finance_department=True
    )
    finance = UserFactory.create(
        username="finance", organization=finance_unit, roles=[Role.FINANCE_REVIEWER]
    )
    year = two_round_year()
    units = seed_units(5)
    seed_first_round(year, units, per_unit=PER_UNIT)
    drafts = [
        figures.create_draft(year, actor=finance, name="压减一成", change_percent=Decimal("-10")),
        figures.create_draft(
            year,
            actor=finance,
            name="运维不减",
            change_percent=Decimal("-15"),
            keep_operation_whole=True,
        ),
        figures.create_draft(year, actor=finance, name="持平"),
    ]
    client = Client()
    client.force_login(finance)
    draft_url = reverse("budgeting:figure_draft", args=[drafts[1].public_id])
    overview_url = reverse("budgeting:figures", args=[year.year])
    compare_url = (
        reverse("budgeting:figure_compare", args=[year.year])
        + "?"
        + "&".join(f"draft={d.public_id}" for d in drafts)
    )
    _small_time, small_queries = _measure(client, draft_url)
    seed_first_round(year, seed_units(UNITS - 5, prefix="B"), per_unit=PER_UNIT)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    draft_time, draft_queries = _measure(client, draft_url)
    overview_time, _ = _measure(client, overview_url)
    compare_time, _ = _measure(client, compare_url)

    # 一下 open, as advance_round leaves it (the requests stay at finance's review here).
    BudgetRound.objects.filter(cycle=year, order=1).update(state=RoundState.CLOSED)
    BudgetRound.objects.filter(cycle=year, order=2).update(state=RoundState.OPEN)
    User.objects.bulk_create(
        User(
            username=f"head{number}",
            email=f"head{number}@example.org",
            organization=unit,
            roles=[Role.DEPARTMENT_APPROVER],
        )
        for number, unit in enumerate(control_figure_units(finance))
    )
    units_now = list(control_figure_units(finance).order_by("code"))
    start = time.perf_counter()
    figures.issue_draft(
        drafts[1], actor=finance, expected_version=1, seen_issue="", units=units_now
    )
    issue_time = time.perf_counter() - start

    result = {
        "figures_units": len(units_now),
        "figures_projects": UNITS * PER_UNIT,
        "whatif_page_ms_500_units": round(draft_time * 1000, 1),
        "whatif_page_queries_5_units": small_queries,
        "whatif_page_queries_500_units": draft_queries,
        "figures_overview_ms_500_units": round(overview_time * 1000, 1),
        "figures_compare_3_drafts_ms_500_units": round(compare_time * 1000, 1),
        "figures_issue_500_units_s": round(issue_time, 2),
    }
    with capsys.disabled():
        print("BENCH " + json.dumps(result))
    assert ControlFigure.objects.filter(cycle=year).count() == UNITS
    assert small_queries == draft_queries
    assert draft_time < 1.0
