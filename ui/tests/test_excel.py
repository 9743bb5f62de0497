"""The one Excel writer: text stays text, money stays numbers, sheet titles as Excel allows."""

import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from ui.excel import MAX_TITLE, cell_writer, row_writer, sheet_title, write_table


@pytest.mark.parametrize(
    "text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "\0=2", "=cmd|' /C calc'!A0"]
)
def test_write_table_writes_formula_like_text_as_text(text: str) -> None:
    content = write_table(
        "t", ["文本", "金额"], [[text, Decimal("1234.50")]], money_columns=frozenset({1})
    )
    sheet = load_workbook(io.BytesIO(content)).active
    cell, amount = sheet["A2"], sheet["B2"]
    assert cell.data_type == "s"
    # NUL cannot be stored at all; XML reads a carriage return back as a line feed.
    assert cell.value == text.replace("\0", "").replace("\r", "\n")
    assert amount.data_type == "n"
    assert amount.value == 1234.5


@pytest.mark.parametrize(
    ("title", "safe"),
    [
        ("2027年第一批", "2027年第一批"),
        ("a/b\\c*d?e:f[g]h", "a_b_c_d_e_f_g_h"),
        ("x" * 40, "x" * MAX_TITLE),
        ("'引号'", "引号"),
        ("  ", "Sheet"),
        ("[]", "__"),
        ("History", "History_"),
        ("第一批\0\x07", "第一批"),
    ],
)
def test_sheet_titles_are_what_excel_accepts(title: str, safe: str) -> None:
    assert sheet_title(title) == safe
    book = Workbook(write_only=True)
    book.create_sheet(sheet_title(title))  # openpyxl raises on a title Excel refuses


def test_write_table_names_its_sheet_safely() -> None:
    content = write_table("批次/2027: [一]", ["编码"], [["A"]])
    assert load_workbook(io.BytesIO(content)).sheetnames == ["批次_2027_ _一_"]


def test_a_column_writer_keeps_formats_numbers_and_quotes_formula_text() -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("t")
    code = cell_writer(sheet, "@")
    plain = cell_writer(sheet)
    for row in (["2.10", "名称"], ["=1+1", "+1"], ["", None], [None, 3]):
        sheet.append([code(row[0]), plain(row[1])])
    buffer = io.BytesIO()
    book.save(buffer)
    cells = list(load_workbook(buffer).active.iter_rows())
    assert [(c.value, c.data_type) for c in cells[0]] == [("2.10", "s"), ("名称", "s")]
    assert cells[0][0].number_format == "@"
    assert [(c.value, c.data_type, c.quotePrefix) for c in cells[1]] == [
        ("=1+1", "s", True),
        ("+1", "s", True),
    ]
    assert cells[1][0].number_format == "@"
    assert [c.value for c in cells[2]] == [None, None]
    assert (cells[3][1].value, cells[3][1].data_type) == (3, "n")


def test_a_row_writer_gives_the_cells_of_the_column_writers() -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("t")
    write = row_writer(sheet, [None, "#,##0.00", None, "@"])
    rows: list[list[object]] = [
        ["2.10", Decimal("1234.50"), 3, "A"],
        ["=1+1", None, "", "-x"],
        ["a\0b", Decimal("0.10"), True, ""],
        ["@SUM(A1)", Decimal(5), None, None],
    ]
    for row in rows:
        sheet.append(write(row))
    buffer = io.BytesIO()
    book.save(buffer)
    cells = list(load_workbook(buffer).active.iter_rows())
    assert [(c.value, c.data_type) for c in cells[0]] == [
        ("2.10", "s"),
        (1234.5, "n"),
        (3, "n"),
        ("A", "s"),
    ]
    assert cells[0][1].number_format == "#,##0.00"
    assert cells[0][3].number_format == "@"
    assert cells[0][0].number_format == "General"
    assert [(c.value, c.quotePrefix) for c in (cells[1][0], cells[1][3])] == [
        ("=1+1", True),
        ("-x", True),
    ]
    assert [cells[1][1].value, cells[1][2].value] == [None, None]
    assert [c.value for c in cells[2]] == ["ab", 0.1, True, None]
    assert (cells[3][0].value, cells[3][0].data_type, cells[3][0].quotePrefix) == (
        "@SUM(A1)",
        "s",
        True,
    )
