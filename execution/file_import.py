"""Writing finance's payments file set-wise (issue #17: a hundred thousand payments in
about twice the time of a bare parse of the file).

The rows read once (``payment_file.read``: checked column-wise for a file as the
treasury writes it) go with COPY into a temporary table; every
check of the batch service is then one query over all of them: a project outside the
importer's scope, not approved or closed (column B); a contract that is not the
project's (column E); a reference already recorded with other figures (column A); the
new payments that take a project, or a contract, past what it may spend (column C, at the
project's first new row: the figures come from SQL, the rule from ``limits.excess``, the
one rule of the clerk's forms and the API). Nothing is written when anything is wrong;
else one INSERT … SELECT writes the new rows and one event per project records them, in
the caller's transaction, which holds the projects' row locks throughout (the same order
as ``services.record_batch``: by id), so a batch of the API and a file queue.

A plain file (the usual case) is tried first the direct way, ``_write_directly``: the
same checks made before anything is written, its rows with COPY straight into the
payments, in a savepoint; anything unusual undoes it and takes the path above, which
says what is wrong by row and column (docs/performance.md, "optimistic")."""

import json
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg.copy import QueuedLibpqWriter
from psycopg.errors import UniqueViolation

from accounts.models import User
from audit.services import record_events_from
from execution.limits import ZERO, Totals, excess, paid_by_contract
from execution.messages import already_message, closed_message
from execution.models import Contract
from execution.payment_file import Columns, FileRefusedError, Payments, PlainFile, Problem
from projects.models import Project, ProjectState

# The temporary table: its name is written out in each statement (constant SQL). A row
# is new when no payment has its reference yet: "NOT EXISTS (… e.reference = t.reference)".


@dataclass(frozen=True)
class Written:
    created: int
    unchanged: int
    total: Decimal  # the file's, every row


def write_rows(
    payments: Payments,
    *,
    sheet: str,
    projects: QuerySet[Project],
    source: str,
    actor: User,
) -> Written:
    """Write the file's new payments (call it inside a transaction): ``FileRefusedError``
    with every problem by row and column, nothing written, if any check fails."""
    if payments.plain is not None:
        try:
            with transaction.atomic():  # a savepoint: an unusual file leaves nothing behind
                return _write_directly(payments.plain, projects, source, actor)
        except _NotPlainError:
            pass  # the checked path says what is wrong, or which rows were there already
    return _write_checked(
        payments.checked(), sheet=sheet, projects=projects, source=source, actor=actor
    )


def _write_checked(
    payments: Payments,
    *,
    sheet: str,
    projects: QuerySet[Project],
    source: str,
    actor: User,
) -> Written:
    """The temporary table's path: every check one query, each problem by row and column."""
    with connection.cursor() as cursor:
        total = _load(cursor, payments)
        locked = _lock(projects, FILE_CODES)
        problems = _project_problems(cursor, locked, sheet)
        problems += _contract_problems(cursor, sheet)
        changed, unchanged = _existing(cursor, sheet)
        problems += changed
        # A file seen for the first time (the usual case): no row to leave out.
        fresh = not changed and not unchanged
        new = _new_by_project(cursor, fresh) if not problems else {}
        if not problems:
            problems += _beyond_approval(cursor, locked, new, sheet, fresh)
        if problems:
            raise FileRefusedError(sorted(problems, key=lambda p: (p.row, p.column)))
        # Before the insert: it reads the new rows.
        _record(locked, source, actor, fresh=fresh)
        created = _insert(cursor, actor, fresh=fresh)
    return Written(created=created, unchanged=unchanged, total=total)


def _lock(projects: QuerySet[Project], codes: Any) -> dict[str, Project]:
    """The file's projects in scope by code, their rows locked (by id, as ``record_batch``).
    Only the fields the checks, the approval rule and the events read (a file names a
    thousand projects; each other field would be read and made a Python object)."""
    return {
        project.code: project
        for project in projects.select_for_update(of=("self",))
        .filter(code__in=codes)
        .only(*LOCKED_FIELDS)
        .order_by("pk")
    }


# What ``_lock``'s projects are asked: the state, ``limits.excess``' approved amount and
# ``str(project)`` for the events.
LOCKED_FIELDS = ("code", "name", "state", "approved_amount")


def _load(cursor: Any, payments: Payments) -> Decimal:
    """The file's rows into the temporary table; their sum."""
    # Dropped at the commit; a caller's outer transaction (a test's) may still hold one.
    cursor.execute("DROP TABLE IF EXISTS execution_import_rows")
    cursor.execute(
        "CREATE TEMPORARY TABLE execution_import_rows (row integer, "
        "reference varchar(64), project_code text, amount numeric(14, 2), paid_on date, "
        "contract_reference text) "
        "ON COMMIT DROP"
    )
    with cursor.cursor.copy(
        "COPY execution_import_rows "
        "(row, reference, project_code, amount, paid_on, contract_reference) FROM STDIN"
    ) as copy:
        if payments.columns is not None:
            copy.write(payments.columns.copy_text())
        for row in payments.rows:
            copy.write_row(row)
    cursor.execute("ANALYZE execution_import_rows")
    cursor.execute("SELECT count(*), coalesce(sum(amount), 0) FROM execution_import_rows")
    count, total = cursor.fetchone()
    assert count == payments.count  # the COPY took every row
    return Decimal(total)


# The file's project codes, as a subquery: a thousand codes neither fetched nor sent back.
FILE_CODES = RawSQL("SELECT project_code FROM execution_import_rows", ())
# Joins a list into one parameter (``string_to_array``): psycopg quotes a list of a
# thousand items in Python, a tenth of a second each time.
SEPARATOR = "\x1f"


def _project_problems(cursor: Any, locked: dict[str, Project], sheet: str) -> list[Problem]:
    """Rows naming a project outside the scope, or one that is not (or no more) executed."""
    refused = {
        code: closed_message()
        if project.state == ProjectState.CLOSED
        else _("Only an approved project is executed.")
        for code, project in locked.items()
        if project.state != ProjectState.APPROVED
    }
    executed = [code for code in locked if code not in refused]
    cursor.execute(
        "SELECT row, project_code FROM execution_import_rows "
        "WHERE NOT project_code = ANY(string_to_array(%s, %s)) ORDER BY row",
        [SEPARATOR.join(executed), SEPARATOR],
    )
    unknown = _("No such project in your scope.")
    return [Problem(sheet, row, "B", refused.get(code, unknown)) for row, code in cursor.fetchall()]


def _contract_problems(cursor: Any, sheet: str) -> list[Problem]:
    cursor.execute(
        "SELECT t.row FROM execution_import_rows AS t "
        "LEFT JOIN execution_contract AS c ON c.reference = t.contract_reference "
        "LEFT JOIN projects_project AS p ON p.id = c.project_id "
        "WHERE t.contract_reference IS NOT NULL "
        "AND (c.id IS NULL OR p.code IS DISTINCT FROM t.project_code) ORDER BY t.row"
    )
    message = _("No such contract of this project.")
    return [Problem(sheet, row, "E", message) for (row,) in cursor.fetchall()]


def _existing(cursor: Any, sheet: str) -> tuple[list[Problem], int]:
    """Rows already recorded: with other figures, a problem each; the same, unchanged."""
    cursor.execute(
        "SELECT t.row, t.reference, (p.code = t.project_code AND e.amount = t.amount "
        "AND e.paid_on = t.paid_on AND c.reference IS NOT DISTINCT FROM t.contract_reference) "
        "FROM execution_import_rows AS t JOIN execution_payment AS e ON e.reference = t.reference "
        "JOIN projects_project AS p ON p.id = e.project_id "
        "LEFT JOIN execution_contract AS c ON c.id = e.contract_id"
    )
    found = cursor.fetchall()
    problems = [
        Problem(sheet, row, "A", already_message(reference))
        for row, reference, same in found
        if not same
    ]
    return problems, len(found) - len(problems)


@dataclass(frozen=True)
class NewOfProject:
    """A project's new rows of the file: their sum and first row."""

    total: Decimal
    first_row: int


def _new_by_project(cursor: Any, fresh: bool) -> dict[str, NewOfProject]:
    cursor.execute(
        "SELECT t.project_code, sum(t.amount), min(t.row) "  # noqa: S608  # nosec B608: constant SQL
        f"FROM ({ALL_ROWS if fresh else NEW_ROWS}) AS t GROUP BY t.project_code"
    )
    return {code: NewOfProject(total, first) for code, total, first in cursor.fetchall()}


def _beyond_approval(
    cursor: Any, locked: dict[str, Project], new: dict[str, NewOfProject], sheet: str, fresh: bool
) -> list[Problem]:
    """Each project's new payments (and each contract's) against ``limits.excess``."""
    cursor.execute(
        "SELECT t.project_code, c.id, sum(t.amount) "  # noqa: S608  # nosec B608: constant SQL
        f"FROM ({ALL_ROWS if fresh else NEW_ROWS}) AS t "
        "JOIN execution_contract AS c ON c.reference = t.contract_reference "
        "GROUP BY t.project_code, c.id"
    )
    on_contracts: dict[str, list[tuple[int, Decimal]]] = {}
    for code, contract_id, total in cursor.fetchall():
        on_contracts.setdefault(code, []).append((contract_id, total))
    contract_ids = [cid for pairs in on_contracts.values() for cid, _total in pairs]
    contracts = Contract.objects.in_bulk(contract_ids)
    before = paid_by_contract(contract_ids)
    totals = Totals.of(Project.objects.filter(code__in=FILE_CODES).values("pk"))
    problems = []
    for code, mine in sorted(new.items(), key=lambda item: item[1].first_row):
        found = excess(
            locked[code],
            totals,
            payments=mine.total,
            per_contract=[
                (contracts[cid], before.get(cid, ZERO), paid)
                for cid, paid in on_contracts.get(code, [])
            ],
        )
        if found:
            problems.append(Problem(sheet, mine.first_row, "C", " ".join(found)))
    return problems


# The new rows: every row of a fresh file, else those whose reference no payment has yet.
ALL_ROWS = "SELECT * FROM execution_import_rows"
NEW_ROWS = (
    "SELECT * FROM execution_import_rows AS n WHERE NOT EXISTS "
    "(SELECT 1 FROM execution_payment AS e WHERE e.reference = n.reference)"
)


def _insert(cursor: Any, actor: User, *, fresh: bool) -> int:
    cursor.execute(
        "INSERT INTO execution_payment (reference, project_id, contract_id, amount, paid_on, "  # noqa: S608  # nosec B608: constant SQL
        "recorded_at, recorded_by_id, over_approval_reason) "
        "SELECT t.reference, p.id, c.id, t.amount, t.paid_on, %s, %s, '' "
        f"FROM ({ALL_ROWS if fresh else NEW_ROWS}) AS t "
        "JOIN projects_project AS p ON p.code = t.project_code "
        "LEFT JOIN execution_contract AS c ON c.reference = t.contract_reference",
        [timezone.now(), actor.pk],
    )
    return int(cursor.rowcount)


def _record(locked: dict[str, Project], source: str, actor: User, *, fresh: bool) -> None:
    """One event per project with new payments, in one statement: the file, their number
    and sum, and the range of their references (the rows themselves keep who recorded
    them, and when); the data as ``record_event`` would write it."""
    labels = json.dumps({code: str(project) for code, project in locked.items()})
    record_events_from(
        "SELECT 'execution.batch.recorded' AS event_type, %s AS actor_id, "  # noqa: S608  # nosec B608: constant SQL
        "%s AS target_type, g.project_code AS target_key, l.value AS target_label, "
        "%s AS comment, jsonb_build_object('contracts', '[]'::jsonb, 'payments', g.count, "
        # numeric's text is Decimal's: "150000.50", as DjangoJSONEncoder writes it.
        "'paid', g.paid::text, 'references', jsonb_build_array(g.least, g.greatest)) AS data "
        "FROM (SELECT t.project_code, count(*) AS count, sum(t.amount) AS paid, "
        # In code point order ("C"), as Python compares (``_FileSums``), whatever the
        # database's collation.
        'min(t.reference COLLATE "C") AS least, max(t.reference COLLATE "C") AS greatest '
        f"FROM ({ALL_ROWS if fresh else NEW_ROWS}) AS t GROUP BY t.project_code) AS g "
        "JOIN jsonb_each_text(%s::jsonb) AS l ON l.key = g.project_code "
        'ORDER BY g.project_code COLLATE "C"',
        [actor.pk, Project._meta.label_lower, source[:200], labels],
    )


class _NotPlainError(Exception):
    """The file is not the usual case the direct write takes (``_write_directly``)."""


def _write_directly(
    plain: PlainFile, projects: QuerySet[Project], source: str, actor: User
) -> Written:
    """The usual file (issue #17): every cell plainly right, every project known and
    approved, every contract the row's project's, no reference recorded before, within
    the approval. Its rows go with COPY straight into ``execution_payment``, one write
    instead of the temporary table's two; each ``CHUNK`` of rows is checked cell by cell
    (column-wise) just before it is sent, so PostgreSQL writes the first while the rest
    are checked, and the file's figures by project are summed here meanwhile.
    ``_NotPlainError`` for anything else (the caller's savepoint undoes the COPY):
    ``_write_checked`` then says what is wrong, or which rows were there already (the
    reference, the payments' key, stops the COPY)."""
    codes = set(plain.codes)
    locked = _lock(
        projects,
        RawSQL("SELECT unnest(string_to_array(%s, %s))", (SEPARATOR.join(codes), SEPARATOR)),
    )
    if locked.keys() != codes or any(
        project.state != ProjectState.APPROVED for project in locked.values()
    ):
        raise _NotPlainError
    contracts = _contracts_of(plain, locked)
    totals = Totals.of([project.pk for project in locked.values()])
    before = paid_by_contract(contract.pk for contract in contracts.values())
    with connection.cursor() as cursor:
        raw = cursor.cursor
        try:
            # The queued writer sends from a thread: the rows are checked and their text
            # made, and the file summed, while PostgreSQL takes what was sent.
            with raw.copy(
                # ``recorded_at`` left to its default: the transaction's time.
                "COPY execution_payment (reference, project_id, contract_id, amount, paid_on, "
                "recorded_by_id, over_approval_reason) FROM STDIN",
                writer=QueuedLibpqWriter(raw),
            ) as copy:
                chunks = []
                for chunk in plain.chunk_columns(CHUNK):
                    if chunk is None:
                        raise _NotPlainError  # the COPY is abandoned
                    copy.write(_direct_text(chunk, locked, contracts, actor))
                    chunks.append(chunk)
                columns = Columns.joined(chunks)
                if len(set(columns.references)) != len(columns.references):
                    raise _NotPlainError  # a reference listed twice: the cell checks say where
                sums = _FileSums.of(columns)
                if _beyond(sums, locked, contracts, totals, before):
                    raise _NotPlainError
        except UniqueViolation as error:
            if error.diag.constraint_name != PAYMENT_KEY:
                raise
            raise _NotPlainError from None
    _record_sums(sums, locked, source, actor)
    return Written(
        created=len(columns.references), unchanged=0, total=_yuan(sum(sums.paid.values()))
    )


# The payments' primary key, the treasury's reference (execution 0007).
PAYMENT_KEY = "execution_payment_pkey"
CHUNK = 10_000  # rows a COPY message: PostgreSQL starts on the first while the rest are made


def _direct_text(
    columns: Columns, locked: dict[str, Project], contracts: dict[str, Contract], actor: User
) -> bytes:
    """The rows in COPY's text format for ``execution_payment``."""
    project_ids = {code: str(project.pk) for code, project in locked.items()}
    contract_ids = {"": "\\N"} | {ref: str(contract.pk) for ref, contract in contracts.items()}
    # Every row ends alike: who recorded it, no reason.
    end = f"\t{actor.pk}\t\n"
    lines = map(
        "\t".join,
        zip(
            columns.references,
            map(project_ids.__getitem__, columns.codes),
            map(contract_ids.__getitem__, columns.contracts),
            columns.amount_texts(),
            columns.dates,
            strict=True,
        ),
    )
    return (end.join(lines) + end).encode()


@dataclass(frozen=True)
class _FileSums:
    """A plain file's figures by project code (amounts in fen): what the approval rule and
    the history events need, summed column-wise in Python."""

    count: Counter[str]
    paid: dict[str, int]
    least: dict[str, str]
    greatest: dict[str, str]
    by_contract: dict[tuple[str, str], int]  # (project code, contract reference)

    @classmethod
    def of(cls, columns: Columns) -> "_FileSums":
        codes, references, cents = columns.codes, columns.references, columns.cents
        # Each project's first reference to start from (``dict`` keeps the last of a key).
        first = dict(zip(reversed(codes), reversed(references), strict=True))
        paid = dict.fromkeys(first, 0)
        least, greatest = dict(first), dict(first)
        for code, reference, cent in zip(codes, references, cents, strict=True):
            paid[code] += cent
            if reference < least[code]:
                least[code] = reference
            elif reference > greatest[code]:
                greatest[code] = reference
        by_contract: dict[tuple[str, str], int] = {}
        for code, contract, cent in zip(codes, columns.contracts, cents, strict=True):
            if contract:
                by_contract[code, contract] = by_contract.get((code, contract), 0) + cent
        return cls(Counter(codes), paid, least, greatest, by_contract)


def _yuan(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def _beyond(
    sums: _FileSums,
    locked: dict[str, Project],
    contracts: dict[str, Contract],
    totals: Totals,
    before: dict[int, Decimal],
) -> bool:
    """Whether any project (or contract) of the file would pass its limit: ``excess``."""
    per_contract: dict[str, list[tuple[Contract, Decimal, Decimal]]] = {}
    for (code, reference), cents in sums.by_contract.items():
        contract = contracts[reference]
        per_contract.setdefault(code, []).append(
            (contract, before.get(contract.pk, ZERO), _yuan(cents))
        )
    return any(
        excess(locked[code], totals, payments=_yuan(paid), per_contract=per_contract.get(code, ()))
        for code, paid in sums.paid.items()
    )


def _record_sums(sums: _FileSums, locked: dict[str, Project], source: str, actor: User) -> None:
    """``_record``'s events from the file's sums: the same data (a test compares them)."""
    groups = [
        {
            "code": code,
            "label": str(locked[code]),
            "count": count,
            "paid": f"{sums.paid[code] // 100}.{sums.paid[code] % 100:02d}",
            "least": sums.least[code],
            "greatest": sums.greatest[code],
        }
        for code, count in sums.count.items()
    ]
    record_events_from(
        "SELECT 'execution.batch.recorded' AS event_type, %s AS actor_id, "
        "%s AS target_type, g.code AS target_key, g.label AS target_label, "
        "%s AS comment, jsonb_build_object('contracts', '[]'::jsonb, 'payments', g.count, "
        "'paid', g.paid, 'references', jsonb_build_array(g.least, g.greatest)) AS data "
        "FROM jsonb_to_recordset(%s::jsonb) AS g(code text, label text, count integer, "
        'paid text, least text, greatest text) ORDER BY g.code COLLATE "C"',
        [actor.pk, Project._meta.label_lower, source[:200], json.dumps(groups)],
    )


def _contracts_of(plain: PlainFile, locked: dict[str, Project]) -> dict[str, Contract]:
    """The file's contracts by reference; ``_NotPlainError`` if one is unknown or not the
    row's project's."""
    references = set(plain.contracts) - {""}
    if not references:
        return {}
    contracts = Contract.objects.in_bulk(references, field_name="reference")
    pairs = set(zip(plain.contracts, plain.codes, strict=True))
    if len(contracts) != len(references) or any(
        contracts[reference].project_id != locked[code].pk for reference, code in pairs if reference
    ):
        raise _NotPlainError
    return contracts
