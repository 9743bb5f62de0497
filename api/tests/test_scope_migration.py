"""api 0003: the two switches of earlier clients become the grants they stood for."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from api.scopes import READ_SCOPES, WRITE_SCOPES

pytestmark = pytest.mark.django_db

BEFORE = [("api", "0002_webhooks")]
AFTER = [("api", "0003_endpoint_scopes")]
LATEST = [("api", "0004_client_jurisdiction")]


def _migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


def test_each_switch_becomes_its_grants_and_back() -> None:
    # PostgreSQL changes its schema inside the test's transaction: rolled back after.
    old = _migrate(BEFORE).loader.project_state(BEFORE).apps.get_model("api", "ApiClient")
    for name, may_read, may_write in (
        ("reader", True, False),
        ("treasury", False, True),
        ("both", True, True),
        ("neither", False, False),
    ):
        old.objects.create(
            name=name,
            may_read=may_read,
            may_write_payments=may_write,
            key_prefix=name[:16],
            key_hash="0" * 64,
        )
    after = _migrate(AFTER).loader.project_state(AFTER).apps.get_model("api", "ApiClient")
    reads, writes = sorted(READ_SCOPES), sorted(WRITE_SCOPES)
    assert {client.name: sorted(client.scopes) for client in after.objects.all()} == {
        "reader": reads,
        "treasury": writes,
        "both": sorted([*reads, *writes]),
        "neither": [],
    }
    back = _migrate(BEFORE).loader.project_state(BEFORE).apps.get_model("api", "ApiClient")
    assert {
        client.name: (client.may_read, client.may_write_payments) for client in back.objects.all()
    } == {
        "reader": (True, False),
        "treasury": (False, True),
        "both": (True, True),
        "neither": (False, False),
    }
    _migrate(LATEST)  # where the rest of the suite expects the schema
