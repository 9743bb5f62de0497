"""The one package check of every .xlsx/.docx upload: each limit and each hostile kind."""

import io
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from openpyxl import Workbook

from ui import uploads
from ui.uploads import check_package

BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    "<sheetData><row><c><v>&lol2;</v></c></row></sheetData></worksheet>"
)


def workbook() -> bytes:
    book = Workbook()
    book.active.append(["名称", "=not a formula in a string cell"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def package(members: dict[str, bytes], *, stored: bool = False) -> bytes:
    buffer = io.BytesIO()
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def with_members(base: bytes, **replace: bytes) -> bytes:
    """``base`` with parts replaced or added (``sheet1`` names xl/worksheets/sheet1.xml)."""
    names = {"sheet1": "xl/worksheets/sheet1.xml", "vba": "xl/vbaProject.bin"}
    with zipfile.ZipFile(io.BytesIO(base)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    return package({**members, **{names.get(k, k): v for k, v in replace.items()}})


def office(members: dict[str, bytes]) -> bytes:
    return package(
        {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>", **members}
    )


def refusal(content: bytes, name: str = "表.xlsx", **limits: Any) -> ValidationError:
    with translation.override("en"), pytest.raises(ValidationError) as error:
        check_package(io.BytesIO(content), name, **limits)
    return error.value


def test_real_workbooks_and_documents_pass() -> None:
    check_package(io.BytesIO(workbook()), "预算.xlsx")
    document = package({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
    check_package(io.BytesIO(document), "方案.docx")


def test_the_file_is_left_at_its_start() -> None:
    file = io.BytesIO(workbook())
    file.seek(10)
    check_package(file, "预算.xlsx")
    assert file.tell() == 0


@pytest.mark.parametrize(
    ("make", "code", "message"),
    [
        (lambda: b"%PDF-1.7", "type", "not a valid Excel workbook"),
        (lambda: package({"hello.txt": b"hi"}), "type", "not a valid Excel workbook"),
        (
            lambda: office({f"xl/media/{n}.png": b"x" for n in range(uploads.MAX_MEMBERS)}),
            "members",
            "more than 1000 parts",
        ),
        (
            # 101 MB of zeros in 100 KB: refused by its declared size, nothing unpacked.
            lambda: office({"xl/worksheets/sheet1.xml": bytes(101 * uploads.MB)}),
            "unpacked",
            "expands to more than 100 MB",
        ),
        (
            # Under the unpacked limit, but 2 MB of zeros squeezed a thousand times over.
            lambda: office({"xl/sharedStrings.xml": bytes(2 * uploads.MB)}),
            "ratio",
            "compressed more than 100 times over",
        ),
        (lambda: with_members(workbook(), vba=b"\0" * 64), "macros", "contains macros"),
        (
            lambda: with_members(
                workbook(),
                **{
                    "[Content_Types].xml": b'<Types><Override ContentType="application/'
                    b'vnd.ms-excel.sheet.macroEnabled.main+xml"/></Types>'
                },
            ),
            "macros",
            "contains macros",
        ),
        (lambda: with_members(workbook(), sheet1=BILLION_LAUGHS.encode()), "dtd", "unsafe XML"),
        (
            # A DTD behind a comment and 100 KB of white space: past the first chunk.
            lambda: with_members(
                workbook(),
                sheet1=b'<?xml version="1.0"?><!-- <x> -->'
                + b" " * (100 * 1024)
                + BILLION_LAUGHS.split("?>", 1)[1].encode(),
            ),
            "dtd",
            "unsafe XML",
        ),
        (
            lambda: with_members(
                workbook(), sheet1=BILLION_LAUGHS.replace("UTF-8", "UTF-16").encode("utf-16")
            ),
            "dtd",
            "unsafe XML",
        ),
        (
            # An external entity in a part nothing of ours reads is refused all the same.
            lambda: with_members(
                workbook(),
                **{
                    "docProps/custom.xml": b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x/>'
                },
            ),
            "dtd",
            "unsafe XML",
        ),
    ],
)
def test_hostile_packages_are_refused_with_the_limit_named(
    make: Callable[[], bytes], code: str, message: str
) -> None:
    error = refusal(make())
    assert error.code == code
    assert message in error.message
    assert "表.xlsx" in error.message


def test_the_size_limit_is_the_callers() -> None:
    content = workbook()
    check_package(io.BytesIO(content), "预算.xlsx", max_bytes=len(content))
    error = refusal(content, max_bytes=len(content) - 1)
    assert error.code == "size"
    assert f"larger than {(len(content) - 1) / uploads.MB:g} MB" in error.message
    assert uploads.megabytes(10 * uploads.MB) == "10 MB"


def test_macro_enabled_names_are_refused_whatever_they_hold() -> None:
    for name in ("预算.xlsm", "方案.DOCM"):
        assert refusal(workbook(), name).code == "macros"
    assert refusal(workbook(), "预算.xls").code == "type"


def test_the_format_may_be_given_by_the_caller() -> None:
    # import-export reads any file as the format chosen, whatever its name.
    check_package(io.BytesIO(workbook()), "grades.data", kind=".xlsx")
    with translation.override("en"), pytest.raises(ValidationError, match="not a valid Word"):
        check_package(io.BytesIO(workbook()), "grades.data", kind=".docx")


def test_text_that_merely_mentions_a_doctype_is_not_a_dtd() -> None:
    sheet = (
        '<?xml version="1.0"?><worksheet><sheetData><row><c t="inlineStr"><is><t>'
        "&lt;!DOCTYPE html&gt;</t></is></c></row></sheetData></worksheet>"
    )
    check_package(io.BytesIO(with_members(workbook(), sheet1=sheet.encode())), "预算.xlsx")


def test_an_ordinary_large_sheet_is_not_taken_for_a_bomb() -> None:
    # Repetitive rows, as a standard's grades are: they compress well, yet far from 100:1.
    book = Workbook(write_only=True)
    sheet = book.create_sheet("等次")
    for number in range(10_000):
        sheet.append(["5.1", f"L{number % 3}", "三级", 100000, 1.2, None, None, number])
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        assert archive.getinfo("xl/worksheets/sheet1.xml").file_size >= uploads.RATIO_FROM_BYTES
    check_package(buffer, "大表.xlsx")
