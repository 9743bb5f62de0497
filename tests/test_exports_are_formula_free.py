"""Every spreadsheet the app writes holds no formula, whatever people typed.

A province's data is typed by many hands: a project, a unit, a batch, a line
or a standard's item may be named ``=HYPERLINK("http://x","y")``. Every
download and background export is opened here with openpyxl over such data, and
no cell of any sheet may be a formula (``data_type == "f"``), while the hostile
text is shown exactly as typed (a quoted string cell). The one writer that makes
it so is ``ui.excel``; this test is what stops a new export from bypassing it.
"""

import csv
import datetime
import io
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Organization, User
from budgeting import procurement, services
from budgeting.models import ApprovalBatch, BudgetCycle, ProcurementBatch
from budgeting.tests.workflow_fixtures import add_line, make_ready
from inventory import services as inventory_services
from inventory.models import UnitSurvey
from inventory.services import InventoryRows
from inventory.tests.factories import device, open_survey, survey_of, system
from projects.tests.factories import register
from reports.tests.export_helpers import exported_lines
from reports.tests.report_fixtures import HOSTILE_NAME, World, report_world
from standards import services as standards_services
from standards.demo import PROVINCE_CODE
from standards.models import FeeCategory, Grade, ServiceItem, StandardSet
from tests.helpers import seed_standards

__all__ = ["report_world"]

pytestmark = pytest.mark.django_db

LINK = '=HYPERLINK("http://x","y")'
PLUS, MINUS, AT = "+1", "-2", "@SUM(A1)"
HOSTILE_STANDARD = "HOSTILE-2026"


@pytest.fixture
def hostile_world(
    report_world: World,
    cycle: BudgetCycle,
    submitter: User,
    department_approver: User,
    data_reviewer: User,
    finance_reviewer: User,
    finance_approver: User,
) -> World:
    """The report world (an approved project and its line named HOSTILE_NAME) with hostile
    names everywhere else: units, a project waiting for its department, a batch,
    a draft's lines, and the standard's own name, class, item and grade."""
    Organization.objects.filter(code="EDU").update(name=MINUS)
    Organization.objects.filter(code="HEALTH").update(name=AT)
    # Awaiting the department approver (my tasks).
    waiting = make_ready(register(submitter, name=PLUS), submitter)
    services.submit(waiting, actor=submitter, expected_version=waiting.version)
    # Approved in a batch whose name Excel would refuse as a sheet title too.
    batched = make_ready(register(submitter, name=AT), submitter)
    batched = add_line(batched, submitter, LINK, "1000")
    batched = services.submit(batched, actor=submitter, expected_version=batched.version)
    for reviewer in (department_approver, data_reviewer, finance_reviewer):
        batched = services.pass_stage(batched, actor=reviewer, expected_version=batched.version)
    services.approve_batch(
        [batched], actor=finance_approver, name=LINK, versions={batched.pk: batched.version}
    )
    # Single-source procurement approved in a batch: supplier and batch named as formulas.
    single = make_ready(
        register(
            submitter,
            name=PLUS,
            procurement_method="single_source",
            single_source_reason="only_supplier",
            single_source_justification=PLUS,
            proposed_supplier=LINK,
        ),
        submitter,
    )
    single = services.submit(single, actor=submitter, expected_version=single.version)
    for reviewer in (department_approver, data_reviewer, finance_reviewer):
        single = services.pass_stage(single, actor=reviewer, expected_version=single.version)
    single = services.approve(single, actor=finance_approver, expected_version=single.version)
    procurement.create_batch(actor=finance_reviewer, year=2027, name=AT, projects=[single])
    # The draft's template carries its lines and the standard in force: a new version,
    # named while a draft (a published standard is frozen), then published.
    seed_standards()
    add_line(report_world.draft, submitter, MINUS, "2000")
    draft = standards_services.copy_to_new_version(
        StandardSet.objects.get(code=PROVINCE_CODE),
        code=HOSTILE_STANDARD,
        version_label="2026",
        effective_from=datetime.date(2026, 1, 1),
        actor=None,
    )
    StandardSet.objects.filter(pk=draft.pk).update(name=LINK)
    FeeCategory.objects.filter(standard_set=draft, code="1").update(name=AT)
    ServiceItem.objects.filter(standard_set=draft, code="5.1").update(name=LINK)
    Grade.objects.filter(item__standard_set=draft, code="L3").update(name=PLUS)
    standards_services.publish_set(StandardSet.objects.get(pk=draft.pk), actor=None)
    # EDU's inventory: a system and a device named as formulas.
    education = Organization.objects.get(code="EDU")
    survey = survey_of(open_survey(data_reviewer, education), education)
    rows = InventoryRows(systems=[system(name=LINK)], devices=[device(name=PLUS)])
    survey = inventory_services.replace_rows(survey, rows, actor=submitter, expected_version=1)
    inventory_services.act(survey, "submit", actor=submitter, expected_version=survey.version)
    return report_world


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _workbooks(
    world: World,
    submitter: User,
    department_approver: User,
    finance_reviewer: User,
    finance_approver: User,
    admin_user: User,
) -> Iterator[tuple[str, bytes]]:
    """(what, content) for every spreadsheet download of the app."""
    clerk = _client(submitter)
    yield "project list", _ok(clerk.get(reverse("projects:export")))
    yield (
        "estimate template",
        _ok(clerk.get(reverse("projects:estimate_template", args=[world.draft.code]))),
    )
    survey = UnitSurvey.objects.get(organization__code="EDU")
    yield (
        "inventory workbook",
        _ok(clerk.get(reverse("inventory:template", args=[survey.public_id]))),
    )
    yield "lines export (background)", exported_lines(_client(finance_reviewer), 2027)
    yield "my tasks", _ok(_client(department_approver).get(reverse("budgeting:tasks_export")))
    reviewer = _client(finance_reviewer)
    for by in ("unit", "kind", "fee_class", "state"):
        yield (
            f"summary by {by}",
            _ok(reviewer.get(reverse("reports:summary_export"), {"year": "2027", "by": by})),
        )
    yield "inventory baseline", _ok(reviewer.get(reverse("inventory:baseline_export")))
    yield "waterfall", _ok(reviewer.get(reverse("reports:waterfall_export"), {"year": "2027"}))
    yield "cut reasons", _ok(reviewer.get(reverse("reports:cut_reasons_export"), {"year": "2027"}))
    batch = ApprovalBatch.objects.get()
    yield (
        "batch approval",
        _ok(
            _client(finance_approver).get(reverse("budgeting:batch_export", args=[batch.public_id]))
        ),
    )
    single_source = ProcurementBatch.objects.get()
    yield (
        "procurement approval",
        _ok(reviewer.get(reverse("budgeting:procurement_export", args=[single_source.public_id]))),
    )
    admin = _client(admin_user)
    standard = StandardSet.objects.get(code=HOSTILE_STANDARD)
    yield (
        "standards export",
        _ok(admin.get(reverse("admin:standards_standardset_export", args=[standard.pk]))),
    )
    for model in ("feecategory", "serviceitem", "grade"):
        yield f"admin export of {model}", _admin_export(admin, model)


def _ok(response: Any) -> bytes:
    assert response.status_code == 200, response
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return bytes(response.content)


def _admin_export(admin: Client, model: str) -> bytes:
    """django-import-export's export page, every field ticked, as a person submits it."""
    url = reverse(f"admin:standards_{model}_export")
    form = admin.get(url).context["form"]
    data = {name: field.initial for name, field in form.fields.items() if field.initial}
    data["format"] = "0"
    return _ok(admin.post(url, data))


def test_no_export_holds_a_formula_and_hostile_text_shows_as_typed(
    hostile_world: World,
    submitter: User,
    department_approver: User,
    finance_reviewer: User,
    finance_approver: User,
    admin_user: User,
) -> None:
    seen: dict[str, set[str]] = {}
    for what, content in _workbooks(
        hostile_world, submitter, department_approver, finance_reviewer, finance_approver,
        admin_user,
    ):  # fmt: skip
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            sheets = [name for name in package.namelist() if name.startswith("xl/worksheets/")]
            assert sheets, what
            for name in sheets:
                assert b"<f>" not in package.read(name) and b"<f " not in package.read(name), what
        book = load_workbook(io.BytesIO(content))
        texts: set[str] = set()
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (what, sheet.title, cell.coordinate, cell.value)
                    if isinstance(cell.value, str) and cell.value.startswith(tuple("=+-@")):
                        # Kept as text by Excel when edited too: the quote prefix.
                        assert cell.quotePrefix, (what, sheet.title, cell.coordinate)
                        texts.add(cell.value)
        seen[what] = texts
    expected = {
        "project list": {HOSTILE_NAME, PLUS, AT, MINUS},
        "estimate template": {MINUS, LINK, PLUS, AT},  # line; item, grade and standard
        "inventory workbook": {LINK, PLUS},
        "inventory baseline": {MINUS},
        "lines export (background)": {HOSTILE_NAME, MINUS, AT},
        "my tasks": {PLUS, MINUS},
        "summary by unit": {MINUS, AT},
        "batch approval": {AT, MINUS},
        "procurement approval": {AT, MINUS, PLUS, LINK},  # batch, unit, project, supplier
        "standards export": {LINK, AT, PLUS},
        "admin export of feecategory": {AT},
        "admin export of serviceitem": {LINK},
        "admin export of grade": {PLUS},
    }
    for what, texts in expected.items():
        assert texts <= seen[what], (what, seen[what])
    assert set(seen) >= set(expected) | {"waterfall", "cut reasons", "summary by kind"}


def test_the_batch_sheet_is_named_as_excel_allows(
    hostile_world: World, finance_approver: User
) -> None:
    batch = ApprovalBatch.objects.get()
    response = _client(finance_approver).get(
        reverse("budgeting:batch_export", args=[batch.public_id])
    )
    assert response.status_code == 200
    # = H Y P E R L I N K ( " h t t p : / / x " , " y " ): forbidden characters replaced.
    assert load_workbook(io.BytesIO(response.content)).sheetnames == ['=HYPERLINK("http___x","y")']


def test_the_open_data_csv_quotes_hostile_text(
    hostile_world: World, finance_reviewer: User
) -> None:
    response = _client(finance_reviewer).get(reverse("reports:open_data"), {"year": "2027"})
    with zipfile.ZipFile(io.BytesIO(response.content)) as package:
        name = next(n for n in package.namelist() if n.endswith(".csv"))
        rows = list(csv.reader(io.StringIO(package.read(name).decode("utf-8-sig"))))
    fields = [field for row in rows for field in row]
    assert not [field for field in fields if field.startswith(tuple("=+-@\t\r"))]
    assert "'" + HOSTILE_NAME in fields
