"""Writing finance's payments file set-wise (issue #17: a hundred thousand payments in
about twice the time of a bare parse of the file).

The rows read once (``payment_file.read``: COPY's text made column-wise for a file as the
treasury writes it) go with COPY into a temporary table; every
check of the batch service is then one query over all of them: a project outside the
importer's scope, not approved or closed (column B); a contract that is not the
project's (column E); a reference already recorded with other figures (column A); the
new payments that take a project, or a contract, past what it may spend (column C, at the
project's first new row: the figures come from SQL, the rule from ``limits.excess``, the
one rule of the clerk's forms and the API). Nothing is written when anything is wrong;
else one INSERT … SELECT writes the new rows and one event per project records them, in
the caller's transaction, which holds the projects' row locks throughout (the same order
as ``services.record_batch``: by id), so a batch of the API and a file queue."""

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import record_events_from
from execution.limits import ZERO, Totals, excess, paid_by_contract
from execution.messages import already_message, closed_message
from execution.models import Contract
from execution.payment_file import FileRefusedError, Payments, Problem
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
    with connection.cursor() as cursor:
        total = _load(cursor, payments)
        locked = {
            project.code: project
            for project in projects.select_for_update(of=("self",))
            .filter(code__in=FILE_CODES)
            .order_by("pk")
        }
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
        _record(locked, source, actor, fresh=fresh)  # before the insert: it reads the new rows
        created = _insert(cursor, actor, fresh=fresh)
    return Written(created=created, unchanged=unchanged, total=total)


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
        if payments.text:
            copy.write(payments.text)
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
        "min(t.reference) AS least, max(t.reference) AS greatest "
        f"FROM ({ALL_ROWS if fresh else NEW_ROWS}) AS t GROUP BY t.project_code) AS g "
        "JOIN jsonb_each_text(%s::jsonb) AS l ON l.key = g.project_code "
        "ORDER BY g.project_code",
        [actor.pk, Project._meta.label_lower, source[:200], labels],
    )
