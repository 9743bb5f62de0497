import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from projects.models import Project
from projects.tests.factories import register
from tests.e2e.test_smoke import log_in
from tests.helpers import seed_standards

pytestmark = pytest.mark.django_db(transaction=True)


def test_clerk_registers_a_continuing_operation_project(
    page: Page, live_server, submitter: User, tmp_path, settings
) -> None:
    settings.MEDIA_ROOT = tmp_path
    seed_standards()
    earlier = register(submitter, name="教育政务服务平台建设", budget_year=2026, start_year=2026)
    log_in(page, live_server.url, "edu_clerk")
    page.get_by_role("link", name="项目", exact=True).click()
    page.get_by_role("link", name="登记项目").click()

    page.get_by_label("项目名称").fill("教育政务服务平台运维")
    page.get_by_label("预算年度", exact=True).fill("2027")
    page.get_by_label("运维类").check()
    page.get_by_label("续建", exact=True).check()
    page.get_by_label("前期项目").select_option(label=str(earlier))
    page.get_by_label("已纳入").check()
    page.get_by_label("运转类").check()
    page.get_by_label("采购方式").select_option(label="竞争性磋商")
    page.get_by_label("开始年度").fill("2027")
    page.get_by_label("结束年度").fill("2027")
    page.get_by_label("规划金额，预算年度（元）").fill("860000")
    page.get_by_label("项目背景及必要性").fill("平台已上线两年，需持续运维。")
    page.get_by_label("建设内容").fill("应用运维、安全运维、数据库运维。")
    page.get_by_label("预期成效").fill("系统可用率不低于99.9%。")
    page.get_by_label("联系人").fill("李明")
    page.get_by_label("联系电话").fill("020-83134000")
    page.get_by_role("button", name="登记").click()

    expect(page.get_by_text("项目 2027-EDU-0001 已登记。")).to_be_visible()
    expect(page.get_by_role("heading", name="教育政务服务平台运维")).to_be_visible()
    expect(page.get_by_role("link", name=str(earlier))).to_be_visible()

    targets = page.locator("#targets")
    targets.get_by_label("一级指标").select_option(label="产出指标")
    targets.get_by_label("二级指标").select_option(label="质量指标")
    targets.get_by_label("三级指标名称").fill("系统可用率")
    targets.get_by_label("指标值").fill("≥ 99.9")
    targets.get_by_label("计量单位").fill("%")
    targets.get_by_role("button", name="添加绩效目标").click()
    expect(page.get_by_role("cell", name="系统可用率", exact=True)).to_be_visible()

    pdf = tmp_path / "可行性研究报告.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    documents = page.locator("#attachments")
    documents.get_by_label("文件").set_input_files(str(pdf))
    documents.get_by_role("button", name="上传").click()
    expect(page.get_by_role("link", name="可行性研究报告.pdf")).to_be_visible()
    # What submission still needs, in one list (the same as on the review page).
    needed = page.locator("#still-needed")
    expect(needed.get_by_role("heading", name="提交前还需")).to_be_visible()
    expect(needed).to_contain_text("请至少添加一项效益指标。")
    expect(needed).to_contain_text("请上传建设方案/实施方案。")

    # Lines of three pricing methods, each amount shown live (htmx) before it is added.
    preview = page.locator("#line-preview")

    def add_line(item: str, fields: dict[str, str], amount: str, grade: str = "") -> None:
        page.get_by_role("link", name="添加预算明细").click()
        page.get_by_role("link", name=item).click()
        expect(preview).to_contain_text("填写")  # nothing priced yet
        if grade:
            page.get_by_label("等次", exact=True).select_option(label=grade)
        for label, value in fields.items():
            page.get_by_label(label, exact=True).fill(value)
        expect(preview).to_contain_text(amount)
        page.get_by_role("button", name="测算并添加").click()
        expect(page.get_by_text("已添加明细")).to_be_visible()

    add_line("软件运维服务（驻场人员）", {"数量": "2"}, "167,800.00", grade="一般 · 83,900.00")
    # The amount follows the typing: a rate outside 5–8 % is priced and flagged.
    page.get_by_role("link", name="添加预算明细").click()
    page.get_by_role("searchbox").fill("硬件设备运维")
    expect(page.get_by_role("link", name="软件运维服务（驻场人员）")).to_have_count(0)
    page.get_by_role("link", name="硬件设备运维服务").click()
    page.get_by_label("基数金额（元）", exact=True).fill("1000000")
    page.get_by_label("费率（如 0.15）", exact=True).fill("0.1")
    expect(preview).to_contain_text("100,000.00")
    expect(preview).to_contain_text("超出标准允许范围")
    page.get_by_label("费率（如 0.15）", exact=True).fill("0.06")
    expect(preview).to_contain_text("60,000.00")
    expect(preview).not_to_contain_text("超出标准允许范围")
    page.get_by_role("button", name="测算并添加").click()
    expect(page.get_by_text("已添加明细")).to_be_visible()
    add_line("定制软件租赁服务", {"一次性费用（元）": "900000", "摊销年限": "3"}, "300,000.00")

    page.get_by_role("link", name="添加预算明细").click()
    page.get_by_role("link", name="不使用标准项目的明细").click()
    page.get_by_label("服务内容", exact=True).fill("第三方安全渗透测试")
    page.get_by_label("计量单位").fill("次")
    page.get_by_label("数量").fill("1")
    page.get_by_label("单价（元）").fill("45000")
    page.get_by_label("理由").fill("预算标准未包含渗透测试服务。")
    page.get_by_role("button", name="测算并添加").click()

    lines = page.locator("#lines")
    expect(lines.get_by_text("非标准", exact=True)).to_be_visible()
    # 2 × 83,900 + 1,000,000 × 6% + 900,000 ÷ 3 + 45,000
    expect(lines.locator("tr.row--total")).to_contain_text("572,800.00")
    expect(lines).to_contain_text("运行维护服务费")

    # A line is edited in place: its form comes filled and priced, live as the clerk types.
    page.get_by_role("link", name="编辑 软件运维服务（驻场人员）").click()
    expect(page.get_by_label("数量", exact=True)).to_have_value("2")
    expect(preview).to_contain_text("167,800.00")
    page.get_by_label("数量", exact=True).fill("3")
    expect(preview).to_contain_text("251,700.00")
    page.get_by_role("button", name="测算并保存").click()
    expect(page.get_by_text("明细已保存")).to_be_visible()
    expect(lines.locator("tr.row--total")).to_contain_text("656,700.00")
    # Removing a line asks first.
    page.get_by_role("link", name="删除 第三方安全渗透测试").click()
    expect(page.get_by_role("heading", name="删除预算明细")).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text("611,700.00")  # the total after removal
    page.get_by_role("button", name="删除明细 第三方安全渗透测试").click()
    expect(page.get_by_text("明细已删除：第三方安全渗透测试。")).to_be_visible()
    expect(lines.locator("tr.row--total")).to_contain_text("611,700.00")

    project = Project.objects.get(code="2027-EDU-0001")
    assert project.predecessor == earlier
    assert project.targets.count() == 1
    assert project.attachments.count() == 1
    assert project.lines.count() == 3


def test_form_errors_are_shown_next_to_their_fields(
    page: Page, live_server, submitter: User
) -> None:
    log_in(page, live_server.url, "edu_clerk")
    page.goto(f"{live_server.url}/projects/new/")
    page.get_by_role("button", name="登记").click()
    name = page.get_by_label("项目名称")
    expect(name).to_have_attribute("aria-invalid", "true")
    error_id = name.get_attribute("aria-describedby")
    assert error_id
    expect(page.locator(f"#{error_id.split()[-1]}")).to_contain_text("这个字段是必填项")
