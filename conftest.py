"""Personas shared by every app's tests: one per role, plus an outsider.

The province: a finance department (CZT), the data administration (ZSJ), the
education department (EDU) with a secondary unit (EDUEXAM), and the health
department (HEALTH), whose clerk is the outsider to everything of EDU.
"""

import gc
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from accounts.models import Organization, User
from budgeting.tests.workflow_fixtures import at_finance, cycle, ready_project
from ops.page_cache import CACHE_ALIAS
from tests import suite_setup
from tests.helpers import module_data
from tests.personas import make_exam_authority, make_persona, make_province, make_unit

__all__ = [
    "at_finance",
    "cycle",
    "ready_project",
]  # workflow fixtures, shared with the browser tests


# The modules with the longest single tests (a second PostgreSQL, seed_demo, gunicorn,
# a browser...), in about their order of length: the suite runs them first, so that
# with `--dist loadgroup` (make test: it hands the tests out one at a time) no worker
# starts one of them when the other is nearly done. The browser tests come right after.
SLOW_FIRST = (
    "ops/tests/test_replica.py",
    "budgeting/tests/test_seed_demo_over_existing_units.py",
    "tests/test_access_matrix.py",
    # The demo_province group (one worker, seed_demo once): it starts where this,
    # its first module in this order, stands; then the access matrix's second module.
    "budgeting/tests/test_scale.py",
    "tests/test_access_by_stage.py",
    "budgeting/tests/test_concurrency.py",
    "ops/tests/test_backup.py",
    "tests/test_serving.py",
    "reports/tests/test_export_jobs.py",
    "api/tests/test_schema.py",
    "tests/test_security.py",
)


def _slowness(item: pytest.Item) -> int:
    path = item.nodeid.split("::")[0]
    if path in SLOW_FIRST:
        return SLOW_FIRST.index(path)
    return len(SLOW_FIRST) if path.startswith("tests/e2e/") else len(SLOW_FIRST) + 1


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Longest first (a stable sort: each module's tests keep their order); under
    ``--dist loadgroup`` (on each worker), each test into its group, if it has one
    (``tests/suite_setup.py``). ``make test`` passes ``--no-loadscope-reorder``, or
    xdist would hand out the groups with the most tests first, whatever this order."""
    items.sort(key=_slowness)
    if getattr(config.option, "loadgroup", False):
        for item in items:
            group = suite_setup.group_of(item, config.rootpath)
            if group is not None:
                suite_setup.join_group(item, group)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Fewer, cheaper garbage collections: what is alive once the tests are collected
    (modules, the items, Django's registries) lives to the end, so it leaves the
    collector's generations (``gc.freeze``), and the youngest generation is collected
    after 50,000 new objects instead of 700. Measured on 138 tests: 1.05 s of CPU in
    821 collections before, 0.38 s in 12 after."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


@pytest.fixture(scope="session")
def _worker_database_from_template(
    request: pytest.FixtureRequest,
    django_db_modify_db_settings: None,
    django_db_blocker: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> bool:
    """Under xdist, this worker's test database, copied from one migrated template
    (``tests/suite_setup.py``); True when it was made so."""
    worker = getattr(request.config, "workerinput", {}).get("workerid")
    if worker is None:
        return False
    shared = tmp_path_factory.getbasetemp().parent  # one directory for the session's workers
    with django_db_blocker.unblock():
        return suite_setup.clone_worker_database(
            worker, shared, recreate=bool(request.config.getvalue("create_db"))
        )


@pytest.fixture(scope="session")
def django_db_keepdb(request: pytest.FixtureRequest, _worker_database_from_template: bool) -> bool:
    """A database copied from the template is kept as it is (migrate only checks it)."""
    return bool(request.config.getvalue("reuse_db")) or _worker_database_from_template


@pytest.fixture(scope="session")
def django_db_createdb(
    request: pytest.FixtureRequest, _worker_database_from_template: bool
) -> bool:
    """``--create-db`` is done already for a database copied from the template."""
    return bool(request.config.getvalue("create_db")) and not _worker_database_from_template


@pytest.fixture(scope="session", autouse=True)
def _flush_by_delete() -> Iterator[None]:
    """Empty the tables after a transactional test (``transaction=True``, the browser
    tests' live server) by DELETE instead of Django's TRUNCATE.

    TRUNCATE gives each of our ~65 tables a new file and syncs it: 1.3 to 2.3 s a flush
    on our machines, against 0.12 s for DELETE of the few rows a test wrote. The DELETEs
    run as the replica role, so that neither foreign keys nor row or statement triggers
    fire (the append-only history, the kept totals, the page scopes): what TRUNCATE does.
    That takes a superuser (the embedded server's and CI's role); otherwise, TRUNCATE.
    """
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(
        self: DatabaseOperations,
        style: Any,
        tables: list[str],
        *,
        reset_sequences: bool = False,
        allow_cascade: bool = False,
    ) -> list[str]:
        if tables and not reset_sequences and _is_superuser(self.connection):
            return [
                "SET LOCAL session_replication_role = replica;",
                *(f"DELETE FROM {self.quote_name(table)};" for table in tables),  # noqa: S608  # our table names
            ]
        return truncate(
            self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "sql_flush", sql_flush)
        yield


def _is_superuser(connection: Any) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT usesuper FROM pg_user WHERE usename = current_user")
        row = cursor.fetchone()
    return bool(row and row[0])


@pytest.fixture(autouse=True)
def _uploads_in_a_temporary_directory(settings: Any, tmp_path: Path) -> None:
    """Tests never write into var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(scope="module")
def demo_province(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """``seed_demo`` once for the module (about 15 s a run) instead of once per test;
    under xdist all such modules share one worker, where it runs once for all of them
    (``tests/suite_setup.py``: the rows are kept and copied back)."""
    with module_data(django_db_blocker):
        suite_setup.seeded_once(
            lambda: call_command("seed_demo", stdout=io.StringIO()),
            superuser=_is_superuser(connection),
        )
        yield


@pytest.fixture(scope="module")
def province_once(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """Every unit and persona of the fixtures below, made once for the module and
    rolled back after it (``module_data``: every test of the module must use it), by
    fixture name. The module's uploads go to one directory for the whole module, so
    such a module overrides ``_uploads_in_a_temporary_directory`` to depend on this."""
    media = tmp_path_factory.mktemp("media")
    with override_settings(MEDIA_ROOT=media), module_data(django_db_blocker):
        yield make_province()


@pytest.fixture
def page_cache_on(settings: Any) -> Iterator[None]:
    """The page cache as in production (the suite turns it off: most tests never commit,
    so the generation that forgets pages would never move). Needs committed data."""
    settings.PAGE_CACHE_SECONDS = 300
    caches[CACHE_ALIAS].clear()
    yield
    caches[CACHE_ALIAS].clear()


@pytest.fixture
def finance_department(db: None) -> Organization:
    return make_unit("finance_department")


@pytest.fixture
def data_administration(db: None) -> Organization:
    return make_unit("data_administration")


@pytest.fixture
def education(db: None) -> Organization:
    return make_unit("education")


@pytest.fixture
def exam_authority(education: Organization) -> Organization:
    return make_exam_authority(education)


@pytest.fixture
def health(db: None) -> Organization:
    return make_unit("health")


@pytest.fixture
def submitter(education: Organization) -> User:
    return make_persona("submitter", education)


@pytest.fixture
def secondary_submitter(exam_authority: Organization) -> User:
    return make_persona("secondary_submitter", exam_authority)


@pytest.fixture
def department_approver(education: Organization) -> User:
    return make_persona("department_approver", education)


@pytest.fixture
def data_reviewer(data_administration: Organization) -> User:
    return make_persona("data_reviewer", data_administration)


@pytest.fixture
def finance_reviewer(finance_department: Organization) -> User:
    return make_persona("finance_reviewer", finance_department)


@pytest.fixture
def finance_approver(finance_department: Organization) -> User:
    return make_persona("finance_approver", finance_department)


@pytest.fixture
def admin_user(data_administration: Organization) -> User:
    return make_persona("admin_user", data_administration)


@pytest.fixture
def outsider(health: Organization) -> User:
    """A submitter of another department: must never see or touch EDU's data."""
    return make_persona("outsider", health)
