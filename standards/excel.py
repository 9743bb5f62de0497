"""The Excel round trip of a standard set: one workbook, one sheet per table.

``write_workbook`` exports a set's own rows through the formula-safe writer.
``read_workbook`` checks a file before parsing it with the one package check of
every upload (``ui.uploads``: size, zip, unpacked size, ratio, macros, DTDs;
then parses it with the one reader of uploads, ``ui.sheets``), reads every sheet and
collects *every* problem by sheet, row and column, so one report lists them
all. Writing the parsed rows to the database is ``services.import_catalogue``.

Sheet and column names are the file format, in Chinese as the finance
departments' own tables; they are not translated.
"""

import datetime
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, BinaryIO

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from standards.models import (
    DEFAULT_MAX_OM_SHARE,
    FeeCategory,
    Grade,
    ProjectKind,
    ServiceItem,
    StandardSet,
    Unit,
)
from standards.pricing import (
    MAX_INPUT,
    Method,
    PricingError,
    check_amount,
    validate_parameters,
)
from ui.excel import row_writer
from ui.sheets import UnreadableWorkbookError, WorkbookReader
from ui.uploads import MB, check_package

# Lower than other uploads' limit: the rows of a workbook this size already take
# seconds to import. Every other limit is the package check's (ui.uploads).
MAX_FILE_BYTES = 10 * MB
# Per sheet. A province's standard has hundreds of items; the cap keeps the largest
# workbook's import well inside gunicorn's 30 s request limit, on a slow machine too
# (benchmarks/test_largest_uploads.py: 17.6 s at 20,000 rows there, so 12,000).
MAX_ROWS = 12_000
MONEY_FORMAT = "#,##0.00"
FACTOR_FORMAT = "0.0000"
KIND_NAMES: dict[str, str] = {"建设类": ProjectKind.CONSTRUCTION, "运维类": ProjectKind.OPERATION}
KIND_CODES: dict[str, str] = {value: name for name, value in KIND_NAMES.items()}

TEXT, CODE, INT, MONEY, FACTOR, DATE, JSON, KINDS, PERCENT = (
    "text",
    "code",
    "int",
    "money",
    "factor",
    "date",
    "json",
    "kinds",
    "percent",
)
PLACES = {MONEY: 2, FACTOR: 4, PERCENT: 2}
# Number formats of the exported cells; codes are text cells (see ``_preparers``).
FORMATS = {MONEY: MONEY_FORMAT, FACTOR: FACTOR_FORMAT, DATE: "yyyy-mm-dd", PERCENT: "0.00"}
# Where the export reads a column that is not a field of the row's own model.
SOURCES = {
    "parent_code": "parent__code",
    "category_code": "category__code",
    "item_code": "item__code",
}


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    kind: str = TEXT
    required: bool = True


@dataclass(frozen=True)
class Sheet:
    title: str
    columns: tuple[Column, ...]

    @property
    def headers(self) -> list[str]:
        return [column.header for column in self.columns]


SET_SHEET = Sheet(
    "标准版本",
    (
        Column("编码", "code", CODE),
        Column("名称", "name"),
        Column("发布地区", "region"),
        Column("版本", "version_label"),
        Column("生效日期", "effective_from", DATE),
        Column("失效日期", "effective_to", DATE, required=False),
        Column("基础标准编码", "base_code", CODE, required=False),
        # Added with issue #19; a workbook without the column gets the default (15).
        Column("运维费占建设成本上限(%)", "max_om_share", PERCENT, required=False),
    ),
)
CATEGORY_SHEET = Sheet(
    "费用类别",
    (
        Column("编码", "code", CODE),
        Column("名称", "name"),
        Column("上级编码", "parent_code", CODE, required=False),
        Column("排序", "position", INT, required=False),
    ),
)
ITEM_SHEET = Sheet(
    "服务内容",
    (
        Column("编码", "code", CODE),
        Column("名称", "name"),
        Column("费用类别编码", "category_code", CODE),
        Column("计量单位", "unit"),
        Column("适用项目类型", "project_kinds", KINDS, required=False),
        Column("计价方法", "pricing_method"),
        Column("计价参数", "parameters", JSON, required=False),
        Column("说明", "description", required=False),
        Column("依据", "basis", required=False),
        Column("排序", "position", INT, required=False),
    ),
)
GRADE_SHEET = Sheet(
    "等次",
    (
        Column("服务内容编码", "item_code", CODE),
        Column("等次编码", "code", CODE),
        Column("等次名称", "name"),
        Column("单价(元)", "unit_price", MONEY, required=False),
        Column("系数", "coefficient", FACTOR, required=False),
        Column("下限", "range_min", FACTOR, required=False),
        Column("上限", "range_max", FACTOR, required=False),
        Column("排序", "position", INT, required=False),
    ),
)
SHEETS = (SET_SHEET, CATEGORY_SHEET, ITEM_SHEET, GRADE_SHEET)


@dataclass(frozen=True)
class Issue:
    """One problem in the file; row and column are 1-based as Excel shows them."""

    sheet: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"{self.sheet}!{self.column}{self.row}" if self.row else self.sheet
        return f"{where}: {self.message}"


class WorkbookError(Exception):
    """The file is refused; ``issues`` says every reason, by sheet, row and column."""

    def __init__(self, issues: list[Issue]) -> None:
        super().__init__("\n".join(str(issue) for issue in issues))
        self.issues = issues


Row = dict[str, Any]


@dataclass
class ParsedWorkbook:
    """Rows as plain values, each with ``_row`` (its Excel row) for error reports."""

    header: Row
    categories: list[Row] = field(default_factory=list)
    items: list[Row] = field(default_factory=list)
    grades: list[Row] = field(default_factory=list)


# --- Export --------------------------------------------------------------------------------


def write_workbook(standard_set: StandardSet, target: str | Path | BinaryIO) -> int:
    """Write the set's own categories, items and grades; return the number of rows."""
    book = Workbook(write_only=True)
    header = {
        "code": standard_set.code,
        "name": standard_set.name,
        "region": standard_set.region,
        "version_label": standard_set.version_label,
        "effective_from": standard_set.effective_from,
        "effective_to": standard_set.effective_to,
        "base_code": standard_set.base.code if standard_set.base else "",
        "max_om_share": standard_set.max_om_share,
    }
    categories = FeeCategory.objects.filter(standard_set=standard_set).order_by("position", "code")
    items = ServiceItem.objects.filter(standard_set=standard_set).order_by(
        "category__position", "category__code", "position", "code"
    )
    grades = Grade.objects.filter(item__standard_set=standard_set).order_by(
        "item__category__position", "item__category__code", "item__position", "item__code",
        "position", "code",
    )  # fmt: skip
    # Plain values in column order, not model instances: an export of 10,000
    # rows spent a third of its time building models it only read a few fields of.
    tables: list[tuple[Sheet, Iterable[Sequence[Any]]]] = [
        (SET_SHEET, [[header[column.key] for column in SET_SHEET.columns]]),
        (CATEGORY_SHEET, _values(categories, CATEGORY_SHEET)),
        (ITEM_SHEET, _values(items, ITEM_SHEET)),
        (GRADE_SHEET, _values(grades, GRADE_SHEET)),
    ]
    count = 0
    for sheet, rows in tables:
        worksheet = book.create_sheet(sheet.title)
        worksheet.append(row_writer(worksheet, [None] * len(sheet.columns))(sheet.headers))
        export = row_writer(worksheet, [FORMATS.get(column.kind) for column in sheet.columns])
        prepare = _preparers(sheet)
        for values in rows:
            cells = (
                [p(v) if p else v for p, v in zip(prepare, values, strict=True)]
                if prepare
                else values
            )
            worksheet.append(export(cells))
            count += 1
    book.save(target)
    return count


def _values(queryset: QuerySet[Any], sheet: Sheet) -> Iterable[Sequence[Any]]:
    """The sheet's columns of each row, in order, as the database holds them."""
    fields = [SOURCES.get(column.key, column.key) for column in sheet.columns]
    return queryset.values_list(*fields).iterator(chunk_size=2000)


def _preparers(sheet: Sheet) -> list[Callable[[Any], Any] | None]:
    """For each column, what turns the database's value into the cell's, if it is not the
    value itself (empty if no column needs it). The cells then go through the one
    formula-safe writer (``ui.excel.row_writer``): an item named ``=HYPERLINK(...)`` stays
    text. Codes are text cells without a number format: text already, so "2.10" stays
    "2.10" (a text format per cell cost the export a fifth of its time, issue #21)."""
    preparers: list[Callable[[Any], Any] | None] = []
    for column in sheet.columns:
        if column.kind == KINDS:
            preparers.append(lambda kinds: "、".join(KIND_CODES[kind] for kind in kinds))
        elif column.kind == JSON:
            preparers.append(
                lambda data: json.dumps(data, ensure_ascii=False, sort_keys=True) if data else None
            )
        else:
            preparers.append(None)
    return preparers if any(preparers) else []


# --- Import: refusing hostile files before parsing ---------------------------------------


def check_file(path: Path, name: str | None = None) -> None:
    """Refuse what the one package check refuses (``ui.uploads.check_package``: too big,
    not a workbook, zip bombs, macros, DTDs), with this import's own size limit.
    ``name`` is the file's name as the user knows it (the path's by default)."""
    name = name or path.name
    try:
        with path.open("rb") as file:
            check_package(file, name, max_bytes=MAX_FILE_BYTES, kind=".xlsx")
    except ValidationError as error:
        raise WorkbookError([Issue(_("file"), 0, "", " ".join(error.messages))]) from error


# --- Import: parsing and checking every cell --------------------------------------------------


def read_workbook(path: str | Path, name: str | None = None) -> ParsedWorkbook:
    """Parse a workbook, or raise ``WorkbookError`` listing every problem found; ``name``
    is the file's name in the messages (the path's by default)."""
    path = Path(path)
    check_file(path, name)
    issues: list[Issue] = []
    tables: dict[str, list[Row]] = {}
    try:
        with WorkbookReader(path) as book:
            for sheet in SHEETS:
                if sheet.title not in book.sheet_names:
                    issues.append(Issue(sheet.title, 0, "", _("The sheet is missing.")))
                    tables[sheet.title] = []
                    continue
                rows = book.rows(sheet.title, max_rows=MAX_ROWS + 1)
                tables[sheet.title] = _read_sheet(rows, sheet, issues)
    except UnreadableWorkbookError as error:
        raise WorkbookError(
            [Issue(_("file"), 0, "", _("The workbook is damaged or contains unsafe XML."))]
        ) from error
    # Missing sheets and wrong headers are reported at row 0 or 1; cell problems below.
    readable = all(issue.row > 1 for issue in issues)
    headers = tables[SET_SHEET.title]
    if readable and len(headers) != 1:
        issues.append(Issue(SET_SHEET.title, 2, "", _("Give exactly one standard version.")))
    header = headers[0] if headers else {}
    if header and header.get("max_om_share") is None:
        header["max_om_share"] = DEFAULT_MAX_OM_SHARE
    parsed = ParsedWorkbook(
        header=header,
        categories=tables[CATEGORY_SHEET.title],
        items=tables[ITEM_SHEET.title],
        grades=tables[GRADE_SHEET.title],
    )
    if readable:
        _check_rows(parsed, issues)
    if issues:
        raise WorkbookError(issues)
    return parsed


def _read_sheet(
    rows: Iterator[tuple[int, list[Any]]], sheet: Sheet, issues: list[Issue]
) -> list[Row]:
    # A formula comes as text beginning with "=" (``ui.sheets.Formula``), never as its value.
    _number_of_first, first = next(rows, (1, []))
    found = [_header_text(value) for value in first][: len(sheet.columns)]
    while found and not found[-1]:
        found.pop()
    # Columns added later are optional and last: a workbook written before them still reads.
    older = found == sheet.headers[: len(found)] and not any(
        column.required for column in sheet.columns[len(found) :]
    )
    if found != sheet.headers and not older:
        for index, expected in enumerate(sheet.headers):
            got = found[index] if index < len(found) else ""
            if got != expected:
                issues.append(
                    Issue(
                        sheet.title,
                        1,
                        get_column_letter(index + 1),
                        _("Expected the header %(expected)s, found %(found)s.")
                        % {"expected": expected, "found": got or "—"},
                    )
                )
        return []
    width = len(sheet.columns)
    letters = [get_column_letter(index + 1) for index in range(width)]
    parsed = []
    for number, cells in rows:
        if number > MAX_ROWS:
            issues.append(
                Issue(
                    sheet.title,
                    number,
                    "",
                    _("Too many rows: a sheet may have at most %(limit)s.") % {"limit": MAX_ROWS},
                )
            )
            break
        values = cells[:width] + [None] * (width - len(cells))
        if all(value is None or value == "" for value in values):
            continue
        row: Row = {"_row": number}
        for column, letter, value in zip(sheet.columns, letters, values, strict=True):
            try:
                row[column.key] = _convert(value, column)
            except ValueError as error:
                issues.append(Issue(sheet.title, number, letter, str(error)))
        parsed.append(row)
    return parsed


def _header_text(value: Any) -> str:
    return str(value).strip() if value is not None else ""


def _convert(value: Any, column: Column) -> Any:
    """A cell's value as the column's type; ValueError (translated) says what is wrong."""
    if isinstance(value, str) and value.startswith("="):
        raise ValueError(_("Formulas are not accepted; enter the value itself."))
    if value is None or (isinstance(value, str) and not value.strip()):
        if column.required:
            raise ValueError(_("%(header)s is required.") % {"header": column.header})
        return _EMPTY.get(column.kind, "")
    return _CONVERTERS[column.kind](value, column)


def _text(value: Any, column: Column) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _integer(value: Any, column: Column) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (isinstance(value, float) and not value.is_integer())  # NaN and infinities too
    ):
        raise ValueError(_("%(header)s must be a whole number.") % {"header": column.header})
    if value < 0:
        raise ValueError(_("%(header)s cannot be negative.") % {"header": column.header})
    return int(value)


def _number(value: Any, column: Column) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError(
            _("%(header)s must be a number, not text: %(value)s.")
            % {"header": column.header, "value": value}
        )
    try:
        # repr gives the shortest decimal that round-trips: 0.1, not 0.1000000000000000055.
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation as error:
        raise ValueError(_("%(header)s is not a number.") % {"header": column.header}) from error
    if not number.is_finite():
        raise ValueError(_("%(header)s is not a number.") % {"header": column.header})
    if number < 0:
        raise ValueError(_("%(header)s cannot be negative.") % {"header": column.header})
    # Before rounding, which a number of more digits than Decimal keeps would break.
    if column.kind == MONEY:
        try:
            check_amount(number, column.header)
        except PricingError as error:
            raise ValueError(error.message) from error
    elif number > _largest(column):
        raise ValueError(
            _("%(header)s is at most %(max)s; got %(value)s.")
            % {
                "header": column.header,
                "max": _largest(column),
                "value": f"{number:f}" if number < MAX_INPUT else f"{number:.3E}",
            }
        )
    places = PLACES[column.kind]
    if -number.normalize().as_tuple().exponent > places:  # type: ignore[operator]
        raise ValueError(
            _("%(header)s has more than %(places)d decimal places: %(value)s.")
            % {"header": column.header, "places": places, "value": number}
        )
    return number.quantize(Decimal(1).scaleb(-places))


def _largest(column: Column) -> Decimal:
    """The largest number the grade's column of this key holds (its digits and places);
    a percentage is at most 100."""
    if column.kind == PERCENT:
        return Decimal(100)
    field = Grade._meta.get_field(column.key)
    digits, places = field.max_digits, field.decimal_places  # type: ignore[union-attr]
    return Decimal(10) ** (digits - places) - Decimal(10) ** -places


def _date(value: Any, column: Column) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError as error:
        raise ValueError(
            _("%(header)s must be a date such as 2019-01-01.") % {"header": column.header}
        ) from error


def _json(value: Any, column: Column) -> Any:
    try:
        # Numbers stay exact: JSON floats become Decimal, then text, as items store them.
        return json.loads(str(value), parse_float=str, parse_int=str)
    except json.JSONDecodeError as error:
        raise ValueError(
            _("%(header)s is not valid JSON: %(error)s") % {"header": column.header, "error": error}
        ) from error


def _kinds(value: Any, column: Column) -> list[str]:
    names = [n.strip() for n in str(value).replace(",", "、").replace("，", "、").split("、")]
    kinds = []
    for name in filter(None, names):
        if name not in KIND_NAMES:
            raise ValueError(
                _("Unknown project kind %(name)s; use %(allowed)s.")
                % {"name": name, "allowed": "、".join(KIND_NAMES)}
            )
        kinds.append(str(KIND_NAMES[name]))
    return kinds


_CONVERTERS: dict[str, Callable[[Any, Column], Any]] = {
    TEXT: _text,
    CODE: _text,
    INT: _integer,
    MONEY: _number,
    FACTOR: _number,
    PERCENT: _number,
    DATE: _date,
    JSON: _json,
    KINDS: _kinds,
}
_EMPTY: dict[str, Any] = {
    INT: 0, MONEY: None, FACTOR: None, PERCENT: None, DATE: None, JSON: {}, KINDS: [],
}  # fmt: skip


def _check_rows(parsed: ParsedWorkbook, issues: list[Issue]) -> None:
    """Rules across rows: unique codes, known units, methods and references, valid grades."""
    category_codes = _unique(parsed.categories, CATEGORY_SHEET, ("code",), issues)
    item_codes = _unique(parsed.items, ITEM_SHEET, ("code",), issues)
    _unique(parsed.grades, GRADE_SHEET, ("item_code", "code"), issues)
    _check_categories(parsed.categories, category_codes, issues)
    _check_items(parsed.items, issues)
    _check_grades(parsed.grades, item_codes, issues)


def _check_categories(rows: list[Row], codes: set[Any], issues: list[Issue]) -> None:
    parents = {row.get("code"): row.get("parent_code") for row in rows}
    for row in rows:
        parent = row.get("parent_code")
        if parent and (parent not in codes or parent == row["code"]):
            issues.append(issue_at(CATEGORY_SHEET, row, "parent_code", _("Unknown parent class.")))
        elif parent and parents.get(parent):
            message = _("Fee classes have two levels at most.")
            issues.append(issue_at(CATEGORY_SHEET, row, "parent_code", message))


def _check_items(rows: list[Row], issues: list[Issue]) -> None:
    # Once, not per row: an enum's ``values`` is built anew on each use.
    units, methods = frozenset(Unit.values), frozenset(Method.values)
    for row in rows:
        if "unit" in row and row["unit"] not in units:
            message = _("Unknown unit %(unit)s; use one of %(units)s.") % {
                "unit": row["unit"],
                "units": "、".join(Unit.values),
            }
            issues.append(issue_at(ITEM_SHEET, row, "unit", message))
        if "pricing_method" not in row or "parameters" not in row:
            continue
        if row["pricing_method"] not in methods:
            message = _("Unknown pricing method; use one of %s.") % ", ".join(Method.values)
            issues.append(issue_at(ITEM_SHEET, row, "pricing_method", message))
            continue
        try:
            validate_parameters(row["pricing_method"], row["parameters"])
        except PricingError as error:
            issues.append(issue_at(ITEM_SHEET, row, "parameters", error.message))


def _check_grades(rows: list[Row], item_codes: set[Any], issues: list[Issue]) -> None:
    for row in rows:
        if "item_code" in row and row["item_code"] not in item_codes:
            issues.append(issue_at(GRADE_SHEET, row, "item_code", _("Unknown service item.")))
        # A cell that failed to convert is absent from the row and already reported.
        if row.keys() >= {"unit_price", "coefficient"} and (
            row["unit_price"] is None and row["coefficient"] is None
        ):
            message = _("Give a unit price or a coefficient.")
            issues.append(issue_at(GRADE_SHEET, row, "unit_price", message))
        low, high = row.get("range_min"), row.get("range_max")
        if low is not None and high is not None and low > high:
            message = _("The minimum exceeds the maximum.")
            issues.append(issue_at(GRADE_SHEET, row, "range_min", message))


def check_category_references(parsed: ParsedWorkbook, inherited: Iterable[str]) -> list[Issue]:
    """Items must name a fee class of the file or of the standards it inherits from."""
    known = {row["code"] for row in parsed.categories} | set(inherited)
    return [
        issue_at(ITEM_SHEET, row, "category_code", _("Unknown fee class."))
        for row in parsed.items
        if row["category_code"] not in known
    ]


def _unique(rows: list[Row], sheet: Sheet, keys: tuple[str, ...], issues: list[Issue]) -> set[Any]:
    seen: set[Any] = set()
    for row in rows:
        if not all(k in row for k in keys):
            continue
        key = tuple(row[k] for k in keys) if len(keys) > 1 else row[keys[0]]
        if key in seen:
            issues.append(issue_at(sheet, row, keys[-1], _("Duplicate code %s.") % (key,)))
        seen.add(key)
    return seen


def issue_at(sheet: Sheet, row: Row, key: str, message: str) -> Issue:
    """An issue at the cell of column ``key`` in ``row`` (the whole row if no such column)."""
    keys = [column.key for column in sheet.columns]
    column = get_column_letter(keys.index(key) + 1) if key in keys else ""
    return Issue(sheet.title, row["_row"], column, message)
