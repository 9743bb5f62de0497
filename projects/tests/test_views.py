import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Organization, Role, User
from budgeting import services as review_services
from budgeting.models import BudgetCycle
from budgeting.tests.workflow_fixtures import make_returned
from classification.models import ClassificationCode, CodeKind
from projects import estimates, services
from projects.models import AttachmentKind, Project, ProjectState
from projects.tests import documents
from projects.tests.factories import register

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(submitter: User) -> Project:
    return register(submitter)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path


def _codes(response) -> list[str]:
    return [project.code for project in response.context["page"].object_list]


def test_list_shows_only_what_the_user_may_see(
    client: Client, submitter: User, outsider: User, secondary_submitter: User, exam_authority
) -> None:
    own = register(submitter)
    secondary = register(secondary_submitter)
    foreign = register(outsider)
    client.force_login(submitter)
    assert set(_codes(client.get(reverse("projects:list")))) == {own.code, secondary.code}
    client.force_login(secondary_submitter)
    assert _codes(client.get(reverse("projects:list"))) == [secondary.code]
    client.force_login(outsider)
    assert _codes(client.get(reverse("projects:list"))) == [foreign.code]


def test_reviewers_see_a_project_once_it_reached_their_stage(
    client: Client, submitter: User, finance_reviewer: User, data_reviewer: User
) -> None:
    """Not a draft, nor one still at its department's review (see also the access matrix's
    test_what_never_left_the_department_stays_there, through the real workflow)."""
    draft = register(submitter, name="草稿项目")
    at_department = register(submitter, name="部门审核中项目")
    managed = register(submitter, name="已纳入项目")
    unmanaged = register(submitter, name="未纳入项目", managed_by_data_admin=False)
    for project, reached in (
        (at_department, [Role.DEPARTMENT_APPROVER]),
        (managed, [Role.DEPARTMENT_APPROVER, Role.DATA_REVIEWER, Role.FINANCE_REVIEWER]),
        (unmanaged, [Role.DEPARTMENT_APPROVER, Role.FINANCE_REVIEWER]),
    ):
        Project.objects.filter(pk=project.pk).update(
            state=ProjectState.IN_REVIEW, reached_roles=reached
        )
    client.force_login(finance_reviewer)
    assert set(_codes(client.get(reverse("projects:list")))) == {managed.code, unmanaged.code}
    client.force_login(data_reviewer)
    assert _codes(client.get(reverse("projects:list"))) == [managed.code]
    for hidden in (draft, at_department):
        assert client.get(reverse("projects:detail", args=[hidden.code])).status_code == 404


def test_list_query_count_does_not_grow_with_projects(
    client: Client, submitter: User, exam_authority: Organization
) -> None:
    client.force_login(submitter)
    register(submitter)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("projects:list"))
    for number in range(30):
        register(submitter, exam_authority if number % 2 else None, name=f"项目{number}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("projects:list"))
    assert len(_codes(response)) == 31
    assert len(many.captured_queries) == len(few.captured_queries)


def test_list_filters_search_and_sort(client: Client, submitter: User) -> None:
    school = register(submitter, name="智慧校园平台", kind="operation")
    exam = register(submitter, name="考试报名系统", managed_by_data_admin=False)
    client.force_login(submitter)
    url = reverse("projects:list")
    assert _codes(client.get(url, {"kind": "operation"})) == [school.code]
    assert _codes(client.get(url, {"managed": "no"})) == [exam.code]
    assert _codes(client.get(url, {"q": "考试"})) == [exam.code]
    assert _codes(client.get(url, {"q": school.code})) == [school.code]
    assert _codes(client.get(url, {"sort": "name"})) == sorted(
        [school.code, exam.code], key=lambda code: Project.objects.get(code=code).name
    )
    assert _codes(client.get(url, {"sort": "-code"})) == [exam.code, school.code]
    assert client.get(url, {"sort": "password", "year": "x"}).status_code == 200


def test_list_fee_class_filter_offers_the_fee_classes(
    client: Client, project: Project, submitter: User
) -> None:
    services.add_non_standard_line(
        project, actor=submitter, expected_version=project.version, fee_class="其他服务费",
        name="其他", unit="项", quantity=Decimal(1), unit_price=Decimal(1000), justification="测试",
    )  # fmt: skip
    other = register(submitter, name="无明细项目")
    client.force_login(submitter)
    url = reverse("projects:list")
    response = client.get(url)
    field = response.context["filter_form"]["fee_class"]
    assert [value for value, _label in field.field.choices] == ["", *estimates.FEE_CLASSES]
    assert '<select name="fee_class"' in response.content.decode()
    assert _codes(client.get(url, {"fee_class": "其他服务费"})) == [project.code]
    assert other.code in _codes(client.get(url, {"fee_class": "其他"}))  # not a class: no filter


def test_list_sorts_states_in_workflow_order(client: Client, submitter: User) -> None:
    states = [ProjectState.APPROVED, ProjectState.DRAFT, ProjectState.WITHDRAWN,
              ProjectState.RETURNED, ProjectState.REJECTED, ProjectState.IN_REVIEW,
              ProjectState.CLOSED]  # fmt: skip
    codes: dict[str, str] = {}
    for number, state in enumerate(states):
        project = register(submitter, name=f"项目{number}")
        Project.objects.filter(pk=project.pk).update(state=state)
        codes[state] = project.code
    client.force_login(submitter)
    url = reverse("projects:list")
    workflow = [codes[state] for state in ProjectState.values if state in codes]
    assert workflow[0] == codes[ProjectState.DRAFT]
    assert _codes(client.get(url, {"sort": "state"})) == workflow
    assert _codes(client.get(url, {"sort": "-state"})) == workflow[::-1]


def test_detail_fee_class_subtotals_in_the_declared_order(
    client: Client, project: Project, submitter: User
) -> None:
    for fee_class in ["其他服务费", "软件开发服务费"]:
        project.refresh_from_db()
        services.add_non_standard_line(
            project, actor=submitter, expected_version=project.version, fee_class=fee_class,
            name=fee_class, unit="项", quantity=Decimal(1), unit_price=Decimal(1000),
            justification="测试",
        )  # fmt: skip
    client.force_login(submitter)
    response = client.get(reverse("projects:detail", args=[project.code]))
    assert [row[0] for row in response.context["fee_class_totals"]] == [
        "软件开发服务费",
        "其他服务费",
    ]


def test_detail_is_404_for_an_outsider(client: Client, project: Project, outsider: User) -> None:
    client.force_login(outsider)
    assert client.get(reverse("projects:detail", args=[project.code])).status_code == 404
    assert client.get(reverse("projects:edit", args=[project.code])).status_code == 404


def test_anonymous_is_sent_to_login(client: Client, project: Project) -> None:
    for url in [reverse("projects:list"), reverse("projects:detail", args=[project.code])]:
        assert client.get(url)["Location"].startswith(reverse("login"))


def test_approver_may_see_but_not_edit(
    client: Client, project: Project, department_approver: User
) -> None:
    client.force_login(department_approver)
    assert client.get(reverse("projects:detail", args=[project.code])).status_code == 200
    assert client.get(reverse("projects:edit", args=[project.code])).status_code == 403
    assert client.get(reverse("projects:create")).status_code == 403
    response = client.post(reverse("projects:target_add", args=[project.code]), {})
    assert response.status_code == 403


def test_detail_query_count_does_not_grow_with_targets_and_documents(
    client: Client, project: Project, submitter: User
) -> None:
    client.force_login(submitter)
    url = reverse("projects:detail", args=[project.code])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for number in range(5):
        services.add_target(
            project, actor=submitter, expected_version=Project.objects.get(pk=project.pk).version,
            tier="output", indicator="quantity", name=f"指标{number}", target_value="1", unit="个",
        )  # fmt: skip
        services.attach_document(
            project, actor=submitter, kind=AttachmentKind.OTHER, upload=documents.pdf()
        )
        project.refresh_from_db()
        services.add_non_standard_line(
            project, actor=submitter, expected_version=project.version, fee_class="其他服务费",
            name=f"明细{number}", unit="项", quantity=Decimal(1), unit_price=Decimal(1000),
            justification="测试",
        )  # fmt: skip
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many.captured_queries) == len(few.captured_queries)


def _form_data(unit: Organization, **overrides: str) -> dict[str, str]:
    data = {
        "name": "省教育数据共享平台",
        "organization": str(unit.pk),
        "budget_year": "2027",
        "kind": "construction",
        "continuity": "new",
        "managed_by_data_admin": "True",
        "budget_category": "specific_purpose",
        "procurement_method": "public_tender",
        "start_year": "2027",
        "end_year": "2027",
        "plan_0": "500000",
        "plan_1": "",
        "plan_2": "",
        "background": "背景",
        "content": "内容",
        "expected_results": "成效",
        "contact_name": "李明",
        "contact_phone": "020-83134000",
    }
    data.update(overrides)
    return data


def test_register_through_the_form(client: Client, submitter: User, education) -> None:
    client.force_login(submitter)
    response = client.post(reverse("projects:create"), _form_data(education))
    project = Project.objects.get()
    assert response["Location"] == reverse("projects:detail", args=[project.code])
    assert project.managed_by_data_admin is True
    assert project.year_plans.get().amount == Decimal("500000.00")


def test_form_errors_name_the_field(client: Client, submitter: User, education) -> None:
    client.force_login(submitter)
    client.cookies["django_language"] = "en"
    response = client.post(
        reverse("projects:create"),
        _form_data(education, continuity="continuing", end_year="2026", plan_0="-5"),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "A continuing project must name its earlier project." in errors["predecessor"]
    assert "The end year cannot be before the start year." in errors["end_year"]
    assert "plan_0" in errors
    assert not Project.objects.exists()


def test_outsider_cannot_register_for_another_unit_through_the_form(
    client: Client, outsider: User, education: Organization
) -> None:
    client.force_login(outsider)
    response = client.post(reverse("projects:create"), _form_data(education))
    assert response.status_code == 200
    assert "organization" in response.context["form"].errors
    assert not Project.objects.exists()


def test_stale_form_is_refused_with_a_message(client: Client, submitter: User, project) -> None:
    client.force_login(submitter)
    client.cookies["django_language"] = "en"
    url = reverse("projects:edit", args=[project.code])
    first = client.post(url, _form_data(project.organization, name="甲", version="1"))
    assert first.status_code == 302
    second = client.post(url, _form_data(project.organization, name="乙", version="1"))
    assert second.status_code == 200
    assert "Someone saved this project after you opened it" in second.content.decode()
    project.refresh_from_db()
    assert project.name == "甲"


def test_export_is_scoped_and_safe_from_formula_injection(
    client: Client, submitter: User, outsider: User
) -> None:
    register(submitter, name='=HYPERLINK("http://evil","点我")')
    register(submitter, name="普通项目")
    register(outsider, name="他人项目")
    client.force_login(submitter)
    response = client.get(reverse("projects:export"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "项目编号"
    names = {row[1] for row in rows[1:]}
    assert names == {'=HYPERLINK("http://evil","点我")', "普通项目"}
    for row in sheet.iter_rows(min_row=2):
        assert row[1].data_type == "s"
        assert isinstance(row[10].value, (int, float))
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:Q3"


def test_the_export_carries_the_finance_codes_and_the_list_filters_by_them(
    client: Client, submitter: User
) -> None:
    functional = ClassificationCode.objects.create(
        kind=CodeKind.FUNCTIONAL, year=2027, code="2010150", name="事业运行"
    )
    coded = register(submitter, name="有代码")
    Project.objects.filter(pk=coded.pk).update(functional_code=functional)
    register(submitter, name="无代码")
    client.force_login(submitter)
    sheet = load_workbook(io.BytesIO(client.get(reverse("projects:export")).content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][12:] == ("支出功能分类", "政府预算支出经济分类", "部门预算支出经济分类",
                            "资金性质", "资金来源")  # fmt: skip
    assert {row[1]: row[12] for row in rows[1:]} == {"有代码": "2010150", "无代码": None}
    listed = client.get(reverse("projects:list"), {"functional": "2010150"})
    assert [p.name for p in listed.context["page"].object_list] == ["有代码"]
    none = client.get(reverse("projects:list"), {"functional": "-"})
    assert [p.name for p in none.context["page"].object_list] == ["无代码"]


def test_document_download_only_for_those_who_see_the_project(
    client: Client, submitter: User, outsider: User, finance_reviewer: User, project: Project
) -> None:
    attachment = services.attach_document(
        project, actor=submitter, kind=AttachmentKind.FEASIBILITY_STUDY, upload=documents.pdf()
    )
    url = reverse("projects:attachment", args=[project.code, attachment.public_id])
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(finance_reviewer)
    assert client.get(url).status_code == 404  # still a draft
    client.force_login(submitter)
    response = client.get(url)
    assert response.status_code == 200
    assert response.getvalue() == documents.PDF_BYTES
    assert "attachment;" in response["Content-Disposition"]


def test_upload_through_the_page_and_refusal_names_the_field(
    client: Client, submitter: User, project: Project
) -> None:
    client.force_login(submitter)
    url = reverse("projects:attachment_add", args=[project.code])
    ok = client.post(url, {"kind": "feasibility_study", "file": documents.pdf()})
    assert ok.status_code == 302
    bad = client.post(url, {"kind": "other", "file": documents.pdf("x.exe")})
    assert bad.status_code == 400
    assert "file" in bad.context["attachment_form"].errors
    assert project.attachments.count() == 1


def test_project_page_says_who_returned_it_when_and_why(
    client: Client, cycle: BudgetCycle, submitter: User, department_approver: User
) -> None:
    project = make_returned(submitter, department_approver, "项目", "原因一", "请补充测算依据")
    client.force_login(submitter)
    response = client.get(reverse("projects:detail", args=[project.code]))
    last = response.context["last_return"]
    assert last.comment == "请补充测算依据"
    assert last.actor == department_approver
    page = response.content.decode()
    assert 'id="returned-title"' in page
    assert "请补充测算依据" in page
    assert department_approver.username in page or department_approver.get_full_name() in page
    assert reverse("budgeting:review", args=[project.code]) in page
    resubmitted = review_services.submit(project, actor=submitter, expected_version=project.version)
    response = client.get(reverse("projects:detail", args=[resubmitted.code]))
    assert response.context["last_return"] is None
    assert 'id="returned-title"' not in response.content.decode()


def test_the_contact_phone_must_be_a_phone_number(
    client: Client, submitter: User, education: Organization
) -> None:
    client.force_login(submitter)
    client.cookies["django_language"] = "en"
    response = client.post(reverse("projects:create"), _form_data(education, contact_phone="分机"))
    assert response.status_code == 200
    assert "Enter a phone number" in response.context["form"].errors["contact_phone"][0]
    assert not Project.objects.exists()
    mobile = _form_data(education, contact_phone="138-1234-5678")
    assert client.post(reverse("projects:create"), mobile).status_code == 302
    assert Project.objects.get().contact_phone == "138-1234-5678"
