"""The one Excel writer: text stays text, money stays numbers."""

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from ui.excel import write_table


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
