"""The treasury's payments file (支付明细), as Excel or CSV: its template and its reader.

One sheet (or a CSV file) with a header row and one payment a row: the treasury's
payment reference (支付流水号, the key that makes importing the same file twice change
nothing), the project code, the amount in yuan, the date paid and, optionally, the
treasury's contract reference. The reader checks every cell and gives every problem
by sheet, row and column; ``services.import_payments`` writes the rows through the
API's batch service, all or nothing.
"""

import csv
import datetime
import io
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from itertools import chain, repeat
from operator import itemgetter, mul, truediv
from pathlib import PurePath
from typing import IO, Any, NamedTuple

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from execution.limits import (
    FIRST_DAY,
    REFERENCE_MAX,
    all_references,
    date_refusal,
    last_day,
    reference_refusal,
)
from standards.pricing import PricingError, check_amount
from ui.excel import write_table
from ui.sheets import UnreadableWorkbookError, WorkbookReader, plain_value
from ui.uploads import MB, check_package, megabytes

SHEET = "支付明细"
HEADERS = ("支付流水号", "项目编码", "支付金额（元）", "支付日期", "合同编号")
LETTERS = "ABCDE"
MAX_ROWS = 200_000  # a province's year of payments, with room
MAX_XLSX_BYTES = 20 * MB
MAX_CSV_BYTES = 20 * MB
ZIP_SIGNATURE = b"PK\x03\x04"  # how every .xlsx starts


@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int  # 0: the file as a whole
    column: str
    message: str

    def __str__(self) -> str:
        if not self.row:
            return self.message
        return _("Sheet %(sheet)s, row %(row)s, column %(column)s: %(message)s") % {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


class FileRefusedError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = problems


class PaymentRow(NamedTuple):
    """One payment of the file (a tuple: a file holds a hundred thousand of them)."""

    row: int
    reference: str
    project_code: str
    amount: Decimal
    paid_on: datetime.date
    contract_reference: str | None


@dataclass(frozen=True)
class Columns:
    """A plain file's payments a column at a time, each cell as COPY's text format takes it
    (no Python object per row, issue #17): made by ``_plain_columns``."""

    references: tuple[str, ...]
    codes: tuple[str, ...]
    amounts: tuple[float, ...]  # two decimals at most, below ``QUICK_MAX``
    cents: list[int]  # each amount in fen
    dates: tuple[str, ...]  # ISO
    contracts: tuple[str, ...]  # "" where none
    first_row: int = 2  # the sheet's row of the first

    @classmethod
    def joined(cls, parts: Sequence["Columns"]) -> "Columns":
        """Consecutive chunks of a file as one."""
        return cls(
            references=tuple(chain.from_iterable(part.references for part in parts)),
            codes=tuple(chain.from_iterable(part.codes for part in parts)),
            amounts=tuple(chain.from_iterable(part.amounts for part in parts)),
            cents=list(chain.from_iterable(part.cents for part in parts)),
            dates=tuple(chain.from_iterable(part.dates for part in parts)),
            contracts=tuple(chain.from_iterable(part.contracts for part in parts)),
            first_row=parts[0].first_row if parts else 2,
        )

    def copy_text(self) -> bytes:
        """The rows in COPY's text format: row number, reference, project code, amount,
        date, contract or ``\\N``."""
        lines = map(
            "\t".join,
            zip(
                map(str, range(self.first_row, len(self.references) + self.first_row)),
                self.references,
                self.codes,
                self.amount_texts(),
                self.dates,
                [contract or "\\N" for contract in self.contracts],
                strict=True,
            ),
        )
        return ("\n".join(lines) + "\n").encode()

    def amount_texts(self) -> Iterator[str]:
        """The shortest text of each float, exact in ``numeric`` for two decimals."""
        return map(repr, self.amounts)


@dataclass(frozen=True)
class PlainFile:
    """A workbook shaped as the treasury's system writes it (a header, rows of one length,
    project codes and contracts plainly right), its other cells not checked yet: the
    direct write checks them ``CHUNK`` rows at a time (``chunk_columns``) while PostgreSQL
    takes the rows before (issue #17); ``checked`` checks them all."""

    data: list[list[Any]]  # the header first
    codes: tuple[str, ...]
    contracts: tuple[str, ...]  # "" where none

    def chunk_columns(self, size: int) -> Iterator[Columns | None]:
        """The rows ``size`` at a time as ``Columns``, each checked as ``_plain_columns``
        checks a file (None for a chunk that is not plain; the references' uniqueness
        across chunks is the caller's)."""
        for start in range(1, len(self.data), size):
            yield _plain_cells(
                self.data[start : start + size],
                self.codes[start - 1 : start - 1 + size],
                self.contracts[start - 1 : start - 1 + size],
                first_row=start + 1,
            )

    def checked(self) -> "Payments":
        """Every cell checked: column-wise when plain, else row by row with each problem
        (``FileRefusedError``)."""
        columns = _plain_columns(self.data)
        if columns is not None:
            return Payments(count=len(self.data) - 1, columns=columns)
        rows = _check(_numbered(self.data), SHEET)
        return Payments(count=len(rows), rows=rows)


@dataclass(frozen=True)
class Payments:
    """Every payment of a file. A file as the treasury's system writes it comes as
    ``plain`` (its cells checked as they are written) or ``columns``, checked column by
    column; any other file as ``rows``, checked cell by cell."""

    count: int
    columns: Columns | None = None
    rows: Sequence[PaymentRow] = ()
    plain: PlainFile | None = None

    def checked(self) -> "Payments":
        """Every cell checked (``FileRefusedError`` with every problem)."""
        return self.plain.checked() if self.plain is not None else self


def template() -> bytes:
    """The empty file to fill in, with one example row."""
    return write_table(
        SHEET,
        list(HEADERS),
        [["ZF-2026-000001", "2026-EDU-0001", Decimal("10000.00"), datetime.date(2026, 3, 31), ""]],
        money_columns=frozenset({2}),
        widths=[22, 18, 16, 12, 22],
    )


def read(file: IO[bytes], name: str) -> Payments:
    """Every row of the uploaded file (.xlsx or .csv, by its name), or FileRefusedError
    with every problem; ValidationError for a file too large or no workbook at all."""
    suffix = PurePath(name).suffix.lower()
    if suffix == ".csv":
        rows = _check(_csv_rows(file, name), "CSV")
        return Payments(count=len(rows), rows=rows)
    if suffix != ".xlsx":
        raise ValidationError(
            _("%(name)s: only .xlsx and .csv files are accepted here.") % {"name": name},
            code="type",
        )
    check_package(file, name, max_bytes=MAX_XLSX_BYTES)
    try:
        with WorkbookReader(file) as book:
            if SHEET not in book.sheet_names:
                raise FileRefusedError(
                    [Problem(SHEET, 0, "", _("The sheet %(sheet)s is missing.") % {"sheet": SHEET})]
                )
            data = book.raw_rows(SHEET, max_rows=MAX_ROWS + 2)
    except UnreadableWorkbookError:
        raise FileRefusedError(
            [Problem(SHEET, 0, "", _("The workbook is damaged or contains unsafe XML."))]
        ) from None
    _check_header(data[0] if data else [], SHEET)
    plain = _plain_shape(data)
    if plain is not None:
        return Payments(count=len(data) - 1, plain=plain)
    rows = _check(_numbered(data), SHEET)
    return Payments(count=len(rows), rows=rows)


def _csv_rows(file: IO[bytes], name: str) -> Iterator[tuple[int, list[Any]]]:
    size = file.seek(0, 2)
    file.seek(0)
    if size > MAX_CSV_BYTES:
        raise ValidationError(
            _("%(name)s is larger than %(limit)s.")
            % {"name": name, "limit": megabytes(MAX_CSV_BYTES)},
            code="size",
        )
    data = file.read()
    if data.startswith(ZIP_SIGNATURE):
        # A workbook named .csv: decoded, its bytes would be shown as the header.
        raise ValidationError(
            _(
                "%(name)s is not a CSV text file: save the sheet as CSV, or upload the "
                "workbook as .xlsx."
            )
            % {"name": name},
            code="type",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030", errors="replace")  # what Excel saves in Chinese Windows
    for number, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
        yield number, [cell if cell.strip() else None for cell in row]


def _numbered(rows: list[list[Any]]) -> Iterator[tuple[int, list[Any]]]:
    """The workbook's raw rows (``""`` for an empty cell) numbered from 1."""
    return enumerate(rows, start=1)


def _check_header(header: list[Any], sheet: str) -> None:
    found = [str(cell or "").strip() for cell in header[: len(HEADERS)]]
    found += [""] * (len(HEADERS) - len(found))
    problems = [
        Problem(
            sheet,
            1,
            LETTERS[index],
            _("Expected the header %(expected)s, found %(found)s.")
            % {"expected": expected, "found": given or "—"},
        )
        for index, (expected, given) in enumerate(zip(HEADERS, found, strict=True))
        if given != expected
    ]
    if problems:
        raise FileRefusedError(problems)


def _check(rows: Iterable[tuple[int, list[Any]]], sheet: str) -> list[PaymentRow]:
    iterator = iter(rows)
    _number, header = next(iterator, (1, []))
    _check_header(header, sheet)
    out: list[PaymentRow] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for number, cells in iterator:
        if number > MAX_ROWS + 1:
            raise FileRefusedError(
                [
                    Problem(
                        sheet,
                        0,
                        "",
                        _("The file has more than %(rows)d payments.") % {"rows": MAX_ROWS},
                    )
                ]
            )
        fast = _plain_row(number, cells, seen)
        if fast is not None:
            out.append(fast)
            continue
        values = [plain_value(cell) for cell in cells[: len(HEADERS)]]
        values += [None] * (len(HEADERS) - len(values))
        if all(value is None for value in values):
            continue
        row = _row(sheet, number, values, seen, problems)
        if row is not None:
            out.append(row)
    if problems:
        raise FileRefusedError(problems)
    if not out:
        raise FileRefusedError([Problem(sheet, 0, "", _("The file holds no payment."))])
    return out


# The largest amount the quick path takes as it is; anything near the limit goes the
# long way, through ``check_amount``.
QUICK_MAX = 1e11


def _plain_row(number: int, cells: list[Any], seen: dict[str, int]) -> PaymentRow | None:
    """The row when it is plainly right as the treasury's system writes it (text reference
    and code, a number of yuan with at most two decimals, a date, no or a text contract
    reference), in a fraction of ``_row``'s time; None to have ``_row`` check it cell by
    cell and say what is wrong. Whatever it takes, ``_row`` would take alike."""
    if len(cells) < 4:  # reference, code, amount, date
        return None
    reference, code, amount, paid_on = cells[0], cells[1], cells[2], cells[3]
    contract = cells[4] if len(cells) > 4 else None
    if (
        type(reference) is not str
        or reference_refusal(reference)
        or reference in seen
        or type(code) is not str
        or not code
        or not _plain_key(code)
        or code != code.strip()
        or type(amount) is not float
        or not 0 < amount < QUICK_MAX
        or round(amount, 2) != amount
    ):
        return None
    if type(paid_on) is datetime.datetime:
        paid_on = paid_on.date()
    elif type(paid_on) is not datetime.date:
        return None
    if date_refusal(paid_on):
        return None
    if contract == "":
        contract = None
    elif contract is not None and (type(contract) is not str or reference_refusal(contract)):
        return None
    seen[reference] = number
    # repr: the shortest text of the float, its two decimals at most (round above).
    return PaymentRow(number, reference, code, Decimal(repr(amount)), paid_on, contract)


# Characters COPY's text format would need escaped: a file holding any goes cell by cell
# (``PaymentRow``s, which psycopg escapes), as does a NUL, which no text column takes.
COPY_SPECIAL = ("\\", "\t", "\n", "\r", "\x00")


def _plain_columns(data: list[list[Any]]) -> Columns | None:
    """The payments of ``data`` (the header first) column by column, when every row is
    plainly right as ``_plain_row`` takes it, checked a column at a time (builtins over
    whole columns, no Python call per cell: a tenth of the row-wise time); None to have
    ``_check`` read the rows one by one and say what is wrong. A test holds it to
    ``_check``'s result on the same rows."""
    plain = _plain_shape(data)
    if plain is None:
        return None
    columns = _plain_cells(data[1:], plain.codes, plain.contracts, first_row=2)
    if columns is None or len(set(columns.references)) != len(columns.references):
        return None
    return columns


def _plain_shape(data: list[list[Any]]) -> PlainFile | None:
    """``data`` as a ``PlainFile`` when it is shaped as the treasury writes it: a header
    and rows of one length, four or five columns, the project codes and contracts
    plainly right; None to have ``_check`` read it row by row. Only what the direct write
    needs before its first row (the projects to lock, the contracts) is checked here."""
    body = data[1:]
    if not body or len(body) > MAX_ROWS or len(set(map(len, body))) != 1 or len(body[0]) < 4:
        return None
    # A column at a time (``zip(*body)`` is several times slower on 100,000 rows).
    codes = tuple(map(itemgetter(1), body))
    contracts = tuple(map(itemgetter(4), body)) if len(body[0]) > 4 else ("",) * len(body)
    # A file names a few hundred projects and contracts: each distinct one checked once
    # (every cell's value is among them, its type too).
    if not (all(map(_plain_code, set(codes))) and all(map(_plain_contract, set(contracts)))):
        return None
    return PlainFile(data=data, codes=codes, contracts=contracts)


def _plain_cells(
    body: list[list[Any]],
    codes: tuple[str, ...],
    contracts: tuple[str, ...],
    *,
    first_row: int,
) -> Columns | None:
    """Rows of a ``PlainFile`` (their codes and contracts checked) as ``Columns``, their
    references, amounts and dates checked a column at a time; None if any is not plain.
    The references' uniqueness is the caller's to check."""
    references, amounts, dates = (tuple(map(itemgetter(n), body)) for n in (0, 2, 3))
    if not (
        set(map(type, references)) == {str}
        # The one rule of a treasury reference (``limits``): one match over the column,
        # which also keeps out what COPY's text format would need escaped.
        and all_references(references)
        and set(map(type, amounts)) == {float}
        and all(map(math.isfinite, amounts))
        and min(amounts) > 0
        and max(amounts) < QUICK_MAX
        and set(map(type, dates)) <= {datetime.date, datetime.datetime}
    ):
        return None
    # Each amount in fen: exact, a float below ``QUICK_MAX`` being within far less than
    # half a fen of its hundredfold; the amount has two decimals at most when it is its
    # fen's hundredth (what ``round(amount, 2) == amount`` says, in half the time).
    cents = list(map(round, map(mul, amounts, repeat(100.0))))
    if tuple(map(truediv, cents, repeat(100))) != amounts:
        return None
    # A date's text once for each date (a year of payments has a few hundred), a
    # datetime's date as ``_plain_row`` takes it.
    iso = {day: datetime.date.isoformat(day) for day in set(dates)}
    # ISO dates sort as the days do: the first and last against the limits.
    if min(iso.values()) < FIRST_DAY.isoformat() or max(iso.values()) > last_day().isoformat():
        return None
    return Columns(
        references=references,
        codes=codes,
        amounts=amounts,
        cents=cents,
        dates=tuple(map(iso.__getitem__, dates)),
        contracts=contracts,
        first_row=first_row,
    )


def _plain_code(code: Any) -> bool:
    """Whether a project code is text as ``_plain_row`` takes it, nothing COPY's text format
    would need escaped."""
    return (
        type(code) is str
        and bool(code)
        and code == code.strip()
        and _plain_key(code)
        and not any(special in code for special in COPY_SPECIAL)
    )


def _plain_contract(contract: Any) -> bool:
    """Whether a contract cell is empty or a treasury reference."""
    return type(contract) is str and (not contract or not reference_refusal(contract))


def _row(
    sheet: str, number: int, values: list[Any], seen: dict[str, int], problems: list[Problem]
) -> PaymentRow | None:
    def problem(column: int, message: str) -> None:
        problems.append(Problem(sheet, number, LETTERS[column], message))

    before = len(problems)
    reference = _text(values[0])
    if not reference:
        problem(0, _("The payment reference is missing."))
    elif refusal := reference_refusal(reference):
        problem(0, refusal)
    elif reference in seen:
        problem(
            0,
            _("%(reference)s is listed already in row %(row)s.")
            % {"reference": reference, "row": seen[reference]},
        )
    else:
        seen[reference] = number
    code = _text(values[1])
    if not code:
        problem(1, _("The project code is missing."))
    elif not _plain_key(code):
        problem(1, _key_refusal(1))
    amount = _amount(values[2])
    if isinstance(amount, str):
        problem(2, amount)
    paid_on = _date(values[3])
    if isinstance(paid_on, str):
        problem(3, paid_on)
    contract = _text(values[4]) or None
    if contract and (refusal := reference_refusal(contract)):
        problem(4, refusal)
    if len(problems) > before:
        return None
    assert isinstance(amount, Decimal) and isinstance(paid_on, datetime.date)
    return PaymentRow(number, reference, code, amount, paid_on, contract)


def _plain_key(text: str) -> bool:
    """The rule of the file's project code (its references and contracts are treasury
    references, ``limits.reference_refusal``): at most ``REFERENCE_MAX`` characters and no
    NUL, which no PostgreSQL text column takes (the file's rows go into one with COPY
    before any check)."""
    return len(text) <= REFERENCE_MAX and "\x00" not in text


def _key_refusal(column: int) -> str:
    return _("%(what)s is at most %(max)s characters, without NUL.") % {
        "what": HEADERS[column],
        "max": REFERENCE_MAX,
    }


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _amount(value: Any) -> Decimal | str:  # noqa: PLR0911  # one return per check
    """The amount, or what is wrong with it."""
    if value is None:
        return _("The amount is missing.")
    if isinstance(value, bool | datetime.date):
        return _not_amount(value)
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        return _not_amount(value)
    if not amount.is_finite():
        return _not_amount(value)
    try:
        check_amount(amount, HEADERS[2])
    except PricingError as error:
        return str(error.message)
    if amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        return _("An amount above zero, with at most two decimal places (fen).")
    return amount


def _not_amount(value: Any) -> str:
    return _("Not an amount: %(value)s.") % {"value": value}


def _date(value: Any) -> datetime.date | str:
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return date_refusal(value) or value
    text = _text(value)
    if not text:
        return _("The date is missing.")
    for form in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d"):
        try:
            day = datetime.datetime.strptime(text, form).date()  # noqa: DTZ007  # a date
        except ValueError:
            continue
        return date_refusal(day) or day
    return _("Not a date (YYYY-MM-DD): %(value)s.") % {"value": text}
