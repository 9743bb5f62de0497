"""The one reader of uploaded workbooks (ui.sheets): values as openpyxl gave them."""

import datetime
import io
import math
import zipfile
from decimal import Decimal

import pytest
from openpyxl import Workbook

from ui.sheets import Formula, UnreadableWorkbookError, WorkbookReader


def _book(fill) -> io.BytesIO:
    book = Workbook()
    book.active.title = "first"
    sheet = book.create_sheet("数据")
    fill(sheet)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


def _rows(source, sheet="数据", **kwargs) -> list[tuple[int, list]]:
    with WorkbookReader(source) as reader:
        return list(reader.rows(sheet, **kwargs))


def _patched(buffer: io.BytesIO, part: str, old: str, new: str) -> io.BytesIO:
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w") as target:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == part:
                text = data.decode()
                assert old in text
                data = text.replace(old, new).encode()
            target.writestr(member, data)
    out.seek(0)
    return out


def test_values_come_as_openpyxl_gave_them_with_excel_row_numbers():
    def fill(sheet):
        sheet["B2"] = 5
        sheet["C2"] = 5.5
        sheet["D2"] = " 文本 "
        sheet["E2"] = datetime.date(2019, 1, 1)
        sheet["F2"] = True
        sheet["A4"] = "2.10"
        sheet["B4"] = 0.1

    rows = _rows(_book(fill))
    assert rows == [
        (1, [None, None, None, None, None, None]),
        (2, [None, 5, 5.5, " 文本 ", datetime.date(2019, 1, 1), True]),
        (3, [None, None, None, None, None, None]),
        (4, ["2.10", 0.1, None, None, None, None]),
    ]
    whole = rows[1][1][1]
    assert type(whole) is int  # calamine reads every number as a float
    assert Decimal(repr(rows[3][1][1])) == Decimal("0.1")


def test_a_formula_is_its_text_never_its_cached_value():
    def fill(sheet):
        sheet["A1"] = "header"
        sheet["B2"] = '=SUM(1,2)&"<x>"'
        sheet["C2"] = "=A1"
        sheet["D5"] = "=1+1"  # the sheet's last row holds only a formula

    rows = _rows(_book(fill))
    assert rows[1][1][1:3] == ['=SUM(1,2)&"<x>"', "=A1"]
    assert all(isinstance(value, Formula) for value in rows[1][1][1:3])
    assert rows[-1][0] == 5
    assert rows[-1][1][3] == "=1+1"
    assert isinstance(rows[-1][1][3], Formula)


def test_a_cached_value_of_a_formula_is_never_read():
    buffer = _book(lambda sheet: sheet.__setitem__("A1", "=1+1"))
    patched = _patched(buffer, "xl/worksheets/sheet2.xml", "<v />", "<v>2</v>")
    [(number, values)] = _rows(patched)
    assert (number, values) == (1, ["=1+1"])


def test_a_shared_formula_of_a_following_cell_is_a_formula():
    buffer = _book(lambda sheet: (sheet.__setitem__("A1", 1), sheet.__setitem__("A2", 2)))
    patched = _patched(
        buffer,
        "xl/worksheets/sheet2.xml",
        '<c r="A2" t="n"><v>2</v></c>',
        '<c r="A2" t="n"><f t="shared" si="0"/><v>2</v></c>',
    )
    rows = _rows(patched)
    assert rows[1][1] == ["="]
    assert isinstance(rows[1][1][0], Formula)


def test_text_that_begins_with_an_equals_sign_is_text():
    buffer = _book(lambda sheet: sheet.append(["'=HYPERLINK(1)"]))
    [(_number, [value])] = _rows(buffer)
    assert not isinstance(value, Formula)


def test_formatted_empty_rows_count_as_rows_and_max_rows_stops_the_read():
    def fill(sheet):
        sheet["A1"] = "header"
        for number in range(2, 8):
            sheet.cell(row=number, column=1).number_format = "@"

    rows = _rows(_book(fill))
    assert [number for number, _values in rows] == [1, 2, 3, 4, 5, 6, 7]
    assert rows[-1][1] == []
    assert [number for number, _values in _rows(_book(fill), max_rows=3)] == [1, 2, 3]


def test_no_number_and_infinities_are_floats_a_broken_number_is_unreadable():
    buffer = _book(lambda sheet: (sheet.append([1.5]), sheet.append([2.5])))
    part = "xl/worksheets/sheet2.xml"
    nan = _patched(buffer, part, "<v>1.5</v>", "<v>NaN</v>")
    [(_one, [value]), _two] = _rows(nan)
    assert math.isnan(value)
    buffer.seek(0)
    with pytest.raises(UnreadableWorkbookError):
        _rows(_patched(buffer, part, "<v>1.5</v>", "<v>abc</v>"))


def test_a_missing_sheet_is_a_key_error_and_a_non_workbook_unreadable():
    with pytest.raises(KeyError):
        _rows(_book(lambda sheet: None), "其他")
    with pytest.raises(UnreadableWorkbookError):
        WorkbookReader(io.BytesIO(b"PK\x03\x04 not a zip"))


def test_the_file_is_left_at_its_start_for_the_caller():
    buffer = _book(lambda sheet: sheet.append([1]))
    with WorkbookReader(buffer) as reader:
        assert reader.sheet_names == ["first", "数据"]
        list(reader.rows("数据"))
    assert buffer.tell() == 0
