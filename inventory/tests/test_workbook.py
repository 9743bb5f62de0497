"""The survey workbook: template with drop-downs, upload all-or-nothing, errors by
sheet, row and column; hostile packages refused by the one upload check."""

import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Organization, User
from inventory import workbook
from inventory.models import Device, InformationSystem, UnitSurvey
from inventory.tests.factories import filled, open_survey, survey_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey(data_reviewer: User, submitter: User, education: Organization) -> UnitSurvey:
    return filled(survey_of(open_survey(data_reviewer, education), education), submitter)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def _template(client: Client, survey: UnitSurvey) -> bytes:
    answer = client.get(reverse("inventory:template", args=[survey.public_id]))
    assert answer.status_code == 200
    return answer.content


def _upload(client: Client, survey: UnitSurvey, content: bytes, name: str = "清单.xlsx"):
    return client.post(
        reverse("inventory:upload", args=[survey.public_id]),
        {"version": survey.version, "file": SimpleUploadedFile(name, content)},
    )


def _edited(content: bytes, sheet: str, rows: list[list[object]]) -> bytes:
    book = load_workbook(io.BytesIO(content))
    for row in rows:
        book[sheet].append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_the_template_holds_the_inventory_with_drop_downs(survey: UnitSurvey) -> None:
    content = workbook.write_template(survey)
    book = load_workbook(io.BytesIO(content))
    systems = book["信息系统"]
    assert systems["A2"].value == "教育政务服务平台"
    assert systems["H2"].value == "政务云"
    lists = [v.formula1 for v in systems.data_validations.dataValidation if v.type == "list"]
    assert '"政务云,自有机房"' in lists
    assert '"一级,二级,三级,四级"' in lists
    assert book["硬件设备"]["D2"].value == 500000


def test_a_round_trip_adds_rows(survey: UnitSurvey, submitter: User) -> None:
    client = _client(submitter)
    content = _edited(
        _template(client, survey),
        "硬件设备",
        [["网络设备", "核心交换机", 2, 80000.5, datetime.date(2017, 1, 1), None]],
    )
    answer = _upload(client, survey, content)
    assert answer.status_code == 302
    assert Device.objects.filter(survey=survey).count() == 2
    switch = Device.objects.get(name="核心交换机")
    assert switch.original_value == Decimal("80000.50")
    assert switch.warranty_end is None


def test_a_bad_workbook_is_refused_with_every_error_and_changes_nothing(
    survey: UnitSurvey, submitter: User
) -> None:
    client = _client(submitter)
    content = _edited(
        _template(client, survey),
        "硬件设备",
        [
            ["服务器", "刀片", "三台", 1000, datetime.date(2020, 1, 1), None],
            ["洗衣机", "", 1, -5, "昨天", None],
            ["服务器", "=HYPERLINK()", 1, 1_000_000_000_000, datetime.date(2020, 1, 1), None],
        ],
    )
    before = survey.version
    answer = _upload(client, survey, content)
    assert answer.status_code == 400
    problems = [str(p) for p in answer.context["problems"]]
    assert any("row 3" in p and "C（数量）" in p for p in problems), problems
    assert any("row 4" in p and "A（设备类型）" in p for p in problems)
    assert any("row 4" in p and "B（设备名称）" in p and "Required" in p for p in problems)
    assert any("row 4" in p and "D（原值（元））" in p for p in problems)
    assert any("row 4" in p and "E（购置日期）" in p for p in problems)
    assert any("row 5" in p and "limit" in p for p in problems)
    survey.refresh_from_db()
    assert survey.version == before
    assert Device.objects.filter(survey=survey).count() == 1
    assert InformationSystem.objects.filter(survey=survey).count() == 1


def test_a_missing_sheet_and_wrong_headings_are_named(survey: UnitSurvey, submitter: User) -> None:
    client = _client(submitter)
    book = load_workbook(io.BytesIO(_template(client, survey)))
    del book["云资源"]
    book["信息化人员"]["A1"] = "别的"
    buffer = io.BytesIO()
    book.save(buffer)
    answer = _upload(client, survey, buffer.getvalue())
    problems = [str(p) for p in answer.context["problems"]]
    assert any("云资源" in p and "missing" in p for p in problems)
    assert any("信息化人员" in p and "headings" in p for p in problems)


def test_a_hostile_package_is_refused_by_the_one_check(survey: UnitSurvey, submitter: User) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("xl/workbook.xml", b'<!DOCTYPE w [<!ENTITY a "a">]><workbook/>')
    answer = _upload(_client(submitter), survey, buffer.getvalue())
    assert answer.status_code == 400
    assert answer.context["form"].errors["file"]
    assert Device.objects.filter(survey=survey).count() == 1


def test_text_survives_nul_and_ten_thousand_characters_in_purpose(
    survey: UnitSurvey, submitter: User
) -> None:
    client = _client(submitter)
    long = "用途" * 5000
    content = _edited(
        _template(client, survey),
        "信息系统",
        [["新系统", long, "", 2020, 1, 2, 3, "自有机房", "二级", "在用"]],
    )
    assert _upload(client, survey, content).status_code == 302
    assert InformationSystem.objects.get(name="新系统").purpose == long


def test_a_date_outside_1950_to_2100_is_refused_as_the_row_form_refuses_it(
    survey: UnitSurvey, submitter: User
) -> None:
    client = _client(submitter)
    content = _edited(
        _template(client, survey),
        "硬件设备",
        [
            ["服务器", "刀片", 1, 1000, datetime.date(9999, 12, 31), None],
            ["服务器", "机架", 1, 1000, datetime.date(2020, 1, 1), "1900-01-01"],
        ],
    )
    answer = _upload(client, survey, content)
    assert answer.status_code == 400
    problems = [str(p) for p in answer.context["problems"]]
    assert any("row 3" in p and "E（购置日期）" in p and "2100-12-31" in p for p in problems)
    assert any("row 4" in p and "F（保修截止日期）" in p and "1950-01-01" in p for p in problems)
    assert Device.objects.filter(survey=survey).count() == 1
