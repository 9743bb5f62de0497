"""Code lists: the Excel import (all or nothing, row and column), the admin page, the
project form, and the finance review's rule."""

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from accounts.models import User
from audit.models import Event
from budgeting import services as workflow
from budgeting.permissions import available_actions
from budgeting.workflow import Action, WorkflowError
from classification.importing import ImportRefusedError, import_codes, read_codes
from classification.models import ClassificationCode, CodeKind
from classification.rules import PROJECT_CODE_FIELDS
from projects.models import Project

pytestmark = pytest.mark.django_db

HEADER = ("代码表", "年度", "编码", "名称")
GOOD = [
    ("支出功能分类", 2027, "2010150", "事业运行"),
    ("政府预算支出经济分类", 2027, "50205", "委托业务费"),
    ("部门预算支出经济分类", 2027, "30227", "委托业务费"),
    ("资金性质", 2027, "1", "一般公共预算"),
    ("资金来源", 2027, "11", "当年财政拨款"),
]


def workbook(*rows: tuple[Any, ...], header: tuple[str, ...] = HEADER) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


def imported(*rows: tuple[Any, ...]) -> Any:
    return import_codes(read_codes(workbook(*rows), "codes.xlsx"), actor=None)


def test_a_good_workbook_imports_every_code_once(admin_user: User) -> None:
    result = import_codes(read_codes(workbook(*GOOD), "codes.xlsx"), actor=admin_user)
    assert (result.created, result.renamed, result.unchanged) == (5, 0, 0)
    code = ClassificationCode.objects.get(kind=CodeKind.FUNCTIONAL, year=2027)
    assert str(code) == "2010150 事业运行"
    event = Event.objects.get(event_type="classification.codes.imported")
    assert event.actor == admin_user
    assert event.data["created"] == 5
    again = imported(*GOOD[:4], ("资金来源", 2027, "11", "当年财政拨款资金"))
    assert (again.created, again.renamed, again.unchanged) == (0, 1, 4)
    assert ClassificationCode.objects.count() == 5


def test_a_bad_row_refuses_the_whole_file_saying_where() -> None:
    rows = [
        *GOOD,
        ("会计科目", 2027, "1001", "库存现金"),
        ("资金性质", "明年", "2", "政府性基金"),
        ("资金性质", 2027, "2\n", "政府性基金"),
        ("资金性质", 2027, "3", ""),
        ("资金性质", 2027, "1", "重复"),
    ]
    with pytest.raises(ImportRefusedError) as refused:
        read_codes(workbook(*rows), "codes.xlsx")
    where = [(problem.row, problem.column) for problem in refused.value.problems]
    assert where == [(7, "代码表"), (8, "年度"), (10, "名称"), (11, "编码")]
    assert not ClassificationCode.objects.exists()


def test_a_missing_heading_and_a_file_that_is_no_workbook_are_refused() -> None:
    with pytest.raises(ImportRefusedError) as refused:
        read_codes(workbook(header=("代码表", "年度", "编码")), "codes.xlsx")
    assert [(p.row, p.column) for p in refused.value.problems] == [(1, "名称")]
    with pytest.raises(ImportRefusedError, match="Excel"):
        read_codes(io.BytesIO(b"PK\x03\x04 not really"), "codes.xlsx")


def test_the_admin_imports_and_lists_every_problem(admin_user: User) -> None:
    browser = Client()
    browser.force_login(admin_user)
    browser.cookies["django_language"] = "en"
    url = reverse("admin:classification_classificationcode_import")
    bad = SimpleUploadedFile("codes.xlsx", workbook(*GOOD, ("资金性质", 1999, "9", "x")).read())
    page = browser.post(url, {"workbook": bad})
    assert page.status_code == 200
    assert "row 7, column 年度" in page.content.decode()
    assert not ClassificationCode.objects.exists()
    good = SimpleUploadedFile("codes.xlsx", workbook(*GOOD).read())
    done = browser.post(url, {"workbook": good})
    assert done.status_code == 302
    assert ClassificationCode.objects.count() == 5


def _with_codes(project: Project) -> Project:
    for kind, field in PROJECT_CODE_FIELDS.items():
        setattr(project, field, ClassificationCode.objects.get(kind=kind, year=2027))
    project.save(update_fields=list(PROJECT_CODE_FIELDS.values()))
    return project


def test_finance_passes_only_with_the_years_codes(
    at_finance: Project, finance_reviewer: User
) -> None:
    imported(*GOOD)
    assert Action.PASS not in available_actions(at_finance, finance_reviewer)
    with pytest.raises(WorkflowError, match=r"支出功能分类|Functional"):
        workflow.pass_stage(at_finance, actor=finance_reviewer, expected_version=at_finance.version)
    # Returning still works: the codes are asked of the submitter.
    assert Action.RETURN in available_actions(at_finance, finance_reviewer)
    project = _with_codes(Project.objects.get(pk=at_finance.pk))
    assert Action.PASS in available_actions(project, finance_reviewer)
    workflow.pass_stage(project, actor=finance_reviewer, expected_version=project.version)


def test_before_a_years_lists_exist_the_review_works_as_before(
    at_finance: Project, finance_reviewer: User
) -> None:
    imported(*[(kind, 2026, code, name) for kind, _year, code, name in GOOD])
    workflow.pass_stage(at_finance, actor=finance_reviewer, expected_version=at_finance.version)


def test_the_project_form_offers_the_years_codes_and_saves_them(
    at_finance: Project, submitter: User
) -> None:
    imported(*GOOD, ("资金性质", 2026, "1", "一般公共预算"))
    from projects.forms import ProjectForm

    form = ProjectForm(instance=at_finance, user=submitter)
    offered = list(form.fields["fund_type_code"].queryset)  # type: ignore[attr-defined]
    assert [code.year for code in offered] == [2027]
    old = ClassificationCode.objects.get(kind=CodeKind.FUND_TYPE, year=2026)
    data = {**form.initial, "fund_type_code": old.pk}
    bound = ProjectForm(data, instance=at_finance, user=submitter)
    assert not bound.is_valid()
    assert "fund_type_code" in bound.errors
