"""The estimate template (预算明细模板): an Excel file a clerk fills offline and uploads.

``write_template`` writes the lines sheet (the project's current lines pre-filled),
the items of the standard in force, their grades and a sheet of instructions,
with drop-down lists (data validation) for item codes, grades and fee classes.
``read_lines`` parses an uploaded file and prices every row through the same
path as the line forms (``services.price_line``), collecting every problem by
row and column. Nothing here writes to the database.

Sheet names and headers are the file format, in Chinese like the finance
departments' own tables; they are not translated. docs/estimate-template.md
describes the format.
"""

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from io import BytesIO
from pathlib import PurePath
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from projects import estimates, services
from projects.errors import ProjectError
from projects.models import EstimateLine, Project
from projects.uploads import check_document
from standards import pricing
from standards.models import Grade, ServiceItem, StandardSet
from ui.excel import YUAN_FORMAT, safe_cell
from ui.sheets import Formula, UnreadableWorkbookError, WorkbookReader

LINES_SHEET, ITEMS_SHEET, GRADES_SHEET, HELP_SHEET = "预算明细", "服务内容", "等次", "填写说明"
MAX_LINES = 2000
# Lines must lie above this row (empty rows below it, formatting say, are passed over).
MAX_SHEET_ROWS = 10_000
# Rows of the lines sheet that carry the drop-down lists.
VALIDATED_ROWS = MAX_LINES + 1
# Larger than any input the engine takes (``pricing.MAX_INPUT``); money is checked
# against the amount limit itself (``MONEY_KEYS``), each line and the total by the engine.
LIMIT = pricing.MAX_INPUT
TEXT, NUMBER, STAGES = "text", "number", "stages"


@dataclass(frozen=True)
class Column:
    key: str  # an input name of estimates.input_specs, or a field of the line
    header: str
    kind: str = NUMBER
    width: int = 14


COLUMNS = (
    Column("item_code", "服务内容编码", TEXT, 12),
    Column("name", "名称", TEXT, 30),
    Column("grade", "等次编码", TEXT, 10),
    Column("quantity", "数量"),
    Column("coefficient", "系数", width=8),
    Column("unit_price_override", "自报单价（元）"),
    Column("ufp", "未调整功能点"),
    Column("category", "应用类别", TEXT),
    Column("reuse", "复用程度", TEXT, 10),
    Column("productivity", "生产率（人时/功能点）", width=12),
    Column("direct_non_labour_cost", "直接非人力成本（元）"),
    Column("stages", "工作量（阶段=人月）", STAGES, 28),
    Column("base", "基数（元）"),
    Column("rate", "比例", width=8),
    Column("one_off_cost", "一次性费用（元）"),
    Column("recurring_costs", "持续性费用（元）"),
    Column("years", "摊销年限", width=10),
    Column("annual_om", "年运维费（元）"),
    Column("fee_class", "费用类别（非标准）", TEXT, 16),
    Column("unit", "计量单位（非标准）", TEXT, 10),
    Column("justification", "理由", TEXT, 40),
)
BY_KEY = {column.key: column for column in COLUMNS}
# Columns of yuan: each within the amount limit (``pricing.check_amount``).
MONEY_KEYS = frozenset(
    {"unit_price_override", "direct_non_labour_cost", "base", "one_off_cost", "recurring_costs",
     "annual_om"}
)  # fmt: skip
# The column of an input the engine names in a refusal, where it is not the input's own:
# a non-standard line's unit price is in the column of the clerk's own price.
FIELD_COLUMNS = {"unit_price": "unit_price_override"}
LETTER = {column.key: get_column_letter(index) for index, column in enumerate(COLUMNS, start=1)}
# Columns of a standard line read only by people: the item fixes its name, fee class and unit.
INFORMATIONAL = frozenset({"name", "fee_class", "unit"})
NON_STANDARD = ("name", "quantity", "unit_price_override", "fee_class", "unit", "justification")
# Where a refused input most likely is, by pricing method: the first of these the row fills.
RANGE_COLUMNS: dict[str, tuple[str, ...]] = {
    pricing.Method.UNIT_PRICE: ("coefficient", "unit_price_override", "quantity"),
    pricing.Method.FUNCTION_POINTS: ("productivity", "ufp"),
    pricing.Method.WORKLOAD: ("stages",),
    pricing.Method.PERCENTAGE: ("rate", "base"),
    pricing.Method.AMORTISED: ("years", "one_off_cost"),
}
# Where a line's amount comes from, by pricing method: the column a refusal of the total is at.
AMOUNT_COLUMNS: dict[str, str] = {
    pricing.Method.UNIT_PRICE: "quantity",
    pricing.Method.FUNCTION_POINTS: "ufp",
    pricing.Method.WORKLOAD: "stages",
    pricing.Method.PERCENTAGE: "base",
    pricing.Method.AMORTISED: "one_off_cost",
}
ITEM_HEADERS = ("编码", "名称", "费用类别", "计价方法", "计量单位", "等次", "需填写（*为必填）")
GRADE_HEADERS = ("服务内容编码", "等次编码", "等次名称", "单价（元）", "系数", "下限", "上限")
HELP_TEXT = (
    "每行一条预算明细；第 1 行为表头，请勿修改。",
    "标准明细：填写“服务内容编码”（见“服务内容”表）、“等次编码”（有等次的服务内容必填，"
    "见“等次”表），以及该服务内容计价方法需要的各项（见“服务内容”表“需填写”列，*为必填）。"
    "其余输入列请留空。名称、费用类别、计量单位由服务内容决定，填写的内容不导入。",
    "非标准明细：“服务内容编码”留空，填写名称、数量、自报单价（元，作单价）、"
    "费用类别（非标准）、计量单位（非标准）和理由。",
    "自报单价高于标准单价时须填写理由；审核人员会看到标记。",
    "工作量按“阶段=人月”填写，多个阶段用分号分隔，例如：需求设计=2；编码=5。",
    "数字请直接填写数值，不要使用公式。",
    "上传后先预览：系统按标准逐行测算金额并列出每个错误所在的行和列；确认后整体替换本项目的"
    "全部预算明细，任何一行有错则不做任何修改。",
)


@dataclass(frozen=True)
class CellError:
    """One problem in the file; row and column as Excel shows them (0 and "" for the file)."""

    row: int
    column: str
    header: str
    message: str

    def __str__(self) -> str:
        if not self.row:
            return self.message
        if not self.column:
            return _("Row %(row)d: %(message)s") % {"row": self.row, "message": self.message}
        return _("Row %(row)d, column %(column)s (%(header)s): %(message)s") % {
            "row": self.row,
            "column": self.column,
            "header": self.header,
            "message": self.message,
        }


@dataclass(frozen=True)
class PreviewRow:
    row: int
    spec: services.LineSpec
    line: EstimateLine


@dataclass
class Preview:
    """The lines an upload would give, each priced, and every problem found."""

    rows: list[PreviewRow] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((row.line.amount for row in self.rows), Decimal("0.00"))


# --- Checking the upload -----------------------------------------------------------------


def check_upload(upload: UploadedFile) -> None:
    """Refuse anything but a plain .xlsx workbook (ValidationError): by extension, then
    by content, size, macros and uncompressed size (``uploads.check_document``)."""
    if PurePath(upload.name or "").suffix.lower() != ".xlsx":
        raise ValidationError(_("Upload the estimate template as an .xlsx file."))
    check_document(upload)


# --- Writing the template ---------------------------------------------------------------


def write_template(
    standard: StandardSet, items: Sequence[ServiceItem], lines: Iterable[EstimateLine]
) -> bytes:
    """The template for a project: its lines pre-filled, the standard's items and grades."""
    book = Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)
    sheet.title = LINES_SHEET
    _header(sheet, [column.header for column in COLUMNS], [column.width for column in COLUMNS])
    for line in lines:
        sheet.append([safe_cell(sheet, value) for value in _line_row(line)])
    with translation.override("zh-hans"):
        _write_items(book.create_sheet(ITEMS_SHEET), standard, items)
    grade_rows = _write_grades(book.create_sheet(GRADES_SHEET), items)
    help_sheet = book.create_sheet(HELP_SHEET)
    _header(help_sheet, [f"{standard.name}（{standard.version_label}）"], [120])
    for text in HELP_TEXT:
        help_sheet.append([safe_cell(help_sheet, text)])
    _add_validations(sheet, len(items), grade_rows)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _header(sheet: Worksheet, headers: Sequence[str], widths: Sequence[int]) -> None:
    # Through the formula-safe writer too: the help sheet's heading is the standard's name.
    sheet.append([safe_cell(sheet, header) for header in headers])
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.cell(row=1, column=index).font = Font(bold=True)
    sheet.freeze_panes = "A2"


def _line_row(line: EstimateLine) -> list[Any]:
    values: dict[str, Any] = {"name": line.name, "justification": line.justification}
    if line.is_non_standard:
        values.update(
            quantity=_number_or_text(line.inputs.get("quantity")),
            unit_price_override=_number_or_text(line.inputs.get("unit_price")),
            fee_class=line.fee_class,
            unit=line.unit,
        )
    else:
        values.update(item_code=line.item_code, grade=line.grade_code)
        for key, value in line.inputs.items():
            if key == "stages" and isinstance(value, dict):
                values["stages"] = "；".join(f"{stage}={amount}" for stage, amount in value.items())
            elif key in BY_KEY:
                values[key] = value if BY_KEY[key].kind == TEXT else _number_or_text(value)
    return [values.get(column.key) for column in COLUMNS]


def _number_or_text(value: Any) -> Any:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return value


def _write_items(sheet: Worksheet, standard: StandardSet, items: Sequence[ServiceItem]) -> None:
    _header(sheet, ITEM_HEADERS, [10, 36, 16, 30, 10, 36, 60])
    for item in items:
        grades = "；".join(
            f"{grade.code} {grade.name}"
            + (f" {grade.unit_price:,.2f}元" if grade.unit_price is not None else "")
            for grade in item.grades.all()
        )
        needs = "、".join(
            f"{header}{'*' if required else ''}" for header, required in _needs(item).items()
        )
        row = [
            item.code,
            item.name,
            estimates.top_fee_class(item),
            str(item.get_pricing_method_display()),
            item.unit,
            grades,
            needs,
        ]
        sheet.append([safe_cell(sheet, value) for value in row])


def _needs(item: ServiceItem) -> dict[str, bool]:
    """Header -> required, for the columns the item's pricing method reads."""
    needs: dict[str, bool] = {}
    for spec in estimates.input_specs(item):
        key = "stages" if spec.name.startswith("stage:") else spec.name
        header = BY_KEY[key].header
        needs[header] = needs.get(header, False) or spec.required
    return needs


def _write_grades(sheet: Worksheet, items: Sequence[ServiceItem]) -> int:
    _header(sheet, GRADE_HEADERS, [12, 10, 16, 14, 8, 12, 12])
    count = 0
    for item in items:
        for grade in item.grades.all():
            row = [
                item.code,
                grade.code,
                grade.name,
                grade.unit_price,
                grade.coefficient,
                grade.range_min,
                grade.range_max,
            ]
            sheet.append(
                [
                    safe_cell(sheet, value, number_format=YUAN_FORMAT if index == 3 else None)
                    for index, value in enumerate(row)
                ]
            )
            count += 1
    return count


def _add_validations(sheet: Worksheet, item_count: int, grade_count: int) -> None:
    def column_range(key: str) -> str:
        return f"{LETTER[key]}2:{LETTER[key]}{VALIDATED_ROWS}"

    items = DataValidation(
        type="list",
        formula1=f"'{ITEMS_SHEET}'!$A$2:$A${item_count + 1}",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="服务内容编码",
        error="请从“服务内容”表选择编码；非标准明细留空。",
    )
    items.add(column_range("item_code"))
    # The grades of the item chosen in the same row: the "等次" sheet lists grades
    # grouped by item, so OFFSET/MATCH/COUNTIF picks that item's block.
    item_cell = f"${LETTER['item_code']}2"
    codes = f"'{GRADES_SHEET}'!$A$2:$A${grade_count + 1}"
    grades = DataValidation(
        type="list",
        formula1=(
            f"OFFSET('{GRADES_SHEET}'!$B$1,MATCH({item_cell},{codes},0),0,"
            f"MAX(1,COUNTIF({codes},{item_cell})),1)"
        ),
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="等次编码",
        error="请选择该服务内容的等次（见“等次”表）。",
    )
    grades.add(column_range("grade"))
    fee_classes = DataValidation(
        type="list", formula1=f'"{",".join(estimates.FEE_CLASSES)}"', allow_blank=True
    )
    fee_classes.add(column_range("fee_class"))
    for validation in (items, grades, fee_classes):
        sheet.add_data_validation(validation)


# --- Reading an upload --------------------------------------------------------------------


def read_lines(file: IO[bytes], project: Project, standard: StandardSet | None) -> Preview:
    """Parse and price every line of an uploaded template. A problem in the file is an
    error of the preview; only a sheet over the size limits is refused whole
    (ValidationError, naming the limit), as no preview of it could be applied."""
    preview = Preview()
    if standard is None:
        message = _("No published standard is in force for this budget year.")
        preview.errors.append(CellError(0, "", "", message))
        return preview
    damaged = _("The workbook is damaged or contains unsafe XML.")
    try:
        with WorkbookReader(file) as book:
            if LINES_SHEET not in book.sheet_names:
                message = _("The sheet %(sheet)s is missing.") % {"sheet": LINES_SHEET}
                preview.errors.append(CellError(0, "", "", message))
                return preview
            items = {item.code: item for item in estimates.items_for(project, standard)}
            # Never past the first row over the limit: a larger sheet is refused there.
            _read_rows(book.rows(LINES_SHEET, max_rows=MAX_SHEET_ROWS + 1), items, preview)
    except UnreadableWorkbookError:
        return Preview(errors=[CellError(0, "", "", damaged)])
    if not preview.rows and not preview.errors:
        preview.errors.append(CellError(0, "", "", _("The sheet has no estimate lines.")))
    return preview


def _read_rows(
    rows: Iterator[tuple[int, list[Any]]], items: dict[str, ServiceItem], out: Preview
) -> None:
    header = [_text(value) for value in next(rows, (1, []))[1]]
    header = header[: len(COLUMNS)] + [""] * (len(COLUMNS) - len(header))
    wrong = [
        CellError(
            1,
            LETTER[column.key],
            column.header,
            _("Expected the header %(expected)s, found %(found)s.")
            % {"expected": column.header, "found": found or "—"},
        )
        for column, found in zip(COLUMNS, header, strict=True)
        if found != column.header
    ]
    if wrong:
        out.errors.extend(wrong)
        return
    count = 0
    # Importing replaces every line, so the file's lines are the project's requested total.
    total = Decimal("0.00")
    over_limit = False
    for number, cells in rows:
        # Every row counts, blank or not: a sheet of a million formatted blank rows
        # is refused at the first row over the limit, not read to its end.
        if number > MAX_SHEET_ROWS:
            raise ValidationError(
                _(
                    "The sheet %(sheet)s has more than %(rows)d rows (blank rows count too). "
                    "Delete the rows below your lines and upload it again: at most %(count)d "
                    "lines, within the first %(rows)d rows, can be imported."
                )
                % {"sheet": LINES_SHEET, "rows": MAX_SHEET_ROWS, "count": MAX_LINES},
                code="rows",
            )
        row = _RowReader(number, cells[: len(COLUMNS)])
        if row.is_blank:
            continue
        count += 1
        if count > MAX_LINES:
            raise ValidationError(
                _("At most %(count)d lines, within the first %(rows)d rows, can be imported.")
                % {"count": MAX_LINES, "rows": MAX_SHEET_ROWS},
                code="lines",
            )
        spec = row.spec(items)
        line = row.price(spec) if spec is not None else None
        if spec is not None and line is not None:
            total += line.amount
            if not over_limit and not row.within_total(spec, total):
                over_limit = True  # said once, at the row that crossed it
            else:
                out.rows.append(PreviewRow(number, spec, line))
        out.errors.extend(row.errors)


class _RowReader:
    """One row of the lines sheet: its cells converted, checked and priced."""

    def __init__(self, number: int, cells: list[Any]) -> None:
        self.number = number
        self.errors: list[CellError] = []
        self.values: dict[str, Any] = {}
        cells += [None] * (len(COLUMNS) - len(cells))
        self.is_blank = all(_is_empty(value) for value in cells)
        if self.is_blank:
            return
        for column, value in zip(COLUMNS, cells, strict=True):
            # Text that merely begins with "=" is text; only a formula cell is refused.
            if isinstance(value, Formula):
                self.error(column.key, _("Formulas are not accepted; enter the value itself."))
            elif not _is_empty(value):
                try:
                    self.values[column.key] = _CONVERT[column.kind](value)
                    if column.key in MONEY_KEYS:
                        pricing.check_amount(self.values[column.key], column.header)
                except ValueError as error:  # a PricingError too
                    self.values.pop(column.key, None)
                    message = error.message if isinstance(error, pricing.PricingError) else error
                    self.error(column.key, str(message))

    def error(self, key: str, message: str) -> None:
        self.errors.append(CellError(self.number, LETTER[key], BY_KEY[key].header, message))

    def filled(self, key: str) -> bool:
        # A cell that failed to convert counts as filled: its error is already reported.
        return key in self.values or any(e.column == LETTER[key] for e in self.errors)

    def spec(self, items: dict[str, ServiceItem]) -> services.LineSpec | None:
        code = self.values.get("item_code")
        if not code:
            return None if self.filled("item_code") else self._non_standard()
        item = items.get(code)
        if item is None:
            self.error(
                "item_code",
                _("Unknown item code %(code)s; use a code from the sheet %(sheet)s.")
                % {"code": code, "sheet": ITEMS_SHEET},
            )
            return None
        grade = self._grade(item)
        values = self._inputs(item)
        if self.errors:
            return None
        return services.LineSpec(
            item=item,
            grade=grade,
            values=values,
            justification=self.values.get("justification", ""),
        )

    def _non_standard(self) -> services.LineSpec | None:
        for key in NON_STANDARD:
            if not self.filled(key):
                self.error(key, _("Required for a line without a standard item."))
        self._unused(set(LETTER) - set(NON_STANDARD) - {"item_code"}, _("a non-standard line"))
        fee_class = self.values.get("fee_class")
        if fee_class and fee_class not in estimates.FEE_CLASSES:
            self.error(
                "fee_class",
                _("Use one of %(choices)s.") % {"choices": "、".join(estimates.FEE_CLASSES)},
            )
        for key, limit in (("name", 200), ("unit", 16)):
            if len(self.values.get(key, "")) > limit:
                self.error(key, _("At most %(count)d characters.") % {"count": limit})
        if self.errors:
            return None
        return services.LineSpec(
            fee_class=self.values["fee_class"],
            name=self.values["name"],
            unit=self.values["unit"],
            quantity=self.values["quantity"],
            unit_price=self.values["unit_price_override"],
            justification=self.values["justification"],
        )

    def _grade(self, item: ServiceItem) -> Grade | None:
        grades = {grade.code: grade for grade in item.grades.all()}
        code = self.values.get("grade")
        if not grades:
            if code:
                self.error("grade", _("This item has no grades; leave the cell empty."))
            return None
        if code in grades:
            return grades[code]
        if not self.filled("grade"):
            message = _("Choose a grade: %(choices)s.")
        else:
            message = _("Unknown grade %(code)s; this item has %(choices)s.")
        self.error("grade", message % {"code": code, "choices": "、".join(grades)})
        return None

    def _inputs(self, item: ServiceItem) -> dict[str, Any]:
        values: dict[str, Any] = {}
        used = set()
        stage_names: list[str] = []
        for spec in estimates.input_specs(item):
            if spec.name.startswith("stage:"):
                stage_names.append(spec.name.removeprefix("stage:"))
                continue
            used.add(spec.name)
            value = self.values.get(spec.name)
            if value is None:
                if spec.required and not self.filled(spec.name):
                    self.error(spec.name, _("Required for item %(code)s.") % {"code": item.code})
                continue
            if spec.choices and value not in spec.choices:
                self.error(
                    spec.name, _("Use one of %(choices)s.") % {"choices": "、".join(spec.choices)}
                )
            values[spec.name] = value
        if stage_names:
            used.add("stages")
            values.update(self._stages(stage_names))
        self._unused(set(LETTER) - used - INFORMATIONAL - {"item_code", "grade", "justification"},
                     _("item %(code)s") % {"code": item.code})  # fmt: skip
        return values

    def _stages(self, names: list[str]) -> dict[str, Decimal]:
        stages = self.values.get("stages", {})
        unknown = [name for name in stages if name not in names]
        if unknown:
            self.error(
                "stages",
                _("Unknown stage %(stage)s; the standard has %(stages)s.")
                % {"stage": "、".join(unknown), "stages": "、".join(names)},
            )
        elif not stages and not self.filled("stages"):
            self.error("stages", _("Give the person-months of at least one stage."))
        return {f"stage:{name}": months for name, months in stages.items()}

    def _unused(self, keys: set[str], what: str) -> None:
        for key in sorted(keys, key=list(LETTER).index):
            if key in self.values:
                self.error(key, _("Not used by %(what)s; leave the cell empty.") % {"what": what})

    def _input_column(self, item: ServiceItem) -> str:
        given = [key for key in RANGE_COLUMNS.get(item.pricing_method, ()) if key in self.values]
        return given[0] if given else "item_code"

    def _column_of(self, field: str | None, spec: services.LineSpec) -> str | None:
        """The column of the input a refusal names (``PricingError.field``), if this row
        fills it; None to fall back on where the refusal most likely is."""
        if field is None:
            return None
        key = "stages" if field.startswith("stage") else FIELD_COLUMNS.get(field, field)
        return key if key in self.values else None

    def within_total(self, spec: services.LineSpec, total: Decimal) -> bool:
        """Whether the lines so far, this row's included, stay within the amount limit;
        if not, the refusal is noted where this row's amount comes from (its quantity,
        function points, base or cost)."""
        try:
            services.check_requested_total(total)
        except ProjectError as error:
            key = AMOUNT_COLUMNS.get(spec.item.pricing_method, "") if spec.item else "quantity"
            self.error(key if key in self.values else "item_code", error.message)
            return False
        return True

    def price(self, spec: services.LineSpec) -> EstimateLine | None:
        """The line priced as the line form prices it; a refusal is reported at the cell
        that most likely caused it."""
        quote = None
        if spec.item is not None:
            try:
                quote = estimates.quote_item(spec.item, spec.grade, dict(spec.values))
            except pricing.PricingError as error:
                column = self._column_of(error.field, spec) or self._input_column(spec.item)
                self.error(column, error.message)
                return None
        try:
            line = services.price_line(spec)
        except ProjectError as error:
            # What is left after the inputs priced: the justification a flag needs, shown
            # at the input outside the standard's range when that is what is flagged.
            outside = quote is not None and quote.out_of_range and not quote.above_standard
            column = self._input_column(spec.item) if outside and spec.item else "justification"
            self.error(self._column_of(error.field, spec) or column, error.message)
            return None
        return line


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _number(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise ValueError(_("Enter a number, not %(value)s.") % {"value": value})
    try:
        # repr gives the shortest decimal that round-trips: 0.1, not 0.1000000000000000055.
        number = (
            Decimal(repr(value))
            if isinstance(value, float)
            else Decimal(str(value).strip().replace(",", ""))
        )
    except InvalidOperation:
        raise ValueError(_("Enter a number, not %(value)s.") % {"value": value}) from None
    if not number.is_finite():
        raise ValueError(_("Enter a number, not %(value)s.") % {"value": value})
    if number < 0:
        raise ValueError(_("Cannot be negative."))
    if number >= LIMIT:
        raise ValueError(_("Too large."))
    return number


def _stages(value: Any) -> dict[str, Decimal]:
    """ "需求设计=2；编码=5" -> {"需求设计": 2, "编码": 5}."""
    stages: dict[str, Decimal] = {}
    text = str(value).replace(";", "；").replace("\n", "；").replace("＝", "=")
    for part in filter(None, (part.strip() for part in text.split("；"))):
        name, sign, amount = part.partition("=")
        if not sign or not name.strip():
            raise ValueError(
                _("Write each stage as stage=person-months, separated by semicolons: %(part)s.")
                % {"part": part}
            )
        stages[name.strip()] = _number(amount)
    return stages


_CONVERT = {TEXT: _text, NUMBER: _number, STAGES: _stages}
