"""Finance's payments import (.xlsx and .csv): all or nothing with sheet, row and column,
idempotent by the payment reference, the written sum equal to the file's total."""

import csv
import datetime
import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.models import Sum
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from accounts.models import User
from audit.models import Event
from execution import file_import, payment_file, services
from execution.models import Payment
from projects.models import Project
from ui.sheets import Formula

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def workbook(rows: list[list[Any]], *, headers: tuple[str, ...] = payment_file.HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = payment_file.SHEET
    sheet.append(list(headers))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def good_rows(code: str) -> list[list[Any]]:
    return [
        ["ZF-0001", code, 120000.5, datetime.date(2027, 4, 1), None],
        ["ZF-0002", code, "30,000.00", "2027-05-02", None],
    ]


def test_a_good_file_is_written_and_the_same_again_changes_nothing(
    approved: Project, finance_reviewer: User
) -> None:
    content = workbook(good_rows(approved.code))
    first = services.import_payments(io.BytesIO(content), "p.xlsx", actor=finance_reviewer)
    assert (first.created, first.unchanged, first.total) == (2, 0, Decimal("150000.50"))
    written = Payment.objects.filter(project=approved).aggregate(total=Sum("amount"))["total"]
    assert written == first.total
    again = services.import_payments(io.BytesIO(content), "p.xlsx", actor=finance_reviewer)
    assert (again.created, again.unchanged) == (0, 2)
    assert Payment.objects.count() == 2
    event = Event.objects.get(event_type="execution.batch.recorded")
    assert event.actor == finance_reviewer and event.comment == "p.xlsx"


def test_a_csv_file_is_read_the_same_way(approved: Project, finance_reviewer: User) -> None:
    text = ",".join(payment_file.HEADERS) + "\r\n" + f"ZF-9,{approved.code},99.99,2027-06-01,\r\n"
    result = services.import_payments(
        io.BytesIO(text.encode("utf-8-sig")), "p.csv", actor=finance_reviewer
    )
    assert result.created == 1
    assert Payment.objects.get().amount == Decimal("99.99")


def test_a_bad_file_changes_nothing_and_says_where(
    approved: Project, finance_reviewer: User
) -> None:
    rows = [
        *good_rows(approved.code),
        ["ZF-0003", approved.code, "abc", "2027-05-02", None],
        ["ZF-0004", "2027-NOPE-0001", 1, "2027-13-40", None],
        ["ZF-0001", approved.code, 1, "2027-05-02", None],
    ]
    with pytest.raises(payment_file.FileRefusedError) as refused:
        services.import_payments(io.BytesIO(workbook(rows)), "p.xlsx", actor=finance_reviewer)
    where = {(p.sheet, p.row, p.column) for p in refused.value.problems}
    assert where == {
        ("支付明细", 4, "C"),
        ("支付明细", 5, "D"),
        ("支付明细", 6, "A"),
    }
    # Cells all well formed, but a project out of scope: the batch's refusal, by row.
    rows = [*good_rows(approved.code), ["ZF-0005", "2027-NOPE-0001", 1, "2027-05-02", None]]
    with pytest.raises(payment_file.FileRefusedError) as refused:
        services.import_payments(io.BytesIO(workbook(rows)), "p.xlsx", actor=finance_reviewer)
    assert [(p.row, p.column) for p in refused.value.problems] == [(4, "B")]
    assert "row 4, column B" in str(refused.value.problems[0])
    assert not Payment.objects.exists()


def test_payments_beyond_the_approval_refuse_the_file(
    approved: Project, finance_reviewer: User
) -> None:
    rows = [["ZF-1", approved.code, 500000.01, "2027-05-02", None]]
    with pytest.raises(payment_file.FileRefusedError) as refused:
        services.import_payments(io.BytesIO(workbook(rows)), "p.xlsx", actor=finance_reviewer)
    assert [(p.row, p.column) for p in refused.value.problems] == [(2, "C")]


def test_a_wrong_header_and_a_missing_sheet(approved: Project, finance_reviewer: User) -> None:
    headers = ("流水号", *payment_file.HEADERS[1:])
    with pytest.raises(payment_file.FileRefusedError) as refused:
        services.import_payments(
            io.BytesIO(workbook([], headers=headers)), "p.xlsx", actor=finance_reviewer
        )
    assert [(p.row, p.column) for p in refused.value.problems] == [(1, "A")]
    book = Workbook()
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(payment_file.FileRefusedError, match="missing"):
        services.import_payments(out, "p.xlsx", actor=finance_reviewer)


def test_only_finance_imports(approved: Project, submitter: User) -> None:
    with pytest.raises(services.ExecutionError):
        services.import_payments(
            io.BytesIO(workbook(good_rows(approved.code))), "p.xlsx", actor=submitter
        )


def test_the_page_imports_and_says_what_was_there_already(
    client: Client, approved: Project, finance_reviewer: User, submitter: User
) -> None:
    client.force_login(finance_reviewer)
    client.cookies["django_language"] = "en"
    template = client.get(reverse("execution:import_template"))
    assert template.status_code == 200
    sheet = load_workbook(io.BytesIO(template.content)).active
    assert sheet is not None
    headers = [c.value for c in next(sheet.rows)]
    assert tuple(headers) == payment_file.HEADERS
    url = reverse("execution:import")
    content = workbook(good_rows(approved.code))
    first = client.post(url, {"file": SimpleUploadedFile("p.xlsx", content)}, follow=True)
    assert "2 payments imported" in first.content.decode()
    again = client.post(url, {"file": SimpleUploadedFile("p.xlsx", content)}, follow=True)
    assert "2 already recorded, not imported again" in again.content.decode()
    bad = client.post(url, {"file": SimpleUploadedFile("p.csv", b"x,y\r\n")})
    assert bad.status_code == 400
    assert "row 1, column A" in bad.content.decode()
    clerk = Client()
    clerk.force_login(submitter)
    assert clerk.get(url).status_code == 403


def test_a_large_csv_is_refused_before_reading(finance_reviewer: User) -> None:
    huge = io.BytesIO(b"a" * (payment_file.MAX_CSV_BYTES + 1))
    with pytest.raises(Exception, match="larger than"):
        services.import_payments(huge, "p.csv", actor=finance_reviewer)


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"MZ\x90\x00", "payments.exe", "payments.exe: only .xlsx and .csv files are accepted"),
        (b"a,b", "payments", "payments: only .xlsx and .csv files are accepted"),
        # A workbook named .csv: no bytes shown as a header.
        (None, "payments.CSV", "payments.CSV is not a CSV text file"),
    ],
)
def test_a_file_of_another_kind_is_refused_by_name(
    approved: Project, finance_reviewer: User, content: bytes | None, name: str, message: str
) -> None:
    data = content if content is not None else workbook(good_rows(approved.code))
    with pytest.raises(ValidationError) as refused:
        services.import_payments(io.BytesIO(data), name, actor=finance_reviewer)
    assert message in refused.value.messages[0]
    assert "PK" not in refused.value.messages[0]
    assert not Payment.objects.exists()


def test_a_file_partly_recorded_writes_only_its_new_rows_and_refuses_changed_figures(
    approved: Project, finance_reviewer: User
) -> None:
    services.import_payments(
        io.BytesIO(workbook(good_rows(approved.code)[:1])), "a.xlsx", actor=finance_reviewer
    )
    both = services.import_payments(
        io.BytesIO(workbook(good_rows(approved.code))), "b.xlsx", actor=finance_reviewer
    )
    assert (both.created, both.unchanged) == (1, 1)
    assert Payment.objects.aggregate(total=Sum("amount"))["total"] == Decimal("150000.50")
    event = Event.objects.filter(event_type="execution.batch.recorded").latest("pk")
    assert event.data["payments"] == 1 and event.comment == "b.xlsx"
    changed = [["ZF-0001", approved.code, 1, datetime.date(2027, 4, 1), None]]
    with pytest.raises(payment_file.FileRefusedError) as refused:
        services.import_payments(io.BytesIO(workbook(changed)), "c.xlsx", actor=finance_reviewer)
    assert [(p.row, p.column) for p in refused.value.problems] == [(2, "A")]
    assert "already recorded with other figures" in str(refused.value.problems[0])


def test_an_unknown_contract_is_refused_at_its_column(
    approved: Project, finance_reviewer: User
) -> None:
    rows = [["ZF-1", approved.code, 10, datetime.date(2027, 4, 1), "HT-NOPE"]]
    with pytest.raises(payment_file.FileRefusedError) as refused:
        services.import_payments(io.BytesIO(workbook(rows)), "p.xlsx", actor=finance_reviewer)
    assert [(p.row, p.column) for p in refused.value.problems] == [(2, "E")]
    assert not Payment.objects.exists()


def test_the_quick_path_takes_what_the_cell_checks_take(approved: Project) -> None:
    """A row the quick path takes is the row the cell-by-cell checks would make of it."""
    cells = ["ZF-1", approved.code, 1234.5, datetime.date(2027, 4, 1), ""]
    quick = payment_file._plain_row(2, cells, {})
    problems: list[payment_file.Problem] = []
    values = [1234.5 if v == 1234.5 else (v or None) for v in cells]
    slow = payment_file._row("支付明细", 2, values, {}, problems)
    assert quick == slow and not problems
    for odd in (1234.505, 0.0, -5.0, " ZF-1", "1,234.50"):
        column = 0 if isinstance(odd, str) and odd.startswith(" ") else 2
        changed = list(cells)
        changed[column] = odd
        assert payment_file._plain_row(2, changed, {}) is None  # left to the cell checks


def _copy_rows(text: bytes) -> list[tuple[Any, ...]]:
    """COPY's text rows back as ``PaymentRow``'s fields (none of them escaped)."""
    rows = []
    for line in text.decode().splitlines():
        number, reference, code, amount, paid_on, contract = line.split("\t")
        rows.append(
            (
                int(number),
                reference,
                code,
                Decimal(amount),
                datetime.date.fromisoformat(paid_on),
                None if contract == "\\N" else contract,
            )
        )
    return rows


HEADER = list(payment_file.HEADERS)
EXCEL_TIME = datetime.datetime(2027, 4, 2, 15, 30)  # noqa: DTZ001  # a cell has no zone


def plain_sheet() -> list[list[Any]]:
    """Rows as calamine gives them: "" for an empty cell, every number a float."""
    return [
        HEADER,
        ["ZF-1", "2027-EDU-0001", 1234.5, datetime.date(2027, 4, 1), ""],
        ["ZF-2", "2027-EDU-0001", 0.01, EXCEL_TIME, "HT-1"],
        ["ZF-3", "2027-EDU-0002", 99999999999.99, datetime.date(2027, 12, 31), ""],
    ]


def test_the_column_wise_path_gives_what_the_cell_checks_give() -> None:
    data = plain_sheet()
    columns = payment_file._plain_columns(data)
    assert columns is not None
    slow = payment_file._check(payment_file._numbered(data), payment_file.SHEET)
    assert _copy_rows(columns.copy_text()) == [tuple(row) for row in slow]
    # A sheet of four columns (no contract column at all) is as plain.
    four = payment_file._plain_columns([row[:4] for row in data])
    assert four is not None
    assert [row[5] for row in _copy_rows(four.copy_text())] == [None, None, None]


@pytest.mark.parametrize(
    ("row", "column", "odd"),
    [
        (1, 0, " ZF-1"),  # space around the reference
        (1, 0, ""),  # no reference
        (1, 0, "Z" * 65),  # too long
        (2, 0, "ZF-1"),  # listed twice
        (1, 0, 12.0),  # a number as the reference
        (1, 0, "ZF\t1"),  # no treasury reference (and COPY would need it escaped)
        (1, 0, "ZF\\1"),
        (1, 0, "=ZF1"),
        (1, 0, "ZF-1\nZF-9"),
        (1, 1, "2027\tEDU"),
        (1, 1, ""),  # no project code
        (1, 1, "2027-EDU-0001 "),
        (1, 2, 1234.505),  # more than two decimals
        (1, 2, 0.0),
        (1, 2, -5.0),
        (1, 2, 1e11),  # near the limit: ``check_amount`` says
        (1, 2, float("nan")),
        (1, 2, "1,234.50"),  # text: the cell checks read it
        (1, 3, "2027-04-01"),
        (1, 3, ""),
        (1, 4, " HT-1"),
        (1, 4, 7.0),
        (1, 4, "H" * 65),
        (1, 4, "HT\\1"),
    ],
)
def test_anything_unusual_is_left_to_the_cell_checks(row: int, column: int, odd: Any) -> None:
    data = plain_sheet()
    data[row][column] = odd
    assert payment_file._plain_columns(data) is None


def test_ragged_or_empty_rows_and_formulas_are_left_to_the_cell_checks() -> None:
    data = plain_sheet()
    data[2].append("")
    assert payment_file._plain_columns(data) is None
    data = plain_sheet()
    data.insert(2, ["", "", "", "", ""])  # an empty row in the middle: skipped by ``_check``
    assert payment_file._plain_columns(data) is None
    data = plain_sheet()
    data[1][2] = Formula("=1+1")
    assert payment_file._plain_columns(data) is None
    assert payment_file._plain_columns([HEADER]) is None


# What the API's schema refuses as a reference (``limits.REFERENCE_PATTERN``), the file too.
NO_REFERENCES = ["ZF\t0001", "ZF\\0001", "\\N", "=HYPERLINK(1)", "ZF 0001", "支付0001", "Z" * 65]


@pytest.mark.parametrize("reference", NO_REFERENCES)
@pytest.mark.parametrize("column", [0, 4])
def test_a_reference_the_api_refuses_is_refused_at_its_row_and_column(
    approved: Project, finance_reviewer: User, reference: str, column: int
) -> None:
    """The payment's reference (A) and the contract's (E) follow the one rule of a treasury
    reference, in a workbook the column-wise reader takes and in a .csv; nothing is
    written."""
    rows = [
        ["ZF-0001", approved.code, 10.5, datetime.date(2027, 4, 1), None],
        ["ZF-0002", approved.code, 20.0, EXCEL_TIME, None],
    ]
    rows[1][column] = reference
    with pytest.raises(payment_file.FileRefusedError) as refused:
        services.import_payments(io.BytesIO(workbook(rows)), "p.xlsx", actor=finance_reviewer)
    assert [(p.row, p.column) for p in refused.value.problems] == [(3, "AE"[column // 4])]
    if not reference.startswith("="):  # a workbook's cell of "=…" is a formula, refused so
        assert "letters, digits and . _ / -" in str(refused.value)
    cells = ["ZF-0001", approved.code, "10.00", "2027-04-01", ""]
    cells[column] = reference
    text = ",".join(payment_file.HEADERS) + "\r\n" + _csv_line(cells)
    with pytest.raises(payment_file.FileRefusedError) as refused:
        services.import_payments(io.BytesIO(text.encode()), "p.csv", actor=finance_reviewer)
    assert [(p.row, p.column) for p in refused.value.problems] == [(2, "AE"[column // 4])]
    assert "letters, digits and . _ / -" in str(refused.value)
    assert not Payment.objects.exists()


def _csv_line(cells: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(cells)
    return out.getvalue()


def test_a_reference_within_the_rule_is_written_as_it_is(
    approved: Project, finance_reviewer: User
) -> None:
    rows = [
        ["ZF/2027.0001_a", approved.code, 10.5, datetime.date(2027, 4, 1), None],
        ["Z" * 64, approved.code, 20.0, EXCEL_TIME, None],
    ]
    result = services.import_payments(io.BytesIO(workbook(rows)), "p.xlsx", actor=finance_reviewer)
    assert (result.created, result.total) == (2, Decimal("30.50"))
    assert set(Payment.objects.values_list("reference", flat=True)) == {"ZF/2027.0001_a", "Z" * 64}


def test_a_plain_file_writes_every_figure_and_one_event_per_project(
    approved: Project, finance_reviewer: User, submitter: User
) -> None:
    contract = services.record_contract(
        approved,
        actor=submitter,
        supplier="Supplier",
        amount=Decimal("200000.00"),
        signed_on=datetime.date(2027, 3, 1),
    )
    rows = [
        ["ZF-0002", approved.code, 120000.5, datetime.date(2027, 4, 1), contract.reference],
        ["ZF-0001", approved.code, 0.25, EXCEL_TIME, None],
    ]
    result = services.import_payments(
        io.BytesIO(workbook(rows)), "plain.xlsx", actor=finance_reviewer
    )
    assert (result.created, result.unchanged, result.total) == (2, 0, Decimal("120000.75"))
    assert Payment.objects.get(reference="ZF-0002").contract == contract
    assert Payment.objects.get(reference="ZF-0001").contract is None
    assert list(contract.payments.values_list("reference", flat=True)) == ["ZF-0002"]
    event = Event.objects.get(event_type="execution.batch.recorded")
    assert (event.actor, event.target_type, event.target_key, event.target_label) == (
        finance_reviewer,
        "projects.project",
        approved.code,
        str(approved),
    )
    assert (event.comment, event.from_state, event.to_state) == ("plain.xlsx", "", "")
    assert event.data == {
        "contracts": [],
        "payments": 2,
        "paid": "120000.75",
        "references": ["ZF-0001", "ZF-0002"],
    }


@pytest.mark.parametrize("column", [0, 1, 4])
def test_a_nul_in_a_text_cell_is_refused_at_its_column(
    approved: Project, finance_reviewer: User, column: int
) -> None:
    """A NUL in the reference, the project code or the contract of a .csv (which no
    text column of PostgreSQL takes) is the file's problem at that cell, not a 500."""
    cells = ["ZF-1", approved.code, "10.00", "2027-04-01", "HT-1"]
    cells[column] = cells[column][:2] + "\x00" + cells[column][2:]
    text = ",".join(payment_file.HEADERS) + "\r\n" + ",".join(cells) + "\r\n"
    with pytest.raises(payment_file.FileRefusedError) as refused:
        services.import_payments(io.BytesIO(text.encode()), "p.csv", actor=finance_reviewer)
    assert [(p.row, p.column) for p in refused.value.problems] == [(2, "ABCDE"[column])]
    assert not Payment.objects.exists()
    # The quick path leaves such a row to the cell checks.
    quick = [*cells[:2], 10.0, datetime.date(2027, 4, 1), cells[4]]
    assert payment_file._plain_row(2, quick, {}) is None


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_a_date_outside_the_budget_years_is_refused_at_its_column(
    approved: Project, finance_reviewer: User, day: str
) -> None:
    """The clerk's forms' and the API's rule for a payment's date, in a .csv and in a
    workbook the quick path reads."""
    text = ",".join(payment_file.HEADERS) + f"\r\nZF-1,{approved.code},10.00,{day},\r\n"
    with pytest.raises(payment_file.FileRefusedError) as refused:
        services.import_payments(io.BytesIO(text.encode()), "p.csv", actor=finance_reviewer)
    assert [(p.row, p.column) for p in refused.value.problems] == [(2, "D")]
    when = datetime.date.fromisoformat(day)
    book = workbook([["ZF-1", approved.code, 10.0, when, None]])
    with pytest.raises(payment_file.FileRefusedError) as refused:
        services.import_payments(io.BytesIO(book), "p.xlsx", actor=finance_reviewer)
    assert [(p.row, p.column) for p in refused.value.problems] == [(2, "D")]
    assert not Payment.objects.exists()


# Two savepoints (the test's and the direct write's) and their releases, the lock, the
# contracts, three totals, what the contracts were paid, the events (the COPY is not
# counted by Django).
DIRECT_QUERIES = 11


def _plain_file(approved: Project, other: Project, contract: str) -> bytes:
    """A file as the treasury writes it (the column-wise reader and the direct write take
    it): two projects, one row on a contract, references out of order."""
    return workbook(
        [
            ["ZF-0003", approved.code, 1200.5, datetime.date(2027, 4, 1), contract],
            ["ZF-0001", other.code, 99.99, EXCEL_TIME, None],
            ["ZF-0002", approved.code, 0.25, datetime.date(2027, 4, 3), None],
            ["ZF-0010", other.code, 3000.0, datetime.date(2027, 4, 4), None],
        ]
    )


def _written() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    payments = list(
        Payment.objects.order_by("reference").values_list(
            "reference",
            "project_id",
            "contract_id",
            "amount",
            "paid_on",
            "recorded_by_id",
            "over_approval_reason",
        )
    )
    events = list(
        Event.objects.filter(event_type="execution.batch.recorded")
        .order_by("pk")
        .values_list("actor_id", "target_type", "target_key", "target_label", "comment", "data")
    )
    return payments, events


def test_the_direct_write_records_what_the_checked_path_records(
    approved: Project, health_approved: Project, finance_reviewer: User, submitter: User
) -> None:
    """A plain file goes with COPY straight into the payments (no temporary table); the
    rows and events are those the temporary table's path writes for the same file."""
    contract = services.record_contract(
        approved,
        actor=submitter,
        supplier="Supplier",
        amount=Decimal("5000.00"),
        signed_on=datetime.date(2027, 3, 1),
    )
    content = _plain_file(approved, health_approved, contract.reference)
    payments = payment_file.read(io.BytesIO(content), "p.xlsx")
    assert payments.plain is not None
    scope = services.import_scope(finance_reviewer)
    with transaction.atomic():
        checked = file_import._write_checked(
            payments.checked(), sheet="s", projects=scope, source="p.xlsx", actor=finance_reviewer
        )
        expected = _written()
        transaction.set_rollback(True)
    assert not Payment.objects.exists()
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        direct = file_import.write_rows(
            payments, sheet="s", projects=scope, source="p.xlsx", actor=finance_reviewer
        )
    assert not any("execution_import_rows" in query["sql"] for query in queries)
    # Whatever the number of rows and projects (no field of a locked project read apart).
    assert len(queries) == DIRECT_QUERIES, [query["sql"][:60] for query in queries]
    assert direct == checked == file_import.Written(4, 0, Decimal("4300.74"))
    assert _written() == expected
    assert sorted((event[5] for event in expected[1]), key=lambda data: data["paid"]) == [
        {"contracts": [], "payments": 2, "paid": "1200.75", "references": ["ZF-0002", "ZF-0003"]},
        {"contracts": [], "payments": 2, "paid": "3099.99", "references": ["ZF-0001", "ZF-0010"]},
    ]


@pytest.mark.parametrize("case", ["recorded", "unknown project", "beyond", "contract"])
def test_a_plain_file_with_one_wrong_row_says_where_and_writes_nothing(
    case: str, approved: Project, health_approved: Project, finance_reviewer: User
) -> None:
    """The direct write tried and undone: the checked path's message, nothing written."""
    services.import_payments(
        io.BytesIO(workbook([["ZF-0001", health_approved.code, 5.0, EXCEL_TIME, None]])),
        "before.xlsx",
        actor=finance_reviewer,
    )
    before = _written()
    rows: list[list[Any]] = [
        ["ZF-0003", approved.code, 1200.5, datetime.date(2027, 4, 1), None],
        ["ZF-0002", approved.code, 0.25, datetime.date(2027, 4, 3), None],
        ["ZF-0004", health_approved.code, 3000.0, datetime.date(2027, 4, 4), None],
    ]
    where = {
        "recorded": (3, "A", "ZF-0001", "already recorded with other figures"),
        "unknown project": (3, "B", "2027-NOPE-0001", "No such project"),
        "beyond": (4, "C", 999999999.0, "more than the approved"),
        "contract": (3, "E", "HT-NOPE", "No such contract"),
    }
    row, column, value, message = where[case]
    rows[row - 2]["ABCDE".index(column)] = value
    content = workbook(rows)
    assert payment_file.read(io.BytesIO(content), "p.xlsx").plain is not None
    with pytest.raises(payment_file.FileRefusedError) as refused:
        services.import_payments(io.BytesIO(content), "p.xlsx", actor=finance_reviewer)
    assert [(p.row, p.column) for p in refused.value.problems] == [(row, column)]
    assert message in str(refused.value.problems[0])
    assert _written() == before


def test_a_plain_file_recorded_in_part_writes_only_its_new_rows(
    approved: Project, finance_reviewer: User
) -> None:
    """The direct write stopped by the reference's constraint: the checked path writes the
    new rows and counts the rest, and the same file again changes nothing."""
    first: list[list[Any]] = [["ZF-0001", approved.code, 5.0, EXCEL_TIME, None]]
    services.import_payments(io.BytesIO(workbook(first)), "a.xlsx", actor=finance_reviewer)
    rows = [*first, ["ZF-0002", approved.code, 7.5, EXCEL_TIME, None]]
    content = workbook(rows)
    result = services.import_payments(io.BytesIO(content), "b.xlsx", actor=finance_reviewer)
    assert (result.created, result.unchanged) == (1, 1)
    before = _written()
    again = services.import_payments(io.BytesIO(content), "b.xlsx", actor=finance_reviewer)
    assert (again.created, again.unchanged, again.total) == (0, 2, Decimal("12.50"))
    assert _written() == before


@pytest.mark.parametrize(
    ("row", "column", "odd", "message"),
    [
        (6, "C", 1234.505, "two decimal places"),
        (6, "A", "ZF-0001", "listed already in row 2"),
        (5, "A", "ZF\\0005", "letters, digits"),
        (6, "D", datetime.date(9999, 12, 31), "A date from"),
        (6, "D", datetime.date(2100, 12, 31), "A date from"),
    ],
)
def test_a_bad_cell_in_a_later_chunk_stops_the_direct_write(
    approved: Project,
    finance_reviewer: User,
    monkeypatch: pytest.MonkeyPatch,
    row: int,
    column: str,
    odd: Any,
    message: str,
) -> None:
    """The direct write checks each chunk just before sending it: a cell that is not plain
    in a chunk after the first (rows already sent) undoes the COPY, and the cell checks
    say where; nothing is written."""
    monkeypatch.setattr(file_import, "CHUNK", 2)
    rows: list[list[Any]] = [
        [f"ZF-{n:04d}", approved.code, 10.0 + n, datetime.date(2027, 4, n), None]
        for n in range(1, 6)
    ]
    rows[row - 2]["ABCDE".index(column)] = odd
    content = workbook(rows)
    assert payment_file.read(io.BytesIO(content), "p.xlsx").plain is not None
    with pytest.raises(payment_file.FileRefusedError) as refused:
        services.import_payments(io.BytesIO(content), "p.xlsx", actor=finance_reviewer)
    assert [(p.row, p.column) for p in refused.value.problems] == [(row, column)]
    assert message in str(refused.value)
    assert not Payment.objects.exists()
    # The same rows, plain, are written whole in chunks of two.
    rows[row - 2] = [f"ZF-{row - 1:04d}", approved.code, 9.0, datetime.date(2027, 4, 1), None]
    result = services.import_payments(io.BytesIO(workbook(rows)), "p.xlsx", actor=finance_reviewer)
    assert (result.created, result.unchanged) == (5, 0)
    assert Payment.objects.count() == 5
