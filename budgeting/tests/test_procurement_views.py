"""The single-source procurement pages (issue #17): finance's list, new batch, batch page
and approval sheet (page and Excel), flat query counts, the project page's procurement
state and the change of procurement by the unit."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Organization, User
from accounts.tests.factories import OrganizationFactory
from budgeting import procurement
from budgeting.models import BudgetCycle, ProcurementBatch, ProcurementBatchState
from budgeting.tests.test_procurement import (
    BATCH,
    JUSTIFIED,
    SUPPLIER,
    approved,
    approved_quickly,
)
from projects.models import Project

pytestmark = pytest.mark.django_db


def _english(client: Client, user: User) -> Client:
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_batch_list_and_the_new_batch_page_ask_a_constant_number_of_queries(
    client: Client, cycle: BudgetCycle, submitter: User, finance_reviewer: User
) -> None:
    client = _english(client, finance_reviewer)
    first = approved_quickly(submitter, 2)
    procurement.create_batch(actor=finance_reviewer, year=2027, name="第一批", projects=first[:1])
    lists, news = (
        _queries(client, reverse("budgeting:procurement_batches")),
        _queries(client, reverse("budgeting:procurement_create") + "?year=2027"),
    )
    more = approved_quickly(submitter, 6, start=10)
    for n, project in enumerate(more[:3]):
        procurement.create_batch(
            actor=finance_reviewer, year=2027, name=f"第{n + 2}批", projects=[project]
        )
    assert _queries(client, reverse("budgeting:procurement_batches")) == lists
    assert _queries(client, reverse("budgeting:procurement_create") + "?year=2027") == news
    page = client.get(reverse("budgeting:procurement_create") + "?year=2027")
    assert page.context["candidates"].count == 4  # 8 approved, 4 in batches
    assert len(client.get(reverse("budgeting:procurement_batches")).context["page"]) == 4


def test_the_batch_page_asks_a_constant_number_of_queries(
    client: Client, cycle: BudgetCycle, submitter: User, finance_reviewer: User
) -> None:
    client = _english(client, finance_reviewer)
    projects = approved_quickly(submitter, 8)
    batch = procurement.create_batch(
        actor=finance_reviewer, year=2027, name=BATCH, projects=projects[:1]
    )
    url = reverse("budgeting:procurement_batch", args=[batch.public_id])
    few = _queries(client, url)
    batch = procurement.add_projects(
        batch, actor=finance_reviewer, projects=projects[1:5], expected_version=batch.version
    )
    assert _queries(client, url) == few
    assert client.get(url).context["sheet"].project_count == 5


def test_finance_creates_a_batch_approves_it_and_exports_its_sheet(
    client: Client,
    cycle: BudgetCycle,
    submitter: User,
    finance_reviewer: User,
    finance_approver: User,
    exam_authority: Organization,
) -> None:
    client = _english(client, finance_reviewer)
    projects = approved_quickly(submitter, 3)
    page = client.get(reverse("budgeting:procurement_create") + "?year=2027")
    assert page.context["candidates"].count == 3
    assert page.context["candidates"].total == Decimal("3000000.00")
    response = client.post(
        reverse("budgeting:procurement_create") + "?year=2027",
        {
            "year": "2027",
            "name": BATCH,
            "document_number": "粤财采〔2027〕1号",
            "project": [p.code for p in projects[:2]],
        },
    )
    batch = ProcurementBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("budgeting:procurement_batch", args=[batch.public_id])
    client.post(
        reverse("budgeting:procurement_act", args=[batch.public_id, "add"]),
        {"project": [projects[2].code], "version": str(batch.version)},
    )
    batch.refresh_from_db()
    _english(client, finance_approver).post(
        reverse("budgeting:procurement_act", args=[batch.public_id, "approve"]),
        {"version": str(batch.version)},
    )
    batch.refresh_from_db()
    assert batch.state == ProcurementBatchState.APPROVED
    sheet = client.get(reverse("budgeting:procurement_sheet", args=[batch.public_id]))
    assert sheet.context["sheet"].amount == Decimal("3000000.00")
    assert SUPPLIER in sheet.content.decode()
    export = client.get(reverse("budgeting:procurement_export", args=[batch.public_id]))
    rows = list(openpyxl.load_workbook(io.BytesIO(export.content)).active.values)
    cells = [cell for row in rows for cell in row if cell is not None]
    assert BATCH in cells
    assert "粤财采〔2027〕1号" in cells
    assert cells.count(SUPPLIER) == 3
    assert any(str(cell).startswith("Subtotal") for cell in cells)
    assert Decimal(str(rows[-1][-1])) == Decimal("3000000.00")


def test_a_stale_approval_is_told_and_changes_nothing(
    client: Client, cycle: BudgetCycle, submitter: User, finance_approver: User
) -> None:
    client = _english(client, finance_approver)
    batch = procurement.create_batch(
        actor=finance_approver, year=2027, name=BATCH, projects=approved_quickly(submitter, 1)
    )
    response = client.post(
        reverse("budgeting:procurement_act", args=[batch.public_id, "approve"]),
        {"version": str(batch.version - 1)},
        follow=True,
    )
    assert "Someone changed this batch" in response.content.decode()
    batch.refresh_from_db()
    assert batch.state == ProcurementBatchState.DRAFT


def test_the_unit_sees_its_projects_procurement_state_without_a_link(
    client: Client,
    cycle: BudgetCycle,
    submitter: User,
    finance_reviewer: User,
    finance_approver: User,
    department_approver: User,
    data_reviewer: User,
) -> None:
    project = approved(
        submitter,
        [department_approver, data_reviewer, finance_reviewer, finance_approver],
        "考试系统",
    )
    client = _english(client, submitter)
    url = reverse("projects:detail", args=[project.code])
    assert "Not applied for" in client.get(url).content.decode()
    batch = procurement.create_batch(
        actor=finance_reviewer, year=2027, name=BATCH, projects=[project]
    )
    procurement.approve_batch(batch, actor=finance_approver, expected_version=batch.version)
    page = client.get(url).content.decode()
    assert "Approved" in page
    assert BATCH in page
    assert str(batch.public_id) not in page
    assert reverse("projects:procurement_change", args=[project.code]) in page
    response = client.post(
        reverse("projects:procurement_change", args=[project.code]),
        {
            "procurement_method": "competitive_negotiation",
            "version": str(Project.objects.get(pk=project.pk).version),
            "comment": "改为竞争性谈判",
        },
    )
    assert response.status_code == 302
    assert "Withdrawn" in client.get(url).content.decode()
    assert procurement.standing_of(project).code == "withdrawn"


def test_the_project_form_keeps_the_justification_of_a_single_source_project(
    client: Client, cycle: BudgetCycle, submitter: User, education: Organization
) -> None:
    from projects.tests.test_views import _form_data

    client = _english(client, submitter)
    form = client.get(reverse("projects:create")).content.decode()
    assert 'name="single_source_reason"' in form
    assert 'name="proposed_supplier"' in form
    data = _form_data(education, procurement_method="single_source", proposed_supplier=SUPPLIER)
    data["single_source_reason"] = "only_supplier"
    data["single_source_justification"] = "专利技术。" * 2000  # 10,000 characters
    response = client.post(reverse("projects:create"), data)
    assert response.status_code == 302
    project = Project.objects.get()
    assert (project.single_source_reason, project.proposed_supplier) == ("only_supplier", SUPPLIER)
    assert len(project.single_source_justification) == 10_000


def test_a_project_another_batch_took_meanwhile_is_named_in_the_refusal(
    client: Client, cycle: BudgetCycle, submitter: User, finance_reviewer: User
) -> None:
    client = _english(client, finance_reviewer)
    first, second = approved_quickly(submitter, 2)
    mine = procurement.create_batch(
        actor=finance_reviewer, year=2027, name="第一批", projects=[first]
    )
    procurement.create_batch(actor=finance_reviewer, year=2027, name="第二批", projects=[second])
    response = client.post(
        reverse("budgeting:procurement_act", args=[mine.public_id, "add"]),
        {"project": [second.code], "version": str(mine.version)},
        follow=True,
    )
    assert f"{second.code} is in 第二批 already." in response.content.decode()
    assert procurement.live_approvals().filter(batch=mine).count() == 1


def test_the_review_page_shows_the_single_source_justification(
    client: Client, cycle: BudgetCycle, submitter: User, finance_reviewer: User
) -> None:
    (project,) = approved_quickly(submitter, 1)
    page = _english(client, finance_reviewer).get(reverse("budgeting:review", args=[project.code]))
    text = page.content.decode()
    assert "Single-source ground" in text
    assert SUPPLIER in text
    assert JUSTIFIED["single_source_justification"] in text


def test_a_batch_the_size_of_2019s_first_63_units_and_1045_million(
    client: Client, cycle: BudgetCycle, submitter: User, finance_reviewer: User
) -> None:
    """Like the province's "2019年第一批" single-source approval: 63 units, 10.45亿元 in
    all. The sheet's subtotals and total agree to the fen, in as many queries as a
    batch of one unit."""
    client = _english(client, finance_reviewer)
    (first,) = approved_quickly(submitter, 1)
    small = procurement.create_batch(
        actor=finance_reviewer, year=2027, name="一个", projects=[first]
    )
    few = _queries(client, reverse("budgeting:procurement_sheet", args=[small.public_id]))
    template = Project.objects.get(pk=first.pk)
    projects = []
    for n in range(63):
        unit = OrganizationFactory.create(code=f"SS{n:02d}", name=f"单一来源单位{n:02d}")
        # 62 units of 16,587,301.58 and one of the rest: 1,045,000,000.00 in all.
        amount = (
            Decimal("16587301.58")
            if n < 62
            else Decimal("1045000000.00") - 62 * Decimal("16587301.58")
        )
        template.pk, template.code, template.organization = None, f"2027-SS{n:02d}-0001", unit
        template.approved_amount = amount
        template.save()
        projects.append(Project.objects.get(code=template.code))
    batch = procurement.create_batch(
        actor=finance_reviewer, year=2027, name="2027年第一批 单一来源采购方式", projects=projects
    )
    url = reverse("budgeting:procurement_sheet", args=[batch.public_id])
    assert _queries(client, url) == few
    sheet = client.get(url).context["sheet"]
    assert len(sheet.units) == 63
    assert sheet.amount == Decimal("1045000000.00")
    assert sum(block.amount for block in sheet.units) == sheet.amount
    export = client.get(reverse("budgeting:procurement_export", args=[batch.public_id]))
    rows = list(openpyxl.load_workbook(io.BytesIO(export.content)).active.values)
    subtotals = [row for row in rows if str(row[0]).startswith("Subtotal")]
    assert len(subtotals) == 63
    assert Decimal(str(rows[-1][-1])) == Decimal("1045000000.00")


def test_only_the_units_submitters_open_an_approved_projects_procurement_change(
    client: Client,
    cycle: BudgetCycle,
    submitter: User,
    outsider: User,
    finance_reviewer: User,
    department_approver: User,
) -> None:
    (project,) = approved_quickly(submitter, 1)
    url = reverse("projects:procurement_change", args=[project.code])
    expected = {submitter: 200, outsider: 404, finance_reviewer: 403, department_approver: 403}
    for person, status in expected.items():
        assert _english(Client(), person).get(url).status_code == status, person


@pytest.mark.parametrize("year", ["abc", "", "\x00", "99999"])
def test_a_garbled_year_on_the_new_batch_form_says_the_page_is_out_of_date(
    client: Client, finance_reviewer: User, year: str
) -> None:
    page = _english(client, finance_reviewer)
    response = page.post(
        reverse("budgeting:procurement_create"), {"year": year, "name": "2027年第一批"}
    )
    assert response.status_code == 400
    assert "This page is out of date: reload it and try again." in response.content.decode()
    assert not ProcurementBatch.objects.exists()
