import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from accounts.models import User
from ops import backup


@pytest.fixture
def dumped(
    transactional_db: None, submitter: User, outsider: User, tmp_path: Path
) -> Iterator[Path]:
    # A numeric column, so the drill's sums have something to compare.
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE drill_amounts (amount numeric(14, 2))")
        cursor.execute("INSERT INTO drill_amounts VALUES (1234.56), (0.44)")
    path = tmp_path / "budgeting.dump"
    call_command("backup_db", str(path))
    yield path
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE drill_amounts")


def test_backup_writes_a_dump_and_figures_from_the_same_snapshot(dumped: Path) -> None:
    assert dumped.read_bytes().startswith(b"PGDMP")  # pg_dump's custom format
    figures = json.loads(backup.manifest_path(dumped).read_text())
    assert figures["accounts_user"]["rows"] == 2
    assert Decimal(figures["drill_amounts"]["sums"]["amount"]) == Decimal("1235.00")


def test_restore_drill_finds_the_restore_equal(
    dumped: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("restore_drill", str(dumped))
    assert "every table's rows and sums match" in capsys.readouterr().out


def test_restore_drill_fails_loudly_on_a_difference(dumped: Path) -> None:
    manifest = backup.manifest_path(dumped)
    figures = json.loads(manifest.read_text())
    figures["accounts_user"]["rows"] = 3
    figures["drill_amounts"]["sums"]["amount"] = "1235.01"
    manifest.write_text(json.dumps(figures))
    with pytest.raises(CommandError) as failure:
        call_command("restore_drill", str(dumped))
    assert "accounts_user: expected {'rows': 3" in str(failure.value)
    assert "drill_amounts: expected" in str(failure.value)


def test_compare_names_missing_and_unexpected_tables() -> None:
    table = {"rows": 1, "sums": {}}
    assert backup.compare({"a": table}, {"b": table}) == [
        "a: missing from the restore",
        "b: not in the backup's manifest",
    ]
