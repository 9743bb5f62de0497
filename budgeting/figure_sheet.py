"""The control figure sheet: a draft's fixed figures out to Excel and back.

The template lists every primary unit with its base (一上审核数) and the figure the draft
fixes for it, if any. Uploaded, it is read whole before anything changes: a figure in
column D fixes the unit's figure, an empty cell leaves the unit to the draft's rule.
Every problem is reported by row and column (text, formulas, negatives, amounts over
the limit, unknown, secondary or repeated units), and one problem refuses the sheet.
The upload has passed ``ui.uploads.check_package`` before it gets here.
"""

import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.utils.translation import gettext as _
from openpyxl import load_workbook

from accounts.models import Organization, UnitLevel
from budgeting.figures import Basis, fixed_figures
from budgeting.models import FigureDraft
from standards.pricing import PricingError, check_amount
from ui.excel import write_table

SHEET = "控制数"
HEADERS = ("单位编码", "单位名称", "一上审核数（元）", "固定控制数（元）")
CODE_COLUMN, FIGURE_COLUMN = "A", "D"
# A province has a few hundred units; a sheet of more rows is not ours.
MAX_ROWS = 5000


@dataclass(frozen=True)
class CellProblem:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        if not self.row:
            return self.message
        return _("Row %(row)s, column %(column)s: %(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


class SheetError(Exception):
    def __init__(self, errors: list[CellProblem]) -> None:
        super().__init__("; ".join(str(error) for error in errors))
        self.errors = errors


def template(basis: Basis, draft: FigureDraft) -> bytes:
    """The sheet to fill in: every unit, its base and the figure the draft fixes."""
    fixed = fixed_figures(draft)
    rows = [
        [row.unit.code, row.unit.name, row.reviewed, fixed.get(row.unit.code)]
        for row in basis.units
    ]
    return write_table(
        SHEET, HEADERS, rows, money_columns=frozenset({2, 3}), widths=[16, 36, 20, 20]
    )


def read(file: IO[bytes], units: Iterable[Organization]) -> dict[str, Decimal]:
    """The fixed figures of an uploaded sheet by unit code; ``SheetError`` with every
    problem found (row and column) if there is any. ``units``: every unit by code the
    sheet may name (a secondary one is refused by name)."""
    by_code = {unit.code: unit for unit in units}
    try:
        book = load_workbook(file, read_only=True, data_only=False, keep_links=False)
    except Exception:  # openpyxl raises many kinds on a damaged or unsafe file
        raise SheetError(
            [CellProblem(0, "", _("The workbook is damaged or contains unsafe XML."))]
        ) from None
    try:
        if SHEET not in book.sheetnames:
            raise SheetError(
                [CellProblem(0, "", _("The sheet %(sheet)s is missing.") % {"sheet": SHEET})]
            )
        sheet = book[SHEET]
        sheet.reset_dimensions()
        try:
            rows = list(sheet.iter_rows(max_row=MAX_ROWS + 1, max_col=len(HEADERS)))
        except (SyntaxError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            raise SheetError(
                [CellProblem(0, "", _("The workbook is damaged or contains unsafe XML."))]
            ) from None
    finally:
        book.close()
    return _read_rows(rows, by_code)


def _read_rows(rows: list[Any], units: Mapping[str, Organization]) -> dict[str, Decimal]:
    if len(rows) > MAX_ROWS:
        raise SheetError(
            [CellProblem(0, "", _("The sheet has more than %(rows)d rows.") % {"rows": MAX_ROWS})]
        )
    header = [_value(cell) for cell in (rows[0] if rows else ())]
    header += [None] * (len(HEADERS) - len(header))
    errors = [
        CellProblem(
            1,
            column,
            _("Expected the header %(expected)s, found %(found)s.")
            % {"expected": HEADERS[index], "found": header[index] or "—"},
        )
        for index, column in ((0, CODE_COLUMN), (3, FIGURE_COLUMN))
        if str(header[index] or "").strip() != HEADERS[index]
    ]
    if errors:
        raise SheetError(errors)
    fixed: dict[str, Decimal] = {}
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        cells = list(row) + [None] * (len(HEADERS) - len(row))
        code_cell, figure_cell = cells[0], cells[3]
        raw_code, raw_figure = _value(code_cell), _value(figure_cell)
        if _empty(raw_code) and _empty(raw_figure):
            continue
        code = "" if _empty(raw_code) else str(raw_code).strip()
        problem = _code_problem(code, units.get(code), seen)
        if problem:
            errors.append(CellProblem(number, CODE_COLUMN, problem))
        else:
            seen[code] = number
        if getattr(figure_cell, "data_type", None) == "f":
            errors.append(
                CellProblem(
                    number, FIGURE_COLUMN, _("Formulas are not accepted; enter the value itself.")
                )
            )
            continue
        if _empty(raw_figure):
            continue
        amount = _amount(raw_figure, number, errors)
        if amount is not None and not problem:
            fixed[code] = amount
    if errors:
        raise SheetError(errors)
    return fixed


def _code_problem(code: str, unit: Organization | None, seen: Mapping[str, int]) -> str:
    """What is wrong with a row's unit code ("" if nothing)."""
    if not code:
        return _("The unit code is missing.")
    if unit is None:
        return _("No budget unit has the code %(code)s.") % {"code": code}
    if unit.level != UnitLevel.PRIMARY:
        return _("%(code)s is a secondary unit: control figures are for primary units.") % {
            "code": code
        }
    if code in seen:
        return _("%(code)s is listed already in row %(row)s.") % {"code": code, "row": seen[code]}
    return ""


def _amount(raw: Any, number: int, errors: list[CellProblem]) -> Decimal | None:
    if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal | str):
        errors.append(
            CellProblem(number, FIGURE_COLUMN, _("Not an amount: %(value)s.") % {"value": raw})
        )
        return None
    try:
        amount = Decimal(str(raw).strip().replace(",", ""))
    except InvalidOperation:
        errors.append(
            CellProblem(number, FIGURE_COLUMN, _("Not an amount: %(value)s.") % {"value": raw})
        )
        return None
    try:
        check_amount(amount, HEADERS[3])
    except PricingError as error:
        errors.append(CellProblem(number, FIGURE_COLUMN, str(error.message)))
        return None
    if amount < 0:
        errors.append(CellProblem(number, FIGURE_COLUMN, _("A control figure cannot be negative.")))
        return None
    if amount != amount.quantize(Decimal("0.01")):
        errors.append(CellProblem(number, FIGURE_COLUMN, _("At most two decimal places (fen).")))
        return None
    return amount


def _value(cell: Any) -> Any:
    return getattr(cell, "value", None)


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
