"""Reports over a real cycle: fee-class summary, waterfall, cut reasons, exports, open data.

The figures are checked against a direct computation over the estimate lines
(``amounts.LineFigures``, the Python twin of the SQL), never against themselves.
"""

import csv
import io
import json
import zipfile
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import User
from budgeting import amounts, services
from budgeting.models import BudgetCycle, CutReason
from budgeting.tests.workflow_fixtures import add_line, make_ready
from projects import estimates
from projects.models import EstimateLine, Project, ProjectState
from projects.permissions import projects_visible_to
from projects.tests.factories import register
from reports.review_totals import reviewed_projects
from reports.summary import counted
from reports.tests.export_helpers import exported_lines, rows_of
from reports.tests.report_fixtures import HOSTILE_NAME, World, report_world

__all__ = ["report_world"]

pytestmark = pytest.mark.django_db


def test_the_world_is_as_described(report_world: World) -> None:
    assert report_world.approved.state == ProjectState.APPROVED
    assert report_world.approved.approved_amount == Decimal("550000.00")
    assert report_world.waiting.state == ProjectState.IN_REVIEW


def _direct_by_fee_class(user: User) -> dict[str, tuple[set[int], Decimal, Decimal]]:
    """Fee class -> (projects, requested, approved), computed line by line in Python."""
    result: dict[str, tuple[set[int], Decimal, Decimal]] = {}
    for project in counted(projects_visible_to(user).filter(budget_year=2027)):
        figures = amounts.load(project)
        current = figures.current()
        for line in figures.lines:
            ids, requested, approved = result.get(line.fee_class, (set(), Decimal(0), Decimal(0)))
            ids.add(project.pk)
            if project.approved_amount is not None:
                approved += current[line.pk]
            result[line.fee_class] = (ids, requested + line.amount, approved)
    return result


@pytest.mark.parametrize("persona", ["finance_reviewer", "submitter", "outsider"])
def test_fee_class_totals_agree_with_the_lines(
    report_world: World, client: Client, persona: str, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(persona)
    client.force_login(user)
    response = client.get(reverse("reports:summary"), {"year": "2027", "by": "fee_class"})
    rows = {row.key: row for row, _link in response.context["rows"]}
    direct = _direct_by_fee_class(user)
    assert set(rows) == set(direct)
    for fee_class, (ids, requested, approved) in direct.items():
        row = rows[fee_class]
        assert (row.projects, row.requested, row.approved) == (len(ids), requested, approved)
    totals = response.context["totals"]
    assert totals.requested == sum(requested for _ids, requested, _a in direct.values())
    assert totals.projects == len(set().union(*(ids for ids, _r, _a in direct.values())))


def test_fee_class_rows_drill_down_to_the_projects_with_such_lines(
    report_world: World, client: Client, submitter: User
) -> None:
    client.force_login(submitter)
    response = client.get(reverse("reports:summary"), {"year": "2027", "by": "fee_class"})
    assert response.context["fee_classes"]
    for row, link in response.context["rows"]:
        listed = {p.code for p in client.get(link).context["page"].object_list}
        expected = set(
            counted(projects_visible_to(submitter))
            .filter(lines__fee_class=row.key, budget_year=2027)
            .values_list("code", flat=True)
            .distinct()
        )
        assert listed == expected, row.key
    # Only the draft has a line of 其他服务费: a draft is not counted in the summary.
    assert "其他服务费" not in {row.key for row, _link in response.context["rows"]}


def test_waterfall_agrees_with_the_lines_stage_by_stage(
    report_world: World, client: Client, finance_reviewer: User, cycle: BudgetCycle
) -> None:
    client.force_login(finance_reviewer)
    steps = client.get(reverse("reports:review_figures"), {"year": "2027"}).context["steps"]
    stages = list(cycle.stages.order_by("order"))
    counted = reviewed_projects(projects_visible_to(finance_reviewer), cycle)
    figures = [amounts.load(project) for project in counted]
    expected = [sum((line.amount for f in figures for line in f.lines), Decimal(0))]
    expected += [
        sum((f.amount_after(line, stage.order) for f in figures for line in f.lines), Decimal(0))
        for stage in stages
    ]
    assert [step.total for step in steps] == expected
    # EDU's 700,000 plus HEALTH's 580,000; finance cut 150,000 of EDU's.
    assert expected[0] == Decimal("1280000.00")
    assert steps[-1].cut == Decimal("150000.00")
    assert [step.label for step in steps][1:] == [str(stage) for stage in stages]


def test_cut_reasons_count_and_sum_the_cuts(
    report_world: World, client: Client, finance_reviewer: User
) -> None:
    client.force_login(finance_reviewer)
    response = client.get(reverse("reports:review_figures"), {"year": "2027"})
    reasons = [(row.reason, row.decisions, row.amount) for row in response.context["reasons"]]
    assert reasons == [
        (CutReason.OVER_STANDARD, 1, Decimal("100000.00")),
        (CutReason.DUPLICATE, 1, Decimal("50000.00")),
    ]
    assert response.context["reasons_total"] == response.context["steps"][-1].cut


def test_a_department_sees_only_its_own_review_figures(
    report_world: World, client: Client, outsider: User
) -> None:
    client.force_login(outsider)
    response = client.get(reverse("reports:review_figures"), {"year": "2027"})
    assert response.context["steps"][0].total == Decimal("580000.00")
    assert response.context["reasons"] == []
    rows = client.get(reverse("reports:summary"), {"year": "2027"}).context["rows"]
    assert [str(row.label) for row, _link in rows] == ["省卫生健康委"]


def test_pages_show_charts_as_labelled_images_beside_tables(
    report_world: World, client: Client, finance_reviewer: User
) -> None:
    client.force_login(finance_reviewer)
    for url in (reverse("reports:summary"), reverse("reports:review_figures")):
        page = client.get(url, {"year": "2027"}).content.decode()
        assert page.count('<svg class="chart"') == 2, url
        assert page.count('role="img"') == 2
        assert "<script" not in page.split("</header>", 1)[1]


def _sheet(response: Any) -> tuple[list[tuple[Any, ...]], Any]:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = load_workbook(io.BytesIO(content)).active
    return list(sheet.iter_rows(values_only=True)), sheet


@pytest.mark.parametrize("by", ["unit", "kind", "fee_class", "state"])
def test_summary_export_in_wan_with_a_totals_row_outside_the_filter(
    report_world: World, client: Client, finance_reviewer: User, by: str
) -> None:
    client.force_login(finance_reviewer)
    shown = client.get(reverse("reports:summary"), {"year": "2027", "by": by}).context
    response = client.get(reverse("reports:summary_export"), {"year": "2027", "by": by})
    rows, sheet = _sheet(response)
    assert rows[0][1:3] == ("项目", "申报数（万元）")
    assert rows[-1][0] == "合计"
    assert rows[-1][2] == pytest.approx(float(shown["totals"].requested / 10000))
    assert len(rows) == len(shown["rows"]) + 2
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:F{len(rows) - 1}"
    assert sheet.cell(len(rows), 1).font.b
    assert sheet.cell(2, 3).number_format == "#,##0.00"


def test_waterfall_and_cut_reason_exports(
    report_world: World, client: Client, finance_reviewer: User
) -> None:
    client.force_login(finance_reviewer)
    rows, _ = _sheet(client.get(reverse("reports:waterfall_export"), {"year": "2027"}))
    assert rows[0][0] == "审核环节"
    assert rows[1][1] == pytest.approx(128.0)
    assert rows[-1][2] == pytest.approx(15.0)
    rows, sheet = _sheet(client.get(reverse("reports:cut_reasons_export"), {"year": "2027"}))
    assert rows[1] == ("高于标准", 1, pytest.approx(10.0))
    assert rows[-1] == ("合计", 2, pytest.approx(15.0))
    assert sheet.auto_filter.ref == "A1:C3"


def test_lines_export_never_holds_a_formula_and_keeps_numbers(
    report_world: World, client: Client, submitter: User
) -> None:
    client.force_login(submitter)
    sheet = load_workbook(io.BytesIO(exported_lines(client, 2027))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) - 1 == EstimateLine.objects.filter(project__organization__code="EDU").count()
    for row in sheet.iter_rows(min_row=2):
        assert all(cell.data_type != "f" for cell in row)
    hostile = [row for row in rows if row[6] == HOSTILE_NAME]
    assert len(hostile) == 1
    assert hostile[0][1] == HOSTILE_NAME
    assert hostile[0][9:11] == (200000, 150000)  # requested and approved, as numbers
    draft_line = next(row for row in rows if row[6] == "咨询")
    assert draft_line[10] is None  # not approved: no approved amount


def test_open_data_package_has_the_approved_budgets_and_a_fiscal_descriptor(
    report_world: World, client: Client, finance_reviewer: User
) -> None:
    client.force_login(finance_reviewer)
    response = client.get(reverse("reports:open_data"), {"year": "2027"})
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    descriptor = json.loads(archive.read("datapackage.json"))
    model = descriptor["model"]
    assert model["measures"]["requested"]["phase"] == "proposed"
    assert model["measures"]["approved"]["phase"] == "approved"
    assert model["measures"]["approved"]["currency"] == "CNY"
    admin = model["dimensions"]["administrative-classification"]
    assert admin["classificationType"] == "administrative"
    resource = descriptor["resources"][0]
    names = [field["name"] for field in resource["schema"]["fields"]]
    rows = list(csv.DictReader(io.StringIO(archive.read(resource["path"]).decode())))
    assert list(rows[0]) == names
    for measure in model["measures"].values():
        assert measure["source"] in names
    assert [row["project_code"] for row in rows] == [report_world.approved.code]
    row = rows[0]
    assert (row["requested_amount"], row["approved_amount"]) == ("700000.00", "550000.00")
    assert (row["unit_code"], row["kind"], row["kind_name"]) == ("EDU", "construction", "建设类")
    assert row["project_name"] == "'" + HOSTILE_NAME


def test_open_data_is_scoped(report_world: World, client: Client, outsider: User) -> None:
    client.force_login(outsider)
    response = client.get(reverse("reports:open_data"), {"year": "2027"})
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.read("data/approved-budgets-2027.csv").decode().count("\r\n") == 1


def _queries(client: Client, url: str, **params: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries.captured_queries)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("reports:summary", {"by": "unit"}),
        ("reports:summary", {"by": "fee_class"}),
        ("reports:review_figures", {}),
        ("reports:summary_export", {"by": "procurement"}),
        ("reports:cut_reasons_export", {}),
        ("reports:open_data", {}),
        ("home", {}),
    ],
)
def test_report_query_counts_do_not_grow_with_projects(
    report_world: World,
    client: Client,
    submitter: User,
    outsider: User,
    finance_reviewer: User,
    name: str,
    params: dict[str, str],
) -> None:
    client.force_login(finance_reviewer)
    url = reverse(name)
    few = _queries(client, url, year="2027", **params)
    for number in range(6):
        actor = outsider if number % 2 else submitter
        project = make_ready(register(actor, name=f"项目{number}"), actor)
        project = add_line(project, actor, "服务", "1000", fee_class=f"费用{number}")
        services.submit(project, actor=actor, expected_version=project.version)
    assert _queries(client, url, year="2027", **params) == few


def test_fee_class_rows_follow_the_declared_fee_classes(
    report_world: World, client: Client, submitter: User
) -> None:
    """其他服务费 sorts before 软件开发服务费 alphabetically; the rows follow FEE_CLASSES."""
    project = register(submitter, name="排序项目")
    project = add_line(project, submitter, "其他", "1000", fee_class="其他服务费")
    project = add_line(project, submitter, "开发", "1000", fee_class="软件开发服务费")
    Project.objects.filter(pk=project.pk).update(state=ProjectState.RETURNED)
    client.force_login(submitter)
    response = client.get(reverse("reports:summary"), {"year": "2027", "by": "fee_class"})
    keys = [row.key for row, _link in response.context["rows"]]
    assert "其他服务费" in keys
    assert keys == sorted(keys, key=estimates.FEE_CLASSES.index)
    shares = [row.key for row, _link in response.context["fee_classes"]]
    assert shares == keys


def _cut(project: Project, actor: User, amount: str, reason: str = "workload_high") -> Project:
    services.set_line_amount(
        project,
        actor=actor,
        expected_version=project.version,
        line_id=project.lines.get().pk,
        approved_amount=Decimal(amount),
        reason=reason,
        comment="开发工作量偏高",
    )
    return Project.objects.get(pk=project.pk)


def test_the_lines_export_shows_the_latest_stage_decision_as_the_approved_amount(
    client: Client, at_finance: Project, finance_reviewer: User, submitter: User
) -> None:
    project = _cut(at_finance, finance_reviewer, "350000")
    add_line(register(submitter, name="草稿"), submitter, "咨询", "30000")
    client.force_login(submitter)  # who sees the unit's draft too
    assert project.budget_year is not None
    rows = rows_of(exported_lines(client, project.budget_year))
    approved = {(row[0], row[6]): row[10] for row in rows[1:]}
    [cut_line] = [v for (code, _name), v in approved.items() if code == project.code]
    assert cut_line == 350000  # in review, cut at the finance stage
    [draft_line] = [v for (_code, name), v in approved.items() if name == "咨询"]
    assert draft_line is None  # no stage has decided
