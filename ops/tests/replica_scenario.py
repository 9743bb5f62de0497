"""Reports on a real streaming replica: run by test_replica.py, never on its own.

test_replica.py starts a throwaway primary and its streaming replica
(``streaming_pair``), then runs this module in a pytest of its own with
DATABASE_URL and REPLICA_DATABASE_URL pointing at them, so the settings,
the router and the views are the ones production runs. Tests here commit (the
replica sees only committed rows) and flush the throwaway database afterwards;
hence the guard: without REPLICA_SCENARIO=1 (set by test_replica.py alone)
everything here is skipped, so it can never empty a real database.
"""

import os
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import OperationalError, connections, router
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from budgeting import services
from budgeting.tests.workflow_fixtures import add_line, make_ready
from ops import replica
from ops.tests.streaming_pair import Server
from projects.models import Project
from projects.tests.factories import register
from reports.models import ExportState
from reports.tests.export_helpers import requested_job, rows_of
from reports.tests.report_fixtures import World, report_world
from tests.helpers import run_the_worker

pytestmark = [
    pytest.mark.skipif(
        os.environ.get("REPLICA_SCENARIO") != "1", reason="run by ops/tests/test_replica.py"
    ),
    pytest.mark.django_db(transaction=True, databases=["default", "replica"]),
]

__all__ = ["report_world"]

SUMMARY = reverse("reports:summary") + "?year=2027&by=unit"


@pytest.fixture(scope="session")
def django_db_setup(django_db_blocker: Any) -> None:
    """The throwaway primary is the database: migrate it (never the replica, which
    gets the schema by streaming) instead of creating a test database."""
    with django_db_blocker.unblock():
        call_command("migrate", verbosity=0)


def _caught_up() -> None:
    """Wait until the replica has replayed everything committed so far."""
    with replica.reading_from_replica(replica.primary_position(), wait=30) as alias:
        assert alias == replica.REPLICA


def _report_queries(captured: CaptureQueriesContext) -> int:
    """Queries of the report's figures (not the session, the user, the replica's state)."""
    # The summary reads the kept totals (per project and per unit) and the projects.
    tables = ("projects_project", "reports_summarycell", "reports_unitcell")
    return sum(any(table in query["sql"] for table in tables) for query in captured)


def _summary(client: Client) -> tuple[int, int, int]:
    """The projects the summary page counts, and its report queries on each database."""
    with (
        CaptureQueriesContext(connections["default"]) as on_primary,
        CaptureQueriesContext(connections["replica"]) as on_replica,
    ):
        response = client.get(SUMMARY)
    assert response.status_code == 200
    return (
        response.context["totals"].projects,
        _report_queries(on_primary),
        _report_queries(on_replica),
    )


def _submit_another(submitter: User) -> Project:
    project = make_ready(register(submitter, name="复制品检验平台"), submitter)
    project = add_line(project, submitter, "接口开发", "50000")
    return services.submit(project, actor=submitter, expected_version=project.version)


def _set_replay(paused: bool) -> None:
    """Stop (or start again) the replica applying the primary's WAL, which it still receives."""
    with connections["replica"].cursor() as cursor:
        cursor.execute(f"SELECT pg_wal_replay_{'pause' if paused else 'resume'}()")


def _standby_never_migrated() -> None:
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), count(*) FROM pg_stat_wal_receiver")
        assert cursor.fetchone() == (True, 1)
    assert router.allow_migrate("replica", "projects") is False
    assert router.allow_migrate("default", "projects") is not False
    assert router.db_for_write(Project) == "default"


def _reports_read_the_replica_and_own_writes_the_primary(client: Client, clerk: User) -> None:
    _caught_up()
    before, on_primary, on_replica = _summary(client)
    assert (on_primary, on_replica > 0) == (0, True)

    _set_replay(paused=True)
    try:
        _submit_another(clerk)
        # Someone else's write: the report still comes from the replica, which has not
        # replayed it; proof that the replica, not the primary, drew the page.
        counted, on_primary, on_replica = _summary(client)
        assert (counted, on_primary, on_replica > 0) == (before, 0, True)

        # Their own write (asking for an export): a cookie with the primary's position,
        # which the paused replica has not reached, so the primary answers.
        requested_job(client, 2027)
        assert replica.lsn_to_int(client.cookies[replica.cookie_name()].value)
        counted, on_primary, on_replica = _summary(client)
        assert (counted, on_primary > 0, on_replica) == (before + 1, True, 0)
    finally:
        _set_replay(paused=False)

    # The write reaches the replica, and with it the report: back to the replica.
    _caught_up()
    counted, on_primary, on_replica = _summary(client)
    assert (counted, on_primary, on_replica > 0) == (before + 1, 0, True)


def _the_export_worker_reads_the_replica(client: Client, clerk: User) -> None:
    new = _submit_another(clerk)
    # Asked for at once: the worker waits for the replica to replay the new project.
    job = requested_job(client, 2027)
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        run_the_worker()
    job.refresh_from_db()
    assert job.state == ExportState.DONE, job.error
    assert any("projects_estimateline" in query["sql"] for query in on_replica)
    response = client.get(reverse("reports:export_download", args=[job.public_id]))
    assert new.code in {row[0] for row in rows_of(response.getvalue())}


def test_reports_and_exports_read_the_replica_and_writes_go_to_the_primary(
    report_world: World, department_approver: User, submitter: User, client: Client
) -> None:
    # Two tests' worth in one: each test here costs a flush of the whole database.
    _standby_never_migrated()
    client.force_login(department_approver)  # EDU's head: sees EDU's projects
    _reports_read_the_replica_and_own_writes_the_primary(client, submitter)
    _the_export_worker_reads_the_replica(client, submitter)


def _a_read_the_replica_fails_under_is_read_from_the_primary() -> None:
    _caught_up()
    answers: list[str] = []

    def read() -> int:
        alias = router.db_for_read(Project)
        answers.append(alias)
        if alias == "replica":  # the replica ends our session, as a failover would
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return Project.objects.count()

    assert replica.read_with_fallback(read) == Project.objects.count()
    assert answers == ["replica", "default"]


def _a_failure_of_the_primary_is_not_blamed_on_the_replica() -> None:
    _caught_up()

    def read() -> None:
        with connections["default"].cursor() as cursor:  # the primary ends our session
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")

    with pytest.raises(OperationalError):
        replica.read_with_fallback(read)  # raised as it is: a second read would fail too
    connections["default"].close()
    assert replica.choose() == "replica"  # not left alone


def _a_replica_that_is_down_leaves_reports_on_the_primary(client: Client) -> None:
    _caught_up()
    before, _on_primary, _on_replica = _summary(client)
    stopped = Server(Path(os.environ["REPLICA_DATA_DIR"]), Path("/nonexistent"), started=True)
    stopped.stop()  # the real replica server: the last step of the module
    with CaptureQueriesContext(connections["default"]) as on_primary:
        response = client.get(SUMMARY)
    assert response.status_code == 200
    assert response.context["totals"].projects == before
    assert _report_queries(on_primary) > 0
    # Left alone for REPLICA_RETRY_SECONDS: the next report does not even try it.
    assert replica.choose() == "default"


def test_a_replica_that_fails_leaves_the_reads_to_the_primary(
    settings: Any, report_world: World, department_approver: User, client: Client
) -> None:
    settings.REPLICA_RETRY_SECONDS = 0  # asked again at once after the first failure
    _a_read_the_replica_fails_under_is_read_from_the_primary()
    settings.REPLICA_RETRY_SECONDS = 30
    _a_failure_of_the_primary_is_not_blamed_on_the_replica()
    client.force_login(department_approver)
    _a_replica_that_is_down_leaves_reports_on_the_primary(client)
