"""Excel output that is safe to open: no formulas from user text, numbers stay numbers.

Text that begins with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or
NUL could be run as a formula by Excel (formula injection, OWASP). Such text
is written as an explicit string cell with Excel's quote-prefix style (what
typing a leading apostrophe does), so it shows exactly as typed and is never
evaluated. Decimals are written as numbers.
"""

from collections.abc import Iterable, Sequence
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")
YUAN_FORMAT = "#,##0.00"
HEADER_FONT = Font(bold=True)


def safe_cell(sheet: Worksheet, value: Any, *, number_format: str | None = None) -> WriteOnlyCell:
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        cell.quotePrefix = True
        return cell
    cell = WriteOnlyCell(sheet, value=value)
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
) -> bytes:
    """One sheet: bold frozen header, autofilter, money in 元 with two decimals."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for index, width in enumerate(widths):
        sheet.column_dimensions[_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = HEADER_FONT
        cell.alignment = Alignment(vertical="center")
        header_cells.append(cell)
    sheet.append(header_cells)
    count = 0
    for row in rows:
        sheet.append(
            [
                safe_cell(
                    sheet, value, number_format=YUAN_FORMAT if index in money_columns else None
                )
                for index, value in enumerate(row)
            ]
        )
        count += 1
    sheet.auto_filter.ref = f"A1:{_column_letter(len(headers) - 1)}{count + 1}"
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _column_letter(index: int) -> str:
    return get_column_letter(index + 1)
