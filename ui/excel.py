"""Excel output that is safe to open: no formulas from user text, numbers stay numbers.

Text that begins with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or
NUL could be run as a formula by Excel (formula injection, OWASP). Such text
is written as an explicit string cell with Excel's quote-prefix style (what
typing a leading apostrophe does), so it shows exactly as typed and is never
evaluated. Decimals are written as numbers. Sheet titles lose the characters
Excel forbids in them and are cut to its 31 characters (``sheet_title``).

Every workbook the app writes goes through here: ``write_table``/``save_table``
for one table, ``row_writer`` for the rows (``cell_writer`` for a column) of a
workbook built elsewhere (the standards export, the estimate template),
``safe_cell`` for a single cell.
"""

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from io import BytesIO
from typing import IO, Any

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")
YUAN_FORMAT = "#,##0.00"
# Summaries show 万元 (10,000 yuan): the values are divided before writing, as no
# Excel number format divides by 10,000.
WAN_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.00"
HEADER_FONT = Font(bold=True)
# What Excel refuses in a sheet title (openpyxl raises on them), and its length limit.
FORBIDDEN_IN_TITLE = re.compile(r"[\\/*?:\[\]]")
MAX_TITLE = 31


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    """A workbook as a download named ``filename`` (ASCII: codes and dates, no user text)."""
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def clean_text(value: str) -> str:
    """Drop the control characters an .xlsx file cannot hold (NUL and the like)."""
    return value if value.isprintable() else ILLEGAL_CHARACTERS_RE.sub("", value)


def sheet_title(title: str, default: str = "Sheet") -> str:
    """``title`` as Excel accepts it: no ``\\ / * ? : [ ]`` (each becomes ``_``), no
    control characters, no apostrophe at either end, at most 31 characters, not empty."""
    title = FORBIDDEN_IN_TITLE.sub("_", clean_text(title)).strip()
    title = title[:MAX_TITLE].strip("'").strip()
    # Excel keeps "History" for its change tracking and repairs a file that uses it.
    if title.lower() == "history":
        title = f"{title}_"
    return title or default


def safe_cell(sheet: Worksheet, value: Any, *, number_format: str | None = None) -> WriteOnlyCell:
    """One cell holding ``value``: text that could start a formula as a quoted string."""
    if isinstance(value, str):
        value = clean_text(value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        cell.data_type = "s"
        cell.quotePrefix = True
    if number_format:
        cell.number_format = number_format
    return cell


def write_table(
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    money_columns: frozenset[int] = frozenset(),
    widths: Sequence[int] = (),
    formats: Mapping[int, str] | None = None,
    totals: Sequence[Any] | None = None,
    preamble: Sequence[Sequence[Any]] = (),
) -> bytes:
    """One sheet as the bytes of an .xlsx file (see ``save_table``)."""
    buffer = BytesIO()
    save_table(
        buffer,
        title,
        headers,
        rows,
        formats={**dict.fromkeys(money_columns, YUAN_FORMAT), **(formats or {})},
        widths=widths,
        totals=totals,
        preamble=preamble,
    )
    return buffer.getvalue()


def save_table(
    target: str | IO[bytes],
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    formats: Mapping[int, str] | None = None,
    widths: Sequence[int] = (),
    totals: Sequence[Any] | None = None,
    preamble: Sequence[Sequence[Any]] = (),
) -> int:
    """One sheet in write-only mode (memory stays flat however many rows): bold frozen
    header, autofilter over the data rows, number formats by column index, and an
    optional bold totals row below the filtered range. Returns the number of data rows.
    ``preamble``: rows of facts (label, value) above the table, e.g. a document's
    year and number, followed by an empty row; each cell is as safe as the table's."""
    formats = formats or {}
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title(title))
    for index, width in enumerate(widths):
        sheet.column_dimensions[_column_letter(index)].width = width
    header_row = len(preamble) + 2 if preamble else 1
    sheet.freeze_panes = f"A{header_row + 1}"
    for fact in preamble:
        cells = [safe_cell(sheet, value) for value in fact]
        if cells:
            cells[0].font = HEADER_FONT
        sheet.append(cells)
    if preamble:
        sheet.append([])
    header_cells = []
    for header in headers:
        cell = safe_cell(sheet, header)
        cell.font = HEADER_FONT
        cell.alignment = Alignment(vertical="center")
        header_cells.append(cell)
    sheet.append(header_cells)
    export = row_writer(sheet, [formats.get(index) for index in range(len(headers))])
    count = 0
    for row in rows:
        sheet.append(export(row))
        count += 1
    last_column = _column_letter(len(headers) - 1)
    sheet.auto_filter.ref = f"A{header_row}:{last_column}{header_row + count}"
    if totals is not None:
        total_cells = []
        for index, value in enumerate(totals):
            cell = safe_cell(sheet, value, number_format=formats.get(index))
            cell.font = HEADER_FONT
            total_cells.append(cell)
        sheet.append(total_cells)
    workbook.save(target)
    return count


class _ColumnCell(Cell):
    """The styled cell a column reuses for every value (see ``cell_writer``).

    A write-only sheet tries each appended item as a value first and takes it as a
    cell when that fails, formatting a message with the item's ``repr``; a cell's
    ``repr`` builds its coordinate, a tenth of a large export's time. Nothing
    shows this one."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<ColumnCell>"


def cell_writer(sheet: Worksheet, number_format: str | None = None) -> Callable[[Any], Any]:
    """A function giving a column's cell for a value, to ``sheet.append`` on a write-only
    sheet: the plain value where that is safe, else a styled or quoted cell. Empty text
    is no value. (A normal sheet keeps the cells it is given: use ``safe_cell`` there.)

    A write-only sheet serialises each row as it is appended, so one styled cell
    per column can carry every row's value; a new styled cell per value cost a
    third of a large export. The cell is made at the first value that needs it,
    so a column with none adds no format to the file. Only text is checked for
    formulas (the check runs for every text cell, so it is kept short).
    """
    templates: list[WriteOnlyCell] = []

    def styled(value: Any) -> WriteOnlyCell:
        if not templates:
            templates.append(_ColumnCell(sheet, row=1, column=1))
            templates[0].number_format = number_format
        template = templates[0]
        template.value = value
        return template

    def write(value: Any) -> Any:
        if isinstance(value, str):
            if not value:
                return None
            if not value.isprintable() or value.startswith(FORMULA_TRIGGERS):
                return safe_cell(sheet, value, number_format=number_format)
            return styled(value) if number_format else value
        if number_format is None or value is None or isinstance(value, bool):
            return value
        return styled(value)

    return write


def row_writer(
    sheet: Worksheet, formats: Sequence[str | None]
) -> Callable[[Sequence[Any]], list[Any]]:
    """A function giving a row's cells for its values, column by column as ``cell_writer``
    gives them (the same checks and the same cells), in one call a row: a large export
    spent a tenth of its time calling a writer per value. Empty text is no value."""
    writers = [cell_writer(sheet, number_format) for number_format in formats]
    formatted = [number_format is not None for number_format in formats]
    columns = list(zip(writers, formatted, strict=True))

    def write(values: Sequence[Any]) -> list[Any]:
        row: list[Any] = []
        for value, (writer, styled) in zip(values, columns, strict=True):
            if value is None:
                row.append(None)
            elif type(value) is str:
                # The common text: printable, no formula trigger, in a column without format.
                row.append(
                    value
                    if value and not styled and value.isprintable()
                    and not value.startswith(FORMULA_TRIGGERS)
                    else writer(value)
                )  # fmt: skip
            else:
                row.append(writer(value) if styled else value)
        return row

    return write


def _column_letter(index: int) -> str:
    return get_column_letter(index + 1)
