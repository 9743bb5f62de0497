"""二下 approval (issue #16): batches of a round with their document number (批复文号), only
the last round's requests approvable, and the approval sheet as a page and an Excel file."""

import io
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from accounts.models import User
from budgeting import services
from budgeting.models import ApprovalBatch, Review
from budgeting.permissions import Standing, _approvable_in_round, approvable_reviews
from budgeting.tests.workflow_fixtures import make_ready, two_round_year
from budgeting.workflow import WorkflowError
from projects.models import Project, ProjectState
from projects.tests.factories import register
from reports.tests.round_fixtures import (
    DOCUMENT_NUMBER,
    RoundsWorld,
    log_in_english,
    rounds_world,
    to_final,
)

__all__ = ["rounds_world"]

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def _sheet_url(batch: ApprovalBatch) -> str:
    return reverse("budgeting:batch_sheet", args=[batch.public_id])


def _export_url(batch: ApprovalBatch) -> str:
    return reverse("budgeting:batch_export", args=[batch.public_id])


# --- The batch of a round --------------------------------------------------------------


def test_the_batch_records_the_approval_round_and_the_document_number(
    rounds_world: RoundsWorld,
) -> None:
    batch = rounds_world.batch
    assert batch.round == rounds_world.round("2down")
    assert batch.document_number == DOCUMENT_NUMBER
    assert rounds_world.kept.state == ProjectState.APPROVED
    assert rounds_world.kept.review.batch == batch


def test_a_first_round_request_at_the_final_stage_waits_for_the_next_round(
    submitter: User,
    department_approver: User,
    data_reviewer: User,
    finance_reviewer: User,
    finance_approver: User,
    client: Client,
) -> None:
    two_round_year()
    project = make_ready(register(submitter, name="一上项目"), submitter)
    project = services.submit(project, actor=submitter, expected_version=project.version)
    project = to_final(project, [department_approver, data_reviewer, finance_reviewer])
    review = Review.objects.get(project=project)
    assert review.stage is not None
    assert review.stage.is_final
    assert not approvable_reviews(Review.objects.filter(pk=review.pk)).exists()
    log_in_english(client, finance_approver)
    response = client.get(reverse("budgeting:batches"))
    assert response.context["waiting"] == []
    assert "一上项目" not in response.content.decode()


def test_the_last_rounds_requests_and_those_of_a_year_without_rounds_are_approvable(
    rounds_world: RoundsWorld, finance_approver: User, client: Client
) -> None:
    health = Review.objects.get(project=rounds_world.health)
    assert health.round == rounds_world.round("2up")
    assert list(approvable_reviews(Review.objects.filter(pk=health.pk))) == [health]
    Review.objects.filter(pk=health.pk).update(round=None)  # as before rounds existed
    assert approvable_reviews(Review.objects.filter(pk=health.pk)).exists()
    Review.objects.filter(pk=health.pk).update(round=rounds_world.round("2up"))
    log_in_english(client, finance_approver)
    response = client.get(reverse("budgeting:batches"))
    assert [row.project for row in response.context["waiting"]] == [rounds_world.health]


def test_the_document_number_is_entered_confirmed_and_kept(
    rounds_world: RoundsWorld, finance_approver: User, client: Client
) -> None:
    log_in_english(client, finance_approver)
    health = rounds_world.health
    choice = {
        "name": "2027年第二批",
        "document_number": "  粤财预〔2027〕13号 ",
        "project": [health.code],
        f"version-{health.code}": str(health.version),
    }
    confirm = client.post(reverse("budgeting:batches"), choice)
    assert confirm.status_code == 200
    assert "粤财预〔2027〕13号" in confirm.content.decode()
    assert ApprovalBatch.objects.count() == 1  # nothing approved before the confirmation
    done = client.post(reverse("budgeting:batches"), {**choice, "step": "confirm"})
    batch = ApprovalBatch.objects.get(name="2027年第二批")
    assert done.status_code == 302
    assert batch.document_number == "粤财预〔2027〕13号"
    assert batch.round == rounds_world.round("2down")


@pytest.mark.parametrize("number", ["粤" * 101, "粤财\x00预", "x" * 10_000])
def test_a_bad_document_number_is_said_at_its_field_and_nothing_is_approved(
    rounds_world: RoundsWorld, finance_approver: User, client: Client, number: str
) -> None:
    log_in_english(client, finance_approver)
    health = rounds_world.health
    response = client.post(
        reverse("budgeting:batches"),
        {
            "name": "2027年第二批",
            "document_number": number,
            "project": [health.code],
            f"version-{health.code}": str(health.version),
            "step": "confirm",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["document_number"]
    assert Project.objects.get(pk=health.pk).state == ProjectState.IN_REVIEW
    assert ApprovalBatch.objects.count() == 1


@pytest.mark.parametrize("number", ["粤" * 101, "粤财\x00预"])
def test_the_service_refuses_a_bad_document_number_and_writes_nothing(
    rounds_world: RoundsWorld, finance_approver: User, number: str
) -> None:
    health = rounds_world.health
    with pytest.raises(WorkflowError) as refused:
        services.approve_batch(
            [health],
            actor=finance_approver,
            name="2027年第二批",
            versions={health.pk: health.version},
            document_number=number,
        )
    assert refused.value.field == "document_number"
    assert ApprovalBatch.objects.count() == 1
    assert Project.objects.get(pk=health.pk).state == ProjectState.IN_REVIEW


# --- The approval sheet ------------------------------------------------------------------


def test_the_printable_sheet_states_year_round_number_units_and_totals(
    rounds_world: RoundsWorld, finance_approver: User, client: Client
) -> None:
    log_in_english(client, finance_approver)
    response = client.get(_sheet_url(rounds_world.batch))
    assert response.status_code == 200
    sheet = response.context["sheet"]
    kept = rounds_world.kept
    assert sheet.year == 2027
    assert sheet.round_name == "二下"
    assert [block.unit for block in sheet.units] == [rounds_world.education]
    assert sheet.units[0].projects == [kept]
    assert sheet.approved == kept.approved_amount == Decimal("410000.00")
    assert sheet.requested == kept.requested_amount
    page = response.content.decode()
    for text in (DOCUMENT_NUMBER, "二下", "2027", kept.code, "410,000.00", "Subtotal"):
        assert text in page
    assert 'class="card print-sheet"' in page


def test_the_sheet_has_a_subtotal_per_unit_equal_to_its_rows(
    rounds_world: RoundsWorld, finance_approver: User, client: Client
) -> None:
    # The HEALTH project approved too, in a second batch with the EDU one's figures apart.
    health = rounds_world.health
    batch = services.approve_batch(
        [health],
        actor=finance_approver,
        name="2027年第二批",
        versions={health.pk: health.version},
    )
    log_in_english(client, finance_approver)
    sheet = client.get(_sheet_url(batch)).context["sheet"]
    assert [block.unit for block in sheet.units] == [rounds_world.health_unit]
    block = sheet.units[0]
    assert block.approved == sum(p.approved_amount for p in block.projects)
    assert sheet.approved == sum(b.approved for b in sheet.units)
    assert "Not given" in client.get(_sheet_url(batch)).content.decode()


def test_the_excel_sheet_states_the_facts_and_adds_up(
    rounds_world: RoundsWorld, finance_approver: User, client: Client
) -> None:
    log_in_english(client, finance_approver)
    response = client.get(_export_url(rounds_world.batch))
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(f'batch-{rounds_world.batch.public_id}.xlsx"')
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    facts = {row[0]: row[1] for row in rows[:5]}
    assert facts["Approval sheet"] == "2027年第一批"
    assert facts["Budget year"] == 2027
    assert facts["Round"] == "二下"
    assert facts["Approval document number"] == DOCUMENT_NUMBER
    assert rows[5] == (None,) * len(rows[5]) or not any(rows[5])
    header = rows[6]
    assert header[:3] == ("Budget unit", "Project code", "Project name")
    kept = rounds_world.kept
    body = rows[7:]
    assert body[0] == (
        rounds_world.education.name,
        kept.code,
        kept.name,
        410000,
        410000,
    )  # requested 410,000 in 二上, approved whole
    assert body[1][0] == f"Subtotal: {rounds_world.education.name}"
    assert body[1][3:] == (410000, 410000)
    assert body[-1][0] == "Total"
    assert body[-1][4] == sum(row[4] for row in body[:-1] if row[0].startswith("Subtotal"))


def test_a_formula_in_a_project_name_is_written_as_text(
    rounds_world: RoundsWorld, finance_approver: User, client: Client
) -> None:
    Project.objects.filter(pk=rounds_world.kept.pk).update(name='=HYPERLINK("http://evil","x")')
    log_in_english(client, finance_approver)
    content = client.get(_export_url(rounds_world.batch)).content
    cell = load_workbook(io.BytesIO(content)).active["C8"]
    assert cell.value == '=HYPERLINK("http://evil","x")'
    assert cell.data_type == "s"


@pytest.mark.parametrize(
    "persona", ["outsider", "submitter", "department_approver", "finance_reviewer", "data_reviewer"]
)
def test_only_finance_approvers_see_the_sheet_everyone_else_gets_404(
    rounds_world: RoundsWorld, client: Client, persona: str, request: pytest.FixtureRequest
) -> None:
    log_in_english(client, request.getfixturevalue(persona))
    assert client.get(_sheet_url(rounds_world.batch)).status_code == 404
    assert client.get(_export_url(rounds_world.batch)).status_code == 404


def test_the_sheet_takes_as_many_queries_for_many_projects_as_for_one(
    rounds_world: RoundsWorld, finance_approver: User, submitter: User, client: Client
) -> None:
    log_in_english(client, finance_approver)
    url = _sheet_url(rounds_world.batch)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    # Three more projects of EDU in the batch (their reviews joined to it directly).
    for index in range(3):
        extra = register(submitter, name=f"更多项目{index}")
        Project.objects.filter(pk=extra.pk).update(
            state=ProjectState.APPROVED,
            approved_amount=Decimal("1000"),
            reached_roles=rounds_world.kept.reached_roles,
        )
        Review.objects.create(project=extra, cycle=rounds_world.cycle, batch=rounds_world.batch)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.context["sheet"].project_count == 4
    assert len(many) == len(one)


def test_the_queryset_agrees_with_the_rule_for_every_review(
    rounds_world: RoundsWorld,
    submitter: User,
    department_approver: User,
    data_reviewer: User,
    finance_reviewer: User,
) -> None:
    # A request of a second year still in its first round, at the final stage.
    two_round_year(2028)
    early = make_ready(register(submitter, name="2028一上项目", budget_year=2028), submitter)
    early = services.submit(early, actor=submitter, expected_version=early.version)
    to_final(early, [department_approver, data_reviewer, finance_reviewer])
    reviews = Review.objects.all()
    approvable = set(approvable_reviews(reviews))
    for review in reviews:
        standing = Standing.of(review.project)
        assert (review in approvable) == _approvable_in_round(standing), review
    assert Review.objects.get(project=rounds_world.health) in approvable
    assert Review.objects.get(project__name="2028一上项目") not in approvable
