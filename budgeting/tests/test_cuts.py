import dataclasses
import datetime
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from audit.labels import label_for
from audit.models import Event
from budgeting import amounts, services
from budgeting.models import BudgetCycle, LineDecision
from budgeting.tests.workflow_fixtures import add_line, make_ready
from budgeting.workflow import WorkflowError
from projects import services as project_services
from projects.models import Project
from projects.tests.factories import register
from standards import services as standards_services
from standards.demo import PROVINCE_CODE
from standards.models import Grade, ServiceItem, StandardSet
from tests.helpers import seed_standards

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


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


def _waterfall(project: Project, cycle: BudgetCycle) -> list[amounts.Step]:
    return amounts.load(project).waterfall(list(cycle.stages.order_by("order")))


def test_finance_cuts_a_line_and_the_waterfall_and_approval_follow(
    at_finance: Project, finance_reviewer: User, finance_approver: User, cycle: BudgetCycle
) -> None:
    project = _cut(at_finance, finance_reviewer, "350000")
    project = services.pass_stage(project, actor=finance_reviewer, expected_version=project.version)
    project = services.approve(project, actor=finance_approver, expected_version=project.version)
    assert project.approved_amount == Decimal("350000.00")
    steps = _waterfall(project, cycle)
    assert [step.total for step in steps] == [
        Decimal("500000.00"), Decimal("500000.00"), Decimal("500000.00"),
        Decimal("350000.00"), Decimal("350000.00"),
    ]  # fmt: skip
    assert steps[-1].cut == Decimal("150000.00")
    assert steps[-1].cut_rate == Decimal("30.00")
    event = Event.objects.get(event_type="budgeting.line.amount_set")
    assert label_for(event.event_type) == "Approved amount of a line changed"
    with translation.override("zh-hans"):
        assert label_for(event.event_type) == "调整明细审核数"
    assert (event.data["before"], event.data["after"], event.data["reason"]) == (
        "500000.00", "350000.00", "workload_high",
    )  # fmt: skip


def test_a_stage_without_the_power_cannot_cut(
    ready_project: Project, submitter: User, department_approver: User
) -> None:
    project = services.submit(
        ready_project, actor=submitter, expected_version=ready_project.version
    )
    with pytest.raises(WorkflowError, match="do not change amounts"):
        _cut(project, department_approver, "1")


def test_a_cut_needs_a_reason_and_stays_within_the_request(
    at_finance: Project, finance_reviewer: User, data_reviewer: User
) -> None:
    with pytest.raises(WorkflowError, match="reason"):
        _cut(at_finance, finance_reviewer, "100", reason="")
    with pytest.raises(WorkflowError, match="between 0 and"):
        _cut(at_finance, finance_reviewer, "600000")
    with pytest.raises(WorkflowError, match="may not decide"):
        _cut(at_finance, data_reviewer, "100")
    assert not Event.objects.filter(event_type="budgeting.line.amount_set").exists()


def test_cut_through_the_review_page(
    client: Client, at_finance: Project, finance_reviewer: User
) -> None:
    client.force_login(finance_reviewer)
    page = client.get(reverse("budgeting:review", args=[at_finance.code]))
    assert page.context["may_cut"]
    line = at_finance.lines.get()
    response = client.post(
        reverse("budgeting:cut", args=[at_finance.code, line.pk]),
        {"version": at_finance.version, "approved_amount": "400000", "reason": "over_standard"},
    )
    assert response.status_code == 302
    page = client.get(reverse("budgeting:review", args=[at_finance.code]))
    assert page.context["waterfall"][-2].total == Decimal("400000.00")


def test_the_cut_form_comes_back_with_this_stages_decision_and_saves_again(
    client: Client, at_finance: Project, finance_reviewer: User
) -> None:
    client.force_login(finance_reviewer)
    line = at_finance.lines.get()
    url = reverse("budgeting:cut", args=[at_finance.code, line.pk])
    posted = {"approved_amount": "400000", "reason": "over_standard", "comment": "按标准核减"}
    client.post(url, {"version": at_finance.version, **posted})
    page = client.get(reverse("budgeting:review", args=[at_finance.code]))
    html = page.content.decode()
    assert '<option value="over_standard" selected>' in html
    assert 'name="comment" value="按标准核减"' in html
    assert 'name="approved_amount" value="400000.00"' in html
    # Saving the line again as the form shows it is not refused for a missing reason.
    version = Project.objects.get(pk=at_finance.pk).version
    again = client.post(url, {**posted, "version": version, "comment": "再核"})
    assert again.status_code == 302
    decision = LineDecision.objects.get(line=line)
    assert (decision.reason, decision.comment) == ("over_standard", "再核")


@pytest.mark.parametrize(
    ("posted", "field", "error"),
    [
        (
            {"approved_amount": "600000", "reason": "other"},
            "approved_amount",
            "The approved amount must be between 0 and the requested 500,000.00.",
        ),
        (
            {"approved_amount": "四十万"},
            "approved_amount",
            "Enter the approved amount as a number.",
        ),
        ({"approved_amount": "400,000", "reason": ""}, "reason", "Choose the reason for the cut."),
    ],
)
def test_a_refused_cut_keeps_the_input_and_says_why_at_the_field(
    client: Client,
    at_finance: Project,
    finance_reviewer: User,
    posted: dict[str, str],
    field: str,
    error: str,
) -> None:
    """Issue #15: a refused cut used to come back as a page message, with the amount
    reverted and the comment gone."""
    client.force_login(finance_reviewer)
    client.cookies["django_language"] = "en"
    line = at_finance.lines.get()
    response = client.post(
        reverse("budgeting:cut", args=[at_finance.code, line.pk]),
        {"version": at_finance.version, "comment": "功能点偏多", **posted},
    )
    assert response.status_code == 400
    html = response.content.decode()
    error_id = f"cut-{line.pk}-{field}_error"
    assert f'<div class="field__error" id="{error_id}"><p>{error}</p></div>' in html
    assert f'aria-describedby="{error_id}"' in html
    assert f'name="approved_amount" value="{posted["approved_amount"]}"' in html
    assert 'name="comment" value="功能点偏多"' in html
    assert list(response.context["messages"]) == []
    assert not LineDecision.objects.exists()


def test_the_review_waterfall_shows_stages_not_reached_as_not_reached(
    client: Client, at_finance: Project, finance_reviewer: User
) -> None:
    project = _cut(at_finance, finance_reviewer, "350000")
    client.force_login(finance_reviewer)
    page = client.get(reverse("budgeting:review", args=[project.code]))
    steps = page.context["waterfall"]
    # Requested, department, data administration, finance (current), final approval.
    assert [step.reached for step in steps] == [True, True, True, True, False]
    assert steps[3].total == Decimal("350000.00")
    assert steps[-1].cut_rate is None
    html = page.content.decode()
    assert html.count("(尚未到达)") == 1  # the final approval only


def test_the_review_page_explains_each_lines_price(
    client: Client, at_finance: Project, finance_reviewer: User
) -> None:
    line = at_finance.lines.get()
    assert line.explanation_zh
    client.force_login(finance_reviewer)
    html = client.get(reverse("budgeting:review", args=[at_finance.code])).content.decode()
    assert '<details class="line-calculation"><summary>' in html
    assert f'<p class="explanation">{line.explanation_zh}</p>' in html


def _cheaper_standard() -> str:
    """A newer standard in force for 2027 in which O&M staff of grade L1 cost 80,000 a year."""
    draft = standards_services.copy_to_new_version(
        StandardSet.objects.get(code=PROVINCE_CODE),
        code="DEMO-GD-2026-CHEAPER",
        version_label="2026",
        effective_from=datetime.date(2026, 1, 1),
        actor=None,
    )
    grade = Grade.objects.get(item__standard_set=draft, item__code="2.1", code="L1")
    grade.unit_price = grade.range_min = Decimal("80000.00")
    standards_services.save_grade(grade, actor=None)
    return standards_services.publish_set(draft, actor=None).code


def test_repricing_a_cut_line_drops_its_earlier_decisions_and_the_totals_stay_sane(
    cycle: BudgetCycle,
    submitter: User,
    department_approver: User,
    data_reviewer: User,
    finance_reviewer: User,
    finance_approver: User,
) -> None:
    seed_standards()
    project = register(submitter, kind="operation")
    project_services.add_standard_line(
        project,
        actor=submitter,
        expected_version=project.version,
        item=ServiceItem.objects.get(standard_set__code=PROVINCE_CODE, code="2.1"),
        grade=Grade.objects.get(
            item__standard_set__code=PROVINCE_CODE, item__code="2.1", code="L1"
        ),
        values={"quantity": "2"},
        justification="",
    )
    project = services.submit(
        make_ready(Project.objects.get(pk=project.pk), submitter),
        actor=submitter,
        expected_version=Project.objects.get(pk=project.pk).version,
    )
    for reviewer in (department_approver, data_reviewer):
        project = services.pass_stage(project, actor=reviewer, expected_version=project.version)
    staff = project.lines.get(item_code="2.1")
    other = project.lines.get(is_non_standard=True)
    assert staff.amount == Decimal("167800.00")
    for line, amount in ((staff, "165000"), (other, "400000")):
        services.set_line_amount(
            project, actor=finance_reviewer, expected_version=project.version, line_id=line.pk,
            approved_amount=Decimal(amount), reason="workload_high",
        )  # fmt: skip
        project = Project.objects.get(pk=project.pk)
    project = services.return_for_revision(
        project, actor=finance_reviewer, expected_version=project.version, comment="请按新标准重算"
    )

    code = _cheaper_standard()
    project = project_services.reprice_lines(
        project, actor=submitter, expected_version=project.version, standard_code=code
    )
    staff.refresh_from_db()
    assert staff.amount == Decimal("160000.00")
    assert not LineDecision.objects.filter(line=staff).exists()
    [kept] = LineDecision.objects.filter(line=other)
    assert kept.approved_amount == Decimal("400000.00")
    event = Event.objects.get(event_type="projects.lines.repriced")
    assert event.data["decisions_dropped"] == [
        {"line": staff.name, "item": "2.1", "grade": "L1", "stage": "finance",
         "approved": "165000.00", "reason": "workload_high"},
    ]  # fmt: skip
    figures = amounts.load(project)
    assert all(figures.current()[line.pk] <= line.amount for line in figures.lines)

    project = services.submit(project, actor=submitter, expected_version=project.version)
    for reviewer in (department_approver, data_reviewer, finance_reviewer):
        project = services.pass_stage(project, actor=reviewer, expected_version=project.version)
    project = services.approve(project, actor=finance_approver, expected_version=project.version)
    assert project.approved_amount == Decimal("560000.00")
    requested, cut = Decimal("660000.00"), Decimal("560000.00")
    assert [step.total for step in _waterfall(project, cycle)] == [requested] * 3 + [cut] * 2


def test_removing_or_importing_over_a_cut_line_drops_its_decisions_into_the_history(
    at_finance: Project, finance_reviewer: User, submitter: User
) -> None:
    project = _cut(at_finance, finance_reviewer, "350000")
    project = add_line(
        services.return_for_revision(
            project, actor=finance_reviewer, expected_version=project.version, comment="请修改"
        ),
        submitter,
        "等保测评",
        "80000",
    )
    cut_line = project.lines.get(name="系统开发")
    project = project_services.remove_line(
        project, actor=submitter, line_id=cut_line.pk, expected_version=project.version
    )
    assert not LineDecision.objects.exists()
    removed = Event.objects.get(event_type="projects.line.removed")
    assert removed.data["decisions_dropped"] == [
        {"line": "系统开发", "item": "", "grade": "", "stage": "finance",
         "approved": "350000.00", "reason": "workload_high"},
    ]  # fmt: skip

    # As a line left from an earlier round would be (a returned project takes no new cuts).
    LineDecision.objects.create(
        line=project.lines.get(),
        stage=project.review.cycle.stages.get(code="finance"),
        approved_amount=Decimal("60000"),
        reason="workload_high",
        decided_by=finance_reviewer,
    )
    spec = project_services.LineSpec(
        fee_class="其他服务费", name="等保测评", unit="项", quantity=Decimal(1),
        unit_price=Decimal(70000), justification="标准未覆盖。",
    )  # fmt: skip
    project = project_services.replace_lines(
        project, actor=submitter, expected_version=project.version, lines=[spec],
        source="a.xlsx", standard_code="",  # no standard is in force here
    )  # fmt: skip
    assert not LineDecision.objects.exists()
    assert project.requested_amount == Decimal("70000.00")
    imported = Event.objects.get(event_type="projects.lines.imported")
    assert [(d["line"], d["approved"]) for d in imported.data["decisions_dropped"]] == [
        ("等保测评", "60000.00")
    ]


def test_editing_a_cut_line_drops_its_decision_only_if_its_amount_changes(
    at_finance: Project, finance_reviewer: User, submitter: User
) -> None:
    project = _cut(at_finance, finance_reviewer, "350000")
    project = services.return_for_revision(
        project, actor=finance_reviewer, expected_version=project.version, comment="请修改"
    )
    line = project.lines.get()
    spec = project_services.LineSpec(
        fee_class="软件开发服务费", name="系统开发", unit="项", quantity=Decimal(1),
        unit_price=Decimal(500000), justification="按修改后的需求说明。",
    )  # fmt: skip
    project_services.change_line(
        project, actor=submitter, expected_version=project.version, line_id=line.pk, spec=spec
    )
    assert LineDecision.objects.filter(line=line).exists()  # same amount: the figure stands
    project = Project.objects.get(pk=project.pk)
    cheaper = dataclasses.replace(spec, unit_price=Decimal(420000))
    project_services.change_line(
        project, actor=submitter, expected_version=project.version, line_id=line.pk, spec=cheaper
    )
    assert not LineDecision.objects.exists()
    changed = Event.objects.filter(event_type="projects.line.changed").latest("pk")
    assert changed.data["decisions_dropped"] == [
        {"line": "系统开发", "item": "", "grade": "", "stage": "finance",
         "approved": "350000.00", "reason": "workload_high"},
    ]  # fmt: skip
    assert Project.objects.get(pk=project.pk).requested_amount == Decimal("420000.00")


def test_the_submitter_sees_each_lines_approved_amount_reason_and_comment(
    client: Client, at_finance: Project, finance_reviewer: User, submitter: User
) -> None:
    """Issue #15: the project page showed requested amounts only, never why a line was cut."""
    client.force_login(submitter)
    client.cookies["django_language"] = "en"
    url = reverse("projects:detail", args=[at_finance.code])
    before = client.get(url)
    assert not before.context["reviewed"]
    assert "Cut reason" not in before.content.decode()
    _cut(at_finance, finance_reviewer, "350000")
    page = client.get(url)
    assert page.context["reviewed"]
    [(_line, review)] = page.context["lines"]
    assert (review.approved, review.reason, review.comment, review.stage) == (
        Decimal("350000.00"), "Workload too high", "开发工作量偏高", "Finance review",
    )  # fmt: skip
    html = page.content.decode()
    assert "350,000.00" in html
    assert "Cut reason: Workload too high" in html
    assert "开发工作量偏高" in html
    assert page.context["approved_now"] == Decimal("350000.00")


def test_the_history_of_a_cut_names_the_line_its_amounts_and_the_reason(
    client: Client, at_finance: Project, finance_reviewer: User, submitter: User
) -> None:
    _cut(at_finance, finance_reviewer, "350000")
    client.force_login(submitter)
    for language, expected in (
        ("en", "Approved amount of a line changed: 系统开发: 500,000.00 → 350,000.00 yuan, "
         "reason: Workload too high"),
        ("zh-hans", "调整明细审核数：系统开发：500,000.00 → 350,000.00 元，理由：工作量偏高"),
    ):  # fmt: skip
        client.cookies["django_language"] = language
        for name in ("projects:detail", "budgeting:review"):
            html = client.get(reverse(name, args=[at_finance.code])).content.decode()
            assert expected in html, (language, name)
