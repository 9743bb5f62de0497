"""The replica's settings and routing where there is no replica (every existing
install): nothing changes. The replica itself is tested in test_replica.py."""

import json
import subprocess

import pytest
from django.db import router
from django.test import Client
from django.urls import reverse

from accounts.models import User
from ops import replica
from projects.models import Project
from tests.helpers import run_python

SHOW_DATABASES = (
    "import json, config.settings as s; print(json.dumps("
    "{alias: [db['OPTIONS'], db.get('TEST')] for alias, db in s.DATABASES.items()}))"
)


def _databases(**overrides: str) -> subprocess.CompletedProcess[str]:
    return run_python(
        {
            "DEBUG": "true",
            "DATABASE_URL": "postgresql://db.internal/budgeting",
            "REPLICA_DATABASE_URL": "",
            **overrides,
        },
        "-c",
        SHOW_DATABASES,
    )


def test_without_replica_database_url_there_is_only_the_primary() -> None:
    result = _databases()
    assert result.returncode == 0, result.stderr
    assert list(json.loads(result.stdout)) == ["default"]


def test_replica_database_url_adds_the_replica_with_a_short_connect_timeout() -> None:
    result = _databases(REPLICA_DATABASE_URL="postgresql://standby.internal/budgeting")
    assert result.returncode == 0, result.stderr
    databases = json.loads(result.stdout)
    options, test = databases["replica"]
    assert options["connect_timeout"] == 3
    assert test["MIRROR"] == "default"  # the test suite makes no second test database


def test_a_bad_replica_url_names_its_variable() -> None:
    result = _databases(REPLICA_DATABASE_URL="mysql://standby.internal/budgeting")
    assert result.returncode != 0
    assert "REPLICA_DATABASE_URL must start with postgresql://" in result.stderr


def test_without_a_replica_every_read_stays_on_the_primary() -> None:
    assert not replica.is_configured()
    with replica.reading_from_replica(min_lsn=None, wait=1) as alias:
        assert alias == "default"
        assert router.db_for_read(Project) == "default"
    assert replica.primary_position() is None
    assert replica.read_with_fallback(lambda: router.db_for_read(Project)) == "default"


def test_the_replica_is_never_written_nor_migrated() -> None:
    with replica.reading_from_replica():
        assert router.db_for_write(Project) == "default"
    assert router.allow_migrate("replica", "projects") is False
    assert router.allow_migrate("default", "projects") is True


@pytest.mark.parametrize(
    ("text", "number"),
    [("0/0", 0), ("16/B374D848", (0x16 << 32) + 0xB374D848), ("FFFFFFFF/FFFFFFFF", 2**64 - 1)],
)
def test_wal_positions_compare_as_numbers(text: str, number: int) -> None:
    assert replica.lsn_to_int(text) == number


@pytest.mark.parametrize("text", ["", "16", "16/", "x/1", "1/2/3", "0/123456789", "1/2\n"])
def test_a_forged_position_cookie_counts_as_none(text: str) -> None:
    assert replica.lsn_to_int(text) is None


@pytest.mark.django_db
def test_a_post_sets_no_position_cookie_without_a_replica(client: Client, submitter: User) -> None:
    client.force_login(submitter)
    response = client.post(reverse("reports:lines_export"), {"year": "2027"})
    assert response.status_code == 302
    assert replica.cookie_name() not in response.cookies
    assert replica.COOKIE not in response.cookies
