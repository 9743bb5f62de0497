"""The survey workbook: a unit's whole inventory in one .xlsx file, both ways.

The template has one sheet per kind of row (systems, devices, cloud, staff),
headed in Chinese, with drop-down lists (data validation) on every column of
fixed choices and the unit's current rows filled in; cells go through the one
formula-safe writer (``ui.excel.safe_cell``). An upload passes the one package
check (``ui.uploads.check_package``) first; ``read_workbook`` then reads every
sheet, and either gives every row or every error by sheet, row and column:
the service writes nothing unless there is none.

Parsing is in one function, ``_sheet_rows`` (openpyxl in read-only mode; python-
calamine is not among the dependencies), so another reader can replace it alone.
"""

import datetime
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from io import BytesIO
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from inventory.models import (
    FIRST_DAY,
    LAST_DAY,
    CloudResource,
    Device,
    DeviceType,
    Employment,
    Hosting,
    InformationSystem,
    ITStaff,
    StaffRole,
    SystemStatus,
    UnitSurvey,
)
from inventory.services import InventoryRows
from standards.pricing import MAX_AMOUNT
from ui.excel import safe_cell
from ui.uploads import check_package

# The labels of the workbook's choices: the workbook is in Chinese, as the estimate
# template is; the codes are accepted too.
HOSTING = {"政务云": Hosting.GOV_CLOUD, "自有机房": Hosting.OWN_ROOM}
SECURITY = {"一级": 1, "二级": 2, "三级": 3, "四级": 4}
STATUS = {
    "在用": SystemStatus.LIVE,
    "替换中": SystemStatus.BEING_REPLACED,
    "已停用": SystemStatus.RETIRED,
}
DEVICE_TYPES = {
    "服务器": DeviceType.SERVER,
    "存储设备": DeviceType.STORAGE,
    "网络设备": DeviceType.NETWORK,
    "安全设备": DeviceType.SECURITY,
    "终端": DeviceType.TERMINAL,
    "其他": DeviceType.OTHER,
}
EMPLOYMENT = {"自有": Employment.IN_HOUSE, "外包": Employment.OUTSOURCED}
STAFF_ROLES = {
    "信息化管理": StaffRole.MANAGEMENT,
    "开发": StaffRole.DEVELOPMENT,
    "运维": StaffRole.OPERATION,
    "安全": StaffRole.SECURITY,
    "其他": StaffRole.OTHER,
}
MAX_ROWS = 50_000  # per sheet: a province's largest unit has a few thousand devices
MAX_TEXT = 200


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str  # text, long_text, int, money, decimal, date, choice
    required: bool = True
    choices: dict[str, Any] = field(default_factory=dict)
    width: int = 14
    minimum: int = 0
    maximum: int = 10_000_000


@dataclass(frozen=True)
class Sheet:
    kind: str
    title: str
    model: type[models.Model]
    columns: tuple[Column, ...]


SHEETS = (
    Sheet(
        "system",
        "信息系统",
        InformationSystem,
        (
            Column("name", "系统名称", "text", width=28),
            Column("purpose", "用途", "long_text", required=False, width=30),
            Column("built_by_project_code", "建设项目编码", "text", required=False, width=16),
            Column("built_year", "建成年份", "int", minimum=1950, maximum=2100),
            Column("construction_cost", "建设投资（元）", "money", width=16),
            Column("yearly_om_cost", "年运维费（元）", "money", width=16),
            Column("users", "用户数", "int"),
            Column("hosting", "部署方式", "choice", choices=HOSTING),
            Column("security_level", "等保级别", "choice", choices=SECURITY),
            Column("status", "状态", "choice", choices=STATUS),
        ),
    ),
    Sheet(
        "device",
        "硬件设备",
        Device,
        (
            Column("device_type", "设备类型", "choice", choices=DEVICE_TYPES),
            Column("name", "设备名称", "text", width=28),
            Column("quantity", "数量", "int"),
            Column("original_value", "原值（元）", "money", width=16),
            Column("purchase_date", "购置日期", "date"),
            Column("warranty_end", "保修截止日期", "date", required=False),
        ),
    ),
    Sheet(
        "cloud",
        "云资源",
        CloudResource,
        (
            Column("name", "资源名称", "text", width=28),
            Column("cores", "CPU（核）", "int"),
            Column("memory_gb", "内存（GB）", "int"),
            Column("storage_tb", "存储（TB）", "decimal"),
        ),
    ),
    Sheet(
        "staff",
        "信息化人员",
        ITStaff,
        (
            Column("employment", "用工方式", "choice", choices=EMPLOYMENT),
            Column("role", "岗位", "choice", choices=STAFF_ROLES),
            Column("count", "人数", "int"),
        ),
    ),
)
HELP_SHEET = "填表说明"
DATA_VALIDATION_ROWS = 5000


@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int
    column: str  # the column's letter and header, "" for the whole row or sheet
    message: str

    def __str__(self) -> str:
        where = _("sheet %(sheet)s") % {"sheet": self.sheet}
        if self.row:
            where += _(", row %(row)s") % {"row": self.row}
        if self.column:
            where += _(", column %(column)s") % {"column": self.column}
        return f"{where}: {self.message}"


@dataclass
class Reading:
    rows: InventoryRows = field(default_factory=InventoryRows)
    problems: list[Problem] = field(default_factory=list)


# --- Writing the template ------------------------------------------------------------


def write_template(survey: UnitSurvey) -> bytes:
    """The survey workbook of a unit: its current rows, drop-downs on every choice."""
    book = Workbook()
    first = book.active
    assert isinstance(first, Worksheet)
    book.remove(first)
    current: dict[str, Sequence[models.Model]] = {
        "system": list(survey.systems.all()),
        "device": list(survey.devices.all()),
        "cloud": list(survey.cloud.all()),
        "staff": list(survey.staff.all()),
    }
    for spec in SHEETS:
        sheet = book.create_sheet(spec.title)
        _write_sheet(sheet, spec, current[spec.kind])
    help_sheet = book.create_sheet(HELP_SHEET)
    for line in (
        f"{survey.campaign.year} 年信息化资产摸底调查表 · {survey.organization.name}",
        "每张表一行一条记录；带下拉列表的列请从列表中选择。",
        "金额单位为元，最多两位小数；日期格式为 YYYY-MM-DD。",
        "上传后将整体替换本单位的清单：任何一处错误都不会写入，并按表、行、列列出全部错误。",
    ):
        help_sheet.append([safe_cell(help_sheet, line)])
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _write_sheet(sheet: Worksheet, spec: Sheet, rows: Sequence[models.Model]) -> None:
    headers = []
    for index, column in enumerate(spec.columns, start=1):
        cell = safe_cell(sheet, column.header)
        cell.font = Font(bold=True)
        headers.append(cell)
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.append(headers)
    sheet.freeze_panes = "A2"
    for row in rows:
        sheet.append([safe_cell(sheet, _shown(column, row)) for column in spec.columns])
    for index, column in enumerate(spec.columns, start=1):
        letter = get_column_letter(index)
        cells = f"{letter}2:{letter}{DATA_VALIDATION_ROWS}"
        if column.kind == "choice":
            validation = DataValidation(
                type="list",
                formula1='"' + ",".join(column.choices) + '"',
                allow_blank=not column.required,
                showErrorMessage=True,
                errorTitle="请从列表中选择",
                error=f"{column.header}：请从下拉列表中选择。",
            )
        elif column.kind == "date":
            validation = DataValidation(
                type="date",
                operator="greaterThan",
                formula1="1",
                allow_blank=not column.required,
                showErrorMessage=True,
                error=f"{column.header}：请填写日期（YYYY-MM-DD）。",
            )
        else:
            continue
        sheet.add_data_validation(validation)
        validation.add(cells)


def _shown(column: Column, row: models.Model) -> Any:
    value = getattr(row, column.key)
    if column.kind == "choice":
        return next((label for label, code in column.choices.items() if code == value), value)
    return value


# --- Reading an upload ----------------------------------------------------------------


def check_upload(upload: IO[bytes], name: str) -> None:
    """The one package check of every upload (ValidationError), as an .xlsx workbook."""
    check_package(upload, name, kind=".xlsx")


def read_workbook(file: IO[bytes]) -> Reading:
    """Every row of every sheet, or every problem by sheet, row and column; never both
    half-way (the caller writes only a reading without problems)."""
    reading = Reading()
    try:
        book = load_workbook(file, read_only=True, data_only=True, keep_links=False)
    except Exception as error:  # openpyxl raises many kinds on a damaged package
        raise ValidationError(
            _("The file could not be read as an Excel workbook: save it as .xlsx and try again.")
        ) from error
    try:
        targets: dict[str, list[Any]] = reading.rows.by_kind()  # type: ignore[assignment]
        for spec in SHEETS:
            if spec.title not in book.sheetnames:
                reading.problems.append(
                    Problem(spec.title, 0, "", _("The sheet is missing: use the template."))
                )
                continue
            _read_sheet(spec, _sheet_rows(book[spec.title]), targets[spec.kind], reading.problems)
    finally:
        book.close()
    if reading.problems:
        reading.rows = InventoryRows()
    return reading


def _sheet_rows(sheet: Any) -> Iterator[tuple[Any, ...]]:
    """The cell values of a sheet, row by row from the first: the one place that parses."""
    yield from sheet.iter_rows(values_only=True)


def _read_sheet(
    spec: Sheet, rows: Iterator[tuple[Any, ...]], out: list[Any], problems: list[Problem]
) -> None:
    header = next(rows, None)
    expected = [column.header for column in spec.columns]
    if header is None or [_text(value) for value in header[: len(expected)]] != expected:
        problems.append(
            Problem(
                spec.title,
                1,
                "",
                _("The headings are not the template's: %(headings)s.")
                % {"headings": "、".join(expected)},
            )
        )
        return
    readers = [_READERS[column.kind] for column in spec.columns]
    letters = [f"{get_column_letter(i)}（{c.header}）" for i, c in enumerate(spec.columns, 1)]
    model = spec.model
    width = len(spec.columns)
    # Rows become models through positional arguments, in the model's field order: a
    # third of the time of keyword arguments, which counts at 20,000 rows.
    attnames = [field.attname for field in model._meta.concrete_fields]
    slots = [attnames.index(column.key) for column in spec.columns]
    blank: list[Any] = [None] * len(attnames)
    for number, cells in enumerate(rows, start=2):
        values = cells[:width]
        if all(value is None or (isinstance(value, str) and not value.strip()) for value in values):
            continue
        if number - 1 > MAX_ROWS:
            problems.append(
                Problem(spec.title, number, "", _("More than %(max)s rows.") % {"max": MAX_ROWS})
            )
            return
        fields: list[Any] = list(blank)
        failed = False
        for index, column in enumerate(spec.columns):
            value = values[index] if index < len(values) else None
            if value is None or (isinstance(value, str) and not value.strip()):
                if column.required:
                    problems.append(Problem(spec.title, number, letters[index], _("Required.")))
                    failed = True
                elif column.kind in {"text", "long_text"}:
                    fields[slots[index]] = ""
                continue
            try:
                fields[slots[index]] = readers[index](value, column)
            except ValueError as error:
                problems.append(Problem(spec.title, number, letters[index], str(error)))
                failed = True
        if not failed:
            out.append(model(*fields))


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _read_text(value: Any, column: Column) -> str:
    text = _text(value).replace("\x00", "")
    limit = MAX_TEXT if column.kind == "text" else 10_000
    if len(text) > limit:
        raise ValueError(
            _("At most %(max)s characters; got %(count)s.") % {"max": limit, "count": len(text)}
        )
    return text


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(_("Not a number: %(value)s.") % {"value": value})
    try:
        # A float cell is read through its shortest text, so 0.1 stays 0.1.
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise ValueError(_("Not a number: %(value)s.") % {"value": _text(value)[:50]}) from None
    if not number.is_finite():
        raise ValueError(_("Not a number: %(value)s.") % {"value": _text(value)[:50]})
    return number


def _read_int(value: Any, column: Column) -> int:
    number = _decimal(value)
    if number != number.to_integral_value() or number < column.minimum or number > column.maximum:
        raise ValueError(
            _("A whole number from %(min)s to %(max)s; got %(value)s.")
            % {"min": column.minimum, "max": column.maximum, "value": _text(value)[:50]}
        )
    return int(number)


def _read_money(value: Any, column: Column) -> Decimal:
    number = _decimal(value)
    if number < 0:
        raise ValueError(_("Cannot be negative; got %(value)s.") % {"value": number})
    if number > MAX_AMOUNT:
        raise ValueError(
            _("Exceeds the amount limit: at most %(max)s yuan.") % {"max": f"{MAX_AMOUNT:,.2f}"}
        )
    if number != number.quantize(Decimal("0.01")):
        raise ValueError(_("At most two decimal places; got %(value)s.") % {"value": number})
    return number.quantize(Decimal("0.01"))


def _read_decimal(value: Any, column: Column) -> Decimal:
    number = _decimal(value)
    if number < 0 or number >= Decimal("100000000"):
        raise ValueError(_("From 0 to 99,999,999.99; got %(value)s.") % {"value": number})
    if number != number.quantize(Decimal("0.01")):
        raise ValueError(_("At most two decimal places; got %(value)s.") % {"value": number})
    return number


def _read_date(value: Any, column: Column) -> datetime.date:
    if isinstance(value, datetime.datetime):
        day = value.date()
    elif isinstance(value, datetime.date):
        day = value
    else:
        try:
            day = datetime.date.fromisoformat(_text(value))
        except ValueError:
            raise ValueError(
                _("Not a date (YYYY-MM-DD): %(value)s.") % {"value": _text(value)[:50]}
            ) from None
    # The model's range (its validators, which the row form applies), for the workbook.
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(
            _("A date from %(first)s to %(last)s.")
            % {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()}
        )
    return day


def _read_choice(value: Any, column: Column) -> Any:
    text = _text(value)
    if text in column.choices:
        return column.choices[text]
    codes = {str(code): code for code in column.choices.values()}
    if text in codes:
        return codes[text]
    raise ValueError(
        _("Choose one of %(choices)s; got %(value)s.")
        % {"choices": "、".join(column.choices), "value": text[:50]}
    )


_READERS: dict[str, Callable[[Any, Column], Any]] = {
    "text": _read_text,
    "long_text": _read_text,
    "int": _read_int,
    "money": _read_money,
    "decimal": _read_decimal,
    "date": _read_date,
    "choice": _read_choice,
}
