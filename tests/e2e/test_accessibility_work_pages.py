"""axe-core (WCAG 2.1 A/AA) and 320 px reflow on the pages people work in:
projects (list empty and full, form with errors, detail), review (with actions,
line cuts, and the changes since a return), tasks, batches and the standards."""

from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from budgeting import services
from budgeting.models import BudgetCycle
from budgeting.tests.workflow_fixtures import add_line, at_finance, make_ready, ready_project
from inventory import services as inventory_services
from inventory.tests.factories import open_survey, submitted, survey_of
from projects import estimate_excel, estimates
from projects import services as project_services
from projects.models import Project
from projects.tests.estimate_files import fill_template
from projects.tests.factories import publish_newer_version, register
from reports.tests.report_fixtures import World, report_world
from standards.demo import PROVINCE_CODE
from standards.models import ServiceItem
from standards.tests.factories import filled_set
from tests.e2e.test_accessibility import assert_accessible, csp_violations, log_in
from tests.helpers import seed_standards

__all__ = ["at_finance", "csp_violations", "ready_project", "report_world"]  # the fixtures, shared

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("csp_violations"),
]


def _no_sideways_scroll(page: Page, what: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"{what} scrolls sideways at 320 px ({width} px wide)"


def test_project_pages_are_accessible_and_reflow(
    page: Page, live_server, cycle: BudgetCycle, submitter: User, tmp_path: Path
) -> None:
    log_in(page, live_server.url, "edu_clerk")
    page.goto(f"{live_server.url}/projects/")
    assert_accessible(page, "project list, empty")
    project = make_ready(register(submitter), submitter)
    register(submitter, name="第二个项目")
    page.goto(f"{live_server.url}/projects/")
    assert_accessible(page, "project list")
    page.goto(f"{live_server.url}/projects/new/")
    page.get_by_role("button", name="登记").click()
    expect(page.locator(".field__error").first).to_be_visible()
    assert_accessible(page, "project form with errors")
    page.goto(f"{live_server.url}/projects/{project.code}/")
    assert_accessible(page, "project detail")
    page.goto(f"{live_server.url}/review/{project.code}/")
    assert_accessible(page, "review page, ready to submit")
    seed_standards()
    page.goto(f"{live_server.url}/projects/{project.code}/lines/new/")
    assert_accessible(page, "choose an item")
    page.goto(f"{live_server.url}/projects/{project.code}/lines/new/?item=1.1")
    assert_accessible(page, "function-point line form")
    page.get_by_label("未调整功能点数（UFP）").fill("1000")
    page.get_by_label("生产率（人时/功能点）").fill("9")
    expect(page.locator("#line-preview")).to_contain_text("超出标准允许范围")
    assert_accessible(page, "line form with a live price outside the range")
    page.goto(f"{live_server.url}/projects/{project.code}/lines/new/non-standard/")
    page.get_by_role("button", name="测算并添加").click()
    expect(page.locator(".field__error").first).to_be_visible()
    assert_accessible(page, "non-standard line form with errors")
    page.goto(f"{live_server.url}/projects/{project.code}/estimate/import/")
    assert_accessible(page, "estimate import")
    standard = estimates.standard_for(project)
    assert standard is not None
    template = estimate_excel.write_template(standard, estimates.items_for(project, standard), [])
    filled = tmp_path / "预算明细.xlsx"
    filled.write_bytes(
        fill_template(
            template,
            [{"服务内容编码": "5.1", "等次编码": "L2", "数量": 1}, {"服务内容编码": "9.9"}],
        )
    )
    page.get_by_label("已填写的预算明细模板").set_input_files(filled)
    page.get_by_role("button", name="上传并预览").click()
    expect(page.get_by_role("heading", name="导入预览")).to_be_visible()
    assert_accessible(page, "estimate import preview with a line and an error")
    preview = page.url

    operation = register(submitter, name="运维项目", kind="operation")
    staff = ServiceItem.objects.get(standard_set__code=PROVINCE_CODE, code="2.1")
    for item, values in ((staff, {"quantity": "2"}), (staff.standard_set.items.get(code="4.3"),
                                                          {"one_off_cost": "600000"})):  # fmt: skip
        project_services.add_standard_line(
            operation, actor=submitter, item=item, grade=item.grades.first(), values=values,
            expected_version=Project.objects.get(pk=operation.pk).version,
        )  # fmt: skip
    publish_newer_version()
    page.goto(f"{live_server.url}/projects/{operation.code}/lines/reprice/")
    expect(page.get_by_role("button", name="重新测算")).to_be_visible()
    assert_accessible(page, "re-price with the current standard")
    staff_line = operation.lines.get(item_code="2.1")
    page.goto(f"{live_server.url}/projects/{operation.code}/lines/{staff_line.pk}/edit/")
    expect(page.locator("#line-preview")).to_contain_text("元")
    assert_accessible(page, "standard line edit form, priced")
    line = project.lines.get()
    page.goto(f"{live_server.url}/projects/{project.code}/lines/{line.pk}/edit/")
    assert_accessible(page, "non-standard line edit form")
    page.goto(f"{live_server.url}/projects/{project.code}/lines/{line.pk}/remove/")
    assert_accessible(page, "line removal confirmation")

    page.set_viewport_size({"width": 320, "height": 800})
    for path in [
        "/projects/",
        f"/projects/{project.code}/",
        "/projects/new/",
        f"/review/{project.code}/",
        f"/projects/{project.code}/lines/new/?item=1.1",
        f"/projects/{operation.code}/lines/reprice/",
        f"/projects/{operation.code}/lines/{staff_line.pk}/edit/",
        f"/projects/{project.code}/lines/{line.pk}/remove/",
        preview.removeprefix(live_server.url),
    ]:
        page.goto(f"{live_server.url}{path}")
        _no_sideways_scroll(page, path)


def test_review_pages_are_accessible(
    page: Page,
    live_server,
    cycle: BudgetCycle,
    submitter: User,
    department_approver: User,
    data_reviewer: User,
    finance_reviewer: User,
    finance_approver: User,
) -> None:
    project = make_ready(register(submitter), submitter)
    services.submit(project, actor=submitter, expected_version=project.version)
    log_in(page, live_server.url, "edu_head")
    page.goto(f"{live_server.url}/review/")
    assert_accessible(page, "my tasks")
    page.goto(f"{live_server.url}/review/summary/?year=2027")
    assert_accessible(page, "summary")
    page.goto(f"{live_server.url}/review/{project.code}/")
    assert_accessible(page, "review page with actions")
    resubmitted = _returned_revised_and_resubmitted(submitter, department_approver)
    page.goto(f"{live_server.url}/review/{resubmitted.code}/")
    expect(page.locator("#changes tbody tr")).to_have_count(3)
    assert_accessible(page, "review page with changes since the return")
    page.set_viewport_size({"width": 320, "height": 800})
    page.reload()
    _no_sideways_scroll(page, "review page with changes since the return")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.context.clear_cookies()
    project = services.pass_stage(
        project,
        actor=department_approver,
        expected_version=Project.objects.get(pk=project.pk).version,
    )
    project = services.pass_stage(project, actor=data_reviewer, expected_version=project.version)
    log_in(page, live_server.url, "finance_reviewer")
    page.goto(f"{live_server.url}/review/{project.code}/")
    expect(page.locator("form.cut-form")).to_have_count(1)
    assert_accessible(page, "review page with line cuts")
    cut = page.locator("form.cut-form")
    cut.get_by_label("审核数").fill("600000")
    cut.get_by_role("button", name="保存").click()
    expect(page.locator("form.cut-form .field__error")).to_be_visible()
    assert_accessible(page, "review page with a cut refused at its field")
    project = Project.objects.get(pk=project.pk)
    services.pass_stage(project, actor=finance_reviewer, expected_version=project.version)
    page.context.clear_cookies()
    log_in(page, live_server.url, "finance_director")
    page.goto(f"{live_server.url}/review/batches/")
    assert_accessible(page, "batch approval")
    page.get_by_role("button", name="下一步：核对批次").click()
    expect(page.locator(".field__error").first).to_be_visible()
    assert_accessible(page, "batch approval with errors")
    page.get_by_label(project.code).check()
    page.get_by_label("批次名称").fill("2027年第一批")
    page.get_by_role("button", name="下一步：核对批次").click()
    expect(page.get_by_role("heading", name="确认批次批复")).to_be_visible()
    assert_accessible(page, "batch confirmation")
    page.set_viewport_size({"width": 320, "height": 800})
    _no_sideways_scroll(page, "batch confirmation")
    page.goto(f"{live_server.url}/review/batches/")
    _no_sideways_scroll(page, "batch approval")


def _in_english(page: Page) -> None:
    page.get_by_label("语言").select_option("en")
    page.get_by_role("button", name="切换").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_review_and_returned_project_pages_reflow_in_english(
    page: Page, live_server, at_finance: Project, submitter: User, department_approver: User,
    finance_reviewer: User,
) -> None:  # fmt: skip
    """English labels are longer: the review page with cut forms and its waterfall, and a
    returned project the clerk may edit (targets with remove buttons), at 320 px."""
    project = at_finance
    services.set_line_amount(
        project, actor=finance_reviewer, expected_version=project.version,
        line_id=project.lines.get().pk, approved_amount=Decimal("400000"),
        reason="over_standard", comment="按标准核减",
    )  # fmt: skip
    returned = make_ready(register(submitter, name="退回的项目"), submitter)
    returned = services.submit(returned, actor=submitter, expected_version=returned.version)
    services.return_for_revision(
        returned, actor=department_approver, expected_version=returned.version, comment="请修改"
    )
    log_in(page, live_server.url, "edu_clerk")
    _in_english(page)
    page.set_viewport_size({"width": 320, "height": 800})
    for path in (f"/projects/{returned.code}/", f"/review/{returned.code}/"):
        page.goto(f"{live_server.url}{path}")
        _no_sideways_scroll(page, f"{path} in English")
    # The clerk's page of a project with a cut line: approved amount, reason and comment.
    page.goto(f"{live_server.url}/projects/{project.code}/")
    expect(page.locator("#lines")).to_contain_text("按标准核减")
    _no_sideways_scroll(page, "project page with a cut line in English")
    assert_accessible(page, "project page with a cut line in English, 320 px")
    page.context.clear_cookies()
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server.url, "finance_reviewer")
    _in_english(page)
    page.set_viewport_size({"width": 320, "height": 800})
    page.goto(f"{live_server.url}/review/{project.code}/")
    expect(page.locator("form.cut-form select[name=reason]")).to_have_value("over_standard")
    expect(page.locator("table.waterfall")).to_contain_text("not reached yet")
    _no_sideways_scroll(page, "review page with line cuts in English")
    assert_accessible(page, "review page with line cuts in English, 320 px")


def _returned_revised_and_resubmitted(clerk: User, head: User) -> Project:
    """A project back in review after a return, with a line changed, one added, one removed."""
    project = add_line(
        make_ready(register(clerk, name="退回后重报的项目"), clerk), clerk, "培训", "8000"
    )
    project = services.submit(project, actor=clerk, expected_version=project.version)
    project = services.return_for_revision(
        project, actor=head, expected_version=project.version, comment="请压减开发费用"
    )
    for name in ("系统开发", "培训"):
        project = project_services.remove_line(
            project,
            actor=clerk,
            line_id=project.lines.get(name=name).pk,
            expected_version=project.version,
        )
    project = add_line(project, clerk, "系统开发", "420000")
    project = add_line(project, clerk, "数据迁移", "30000")
    return services.submit(project, actor=clerk, expected_version=project.version)


def test_returned_project_pages_are_accessible_and_reflow(
    page: Page, live_server, cycle: BudgetCycle, submitter: User, department_approver: User
) -> None:
    """The clerk's tasks with a project returned to them, and its page with the banner."""
    project = make_ready(register(submitter, name="退回的项目"), submitter)
    project = services.submit(project, actor=submitter, expected_version=project.version)
    services.return_for_revision(
        project,
        actor=department_approver,
        expected_version=project.version,
        comment="请补充测算依据",
    )
    log_in(page, live_server.url, "edu_clerk")
    for path, what in (
        ("/review/", "my tasks with a returned project"),
        (f"/projects/{project.code}/", "returned project with its banner"),
    ):
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(f"{live_server.url}{path}")
        expect(page.get_by_text("请补充测算依据").first).to_be_visible()
        assert_accessible(page, what)
        page.set_viewport_size({"width": 320, "height": 800})
        page.reload()
        _no_sideways_scroll(page, what)


def test_standards_pages_are_accessible(page: Page, live_server, submitter: User) -> None:
    standard = filled_set(2, code="GD-2019")
    log_in(page, live_server.url, "edu_clerk")
    for path in [
        "/standards/",
        f"/standards/{standard.code}/",
        f"/standards/{standard.code}/items/2.01/",
        "/standards/compare/",
    ]:
        page.goto(f"{live_server.url}{path}")
        assert_accessible(page, path)


def test_report_pages_are_accessible_and_reflow(
    page: Page, live_server, report_world: World
) -> None:
    """The dashboard, the summary (with its charts) and the review figures."""
    pages = ["/", "/review/summary/?year=2027&by=fee_class", "/review/summary/review/?year=2027"]
    for username in ("finance_reviewer", "edu_clerk"):
        page.context.clear_cookies()
        log_in(page, live_server.url, username)
        page.set_viewport_size({"width": 1280, "height": 900})
        for path in pages:
            page.goto(f"{live_server.url}{path}")
            expect(page.locator("svg.chart").first).to_be_visible()
            assert_accessible(page, f"{path} as {username}")
        page.set_viewport_size({"width": 320, "height": 800})
        for path in pages:
            page.goto(f"{live_server.url}{path}")
            _no_sideways_scroll(page, f"{path} as {username}")


def test_inventory_pages_are_accessible(
    page: Page, live_server, submitter: User, data_reviewer: User, education
) -> None:
    campaign = open_survey(data_reviewer, education)
    survey = submitted(survey_of(campaign, education), submitter)
    log_in(page, live_server.url, "data_reviewer")
    for url, what in (
        ("/inventory/", "inventory index, a runner's"),
        ("/inventory/surveys/new/", "open a survey"),
        (f"/inventory/surveys/{campaign.public_id}/", "survey progress"),
        (f"/inventory/units/{survey.public_id}/", "a unit's inventory, to review"),
        ("/inventory/baseline/", "baseline, with its charts"),
        ("/reports/inventory/", "IT spend against the inventory, with its chart"),
    ):
        page.goto(f"{live_server.url}{url}")
        assert_accessible(page, what)
    page.context.clear_cookies()
    log_in(page, live_server.url, "edu_clerk")
    page.goto(f"{live_server.url}/inventory/")
    assert_accessible(page, "inventory index, a unit's")
    page.goto(f"{live_server.url}/inventory/units/{survey.public_id}/")
    assert_accessible(page, "a unit's inventory, submitted")
    inventory_services.act(
        survey, "return", actor=data_reviewer, expected_version=survey.version, reason="补充"
    )
    page.goto(f"{live_server.url}/inventory/units/{survey.public_id}/")
    assert_accessible(page, "a unit's inventory, returned, editable")
    device_row = page.locator("#device tbody tr").first
    device_row.get_by_role("link", name="编辑").click()
    editing = page.locator("#device tbody tr.row--editing")
    editing.get_by_label("数量").fill("0")
    editing.get_by_role("button", name="保存").click()
    expect(page.locator("#device .field__error").first).to_be_visible()
    assert_accessible(page, "an inventory row edited in place, with errors")
    page.goto(f"{live_server.url}/inventory/units/{survey.public_id}/")
    page.locator("#device tbody tr").first.get_by_role("link", name="操作记录").click()
    assert_accessible(page, "an inventory row's history")
    page.goto(f"{live_server.url}/inventory/units/{survey.public_id}/rows/device/new/")
    page.get_by_role("button", name="添加").click()
    expect(page.locator(".field__error").first).to_be_visible()
    assert_accessible(page, "inventory row form with errors")
    page.goto(f"{live_server.url}/inventory/units/{survey.public_id}/upload/")
    assert_accessible(page, "inventory upload")
