"""The Excel round trip: export, import (all or nothing), hostile files, dry run."""

import datetime
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl.xml
import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, transaction
from django.utils import translation
from openpyxl import load_workbook

from audit.models import Event
from standards import excel, import_service, services
from standards.models import Grade, ServiceItem, SetStatus, StandardSet
from standards.tests.factories import derived_set, filled_set
from ui import uploads

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft():
    return filled_set(3, code="DRAFT", status=SetStatus.DRAFT)


@pytest.fixture
def exported(draft, tmp_path) -> Path:
    path = tmp_path / "standard.xlsx"
    excel.write_workbook(draft, path)
    return path


def edit(path: Path, sheet: str, changes: dict[str, object]) -> Path:
    book = load_workbook(path)
    for cell, value in changes.items():
        book[sheet][cell] = value
    book.save(path)
    return path


def snapshot(standard_set: StandardSet) -> list[tuple]:
    return list(
        Grade.objects.filter(item__standard_set=standard_set)
        .order_by("item__code", "code")
        .values_list("item__code", "item__name", "code", "unit_price")
    )


def issues_of(path: Path) -> list[tuple[str, int, str]]:
    with pytest.raises(excel.WorkbookError) as error:
        parsed = excel.read_workbook(path)
        import_service.import_catalogue("DRAFT", parsed, actor=None)
    return [(issue.sheet, issue.row, issue.column) for issue in error.value.issues]


def test_export_writes_one_sheet_per_table_with_chinese_headers(exported):
    book = load_workbook(exported)
    assert book.sheetnames == ["标准版本", "费用类别", "服务内容", "等次"]
    grades = book["等次"]
    assert [c.value for c in grades[1]] == [
        "服务内容编码",
        "等次编码",
        "等次名称",
        "单价(元)",
        "系数",
        "下限",
        "上限",
        "排序",
    ]
    assert grades["D2"].value == 83900
    assert grades["D2"].number_format == "#,##0.00"
    assert book["服务内容"]["A2"].value == "2.01"


def test_export_then_import_unchanged_is_a_no_op(draft, exported):
    before = snapshot(draft)
    report = import_service.import_catalogue("DRAFT", excel.read_workbook(exported), actor=None)
    assert report.is_empty
    assert snapshot(draft) == before
    assert not Event.objects.filter(event_type="standards.set.imported").exists()


def test_import_creates_a_new_draft_from_a_published_export(tmp_path, system_admin):
    published = filled_set(2, code="GD-2019")
    path = tmp_path / "gd.xlsx"
    excel.write_workbook(published, path)
    edit(path, "标准版本", {"D2": "2026 修订"})
    report = import_service.import_catalogue(
        "GD-2026", excel.read_workbook(path), actor=system_admin, source="gd.xlsx"
    )
    created = StandardSet.objects.get(code="GD-2026")
    assert report.created_set
    assert created.status == SetStatus.DRAFT
    assert created.version_label == "2026 修订"
    assert snapshot(created) == snapshot(published)
    event = Event.objects.get(event_type="standards.set.imported")
    assert event.actor == system_admin
    assert event.data["added"] == {"categories": 1, "items": 2, "grades": 4}


def test_import_adds_changes_and_removes(draft, exported):
    edit(exported, "等次", {"D2": 90000.5, "C3": "二级（新）"})
    book = load_workbook(exported)
    book["服务内容"].delete_rows(4)  # item 2.03
    book["等次"].delete_rows(6, 2)  # its two grades
    book["服务内容"].append(["2.04", "云存储", "2", "TB·年", "运维类", "unit_price"])
    book["等次"].append(["2.04", "A", "块存储", 3000])
    book.save(exported)
    report = import_service.import_catalogue("DRAFT", excel.read_workbook(exported), actor=None)
    assert report.added == {"categories": [], "items": ["2.04"], "grades": ["2.04/A"]}
    assert report.changed == {"categories": [], "items": [], "grades": ["2.01/A", "2.01/B"]}
    assert report.removed["items"] == ["2.03"]
    assert report.removed["grades"] == ["2.03/A", "2.03/B"]
    grade = Grade.objects.get(item__standard_set=draft, item__code="2.01", code="A")
    assert grade.unit_price == Decimal("90000.50")
    assert ServiceItem.objects.get(standard_set=draft, code="2.04").project_kinds == ["operation"]


def test_dry_run_reports_and_writes_nothing(draft, exported):
    edit(exported, "等次", {"D2": 1})
    before = snapshot(draft)
    report = import_service.import_catalogue(
        "DRAFT", excel.read_workbook(exported), actor=None, dry_run=True
    )
    assert report.changed["grades"] == ["2.01/A"]
    assert snapshot(draft) == before
    dry_new = import_service.import_catalogue(
        "NEW", excel.read_workbook(exported), actor=None, dry_run=True
    )
    assert dry_new.created_set
    assert not StandardSet.objects.filter(code="NEW").exists()


def test_a_published_set_refuses_imports(tmp_path):
    published = filled_set(1, code="PUB")
    path = tmp_path / "pub.xlsx"
    excel.write_workbook(published, path)
    with pytest.raises(services.StandardsError):
        import_service.import_catalogue("PUB", excel.read_workbook(path), actor=None)


def test_the_database_refuses_copied_items_into_a_published_set():
    # The import inserts items with COPY; the insert trigger must still fire.
    published = filled_set(1, code="PUB")
    item = ServiceItem(
        standard_set=published,
        category=published.categories.first(),
        code="NEW",
        name="x",
        unit="人年",
        pricing_method="unit_price",
    )
    with pytest.raises(DatabaseError, match="is published"), transaction.atomic():
        import_service._copy_items(published, [item])


@pytest.mark.parametrize(
    ("sheet", "changes", "expected"),
    [
        ("等次", {"D1": "价格"}, ("等次", 1, "D")),
        ("服务内容", {"C2": "99"}, ("服务内容", 2, "C")),
        ("服务内容", {"D3": "公斤"}, ("服务内容", 3, "D")),
        ("等次", {"D2": "八万"}, ("等次", 2, "D")),
        ("等次", {"D3": -1}, ("等次", 3, "D")),
        ("等次", {"D4": 83900.123}, ("等次", 4, "D")),
        ("服务内容", {"A3": "2.01"}, ("服务内容", 3, "A")),
        ("等次", {"D2": "=1+1"}, ("等次", 2, "D")),
        ("服务内容", {"F2": "guess"}, ("服务内容", 2, "F")),
        ("服务内容", {"F2": "percentage", "G2": '{"rate_max": "2"}'}, ("服务内容", 2, "G")),
        ("等次", {"A2": "9.99"}, ("等次", 2, "A")),
        ("标准版本", {"E2": "someday"}, ("标准版本", 2, "E")),
    ],
    ids=[
        "wrong-header",
        "unknown-category",
        "unknown-unit",
        "text-for-number",
        "negative-price",
        "over-precise-price",
        "duplicate-code",
        "formula",
        "unknown-method",
        "bad-parameters",
        "unknown-item",
        "bad-date",
    ],
)
def test_a_bad_row_is_reported_by_sheet_row_and_column_and_nothing_is_written(
    draft, exported, sheet, changes, expected
):
    edit(exported, "等次", {"C2": "改过的名字"})  # a good change that must not be written
    edit(exported, sheet, changes)
    before = snapshot(draft)
    assert expected in issues_of(exported)
    assert snapshot(draft) == before


def test_every_error_is_reported_at_once(exported):
    edit(exported, "等次", {"D2": "八万", "D3": -1, "E4": "=A1"})
    assert issues_of(exported) == [("等次", 2, "D"), ("等次", 3, "D"), ("等次", 4, "E")]


def test_a_missing_sheet_is_reported(exported):
    book = load_workbook(exported)
    del book["费用类别"]
    book.save(exported)
    assert ("费用类别", 0, "") in issues_of(exported)


# --- Hostile files -------------------------------------------------------------------


def test_files_over_10_mb_are_refused(tmp_path):
    path = tmp_path / "big.xlsx"
    with path.open("wb") as file:
        file.truncate(excel.MAX_FILE_BYTES + 1)
    assert "10 MB" in _refusal(path)


def test_non_zip_files_are_refused(tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_text("编码,名称\n1,软件开发服务费\n")
    assert _refusal(path)


def test_macro_workbooks_are_refused(tmp_path, exported):
    xlsm = tmp_path / "macro.xlsm"
    xlsm.write_bytes(exported.read_bytes())
    assert ".xlsm" in _refusal(xlsm)
    with zipfile.ZipFile(exported, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"\0" * 10)
    assert _refusal(exported)


def test_zip_bombs_are_refused_before_parsing(tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (uploads.MAX_UNPACKED_BYTES + 1))
    assert path.stat().st_size < excel.MAX_FILE_BYTES
    assert "100 MB" in _refusal(path)


def test_entity_expansion_is_refused(tmp_path, exported):
    # openpyxl parses through defusedxml whenever it is installed.
    assert openpyxl.xml.DEFUSEDXML
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        "<sheetData><row><c><v>&lol2;</v></c></row></sheetData></worksheet>"
    )
    path = tmp_path / "entities.xlsx"
    with zipfile.ZipFile(exported) as source, zipfile.ZipFile(path, "w") as target:
        for member in source.infolist():
            data = source.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                data = bomb.encode()
            target.writestr(member, data)
    assert "unsafe XML" in _refusal(path)


def _refusal(path: Path) -> str:
    with translation.override("en"), pytest.raises(excel.WorkbookError) as error:
        excel.read_workbook(path)
    return " ".join(str(issue) for issue in error.value.issues)


# --- Commands --------------------------------------------------------------------------


def test_export_command_without_set_writes_the_provincial_standard_in_force(tmp_path, capsys):
    filled_set(2, code="GD-2019")
    filled_set(1, code="FUTURE", effective_from=datetime.date(2099, 1, 1))
    path = tmp_path / "out.xlsx"
    call_command("export_standards", str(path))
    assert "GD-2019" in capsys.readouterr().out
    assert load_workbook(path)["标准版本"]["A2"].value == "GD-2019"


def test_import_command_dry_run_and_errors(tmp_path, draft, exported, capsys):
    call_command("import_standards", str(exported), "--set", "COPY", "--dry-run")
    assert "Would change COPY (new draft)" in capsys.readouterr().out
    assert not StandardSet.objects.filter(code="COPY").exists()
    edit(exported, "等次", {"D3": -1})
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_standards", str(exported), "--set", "COPY")
    assert "等次!D3" in capsys.readouterr().err


def test_import_command_refuses_a_published_set(tmp_path):
    published = filled_set(1, code="PUB")
    path = tmp_path / "pub.xlsx"
    excel.write_workbook(published, path)
    with translation.override("en"), pytest.raises(CommandError, match="copy it to a new version"):
        call_command("import_standards", str(path), "--set", "PUB")


def test_a_rejected_import_into_a_new_set_leaves_no_draft(exported):
    edit(exported, "服务内容", {"C2": "99"})
    with pytest.raises(excel.WorkbookError):
        import_service.import_catalogue("NEW", excel.read_workbook(exported), actor=None)
    assert not StandardSet.objects.filter(code="NEW").exists()


def test_a_derived_set_round_trips_with_inherited_fee_classes(tmp_path):
    province = filled_set(2, code="GD-2019")
    city = derived_set(province, "GZ")
    services.override_item(city, "2.01", actor=None)
    path = tmp_path / "gz.xlsx"
    excel.write_workbook(city, path)
    assert import_service.import_catalogue("GZ", excel.read_workbook(path), actor=None).is_empty
    copy = import_service.import_catalogue("GZ-2", excel.read_workbook(path), actor=None)
    assert copy.added["items"] == ["2.01"]
    assert StandardSet.objects.get(code="GZ-2").base == province


def test_model_rules_are_reported_at_their_cell(draft, exported):
    # A price outside the grade's own range, a code the validator refuses, a name too long.
    edit(exported, "等次", {"F2": 1, "G2": 2})
    edit(exported, "服务内容", {"B3": "名" * 201})
    edit(exported, "费用类别", {"A2": "坏 编码"})
    edit(exported, "服务内容", {"C2": "坏 编码", "C3": "坏 编码", "C4": "坏 编码"})
    found = issues_of(exported)
    assert ("等次", 2, "") in found  # the rule spans price and range: the whole row
    assert ("服务内容", 3, "B") in found
    assert ("费用类别", 2, "A") in found


def test_fee_classes_have_two_levels_at_most(exported):
    book = load_workbook(exported)
    book["费用类别"].append(["2.1", "软件运维", "2"])
    book["费用类别"].append(["2.1.1", "驻场", "2.1"])
    book.save(exported)
    assert ("费用类别", 4, "C") in issues_of(exported)


def test_a_sheet_over_the_row_limit_is_refused_with_the_limit(exported, monkeypatch):
    # filled_set(3) exports 3 items (rows 2 to 4) and 6 grades (rows 2 to 7).
    monkeypatch.setattr(excel, "MAX_ROWS", 3)
    with pytest.raises(excel.WorkbookError) as error, translation.override("en"):
        excel.read_workbook(exported)
    too_many = [
        (issue.sheet, issue.row, issue.message)
        for issue in error.value.issues
        if issue.message.startswith("Too many rows")
    ]
    message = "Too many rows: a sheet may have at most 3."
    assert too_many == [("服务内容", 4, message), ("等次", 4, message)]


# --- Figures no column holds (issue #15) ---------------------------------------------------


def _raw_value(path: Path, sheet_xml: str, cell: str, raw: str) -> Path:
    """Put ``raw`` as the stored value of a number cell, as no spreadsheet program would
    (NaN, infinities): openpyxl writes those as empty cells."""
    import re
    import shutil

    copy = path.with_suffix(".raw.xlsx")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(copy, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == sheet_xml:
                text = data.decode()
                text, count = re.subn(
                    rf'(<c r="{cell}"[^>]*>)<v>[^<]*</v>', rf"\g<1><v>{raw}</v>", text
                )
                assert count == 1
                data = text.encode()
            target.writestr(item, data)
    shutil.move(copy, path)
    return path


@pytest.mark.parametrize(
    ("cell", "value", "message"),
    [
        (
            "D2",
            1e30,
            "Exceeds the amount limit: 单价(元) is 1.000E+30 yuan",
        ),
        ("D2", 1e12, "Exceeds the amount limit: 单价(元) is 1,000,000,000,000.00 yuan"),
        ("E2", 1e30, "系数 is at most 9999.9999"),
        ("F2", 1e30, "下限 is at most 9999999999.9999"),
        ("D2", -1, "cannot be negative"),
    ],
)
def test_a_figure_no_column_holds_is_reported_at_its_cell(draft, exported, cell, value, message):
    # Before: 1e30 broke Decimal's rounding (InvalidOperation), a server error.
    edit(exported, "等次", {cell: value})
    before = snapshot(draft)
    with translation.override("en"), pytest.raises(excel.WorkbookError) as error:
        excel.read_workbook(exported)
    found = [(issue.sheet, issue.row, issue.column, issue.message) for issue in error.value.issues]
    assert [where[:3] for where in found] == [("等次", 2, cell[0])]
    assert message in found[0][3]
    assert snapshot(draft) == before


def test_a_price_past_a_double_is_reported_at_its_cell(draft, exported):
    # The grades sheet is the fourth; openpyxl reads 1e400 as an infinite float.
    _raw_value(exported, "xl/worksheets/sheet4.xml", "D3", "1e400")
    with translation.override("en"), pytest.raises(excel.WorkbookError) as error:
        excel.read_workbook(exported)
    assert [(i.sheet, i.row, i.column) for i in error.value.issues] == [("等次", 3, "D")]
    assert "not a number" in error.value.issues[0].message


@pytest.mark.parametrize("raw", ["NaN", "inf", "-inf"])
def test_a_price_that_is_no_number_is_reported_at_its_cell(draft, exported, raw):
    # Before: openpyxl's ValueError escaped the import, a server error; then openpyxl
    # stopped at the row. The calamine reader reads the value, so the cell is named.
    _raw_value(exported, "xl/worksheets/sheet4.xml", "D3", raw)
    with translation.override("en"), pytest.raises(excel.WorkbookError) as error:
        excel.read_workbook(exported)
    assert [(i.sheet, i.row, i.column) for i in error.value.issues] == [("等次", 3, "D")]
    assert "not a number" in error.value.issues[0].message


@pytest.mark.parametrize("raw", ["NaN", "inf"])
def test_a_whole_number_that_is_no_number_is_reported_at_its_cell(draft, exported, raw):
    _raw_value(exported, "xl/worksheets/sheet4.xml", "H3", raw)
    with translation.override("en"), pytest.raises(excel.WorkbookError) as error:
        excel.read_workbook(exported)
    assert [(i.sheet, i.row, i.column) for i in error.value.issues] == [("等次", 3, "H")]
    assert "whole number" in error.value.issues[0].message


def test_a_number_cell_holding_no_number_is_a_damaged_workbook(draft, exported):
    _raw_value(exported, "xl/worksheets/sheet4.xml", "D3", "abc")
    with translation.override("en"), pytest.raises(excel.WorkbookError) as error:
        excel.read_workbook(exported)
    assert [str(issue) for issue in error.value.issues] == [
        "file: The workbook is damaged or contains unsafe XML."
    ]


def test_the_import_command_reports_a_huge_price_by_sheet_row_and_column(
    tmp_path, draft, exported, capsys
):
    edit(exported, "等次", {"D3": 1e30})
    with translation.override("zh-hans"), pytest.raises(CommandError):
        call_command("import_standards", str(exported), "--set", "DRAFT")
    assert "等次!D3: 超出金额上限" in capsys.readouterr().err


def test_the_largest_om_share_round_trips_and_an_older_workbook_gets_the_default(
    draft, exported, tmp_path
):
    """The set-level share (issue #19) is column H of 标准版本; a workbook written before
    the column existed imports with 15 %."""
    assert load_workbook(exported)["标准版本"]["H1"].value == "运维费占建设成本上限(%)"
    edit(exported, "标准版本", {"H2": 12.5})
    report = import_service.import_catalogue("DRAFT", excel.read_workbook(exported), actor=None)
    draft.refresh_from_db()
    assert draft.max_om_share == Decimal("12.50")
    assert report.changed["set"] == ["max_om_share"]
    book = load_workbook(exported)
    book["标准版本"].delete_cols(8)
    older = tmp_path / "older.xlsx"
    book.save(older)
    assert excel.read_workbook(older).header["max_om_share"] == Decimal("15.00")


@pytest.mark.parametrize("value", [-1, 100.01, "十五", 15.123])
def test_a_largest_om_share_out_of_range_is_reported_at_its_cell(draft, exported, value):
    edit(exported, "标准版本", {"H2": value})
    assert ("标准版本", 2, "H") in issues_of(exported)
    draft.refresh_from_db()
    assert draft.max_om_share == Decimal("15.00")
