"""Finance's payments import (.xlsx and .csv): all or nothing with sheet, row and column,
idempotent by the payment reference, the written sum equal to the file's total."""

import datetime
import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Sum
from django.test import Client
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from accounts.models import User
from audit.models import Event
from execution import payment_file, services
from execution.models import Payment
from projects.models import Project

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
