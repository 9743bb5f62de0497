"""Benchmarks of execution (issue #17).

Figures (printed as "BENCH" JSON lines, collected by ``make bench``):
- importing a treasury file of 100,000 payments (package check, reading and checking
  every cell, the batch service's checks and the all-or-nothing write) ÷ calamine's
  bare parse of the same file (target ≤ 2.0), each the best of three runs, alternating;
- the execution progress dashboard with 100 and with 10,000 approved projects: its
  queries (target: equal) and its server time.
"""

import datetime
import json
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook
from python_calamine import CalamineWorkbook

from accounts.models import User
from api.tests.conftest import approved, deciders  # noqa: F401  # an approved project
from audit.models import Event
from execution import payment_file, services
from execution.models import Payment
from projects.models import Project

PAYMENTS = 100_000
PROJECTS = 1_000  # 100 payments each
RUNS = 3


def _copies(template: Project, count: int, start: int = 0) -> list[Project]:
    """``count`` approved projects like ``template`` (bulk: the benchmark is not of them)."""
    fields = {
        f.name: getattr(template, f.name)
        for f in Project._meta.concrete_fields
        if f.name not in {"id", "code"}
    }
    fields["approved_amount"] = Decimal("100000000.00")
    return Project.objects.bulk_create(
        (Project(**fields, code=f"2027-EDU-B{start + n:05d}") for n in range(count)),
        batch_size=2000,
    )


def _payments_file(path: Path, codes: list[str]) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(payment_file.SHEET)
    sheet.append(list(payment_file.HEADERS))
    for n in range(PAYMENTS):
        sheet.append(
            [
                f"ZF-2027-{n:08d}",
                codes[n % len(codes)],
                1000 + n % 9973 + 0.25,
                datetime.date(2027, 1 + n % 12, 1 + n % 28),
                None,
            ]
        )
    book.save(path)


def _empty_payments() -> None:
    """Each run writes into an empty table, as the first did (the last run's rows would
    stay in the reference's index, each checked on every insert), and vacuumed, as
    autovacuum keeps it."""
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {Payment._meta.db_table}")  # nosec B608: a model's table
        cursor.execute(f"VACUUM ANALYZE {Payment._meta.db_table}")  # nosec B608: a model's table


def _bare_parse(path: Path) -> float:
    start = time.perf_counter()
    book = CalamineWorkbook.from_path(str(path))
    book.get_sheet_by_name(payment_file.SHEET).to_python()
    book.close()
    return time.perf_counter() - start


# Committed: the import is timed to its commit, which runs the payments' deferred
# foreign-key checks (one query a row; in the test's own transaction they would never run).
@pytest.mark.django_db(transaction=True)
def test_importing_100000_payments_within_twice_a_bare_parse(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    approved: Project,  # noqa: F811
    finance_reviewer: User,
) -> None:
    codes = [project.code for project in _copies(approved, PROJECTS)]
    path = tmp_path / "payments.xlsx"
    _payments_file(path, codes)
    import_times, parse_times = [], []
    for _run in range(RUNS):
        _empty_payments()
        start = time.perf_counter()
        with path.open("rb") as upload:
            result = services.import_payments(upload, path.name, actor=finance_reviewer)
        import_times.append(time.perf_counter() - start)
        parse_times.append(_bare_parse(path))
        assert result.created == PAYMENTS
    with path.open("rb") as upload:
        again = services.import_payments(upload, path.name, actor=finance_reviewer)
    assert (again.created, again.unchanged) == (0, PAYMENTS)
    assert Event.objects.filter(event_type="execution.batch.recorded").count() == RUNS * PROJECTS
    import_time, parse_time = min(import_times), min(parse_times)
    ratio = import_time / parse_time
    with capsys.disabled():
        print(
            "BENCH "
            + json.dumps(
                {
                    "payments_imported": PAYMENTS,
                    "payments_import_s": round(import_time, 2),
                    "payments_bare_parse_s": round(parse_time, 2),
                    "payments_import_ratio": round(ratio, 2),
                }
            )
        )
    assert ratio <= 2.0


@pytest.mark.django_db
def test_the_dashboard_keeps_its_queries_from_100_to_10000_projects(
    capsys: pytest.CaptureFixture[str],
    approved: Project,  # noqa: F811
    finance_reviewer: User,
) -> None:
    services.set_target(
        2027, actor=finance_reviewer, rate=Decimal("50"), due_on=datetime.date(2027, 9, 30)
    )
    client = Client()
    client.force_login(finance_reviewer)
    url = reverse("execution:progress") + "?year=2027"

    def measure() -> tuple[int, float]:
        client.get(url)  # warm
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - start
        assert response.status_code == 200
        return len(captured), elapsed

    def fill(count: int, start: int) -> None:
        projects = _copies(approved, count, start)
        Payment.objects.bulk_create(
            (
                Payment(
                    reference=f"B{p.pk}",
                    project=p,
                    amount=Decimal("1000.00"),
                    paid_on=datetime.date(2027, 5, 1),
                )
                for p in projects
            ),
            batch_size=2000,
        )

    fill(99, 0)
    small_queries, small_time = measure()
    fill(9_900, 99)
    large_queries, large_time = measure()
    with capsys.disabled():
        print(
            "BENCH "
            + json.dumps(
                {
                    "execution_dashboard_queries_100": small_queries,
                    "execution_dashboard_queries_10000": large_queries,
                    "execution_dashboard_ms_100": round(small_time * 1000),
                    "execution_dashboard_ms_10000": round(large_time * 1000),
                }
            )
        )
    assert large_queries == small_queries
