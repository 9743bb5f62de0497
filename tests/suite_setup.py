"""How the parallel suite sets itself up (conftest.py's hooks and fixtures use these).

- **Migrate once, clone for each worker.** Migrating an empty database (61
  migrations, the triggers among them) costs each pytest-xdist worker 10 to 15 s of
  CPU, and both workers did it at the same moment on our 2 cores. The first worker
  that needs a new database migrates one template for the session; every worker then
  gets its own by ``CREATE DATABASE … TEMPLATE`` (0.4 s), the schema the migrations
  made, triggers included (not ``--nomigrations``).
- **A module that builds data once runs on one worker.** ``--dist loadgroup`` keeps
  tests of one ``xdist_group`` on one worker by appending ``@group`` to their node id;
  pytest 9.2 made node ids structured and xdist 3.8 still writes the old attribute,
  so the mark did nothing (pytest-dev/pytest-xdist#1386, open). ``join_group`` writes
  the id where this pytest reads it.
- **seed_demo once per worker.** Every module that uses ``demo_province`` is one
  group (one worker); the first seeds, and ``seeded_once`` keeps every table's rows
  as seed_demo left them (COPY, in memory) for the next module, which gets them back
  by COPY in its own outer transaction: 0.5 s instead of seed_demo's 15 s or more.
"""

import contextlib
import fcntl
import inspect
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _exists(connection: Any, name: str) -> bool:
    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return cursor.fetchone() is not None


def _migrate_into(connection: Any, name: str) -> None:
    """Django's own test database creation (create, migrate, cache table) under
    ``name``, then this connection's names back as they were."""
    test_settings = connection.settings_dict["TEST"]
    saved_test_name, saved_name = test_settings.get("NAME"), connection.settings_dict["NAME"]
    test_settings["NAME"] = name
    try:
        connection.creation.create_test_db(
            verbosity=0, autoclobber=True, serialize=False, keepdb=False
        )
    finally:
        connection.close()  # nobody may be connected to a template while it is copied
        test_settings["NAME"] = saved_test_name
        connection.settings_dict["NAME"] = saved_name
        settings.DATABASES[connection.alias]["NAME"] = saved_name


def clone_worker_database(worker: str, shared: Path, recreate: bool) -> bool:
    """Give this worker a fresh test database copied from the session's migrated
    template (made by the first worker here). False when the worker keeps the
    database it has (``--reuse-db`` and it exists): then pytest-django does as always."""
    connection = connections[DEFAULT_DB_ALIAS]
    own = connection.creation._get_test_db_name()  # type: ignore[attr-defined]
    if not recreate and _exists(connection, own):
        return False
    template = own.removesuffix(f"_{worker}") + "_template"
    quote = connection.ops.quote_name
    with _locked(shared / "template-db.lock"):
        made = shared / "template-db.made"
        if not made.exists():  # first in this session: migrate it, whatever was there
            _migrate_into(connection, template)
            made.write_text(template)
        with connection._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {quote(own)}")
            cursor.execute(f"CREATE DATABASE {quote(own)} TEMPLATE {quote(template)}")
    return True


def group_of(item: pytest.Item, rootpath: Path) -> str | None:
    """The item's ``xdist_group`` marks; else, for a test that uses a module-scoped
    fixture of ours (data built once for the module), its module: built once, not
    once on each worker the module's tests land on."""
    names = {
        str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
        for mark in item.iter_markers("xdist_group")
    }
    if names:
        return "_".join(sorted(names))
    if "demo_province" in getattr(item, "fixturenames", ()):
        return "demo_province"  # one worker: seed_demo once (``seeded_once``)
    info = getattr(item, "_fixtureinfo", None)
    for definitions in info.name2fixturedefs.values() if info else ():
        definition = definitions[-1]
        try:
            source = Path(inspect.getfile(definition.func))
        except TypeError:  # not a Python function: none of ours
            continue
        if (
            definition.scope in {"module", "class", "package"}
            and source.is_relative_to(rootpath)
            and ".venv" not in source.relative_to(rootpath).parts
        ):
            return item.nodeid.split("::")[0]
    return None


def join_group(item: pytest.Item, group: str) -> None:
    """What xdist's loadgroup does to the node id, where pytest 9.2 reads it."""
    nodeid = f"{item.nodeid}@{group}"
    if item.nodeid.endswith(f"@{group}"):
        return  # an xdist that already does it (pytest-dev/pytest-xdist#1386 fixed)
    structured = getattr(item, "_id", None)
    if structured is not None and hasattr(structured, "parse"):
        item._id = structured.parse(nodeid)
    else:
        item._nodeid = nodeid  # type: ignore[attr-defined]


_seeded_rows: dict[str, bytes] = {}  # this process's: table → COPY's binary rows


def seeded_once(seed: Callable[[], object], superuser: bool) -> None:
    """The database as ``seed`` leaves it, in the caller's transaction (``module_data``):
    seeded the first time in this process, restored from the rows kept then after that.

    The restore empties every table and COPYs its rows back as the replica role, so
    that no foreign key or trigger fires (as the flush by DELETE): the rows are what
    seed_demo wrote, triggers' work included. Sequences need nothing: they only move
    forward, so this database's are past every id kept. Without a superuser, seed."""
    connection = connections[DEFAULT_DB_ALIAS]
    quote = connection.ops.quote_name
    if not superuser or not _seeded_rows:
        seed()
        if superuser:
            with connection.cursor() as cursor:
                for table in connection.introspection.table_names(cursor):
                    with cursor.copy(f"COPY {quote(table)} TO STDOUT (FORMAT binary)") as copy:
                        _seeded_rows[table] = b"".join(bytes(block) for block in copy)
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        for table, rows in _seeded_rows.items():
            cursor.execute(f"DELETE FROM {quote(table)}")  # noqa: S608  # our table names
            with cursor.copy(f"COPY {quote(table)} FROM STDIN (FORMAT binary)") as copy:
                copy.write(rows)
        cursor.execute("SET LOCAL session_replication_role = origin")


# name → (the database's state before, what ``seed`` returned, table → COPY's binary rows
# of what it inserted), or (state, None, {}) once it proved not restorable so.
_seeded_alike: dict[str, tuple[object, object, dict[str, bytes] | None]] = {}


def seeded_alike(name: str, seed: Callable[[], Any], state: Callable[[], object]) -> Any:
    """``seed()``'s result and rows, inside a test's transaction: run for real the first
    time in this process; afterwards, from a database in the same ``state()`` (the rows
    that decide what ``seed`` does, with their ids, which the kept rows name), the rows it
    inserted then are COPYed back (as the replica role: triggers' rows were kept with the
    rest) and its result returned. From another state (a transactional test flushed the
    tables, and the province was made anew under another id) it runs for real again and
    is kept afresh.

    Checked the first time: ``seed`` must only insert (no row there before may change,
    no table without an integer ``id`` may change); else it always runs. It always runs
    outside a transaction (a transactional test commits, which the page cache watches)
    and without a superuser. Ids need nothing: sequences only move forward, so every row
    in the database at a restore was made before the kept rows (an enclosing module's)
    or after them, never with their ids."""
    connection = connections[DEFAULT_DB_ALIAS]
    if not connection.in_atomic_block or not _superuser(connection):
        return seed()
    before = state()
    kept = _seeded_alike.get(name)
    if kept is not None and kept[2] is None:
        return seed()
    if kept is not None and kept[0] == before and kept[2] is not None:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            for table, data in kept[2].items():
                quote = connection.ops.quote_name(table)
                with cursor.copy(f"COPY {quote} FROM STDIN (FORMAT binary)") as copy:
                    copy.write(data)
            cursor.execute("SET LOCAL session_replication_role = origin")
        return kept[1]
    with connection.cursor() as cursor:
        tables = _tables_by_id(cursor, connection)
        last = {
            table: _max_id(cursor, table, connection) for table, has_id in tables.items() if has_id
        }
        sums = {table: _checksum(cursor, table, last.get(table), connection) for table in tables}
        result = seed()
        rows: dict[str, bytes] = {}
        inserted_only = True
        for table, has_id in tables.items():
            if _checksum(cursor, table, last.get(table), connection) != sums[table]:
                inserted_only = False  # it changed or removed a row that was there
                break
            if not has_id:
                continue
            quote = connection.ops.quote_name(table)
            query = f"SELECT * FROM {quote} WHERE id > {int(last[table])}"  # noqa: S608  # ours
            cursor.execute(f"SELECT EXISTS ({query})")
            if cursor.fetchone()[0]:
                with cursor.copy(f"COPY ({query}) TO STDOUT (FORMAT binary)") as copy:
                    rows[table] = b"".join(bytes(block) for block in copy)
    _seeded_alike[name] = (before, result, rows if inserted_only else None)
    return result


def _superuser(connection: Any) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT usesuper FROM pg_user WHERE usename = current_user")
        row = cursor.fetchone()
    return bool(row and row[0])


def _tables_by_id(cursor: Any, connection: Any) -> dict[str, bool]:
    """Every table of ours, and whether it has an integer ``id``."""
    cursor.execute(
        "SELECT c.relname, EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid "
        "AND a.attname = 'id' AND a.atttypid IN ('int4'::regtype, 'int8'::regtype) "
        "AND NOT a.attisdropped) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema()"
    )
    return dict(cursor.fetchall())


def _max_id(cursor: Any, table: str, connection: Any) -> int:
    cursor.execute(f"SELECT coalesce(max(id), 0) FROM {connection.ops.quote_name(table)}")  # noqa: S608
    return int(cursor.fetchone()[0])


def _checksum(cursor: Any, table: str, last_id: int | None, connection: Any) -> str:
    """The rows there before (up to ``last_id``; all of a table without ``id``)."""
    quote = connection.ops.quote_name(table)
    where = "" if last_id is None else f" WHERE t.id <= {int(last_id)}"
    cursor.execute(
        f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "  # noqa: S608
        f"FROM {quote} t{where}"
    )
    return str(cursor.fetchone())
