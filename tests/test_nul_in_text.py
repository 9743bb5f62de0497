"""A NUL byte typed or posted into any text is refused at the form or ignored as a
filter, never a server error (issue #15).

PostgreSQL refuses NUL in text, so one reaching a query or a row is a 500. Django's
form CharField refuses it, and every text below goes through one; these tests hold
each form and the parameters read straight from the request to that. (The path
segments are tests/test_url_codes.py's.)
"""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from budgeting.models import ApprovalBatch, LineDecision
from inventory.models import SurveyState
from inventory.tests.factories import open_survey, submitted, survey_of
from projects.models import EstimateLine, PerformanceTarget, Project, ProjectState
from projects.tests.factories import register
from projects.tests.test_views import _form_data
from standards.models import StandardSet
from tests.helpers import seed_standards

pytestmark = pytest.mark.django_db
NUL = "正文\x00后文"


@pytest.fixture
def draft(submitter: User) -> Project:
    seed_standards()
    return register(submitter, name="空字符测试", kind="operation")


@pytest.mark.parametrize(
    "field",
    [
        "name",
        "background",
        "content",
        "expected_results",
        "contact_name",
        "single_source_justification",
        "proposed_supplier",
    ],
)
def test_project_fields(client: Client, submitter: User, education, field: str) -> None:
    client.force_login(submitter)
    response = client.post(reverse("projects:create"), _form_data(education, **{field: NUL}))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Project.objects.exists()


def test_project_edit(client: Client, submitter: User, education, draft: Project) -> None:
    client.force_login(submitter)
    data = _form_data(education, name=NUL, version=str(draft.version))
    response = client.post(reverse("projects:edit", args=[draft.code]), data)
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    draft.refresh_from_db()
    assert draft.name == "空字符测试"


def test_line_justification_and_names(client: Client, submitter: User, draft: Project) -> None:
    client.force_login(submitter)
    standard = client.post(
        reverse("projects:line_add", args=[draft.code]),
        {
            "item": "2.1",
            "version": draft.version,
            "grade": "L2",
            "quantity": "3",
            "justification": NUL,
        },
    )
    assert standard.status_code == 200
    assert "justification" in standard.context["form"].errors
    non_standard = client.post(
        reverse("projects:line_add_non_standard", args=[draft.code]),
        {
            "version": draft.version,
            "fee_class": "其他服务费",
            "name": NUL,
            "unit": NUL,
            "quantity": "2",
            "unit_price": "5000",
            "justification": NUL,
        },
    )
    assert non_standard.status_code == 200
    assert {"name", "unit", "justification"} <= set(non_standard.context["form"].errors)
    assert not EstimateLine.objects.exists()


def test_target_fields(client: Client, submitter: User, draft: Project) -> None:
    client.force_login(submitter)
    response = client.post(
        reverse("projects:target_add", args=[draft.code]),
        {
            "version": draft.version,
            "tier": "output",
            "indicator": "quantity",
            "name": NUL,
            "target_value": NUL,
            "unit": NUL,
        },
    )
    assert response.status_code == 400
    assert not PerformanceTarget.objects.exists()


def test_chosen_item_and_standard_read_from_the_request(
    client: Client, submitter: User, draft: Project
) -> None:
    client.force_login(submitter)
    lines = reverse("projects:line_add", args=[draft.code])
    assert client.get(lines, {"q": NUL}).status_code == 200
    assert client.get(lines, {"item": NUL}).status_code == 404
    assert client.post(lines, {"item": NUL, "version": draft.version}).status_code == 404
    preview = reverse("projects:line_preview", args=[draft.code])
    assert client.get(preview, {"item": NUL}).status_code == 404
    assert client.get(preview, {"item": "2.1", "grade": NUL, "quantity": NUL}).status_code == 200
    reprice = client.post(
        reverse("projects:line_reprice", args=[draft.code]),
        {"version": draft.version, "standard": NUL},
    )
    assert reprice.status_code == 302  # refused with a message: the standard is not this


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("projects:list", {"q": NUL, "year": NUL, "unit": NUL, "level": NUL, "sort": NUL}),
        ("projects:export", {"q": NUL, "sort": NUL}),
        ("standards:index", {"q": NUL}),
        ("standards:compare", {"old": NUL, "new": NUL}),
        ("reports:summary", {"year": NUL, "by": NUL}),
        ("budgeting:tasks", {"q": NUL, "sort": NUL, "page": NUL}),
    ],
)
def test_search_and_filter_parameters(
    client: Client, admin_user: User, name: str, query: dict[str, str]
) -> None:
    client.force_login(admin_user)
    assert client.get(reverse(name), query).status_code == 200


def test_review_comments_and_the_cut_comment(
    client: Client, at_finance: Project, finance_reviewer: User
) -> None:
    client.force_login(finance_reviewer)
    for action in ("pass", "return", "reject"):
        response = client.post(
            reverse("budgeting:act", args=[at_finance.code, action]),
            {f"{action}-version": at_finance.version, f"{action}-comment": NUL},
        )
        assert response.status_code == 302  # back to the review page, with the error
    at_finance.refresh_from_db()
    assert at_finance.state == ProjectState.IN_REVIEW
    line = at_finance.lines.first()
    assert line is not None
    cut = client.post(
        reverse("budgeting:cut", args=[at_finance.code, line.pk]),
        {"version": at_finance.version, "approved_amount": "1", "reason": "other", "comment": NUL},
    )
    assert cut.status_code == 400
    assert not LineDecision.objects.exists()


def test_batch_name(client: Client, finance_approver: User, cycle) -> None:
    client.force_login(finance_approver)
    response = client.post(
        reverse("budgeting:batches"), {"project": [NUL], "name": NUL, "step": NUL}
    )
    assert response.status_code == 400
    assert not ApprovalBatch.objects.exists()


def test_standards_admin_form(client: Client, admin_user: User) -> None:
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:standards_standardset_add"),
        {"code": "NUL-1", "name": NUL, "region": NUL, "version_label": NUL},
    )
    assert response.status_code == 200
    assert {"name", "region", "version_label"} <= set(response.context["adminform"].form.errors)
    assert not StandardSet.objects.filter(code="NUL-1").exists()
    search = client.get(reverse("admin:standards_serviceitem_changelist"), {"q": NUL})
    assert search.status_code == 200


def test_inventory_forms(client: Client, data_reviewer: User, submitter: User, education) -> None:
    client.force_login(data_reviewer)
    opened = client.post(
        reverse("inventory:campaign_open"),
        {"year": "2026", "title": NUL, "deadline": "2026-03-31", "units": [education.pk]},
    )
    assert opened.status_code == 400
    assert "title" in opened.context["form"].errors
    campaign = open_survey(data_reviewer, education)
    survey = survey_of(campaign, education)
    client.force_login(submitter)
    row = client.post(
        reverse("inventory:row_add", args=[survey.public_id, "cloud"]),
        {"version": survey.version, "name": NUL, "cores": 1, "memory_gb": 1, "storage_tb": 1},
    )
    assert row.status_code == 400
    assert "name" in row.context["form"].errors
    survey = submitted(survey, submitter)
    client.force_login(data_reviewer)
    client.post(
        reverse("inventory:survey_act", args=[survey.public_id, "return"]),
        {"version": survey.version, "reason": NUL},
    )
    survey.refresh_from_db()
    assert survey.state == SurveyState.SUBMITTED
