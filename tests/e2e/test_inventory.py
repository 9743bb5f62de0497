"""The inventory survey in a browser, as issue #19's "Done when" reads: the data
administration opens a survey; the unit uploads its workbook (a bad one first, refused
with row/column errors); a clerk generates an O&M project's lines from the inventory
and sees the 5 % line; a reviewer sees the base behind it, and a duplicate flag on a
construction project that resembles a live system. Beyond it: the unit corrects a row in
place (htmx) and reads its history; the reviewer sees the O&M asked for the system flagged
above the standard's 15 % of its construction cost."""

import datetime
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from accounts.models import User
from budgeting import services as budgeting_services
from budgeting.models import BudgetCycle
from budgeting.tests.workflow_fixtures import make_ready
from inventory.models import SurveyState, UnitSurvey
from projects.models import Project
from projects.tests.factories import register
from standards.models import ProjectKind
from tests.e2e.test_smoke import log_in
from tests.helpers import seed_standards

pytestmark = pytest.mark.django_db(transaction=True)


def _as(page: Page, base_url: str, username: str) -> None:
    page.context.clear_cookies()
    log_in(page, base_url, username)


def _filled(template: bytes, tmp_path: Path, name: str, devices: list[list[object]]) -> Path:
    book = load_workbook(io.BytesIO(template))
    book["信息系统"].append(
        ["教育政务服务平台", "教育政务服务事项网上办理", "", 2021, 3200000, 320000, 12000,
         "政务云", "三级", "在用"]
    )  # fmt: skip
    for row in devices:
        book["硬件设备"].append(row)
    path = tmp_path / name
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(buffer.getvalue())
    return path


def _to_data_review(project: Project, clerk: User, approver: User) -> Project:
    project = make_ready(project, clerk)
    project = budgeting_services.submit(project, actor=clerk, expected_version=project.version)
    return budgeting_services.pass_stage(project, actor=approver, expected_version=project.version)


def test_survey_upload_generate_and_review(
    page: Page,
    live_server,
    tmp_path: Path,
    cycle: BudgetCycle,
    submitter: User,
    department_approver: User,
    data_reviewer: User,
    health: object,
) -> None:
    seed_standards()
    base = live_server.url

    # The data administration opens the 2026 survey.
    _as(page, base, "data_reviewer")
    page.get_by_role("link", name="信息化资产清单").click()
    page.get_by_role("link", name="发起调查").click()
    page.get_by_label("调查年度").fill("2026")
    page.get_by_label("截止日期").fill("2026-12-31")
    page.get_by_role("button", name="发起调查").click()
    expect(page.get_by_text("调查已发起。")).to_be_visible()
    expect(page.get_by_role("cell", name="省教育厅")).to_be_visible()
    survey = UnitSurvey.objects.get(organization__code="EDU")

    # The unit downloads its workbook, uploads a bad one, then a good one, and submits.
    _as(page, base, "edu_clerk")
    page.get_by_role("link", name="信息化资产清单").click()
    page.get_by_role("link", name="2026 · 省教育厅").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="下载调查表").click()
    template = Path(download.value.path()).read_bytes()
    page.get_by_role("link", name="上传调查表").click()
    bad = _filled(
        template,
        tmp_path,
        "bad.xlsx",
        [["服务器", "机架式服务器", "二十", 1000000, datetime.date(2018, 6, 1), None]],
    )
    page.get_by_label("填好的调查表").set_input_files(bad)
    page.get_by_role("button", name="上传并导入").click()
    errors = page.get_by_role("alert")
    expect(errors).to_contain_text("未导入任何内容")
    expect(errors.get_by_role("row").nth(1)).to_contain_text("硬件设备")
    expect(errors.get_by_role("row").nth(1)).to_contain_text("C（数量）")
    expect(errors.get_by_role("cell", name="2", exact=True)).to_be_visible()
    good = _filled(
        template,
        tmp_path,
        "good.xlsx",
        [
            ["服务器", "机架式服务器", 20, 1000000, datetime.date(2018, 6, 1),
             datetime.date(2021, 6, 1)],
            ["网络设备", "核心交换机", 2, 360000, datetime.date(2023, 3, 1),
             datetime.date(2028, 3, 1)],
        ],
    )  # fmt: skip
    page.get_by_label("填好的调查表").set_input_files(good)
    page.get_by_role("button", name="上传并导入").click()
    expect(page.get_by_text("已导入3条清单条目。")).to_be_visible()

    # The unit corrects a row in place: the system's construction cost was mistyped.
    system_row = page.locator("#system tbody tr", has_text="教育政务服务平台")
    system_row.get_by_role("link", name="编辑").click()
    editing = page.get_by_role("form", name="修改条目 · 教育政务服务平台")
    editing.get_by_label("建设投资（元）").fill("300000")
    editing.get_by_role("button", name="保存").click()
    expect(editing).to_have_count(0)
    expect(page.locator("#system tbody tr", has_text="教育政务服务平台")).to_contain_text(
        "300,000.00"
    )
    history = page.get_by_role("region", name="操作记录")
    expect(history).to_contain_text(
        "修改清单条目：教育政务服务平台：建设投资（元） 3,200,000.00 → 300,000.00"
    )
    page.locator("#system tbody tr", has_text="教育政务服务平台").get_by_role(
        "link", name="操作记录"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("清单条目操作记录")
    expect(page.get_by_role("region", name="操作记录")).to_contain_text("从 Excel 导入清单")
    page.go_back()
    page.get_by_role("button", name="报送清单").click()
    survey.refresh_from_db()
    assert survey.state == SurveyState.SUBMITTED

    # The clerk prices an O&M project from the inventory: the out-of-warranty servers
    # (1,000,000 yuan) at 5 % give 50,000.00.
    operation = register(submitter, name="教育政务服务平台运维", kind=ProjectKind.OPERATION)
    page.goto(f"{base}/projects/{operation.code}/")
    page.get_by_role("link", name="从资产清单生成明细").click()
    expect(page.get_by_text("截至2027-01-01已过保设备1条，原值1,000,000.00元")).to_be_visible()
    page.get_by_role("button", name="将这些明细加入项目").click()
    expect(page.get_by_text("已从资产清单生成")).to_be_visible()
    hardware = page.locator("#lines tr", has_text="硬件设备运维服务")
    expect(hardware).to_contain_text("50,000.00")

    # A construction project of the unit resembles the live system it already runs.
    construction = register(submitter, name="教育政务服务平台二期建设")
    _to_data_review(Project.objects.get(pk=operation.pk), submitter, department_approver)
    _to_data_review(construction, submitter, department_approver)

    # The reviewer sees the base behind the 5 % line, and the duplicate flag.
    _as(page, base, "data_reviewer")
    page.goto(f"{base}/review/{operation.code}/")
    row = page.locator("#lines tr", has_text="硬件设备运维服务")
    expect(row).to_contain_text("50,000.00")
    row.get_by_text("资产清单基数").click()
    expect(row).to_contain_text("机架式服务器 × 20")
    expect(row).to_contain_text("2021-06-01")
    expect(row).to_contain_text("1,000,000.00")
    # The O&M asked for the platform is above 15 % of its (corrected) construction cost.
    share = page.get_by_role("region", name="运维费超过建设成本的 15%")
    expect(share).to_contain_text("教育政务服务平台 · 省教育厅：建设成本 300,000.00 元")
    page.goto(f"{base}/review/{construction.code}/")
    flag = page.get_by_role("region", name="可能重复建设：已有在用系统")
    expect(flag).to_contain_text("教育政务服务平台 · 省教育厅")
