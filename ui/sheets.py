"""The one reader of uploaded workbooks: the rows of a named sheet as plain Python values.

Every import of an .xlsx file reads through here (the standards workbook, the
estimate template), always *after* the one package check (``ui.uploads.check_package``:
size, zip bomb, macros, DTDs), which is what keeps hostile files out; this
module only parses. It uses calamine (Rust, through python-calamine), several
times faster than openpyxl's read-only mode, and gives values as openpyxl did,
so the importers' checks stay as they were:

- an empty cell is ``None`` (calamine gives ``""``);
- a whole number is an ``int`` (calamine reads every number as a float), a
  fraction a ``float``; dates and times as ``datetime`` objects; text as ``str``;
- a cell holding a formula is a ``Formula`` (a ``str``: ``"="`` and the formula's
  text), never the value Excel cached for it: the importers refuse formulas, and
  calamine gives only cached values, so the sheet's XML is searched for them (a
  search of bytes, done at all only when the part holds a formula element).

Rows and columns are 1-based, as Excel shows them, for error messages.
"""

import posixpath
import re
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from html import unescape
from pathlib import Path
from typing import IO, Any, Self

from defusedxml import ElementTree
from python_calamine import CalamineError, CalamineWorkbook

# Whole numbers up to this stay exact in a float, and become ints.
EXACT_INT = 2**53
# A formula element in a sheet part (with or without a namespace prefix).
FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")
# A cell: its attributes, then its content unless it closes itself.
CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.DOTALL)
REFERENCE = re.compile(rb'\br="([A-Z]{1,3})([0-9]+)"')
FORMULA_TEXT = re.compile(rb"<(?:\w+:)?f\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?f>)", re.DOTALL)
ROW_NUMBER = re.compile(rb'<(?:\w+:)?row\b[^>]*?\br="([0-9]+)"')
# How far from the end of the sheet's data its last row element is looked for.
TAIL = 64 * 1024
RELATIONSHIP = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


class UnreadableWorkbookError(Exception):
    """The package passed the package check but its content cannot be parsed."""


class Formula(str):
    """A cell's formula, ``"="`` and its text, in place of the value Excel cached for it."""

    __slots__ = ()


Value = Any
Row = list[Value]


class WorkbookReader:
    """An open workbook; ``rows(sheet)`` reads one sheet. Use as a context manager."""

    def __init__(self, source: str | Path | IO[bytes]) -> None:
        if not isinstance(source, str | Path):
            source.seek(0)
        try:
            self._book = CalamineWorkbook.from_object(source)
        except (CalamineError, ValueError, OSError) as error:
            raise UnreadableWorkbookError(str(error)) from error
        finally:
            if not isinstance(source, str | Path):
                source.seek(0)
        self._source = source
        self.sheet_names: list[str] = list(self._book.sheet_names)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._book.close()

    def rows(self, sheet: str, *, max_rows: int | None = None) -> Iterator[tuple[int, Row]]:
        """``(row number, values)`` of every row of ``sheet``, column A first, from row 1
        to the last row the sheet's XML has, values or not (a row of formatted empty
        cells is a row, as in openpyxl; it comes as an empty list). ``max_rows`` stops
        the read there. ``KeyError`` if there is no such sheet; ``UnreadableWorkbookError``
        if it cannot be parsed."""
        if sheet not in self.sheet_names:
            raise KeyError(sheet)
        try:
            data = self._book.get_sheet_by_name(sheet).to_python(
                skip_empty_area=False, nrows=max_rows
            )
            part = self._part(sheet)
        except (CalamineError, ValueError, OverflowError) as error:
            raise UnreadableWorkbookError(str(error)) from error
        last = max(len(data), _last_row(part))
        if max_rows is not None:
            last = min(last, max_rows)
        formulas = _formulas(part, last)
        for index in range(last):
            number = index + 1
            values = [_value(cell) for cell in data[index]] if index < len(data) else []
            for column, text in formulas.get(number, {}).items():
                values += [None] * (column - len(values))
                values[column - 1] = Formula(text)
            yield number, values

    def raw_rows(self, sheet: str, *, max_rows: int | None = None) -> list[Row]:
        """The rows of ``sheet`` as calamine gives them, for a reader of many rows that
        converts only the cells it needs (the treasury's payments file): row ``n`` is
        item ``n - 1``; an empty cell is ``""``, every number a ``float``; a formula cell
        is still a ``Formula``, never its cached value. Use ``plain_value`` on a cell
        to get it as ``rows`` gives it. Stops at ``max_rows``; errors as ``rows``."""
        if sheet not in self.sheet_names:
            raise KeyError(sheet)
        # The sheet's XML is unpacked and searched for formulas in a thread while calamine
        # parses: calamine lets go of the GIL while it parses (and read the whole package
        # when it opened it), zlib while it unpacks.
        with ThreadPoolExecutor(max_workers=1) as pool:
            found = pool.submit(lambda: _formulas(self._part(sheet), max_rows))
            try:
                data: list[Row] = self._book.get_sheet_by_name(sheet).to_python(
                    skip_empty_area=False, nrows=max_rows
                )
            except (CalamineError, ValueError, OverflowError) as error:
                raise UnreadableWorkbookError(str(error)) from error
            formulas = found.result()
        for number, columns in formulas.items():
            if number > len(data):
                continue  # past the last row calamine gives: not a row of the sheet
            values = data[number - 1]
            for column, text in columns.items():
                values += [""] * (column - len(values))
                values[column - 1] = Formula(text)
        return data

    def _part(self, sheet: str) -> bytes:
        """The XML of the sheet, as stored in the package."""
        try:
            with self._zip() as package:
                part = _sheet_part(package, self.sheet_names.index(sheet))
                return package.read(part) if part else b""
        except (zipfile.BadZipFile, KeyError, OSError, ElementTree.ParseError) as error:
            raise UnreadableWorkbookError(str(error)) from error
        finally:
            if not isinstance(self._source, str | Path):
                self._source.seek(0)

    def _zip(self) -> zipfile.ZipFile:
        source = self._source
        if not isinstance(source, str | Path):
            source.seek(0)
        return zipfile.ZipFile(source)


def _formulas(part: bytes, last_row: int | None) -> dict[int, dict[int, str]]:
    """The formulas of the sheet's cells up to ``last_row`` (None: all), by row and column."""
    found: dict[int, dict[int, str]] = {}
    # A formula element starts "<f" or, with a prefix, ":f": without either (a search of
    # bytes, a fraction of the pattern's time over a large sheet), there is none.
    if (b"<f" not in part and b":f" not in part) or not FORMULA_TAG.search(part):
        return found
    for cell in CELL.finditer(part):
        content = cell.group(2)
        formula = FORMULA_TEXT.search(content) if content else None
        reference = REFERENCE.search(cell.group(1))
        if formula is None or reference is None:
            continue
        row = int(reference.group(2))
        if last_row is None or row <= last_row:
            text = unescape((formula.group(1) or b"").decode("utf-8", "replace"))
            found.setdefault(row, {})[_column_number(reference.group(1))] = "=" + text
    return found


def _last_row(part: bytes) -> int:
    """The number of the sheet's last row element, from the end of its XML."""
    end = part.rfind(b"</sheetData>")
    tail = part[max(0, end - TAIL) : end] if end >= 0 else part[-TAIL:]
    numbers = ROW_NUMBER.findall(tail)
    return int(numbers[-1]) if numbers else 0


def plain_value(cell: Value) -> Value:
    """A cell of ``raw_rows`` as ``rows`` gives it (None for empty, whole numbers as int)."""
    return _value(cell)


def _value(cell: Value) -> Value:
    if cell == "" and isinstance(cell, str):
        return None
    if isinstance(cell, float) and cell.is_integer() and abs(cell) < EXACT_INT:
        return int(cell)
    return cell


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _sheet_part(package: zipfile.ZipFile, index: int) -> str | None:
    """The zip path of the workbook's ``index``-th sheet (workbook order, as calamine
    lists them), through the workbook's relationships."""
    # Parsed with defusedxml; the package check refused any DTD before this.
    workbook = ElementTree.fromstring(package.read("xl/workbook.xml"))
    sheets = [element for element in workbook.iter() if element.tag.endswith("}sheet")]
    if index >= len(sheets):
        return None
    target_id = sheets[index].get(RELATIONSHIP)
    relationships = ElementTree.fromstring(package.read("xl/_rels/workbook.xml.rels"))
    for relationship in relationships:
        if relationship.get("Id") == target_id:
            target = relationship.get("Target", "")
            if target.startswith("/"):
                return target.lstrip("/")
            return posixpath.normpath(posixpath.join("xl", target))
    return None
