"""Import code lists from Excel: all or nothing, every problem by row and column.

The workbook has one sheet; its first row holds the headings 代码表 (the list: its
code or its Chinese name), 年度, 编码, 名称, in any order; each further row is one
code. A file with any problem writes nothing and lists every problem found. A code
already in its list and year gets the new name; codes are never deleted here
(projects may carry them).
"""

from dataclasses import dataclass
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from audit.services import record_event
from classification.models import CODE_VALIDATOR, ClassificationCode, CodeKind
from ui.uploads import MB, check_package

MAX_FILE_BYTES = 10 * MB
MAX_ROWS = 50_000
HEADINGS = {"list": "代码表", "year": "年度", "code": "编码", "name": "名称"}
MIN_YEAR, MAX_YEAR = 2000, 2100


@dataclass(frozen=True)
class Problem:
    row: int  # the sheet's row number; 0 for the file itself
    column: str  # the heading, "" for the file or a whole row
    message: str

    def __str__(self) -> str:
        if not self.row:
            return self.message
        where = _("row %(row)s") % {"row": self.row}
        if self.column:
            where += _(", column %(column)s") % {"column": self.column}
        return f"{where}: {self.message}"


class ImportRefusedError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = problems


@dataclass(frozen=True)
class ImportResult:
    created: int
    renamed: int
    unchanged: int


def _kind(value: str) -> CodeKind | None:
    for kind in CodeKind:
        if value in (kind.value, str(kind.label), _chinese(kind)):
            return kind
    return None


CHINESE = {
    CodeKind.FUNCTIONAL: "支出功能分类",
    CodeKind.ECONOMIC_GOVERNMENT: "政府预算支出经济分类",
    CodeKind.ECONOMIC_DEPARTMENT: "部门预算支出经济分类",
    CodeKind.FUND_TYPE: "资金性质",
    CodeKind.FUND_SOURCE: "资金来源",
}


def _chinese(kind: CodeKind) -> str:
    return CHINESE[kind]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_codes(file: IO[bytes], name: str) -> list[tuple[CodeKind, int, str, str]]:
    """The rows of an uploaded workbook, or ``ImportRefusedError`` with every problem."""
    try:
        check_package(file, name, max_bytes=MAX_FILE_BYTES, kind=".xlsx")
    except ValidationError as error:
        raise ImportRefusedError([Problem(0, "", " ".join(error.messages))]) from error
    try:
        book = load_workbook(file, read_only=True, data_only=True, keep_links=False)
        rows = list(book.worksheets[0].iter_rows(values_only=True, max_row=MAX_ROWS + 2))
    except Exception as error:  # openpyxl raises many kinds on a damaged file
        raise ImportRefusedError(
            [Problem(0, "", _("The workbook is damaged or contains unsafe XML."))]
        ) from error
    if not rows:
        raise ImportRefusedError([Problem(0, "", _("The workbook is empty."))])
    header = [_text(cell) for cell in rows[0]]
    columns = {key: header.index(title) for key, title in HEADINGS.items() if title in header}
    missing = [title for key, title in HEADINGS.items() if key not in columns]
    if missing:
        raise ImportRefusedError(
            [
                Problem(1, title, _("This heading is missing from the first row."))
                for title in missing
            ]
        )
    if len(rows) > MAX_ROWS + 1:
        raise ImportRefusedError(
            [Problem(0, "", _("At most %(count)s codes per file.") % {"count": MAX_ROWS})]
        )
    problems: list[Problem] = []
    codes: list[tuple[CodeKind, int, str, str]] = []
    seen: dict[tuple[CodeKind, int, str], int] = {}
    for number, row in enumerate(rows[1:], start=2):
        cells = {
            key: _text(row[index]) if index < len(row) else "" for key, index in columns.items()
        }
        if not any(cells.values()):
            continue
        found = _check_row(number, cells)
        kind, year = _kind(cells["list"]), _year(cells["year"])
        if not found and kind is not None and year is not None:
            key = (kind, year, cells["code"])
            if key in seen:
                message = _("The same code as row %(row)s.") % {"row": seen[key]}
                found.append(Problem(number, HEADINGS["code"], message))
            seen[key] = number
            codes.append((kind, year, cells["code"], cells["name"]))
        problems += found
    if problems:
        raise ImportRefusedError(problems)
    return codes


def _year(value: str) -> int | None:
    year = int(value) if value.isdigit() and len(value) == 4 else None
    return year if year is not None and MIN_YEAR <= year <= MAX_YEAR else None


def _check_row(number: int, cells: dict[str, str]) -> list[Problem]:
    """Every problem of one row, by column."""
    problems = []
    if _kind(cells["list"]) is None:
        lists = "、".join(CHINESE.values())
        message = _("Not a code list: use one of %(lists)s.") % {"lists": lists}
        problems.append(Problem(number, HEADINGS["list"], message))
    if _year(cells["year"]) is None:
        problems.append(Problem(number, HEADINGS["year"], _("A budget year from 2000 to 2100.")))
    try:
        CODE_VALIDATOR(cells["code"])
    except ValidationError as error:
        problems.append(Problem(number, HEADINGS["code"], " ".join(error.messages)))
    if not 0 < len(cells["name"]) <= 200 or "\x00" in cells["name"]:
        problems.append(Problem(number, HEADINGS["name"], _("A name of 1 to 200 characters.")))
    return problems


def import_codes(
    codes: list[tuple[CodeKind, int, str, str]], *, actor: Any, file_name: str = ""
) -> ImportResult:
    """Write the codes read by ``read_codes`` in one transaction, with one history event:
    new codes created, changed names updated, the rest left alone."""
    with transaction.atomic():
        existing = {
            (row.kind, row.year, row.code): row
            for row in ClassificationCode.objects.select_for_update().filter(
                year__in={year for _kind, year, _code, _name in codes}
            )
        }
        created, renamed = [], []
        for kind, year, code, name in codes:
            row = existing.get((kind, year, code))
            if row is None:
                created.append(ClassificationCode(kind=kind, year=year, code=code, name=name))
            elif row.name != name:
                row.name = name
                renamed.append(row)
        ClassificationCode.objects.bulk_create(created, batch_size=2000)
        ClassificationCode.objects.bulk_update(renamed, ["name"], batch_size=2000)
        result = ImportResult(len(created), len(renamed), len(codes) - len(created) - len(renamed))
        if created or renamed:
            anchor = created[0] if created else renamed[0]
            record_event(
                "classification.codes.imported",
                actor=actor,
                target=anchor,
                target_key=file_name[:100] or "import",
                data={
                    "created": result.created,
                    "renamed": result.renamed,
                    "years": sorted({year for _kind, year, _code, _name in codes}),
                },
            )
    return result
