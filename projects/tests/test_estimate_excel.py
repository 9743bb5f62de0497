"""The Excel round trip of estimate lines: template, upload, preview, apply."""

import datetime
import io
import os
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import Workbook, load_workbook

from accounts.models import Role, User
from accounts.tests.factories import UserFactory
from audit.models import Event
from projects import estimate_excel, estimates, pending_imports, services
from projects.errors import ProjectError
from projects.models import EstimateLine, PendingImport, Project
from projects.tests.estimate_files import fill_template, upload
from projects.tests.factories import NEWER_DEMO_CODE, publish_newer_version, register
from standards.demo import PROVINCE_CODE
from tests.helpers import seed_standards

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

GOOD_ROWS: list[dict[str, Any]] = [
    {"服务内容编码": "1.1", "未调整功能点": 500, "应用类别": "业务处理", "复用程度": "中"},
    {"服务内容编码": "1.2", "工作量（阶段=人月）": "需求设计=2；编码=5"},
    {"服务内容编码": "1.3", "基数（元）": 1000000, "比例": 0.2},
    {"服务内容编码": "5.1", "等次编码": "L3", "数量": 1, "系数": 1.2},
    {"服务内容编码": "5.1", "等次编码": "L2", "数量": 1, "自报单价（元）": 90000, "理由": "加急"},
    {
        "名称": "专家评审",
        "数量": 2,
        "自报单价（元）": 5000,
        "费用类别（非标准）": "其他服务费",
        "计量单位（非标准）": "次",
        "理由": "标准未覆盖",
    },
]


@pytest.fixture
def project(submitter: User) -> Project:
    seed_standards()
    return register(submitter)  # a construction project of 2027


@pytest.fixture
def clerk(client: Client, submitter: User) -> Client:
    client.force_login(submitter)
    client.cookies["django_language"] = "en"
    return client


def _template(client: Client, project: Project) -> bytes:
    response = client.get(reverse("projects:estimate_template", args=[project.code]))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    return response.content


def _upload(client: Client, project: Project, content: bytes, name: str = "estimate.xlsx") -> Any:
    return client.post(
        reverse("projects:estimate_import", args=[project.code]), {"file": upload(content, name)}
    )


def _preview_url(client: Client, project: Project, content: bytes) -> str:
    response = _upload(client, project, content)
    assert response.status_code == 302, response.context["form"].errors
    return str(response["Location"])


def _errors(client: Client, url: str) -> list[str]:
    with translation.override("en"):
        return [str(error) for error in client.get(url).context["preview"].errors]


def test_template_round_trip_prices_every_line_as_the_engine_does(
    clerk: Client, project: Project
) -> None:
    url = _preview_url(clerk, project, fill_template(_template(clerk, project), GOOD_ROWS))
    preview = clerk.get(url).context["preview"]
    assert preview.errors == []
    assert [row.row for row in preview.rows] == [2, 3, 4, 5, 6, 7]
    assert not EstimateLine.objects.exists()  # nothing written by the preview

    response = clerk.post(url)
    assert response.status_code == 302
    lines = list(project.lines.order_by("position"))
    assert [(line.item_code, line.grade_code) for line in lines] == [
        ("1.1", ""), ("1.2", ""), ("1.3", ""), ("5.1", "L3"), ("5.1", "L2"), ("", ""),
    ]  # fmt: skip
    items = {item.code: item for item in estimates.items_for(project, project_standard(project))}
    engine = [
        estimates.quote_item(
            items["1.1"], None, {"ufp": 500, "category": "业务处理", "reuse": "中"}
        ),
        estimates.quote_item(items["1.2"], None, {"stage:需求设计": 2, "stage:编码": 5}),
        estimates.quote_item(items["1.3"], None, {"base": 1000000, "rate": Decimal("0.2")}),
        estimates.quote_item(
            items["5.1"], items["5.1"].grades.get(code="L3"), {"quantity": 1, "coefficient": "1.2"}
        ),
        estimates.quote_item(
            items["5.1"],
            items["5.1"].grades.get(code="L2"),
            {"quantity": 1, "unit_price_override": 90000},
        ),
    ]
    assert [line.amount for line in lines[:5]] == [quote.result.amount for quote in engine]
    assert [line.amount for line in lines[1:]] == [
        Decimal("168000.00"),  # 7 person-months × 24,000
        Decimal("200000.00"),  # 1,000,000 × 20%
        Decimal("120000.00"),  # 100,000 × 1.2 × 1
        Decimal("90000.00"),  # own price above the standard's 80,000
        Decimal("10000.00"),  # non-standard 2 × 5,000
    ]
    assert lines[0].inputs == {"ufp": "500", "category": "业务处理", "reuse": "中"}
    assert lines[4].is_above_standard and lines[4].justification == "加急"
    assert lines[5].is_non_standard and lines[5].name == "专家评审"
    project.refresh_from_db()
    assert project.requested_amount == sum(line.amount for line in lines)
    event = Event.objects.get(event_type="projects.lines.imported")
    assert event.actor == clerk_user(clerk)
    assert event.target_key == project.code
    assert event.data["source"] == "estimate.xlsx"
    assert len(event.data["added"]) == 6 and event.data["removed"] == []
    assert event.data["requested"] == ["0.00", str(project.requested_amount)]
    # The kept upload is gone and its token spent.
    assert not PendingImport.objects.exists()
    assert clerk.get(url).status_code == 404


def clerk_user(client: Client) -> User:
    return User.objects.get(pk=client.session["_auth_user_id"])


def project_standard(project: Project) -> Any:
    standard = estimates.standard_for(project)
    assert standard is not None
    return standard


def clerk_media() -> str:
    return str(settings.MEDIA_ROOT)


def test_the_template_holds_the_current_lines_and_they_import_unchanged(
    clerk: Client, project: Project
) -> None:
    clerk.post(_preview_url(clerk, project, fill_template(_template(clerk, project), GOOD_ROWS)))
    fields = ("item_code", "grade_code", "name", "inputs", "amount", "justification")
    before = list(project.lines.values_list(*fields))
    assert before[4][3]["unit_price_override"] == "90000"  # the own price is kept
    template = _template(clerk, project)
    sheet = load_workbook(io.BytesIO(template))["预算明细"]
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        "1.1", "1.2", "1.3", "5.1", "5.1", None,
    ]  # fmt: skip
    clerk.post(_preview_url(clerk, project, template))
    after = list(project.lines.values_list(*fields))
    assert after == before
    assert Event.objects.filter(event_type="projects.lines.imported").count() == 2


def test_the_template_offers_drop_downs_of_item_codes_grades_and_fee_classes(
    clerk: Client, project: Project
) -> None:
    book = load_workbook(io.BytesIO(_template(clerk, project)))
    items = [row[0] for row in book["服务内容"].iter_rows(min_row=2, values_only=True)]
    assert items == [item.code for item in estimates.items_for(project, project_standard(project))]
    assert "2.1" not in items  # operation items do not price a construction project
    grades = [row[:2] for row in book["等次"].iter_rows(min_row=2, values_only=True)]
    assert ("5.1", "L3") in grades
    validations = {
        str(validation.sqref): validation
        for validation in book["预算明细"].data_validations.dataValidation
    }
    assert validations["A2:A2001"].type == "list"
    assert validations["A2:A2001"].formula1 == f"'服务内容'!$A$2:$A${len(items) + 1}"
    assert validations["A2:A2001"].showErrorMessage
    assert "'等次'!" in validations["C2:C2001"].formula1
    assert "$A2" in validations["C2:C2001"].formula1  # the item chosen in the same row
    assert "其他服务费" in validations["S2:S2001"].formula1


def _bad(clerk: Client, project: Project, row: dict[str, Any]) -> list[str]:
    content = fill_template(_template(clerk, project), [GOOD_ROWS[0], row])
    return _errors(clerk, _preview_url(clerk, project, content))


@pytest.mark.parametrize(
    ("row", "where", "what"),
    [
        ({"服务内容编码": "9.9", "数量": 1}, "column A (服务内容编码)", "Unknown item code 9.9"),
        ({"服务内容编码": "2.1", "数量": 1}, "column A (服务内容编码)", "Unknown item code 2.1"),
        (
            {"服务内容编码": "5.1", "等次编码": "L9", "数量": 1},
            "column C (等次编码)",
            "Unknown grade L9; this item has L2、L3",
        ),
        ({"服务内容编码": "5.1", "数量": 1}, "column C (等次编码)", "Choose a grade"),
        ({"服务内容编码": "1.3", "比例": 0.1}, "column M (基数（元）)", "Required for item 1.3"),
        (
            {"服务内容编码": "5.1", "等次编码": "L2", "数量": "三"},
            "column D (数量)",
            "Enter a number, not 三",
        ),
        (
            {"服务内容编码": "5.1", "等次编码": "L2", "数量": -1},
            "column D (数量)",
            "Cannot be negative",
        ),
        (
            {"服务内容编码": "1.3", "基数（元）": 1000, "比例": 0.5},
            "column N (比例)",
            "between 0% and 30%",
        ),
        (
            {"服务内容编码": "5.1", "等次编码": "L3", "数量": 1, "系数": 1.5},
            "column E (系数)",
            "between 1 and 1.3",
        ),
        (
            {"服务内容编码": "5.1", "等次编码": "L2", "数量": 1, "自报单价（元）": 90000},
            "column U (理由)",
            "A price above the standard needs a written justification",
        ),
        (
            {"服务内容编码": "1.1", "未调整功能点": 10, "应用类别": "游戏", "复用程度": "中"},
            "column H (应用类别)",
            "Use one of 业务处理",
        ),
        (
            {"服务内容编码": "1.2", "工作量（阶段=人月）": "设计=2"},
            "column L (工作量（阶段=人月）)",
            "Unknown stage 设计",
        ),
        (
            {"服务内容编码": "5.1", "等次编码": "L2", "数量": 1, "基数（元）": 5},
            "column M (基数（元）)",
            "Not used by item 5.1",
        ),
        (
            {"服务内容编码": "5.1", "等次编码": "L2", "数量": "=1+1"},
            "column D (数量)",
            "Formulas are not accepted",
        ),
        (
            {
                "名称": "专家评审",
                "数量": 2,
                "自报单价（元）": 5000,
                "费用类别（非标准）": "其他服务费",
                "计量单位（非标准）": "次",
            },
            "column U (理由)",
            "Required for a line without a standard item",
        ),
    ],
)
def test_a_bad_row_is_reported_by_row_and_column_and_nothing_is_written(
    clerk: Client, project: Project, row: dict[str, Any], where: str, what: str
) -> None:
    content = fill_template(_template(clerk, project), [GOOD_ROWS[0], row])
    url = _preview_url(clerk, project, content)
    errors = _errors(clerk, url)
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"Row 3, {where}: "), errors
    assert what in errors[0]
    version = Project.objects.get(pk=project.pk).version
    page = clerk.get(url)
    assert b"Apply: replace all estimate lines" not in page.content
    response = clerk.post(url)
    assert response.status_code == 400
    assert not EstimateLine.objects.exists()
    assert Project.objects.get(pk=project.pk).version == version
    assert not Event.objects.filter(event_type="projects.lines.imported").exists()


def test_errors_are_shown_in_chinese_with_row_and_column(
    client: Client, submitter: User, project: Project
) -> None:
    client.force_login(submitter)
    content = fill_template(
        _template(client, project), [{"服务内容编码": "5.1", "等次编码": "L9", "数量": 1}]
    )
    page = client.get(_preview_url(client, project, content))
    assert "第 2 行 C 列（等次编码）：" in page.content.decode()


def test_every_error_of_the_file_is_listed(clerk: Client, project: Project) -> None:
    rows = [
        {"服务内容编码": "9.9"},
        GOOD_ROWS[1],
        {"服务内容编码": "5.1", "等次编码": "L2", "数量": "x", "系数": "y"},
    ]
    errors = _errors(
        clerk, _preview_url(clerk, project, fill_template(_template(clerk, project), rows))
    )
    assert [error.split(":")[0] for error in errors] == [
        "Row 2, column A (服务内容编码)",
        "Row 4, column D (数量)",
        "Row 4, column E (系数)",
    ]


def test_a_changed_header_is_refused(clerk: Client, project: Project) -> None:
    book = load_workbook(io.BytesIO(_template(clerk, project)))
    book["预算明细"]["D1"] = "Quantity"
    buffer = io.BytesIO()
    book.save(buffer)
    errors = _errors(clerk, _preview_url(clerk, project, buffer.getvalue()))
    assert errors == ["Row 1, column D (数量): Expected the header 数量, found Quantity."]


def test_an_empty_sheet_is_refused(clerk: Client, project: Project) -> None:
    errors = _errors(
        clerk, _preview_url(clerk, project, fill_template(_template(clerk, project), []))
    )
    assert errors == ["The sheet has no estimate lines."]


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            chunk = bytes(1024 * 1024)
            for _ in range(101):
                member.write(chunk)
    return buffer.getvalue()


def _with_macros(template: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(template)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    return _zip({**members, "xl/vbaProject.bin": b"\x00" * 64})


@pytest.mark.parametrize(
    ("make", "name", "message"),
    [
        (
            lambda template: b"%PDF-1.7 not a workbook",
            "estimate.xlsx",
            "not a valid Excel workbook",
        ),
        (lambda template: template, "estimate.xls", "as an .xlsx file"),
        (lambda template: _zip({"hello.txt": b"hi"}), "estimate.xlsx", "as an Excel .xlsx file"),
        (_with_macros, "estimate.xlsx", "contains macros"),
        (lambda template: _zip_bomb(), "estimate.xlsx", "expands to more than"),
    ],
)
def test_hostile_files_are_refused_before_they_are_kept(
    clerk: Client, project: Project, make: Any, name: str, message: str
) -> None:
    response = _upload(clerk, project, make(_template(clerk, project)), name)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors["file"])
    assert not PendingImport.objects.exists()


def test_a_damaged_workbook_is_an_error_not_a_crash(clerk: Client, project: Project) -> None:
    content = _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<broken"})
    errors = _errors(clerk, _preview_url(clerk, project, content))
    assert errors == ["The workbook is damaged or contains unsafe XML."]


def test_a_stale_upload_is_refused_on_confirm(
    clerk: Client, submitter: User, project: Project
) -> None:
    url = _preview_url(clerk, project, fill_template(_template(clerk, project), GOOD_ROWS[:2]))
    services.add_non_standard_line(
        project,
        actor=submitter,
        expected_version=project.version,
        fee_class="其他服务费",
        name="培训",
        unit="次",
        quantity=Decimal(1),
        unit_price=Decimal(3000),
        justification="标准未覆盖",
    )
    page = clerk.get(url)
    assert page.context["stale"] and not page.context["can_apply"]
    response = clerk.post(url)
    assert response.status_code == 400
    assert "Someone saved this project after you opened it" in response.context["refusal"]
    assert list(project.lines.values_list("name", flat=True)) == ["培训"]
    assert not Event.objects.filter(event_type="projects.lines.imported").exists()


def test_an_upload_is_refused_on_confirm_once_a_newer_standard_is_in_force(
    clerk: Client, submitter: User, project: Project
) -> None:
    url = _preview_url(clerk, project, fill_template(_template(clerk, project), GOOD_ROWS[:2]))
    assert clerk.get(url).context["can_apply"]
    publish_newer_version()  # in force for 2027 from now on
    page = clerk.get(url)
    assert page.context["standard_changed"] and not page.context["can_apply"]
    assert "The standard in force has changed since this file was uploaded" in page.content.decode()
    response = clerk.post(url)
    assert response.status_code == 400
    assert "Nothing was changed: upload the file again" in response.context["refusal"]
    after = Project.objects.get(pk=project.pk)
    assert (after.version, after.requested_amount) == (project.version, project.requested_amount)
    assert not EstimateLine.objects.exists()
    with pytest.raises(ProjectError, match="standard in force has changed"):
        services.replace_lines(
            project, actor=submitter, expected_version=project.version,
            lines=[], standard_code=PROVINCE_CODE,
        )  # fmt: skip
    assert not Event.objects.filter(event_type="projects.lines.imported").exists()
    # Uploaded again, the preview is priced with the standard in force and applies.
    url = _preview_url(clerk, project, fill_template(_template(clerk, project), GOOD_ROWS[:2]))
    assert clerk.post(url).status_code == 302
    assert set(project.lines.values_list("standard_set__code", flat=True)) == {NEWER_DEMO_CODE}


def test_an_upload_belongs_to_its_project_and_its_uploader(
    clerk: Client, submitter: User, secondary_submitter: User, exam_authority: Any, project: Project
) -> None:
    url = _preview_url(clerk, project, fill_template(_template(clerk, project), GOOD_ROWS[:1]))
    token = url.rstrip("/").rsplit("/", 1)[1]
    other = register(submitter, unit=exam_authority, name="考试院项目")
    assert (
        clerk.get(reverse("projects:estimate_import_preview", args=[other.code, token])).status_code
        == 404
    )
    stranger = Client()
    stranger.force_login(secondary_submitter)
    other_url = reverse("projects:estimate_import_preview", args=[other.code, token])
    assert stranger.get(other_url).status_code == 404
    assert stranger.post(other_url).status_code == 404
    assert not EstimateLine.objects.exists()


def test_formula_text_comes_back_as_text_never_as_a_formula(
    clerk: Client, project: Project
) -> None:
    formula = '=HYPERLINK("http://evil.example","点此")'
    row = {**GOOD_ROWS[5], "名称": ("text", "-1+1 培训"), "理由": ("text", formula)}
    clerk.post(_preview_url(clerk, project, fill_template(_template(clerk, project), [row])))
    line = project.lines.get()
    assert (line.name, line.justification) == ("-1+1 培训", formula)
    template = _template(clerk, project)
    sheet = load_workbook(io.BytesIO(template))["预算明细"]
    for cell in (sheet["B2"], sheet["U2"]):
        assert cell.data_type == "s" and cell.quotePrefix
    assert sheet["U2"].value == formula
    with zipfile.ZipFile(io.BytesIO(template)) as archive:
        assert b"<f>" not in archive.read("xl/worksheets/sheet1.xml")


def test_only_the_units_submitters_reach_the_import_of_a_draft(
    client: Client, outsider: User, department_approver: User, project: Project
) -> None:
    urls = [
        reverse("projects:estimate_template", args=[project.code]),
        reverse("projects:estimate_import", args=[project.code]),
    ]
    client.force_login(outsider)
    assert [client.get(url).status_code for url in urls] == [404, 404]
    client.force_login(department_approver)
    assert [client.get(url).status_code for url in urls] == [403, 403]


def test_the_preview_runs_the_same_queries_for_few_and_many_lines(
    clerk: Client, project: Project
) -> None:
    template = _template(clerk, project)
    # Both with a line of a quantity, which the unusual-quantity check judges in one query.
    few = _preview_url(clerk, project, fill_template(template, GOOD_ROWS[2:4]))
    many = _preview_url(clerk, project, fill_template(template, GOOD_ROWS * 10))
    with CaptureQueriesContext(connection) as few_queries:
        assert clerk.get(few).status_code == 200
    with CaptureQueriesContext(connection) as many_queries:
        assert clerk.get(many).status_code == 200
    assert len(many_queries) == len(few_queries)


def test_a_workbook_without_the_lines_sheet_is_an_error(clerk: Client, project: Project) -> None:
    book = Workbook()
    book.active.title = "Sheet1"
    buffer = io.BytesIO()
    book.save(buffer)
    errors = _errors(clerk, _preview_url(clerk, project, buffer.getvalue()))
    assert errors == ["The sheet 预算明细 is missing."]


def test_an_input_outside_the_range_imports_only_with_a_justification_and_is_flagged(
    clerk: Client, project: Project
) -> None:
    row = {"服务内容编码": "5.1", "等次编码": "L3", "数量": 1, "系数": 1.5}
    errors = _errors(
        clerk, _preview_url(clerk, project, fill_template(_template(clerk, project), [row]))
    )
    assert len(errors) == 1 and "needs a written justification" in errors[0], errors
    content = fill_template(_template(clerk, project), [{**row, "理由": "四级系统参照三级上浮"}])
    clerk.post(_preview_url(clerk, project, content))
    line = EstimateLine.objects.get()
    assert line.amount == Decimal("150000.00")  # 100,000 × 1.5, the coefficient given
    assert line.is_out_of_range and line.justification == "四级系统参照三级上浮"


# --- Uploads read once, kept per token -------------------------------------------------


def _with_blank_rows(template: bytes, last_row: int) -> bytes:
    """The template with one good line and formatted but empty rows down to ``last_row``,
    as a sheet whose rows were formatted far below its lines is saved."""
    book = load_workbook(io.BytesIO(fill_template(template, GOOD_ROWS[:1])))
    sheet = book["预算明细"]
    for number in range(3, last_row + 1):
        sheet.cell(row=number, column=1).number_format = "@"  # a blank cell with a style
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_blank_rows_count_against_the_row_limit_and_the_file_is_refused_at_upload(
    clerk: Client, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(estimate_excel, "MAX_SHEET_ROWS", 40)
    template = _template(clerk, project)
    with zipfile.ZipFile(io.BytesIO(_with_blank_rows(template, 41))) as package:
        assert b'<c r="A41"' in package.read("xl/worksheets/sheet1.xml")  # the rows exist
    response = _upload(clerk, project, _with_blank_rows(template, 41))
    assert response.status_code == 400
    [message] = response.context["form"].errors["file"]
    assert message == (
        "The sheet 预算明细 has more than 40 rows (blank rows count too). Delete the rows "
        "below your lines and upload it again: at most 2000 lines, within the first 40 "
        "rows, can be imported."
    )
    assert not PendingImport.objects.exists()
    # At the limit, blank rows and all, it is read.
    url = _preview_url(clerk, project, _with_blank_rows(template, 40))
    assert clerk.get(url).context["can_apply"]


def test_more_lines_than_the_limit_are_refused_at_upload(
    clerk: Client, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(estimate_excel, "MAX_LINES", 3)
    response = _upload(clerk, project, fill_template(_template(clerk, project), GOOD_ROWS[:4]))
    assert response.status_code == 400
    assert response.context["form"].errors["file"] == [
        "At most 3 lines, within the first 10000 rows, can be imported."
    ]


def test_the_upload_is_parsed_once_and_the_preview_and_apply_never_read_a_file(
    clerk: Client, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = _template(clerk, project)
    reads: list[object] = []
    real_reader = estimate_excel.WorkbookReader

    def counting_reader(*args: Any, **kwargs: Any) -> Any:
        reads.append(args[0])
        return real_reader(*args, **kwargs)

    monkeypatch.setattr(estimate_excel, "WorkbookReader", counting_reader)
    url = _preview_url(clerk, project, fill_template(template, GOOD_ROWS))
    assert len(reads) == 1
    # Nothing of the upload is left on disk for a later request to read.
    assert not (Path(clerk_media()) / "estimate-imports").exists()
    for _ in range(3):
        page = clerk.get(url)
        assert page.status_code == 200 and page.context["can_apply"]
        assert [row.row for row in page.context["preview"].rows] == [2, 3, 4, 5, 6, 7]
    assert clerk.post(url).status_code == 302
    assert len(reads) == 1
    assert project.lines.count() == len(GOOD_ROWS)


def test_three_tabs_of_one_session_keep_three_previews(clerk: Client, project: Project) -> None:
    template = _template(clerk, project)
    files = [fill_template(template, GOOD_ROWS[n : n + 1]) for n in range(3)]
    signed_in = dict(clerk.session.items())
    urls = []
    for content in files:
        urls.append(_preview_url(clerk, project, content))
        # Another tab's request, started before this upload, saves its copy of the
        # session last: nothing of this upload may live only in the session.
        session = clerk.session
        session.clear()
        session.update(signed_in)
        session.save()
    assert len(set(urls)) == 3
    totals = [clerk.get(url).context["preview"].total for url in urls]
    assert all(total > 0 for total in totals) and len(set(totals)) == 3
    assert clerk.post(urls[1]).status_code == 302
    assert Project.objects.get(pk=project.pk).requested_amount == totals[1]
    assert clerk.get(urls[1]).status_code == 404  # applied: spent
    # The other two stay, now stale (the project changed since their upload).
    for url in (urls[0], urls[2]):
        page = clerk.get(url)
        assert page.status_code == 200 and page.context["stale"]


def test_a_user_keeps_the_newest_uploads_only(clerk: Client, project: Project) -> None:
    content = fill_template(_template(clerk, project), GOOD_ROWS[:1])
    urls = [_preview_url(clerk, project, content) for _ in range(pending_imports.MAX_PENDING + 1)]
    assert [clerk.get(url).status_code for url in urls] == [404] + [200] * 5
    assert PendingImport.objects.count() == pending_imports.MAX_PENDING


def test_another_clerk_of_the_unit_cannot_see_or_apply_my_preview(
    clerk: Client, project: Project, education: Any
) -> None:
    url = _preview_url(clerk, project, fill_template(_template(clerk, project), GOOD_ROWS[:1]))
    colleague = Client()
    colleague.force_login(UserFactory.create(organization=education, roles=[Role.SUBMITTER]))
    assert colleague.get(url).status_code == 404
    assert colleague.post(url).status_code == 404
    assert not EstimateLine.objects.exists()


def test_uploads_older_than_a_day_are_swept_even_when_another_upload_swept_first(
    clerk: Client, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = fill_template(_template(clerk, project), GOOD_ROWS[:1])
    old_url = _preview_url(clerk, project, content)
    PendingImport.objects.update(created_at=timezone.now() - datetime.timedelta(hours=25))
    assert clerk.get(old_url).status_code == 404  # expired, even before the sweep
    # Files an earlier version kept per upload, a day old.
    directory = Path(clerk_media()) / pending_imports.DIRECTORY
    directory.mkdir(parents=True)
    stale = [directory / f"stale-{n}.xlsx" for n in range(3)]
    day_ago = (timezone.now() - datetime.timedelta(hours=25)).timestamp()
    for path in stale:
        path.write_bytes(content)
        os.utime(path, (day_ago, day_ago))
    # Between this upload's listing and its look at each file, another upload's sweep
    # removes the file (eight uploads at once did, and each crashed with a 500).
    real_modified = default_storage.get_modified_time

    def removed_meanwhile(name: str) -> Any:
        (Path(clerk_media()) / name).unlink()
        return real_modified(name)

    monkeypatch.setattr(default_storage, "get_modified_time", removed_meanwhile)
    url = _preview_url(clerk, project, content)
    assert not any(path.exists() for path in stale)
    assert list(PendingImport.objects.values_list("token", flat=True)) == [
        url.rstrip("/").rsplit("/", 1)[1]
    ]
