"""Filling the downloaded estimate template as a clerk would: by its Chinese headers."""

import io
from typing import Any

from openpyxl import load_workbook


def fill_template(template: bytes, rows: list[dict[str, Any]], *, keep: bool = False) -> bytes:
    """The template with ``rows`` (header -> value) appended; its pre-filled lines
    are cleared unless ``keep``. A value given as ``("text", s)`` is typed as text,
    as Excel stores an entry that starts with an apostrophe."""
    book = load_workbook(io.BytesIO(template))
    sheet = book["预算明细"]
    headers = [cell.value for cell in sheet[1]]
    if not keep and sheet.max_row > 1:
        sheet.delete_rows(2, sheet.max_row - 1)
    for values in rows:
        unknown = set(values) - set(headers)
        assert not unknown, f"no such columns: {unknown}"
        number = sheet.max_row + 1
        for header, value in values.items():
            cell = sheet.cell(row=number, column=headers.index(header) + 1)
            if isinstance(value, tuple):
                cell.value = value[1]
                cell.data_type = "s"
                cell.quotePrefix = True
            else:
                cell.value = value
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(content: bytes, name: str = "estimate.xlsx") -> io.BytesIO:
    file = io.BytesIO(content)
    file.name = name
    return file
