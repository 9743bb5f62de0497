"""The read endpoints: scope, filters, the counted rule, cursors and query counts."""

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from accounts.models import AdministrativeLevel, Jurisdiction, User
from api.models import ApiClient
from api.tests.conftest import bearer
from audit.models import Event
from budgeting import services as workflow
from budgeting.models import ApprovalBatch
from classification.models import ClassificationCode, CodeKind
from projects.models import Project, ProjectState
from projects.permissions import projects_visible_to
from reports.summary import counted

pytestmark = pytest.mark.django_db


def test_approved_projects_of_the_year_are_what_the_summary_counts_as_approved(
    api_client: Client,
    finance_key: str,
    approved: Project,
    health_approved: Project,
    at_finance: Project,
    finance_reviewer: User,
) -> None:
    response = api_client.get(
        "/api/v1/projects/", {"year": "2027", "state": "approved"}, headers=bearer(finance_key)
    )
    assert response.status_code == 200
    codes = {item["code"] for item in response.json()["items"]}
    summary = counted(projects_visible_to(finance_reviewer).filter(budget_year=2027))
    assert codes == set(summary.filter(state=ProjectState.APPROVED).values_list("code", flat=True))
    assert codes == {approved.code, health_approved.code}
    every_counted = api_client.get(
        "/api/v1/projects/", {"year": "2027", "counted": "true"}, headers=bearer(finance_key)
    ).json()["items"]
    assert {item["code"] for item in every_counted} == set(summary.values_list("code", flat=True))


def test_a_client_scoped_to_education_gets_404_on_a_health_project(
    api_client: Client, education_key: str, approved: Project, health_approved: Project
) -> None:
    mine = api_client.get(f"/api/v1/projects/{approved.code}/", headers=bearer(education_key))
    assert mine.status_code == 200
    assert mine.json()["unit"]["code"] == "EDU"
    for path in ("", "lines/", "history/"):
        other = api_client.get(
            f"/api/v1/projects/{health_approved.code}/{path}", headers=bearer(education_key)
        )
        assert other.status_code == 404, path
    listed = api_client.get("/api/v1/projects/", headers=bearer(education_key)).json()["items"]
    assert [item["code"] for item in listed] == [approved.code]
    quotas = api_client.get("/api/v1/quotas/", headers=bearer(education_key)).json()["items"]
    assert [quota["PRO_CODE"] for quota in quotas] == [approved.code]


def test_quotas_carry_the_core_systems_field_names(
    api_client: Client, finance_key: str, approved: Project
) -> None:
    response = api_client.get("/api/v1/quotas/", {"year": "2027"}, headers=bearer(finance_key))
    [quota] = response.json()["items"]
    assert quota["PRO_CODE"] == approved.code
    assert quota["AGENCY_CODE"] == "EDU"
    assert quota["SET_YEAR"] == 2027
    assert Decimal(quota["APPLY_UP"]) == approved.requested_amount == Decimal("500000.00")
    assert Decimal(quota["FIN_AUDIT_MONEY"]) == Decimal("500000.00")
    assert Decimal(quota["REPLY_AMT"]) == approved.approved_amount
    assert quota["EXP_FUNC_CODE"] is None  # no code lists for 2027 in this test


def test_quotas_carry_the_projects_classification_codes(
    api_client: Client, finance_key: str, approved: Project
) -> None:
    functional = ClassificationCode.objects.create(
        kind=CodeKind.FUNCTIONAL, year=2027, code="2010150", name="事业运行"
    )
    Project.objects.filter(pk=approved.pk).update(functional_code=functional)
    [quota] = api_client.get("/api/v1/quotas/", headers=bearer(finance_key)).json()["items"]
    assert quota["EXP_FUNC_CODE"] == "2010150"
    assert quota["FUND_SOURCE_CODE"] is None


def test_a_cut_shows_in_the_lines_audited_and_approved_amounts(
    api_client: Client,
    finance_key: str,
    at_finance: Project,
    finance_reviewer: User,
    finance_approver: User,
) -> None:
    line = at_finance.lines.get()
    workflow.set_line_amount(
        at_finance,
        actor=finance_reviewer,
        expected_version=at_finance.version,
        line_id=line.pk,
        approved_amount=Decimal("400000.00"),
        reason="over_standard",
        comment="按标准核减",
    )
    project = Project.objects.get(pk=at_finance.pk)
    project = workflow.pass_stage(project, actor=finance_reviewer, expected_version=project.version)
    workflow.approve(project, actor=finance_approver, expected_version=project.version)
    [row] = api_client.get(
        "/api/v1/lines/", {"year": "2027", "state": "approved"}, headers=bearer(finance_key)
    ).json()["items"]
    assert (row["APPLY_UP"], row["FIN_AUDIT_MONEY"], row["REPLY_AMT"]) == (
        "500000.00",
        "400000.00",
        "400000.00",
    )
    [quota] = api_client.get("/api/v1/quotas/", headers=bearer(finance_key)).json()["items"]
    assert (quota["APPLY_UP"], quota["FIN_AUDIT_MONEY"], quota["REPLY_AMT"]) == (
        "500000.00",
        "400000.00",
        "400000.00",
    )


@pytest.fixture
def in_a_batch(
    at_finance: Project, finance_reviewer: User, finance_approver: User
) -> tuple[Project, ApprovalBatch]:
    """The project at finance, passed and approved in the batch 2027年第一批 with its 批复文号."""
    project = workflow.pass_stage(
        at_finance, actor=finance_reviewer, expected_version=at_finance.version
    )
    batch = workflow.approve_batch(
        [project],
        actor=finance_approver,
        name="2027年第一批",
        versions={project.pk: project.version},
        document_number="粤财行〔2027〕12号",
    )
    return Project.objects.get(pk=project.pk), batch


def test_quotas_carry_the_approval_document_number_and_round(
    api_client: Client, finance_key: str, in_a_batch: tuple[Project, ApprovalBatch]
) -> None:
    _project, batch = in_a_batch
    [quota] = api_client.get("/api/v1/quotas/", headers=bearer(finance_key)).json()["items"]
    assert quota["REPLY_DOC_NO"] == "粤财行〔2027〕12号"
    assert quota["REPLY_BATCH_NAME"] == "2027年第一批"
    assert batch.round is not None
    assert (quota["ROUND_CODE"], quota["ROUND_NAME"]) == (batch.round.code, batch.round.name)


def test_a_quota_approved_alone_has_no_document_number(
    api_client: Client, finance_key: str, approved: Project
) -> None:
    [quota] = api_client.get("/api/v1/quotas/", headers=bearer(finance_key)).json()["items"]
    assert quota["REPLY_DOC_NO"] is None
    assert quota["ROUND_CODE"] is None


def test_projects_lines_and_quotas_filter_by_round(
    api_client: Client, finance_key: str, in_a_batch: tuple[Project, ApprovalBatch]
) -> None:
    project, batch = in_a_batch
    submitted_in = project.review.round
    assert submitted_in is not None and batch.round is not None

    def codes(path: str, round_code: str, field: str = "code") -> list[str]:
        response = api_client.get(path, {"round": round_code}, headers=bearer(finance_key))
        assert response.status_code == 200
        return [item[field] for item in response.json()["items"]]

    assert codes("/api/v1/projects/", submitted_in.code) == [project.code]
    assert codes("/api/v1/projects/", batch.round.code) == []
    assert codes("/api/v1/lines/", submitted_in.code, "project_code") == [project.code]
    assert codes("/api/v1/quotas/", batch.round.code, "PRO_CODE") == [project.code]
    assert codes("/api/v1/quotas/", submitted_in.code, "PRO_CODE") == []
    refused = api_client.get("/api/v1/quotas/", {"round": "二下"}, headers=bearer(finance_key))
    assert refused.status_code == 422


def test_lines_carry_their_projects_codes(
    api_client: Client, finance_key: str, approved: Project
) -> None:
    fund_type = ClassificationCode.objects.create(
        kind=CodeKind.FUND_TYPE, year=2027, code="1", name="一般公共预算资金"
    )
    Project.objects.filter(pk=approved.pk).update(fund_type_code=fund_type)
    [line] = api_client.get("/api/v1/lines/", headers=bearer(finance_key)).json()["items"]
    assert (line["FUND_TYPE_CODE"], line["EXP_FUNC_CODE"]) == ("1", None)


@pytest.mark.parametrize(
    "since",
    ["2026-01-01T00:00:00+17:17", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"],
)
def test_changed_since_with_any_rfc3339_offset_is_answered_not_crashed(
    api_client: Client, finance_key: str, approved: Project, since: str
) -> None:
    """PostgreSQL refuses offsets beyond ±15:59 (schemathesis found +17:17 gave a 500)."""
    response = api_client.get(
        "/api/v1/projects/", {"changed_since": since}, headers=bearer(finance_key)
    )
    assert response.status_code == 200
    codes = [item["code"] for item in response.json()["items"]]
    assert codes == ([] if since.startswith("9999") else [approved.code])


def test_a_client_of_a_city_sees_only_that_city_s_projects(
    api_client: Client,
    register_client: Any,
    approved: Project,
    health_approved: Project,
) -> None:
    """Issue #18: a city's finance system reads its own city, never the province's."""
    province = Jurisdiction.objects.get(parent=None)
    city = Jurisdiction.objects.create(
        code="GD-GZ", name="广州市", level=AdministrativeLevel.CITY, parent=province
    )
    health = health_approved.organization
    health.jurisdiction = city
    health.save(update_fields=["jurisdiction"])
    _, key = register_client("gz-finance-core", jurisdiction=city)
    listed = api_client.get("/api/v1/projects/", headers=bearer(key)).json()["items"]
    assert [item["code"] for item in listed] == [health_approved.code]
    other = api_client.get(f"/api/v1/projects/{approved.code}/", headers=bearer(key))
    assert other.status_code == 404
    client = ApiClient.objects.get(name="gz-finance-core")
    event = Event.objects.get(event_type="api.client.registered", target_key=str(client.public_id))
    assert event.data["scope"]["jurisdiction"] == "GD-GZ"
