"""The kept totals the summaries read (issue #21): a project's requested amount (申报数) is
the sum of its lines after every kind of write, its approved amount (审核数) the sum of
its lines as the stages left them, and the summary's figures are those totals."""

from decimal import Decimal

import pytest
from django.db.models import Sum
from django.db.models.functions import Coalesce

from accounts.models import User
from budgeting import amounts, services
from budgeting.models import BudgetCycle, Review
from budgeting.tests.workflow_fixtures import make_ready
from projects import services as project_services
from projects.models import Project
from projects.tests.factories import NEWER_DEMO_CODE, add_priced_line, publish_newer_version
from projects.tests.factories import register as register_project
from reports.models import SummaryShare
from reports.summary import DIMENSIONS, ZERO, counted, line_amount_after, summarise, total
from reports.tests.test_roll_up_cells import assert_roll_up_is_live
from tests.helpers import seed_standards

pytestmark = pytest.mark.django_db


def _spec(name: str, price: str) -> project_services.LineSpec:
    return project_services.LineSpec(
        fee_class="其他服务费", name=name, unit="项", quantity=Decimal(1),
        unit_price=Decimal(price), justification="标准未覆盖。",
    )  # fmt: skip


def _kept(project: Project, write: str) -> Project:
    """The project as stored, after checking that every total it keeps is its lines' sum."""
    project = Project.objects.get(pk=project.pk)
    lines = list(project.lines.all())
    requested = sum((line.amount for line in lines), Decimal("0.00"))
    assert project.requested_amount == requested, write
    figures = amounts.load(project)
    if project.approved_amount is not None:
        assert project.approved_amount == figures.approved_total(), write
    # The summary's figures by any project dimension are the kept totals; by fee class
    # they are the lines' own, and both agree.
    one = counted(Project.objects.filter(pk=project.pk))
    for by in ("unit", "kind", "fee_class"):
        rows = summarise(one, DIMENSIONS[by])
        summed = total(rows, one, DIMENSIONS[by])
        expected_requested = requested if rows else Decimal("0.00")
        assert summed.requested == expected_requested, (write, by)
        if project.approved_amount is not None:
            assert summed.approved == project.approved_amount, (write, by)
    # Its lines once every stage so far decided (审核数), as its cells keep them.
    reviewed = project.lines.aggregate(s=Coalesce(Sum(line_amount_after()), ZERO))["s"]
    shares = SummaryShare.objects.filter(project_id=project.pk)
    kept = shares.filter(round_id=None).aggregate(s=Sum("reviewed"))["s"]
    assert (kept or ZERO) == reviewed, write
    # So does its live round's row (the round columns' reviewed figure, 审核数), once in
    # review in a round that has not ended (issue #21).
    review = Review.objects.filter(project=project, round__isnull=False).first()
    if review is not None and not project.round_results.filter(round=review.round).exists():
        live = shares.get(round_id=review.round_id, recorded_state="")
        assert (live.requested, live.reviewed) == (project.requested_amount, reviewed), write
    # And the summary's and the roll-up's kept cells are a fresh count of every project,
    # the roll-up showing what summing the lines live shows.
    assert_roll_up_is_live(write)
    return project


def test_every_kept_total_is_the_sum_of_its_lines_after_every_kind_of_write(
    cycle: BudgetCycle,
    submitter: User,
    department_approver: User,
    data_reviewer: User,
    finance_reviewer: User,
    finance_approver: User,
) -> None:
    seed_standards()
    project = _kept(register_project(submitter, kind="operation"), "registered")
    add_priced_line(project, submitter, "2.1", grade="L1", quantity="2")
    project = _kept(project, "standard line added")
    project_services.add_non_standard_line(
        project, actor=submitter, expected_version=project.version, fee_class="其他服务费",
        name="渗透测试", unit="次", quantity=Decimal(1), unit_price=Decimal(45000),
        justification="标准未覆盖。",
    )  # fmt: skip
    project = _kept(project, "non-standard line added")
    line = project.lines.get(name="渗透测试")
    project_services.change_line(
        project, actor=submitter, expected_version=project.version, line_id=line.pk,
        spec=_spec("渗透测试", "52000.50"),
    )  # fmt: skip
    project = _kept(project, "line edited")
    assert project.requested_amount == Decimal("167800.00") + Decimal("52000.50")
    project_services.remove_line(
        project, actor=submitter, line_id=line.pk, expected_version=project.version
    )
    project = _kept(project, "line deleted")
    publish_newer_version()
    before = project.requested_amount
    project_services.reprice_lines(
        project, actor=submitter, expected_version=project.version, standard_code=NEWER_DEMO_CODE
    )
    project = _kept(project, "repriced")
    assert project.requested_amount != before
    project_services.replace_lines(
        project, actor=submitter, expected_version=project.version,
        lines=[_spec("培训", "30000"), _spec("监理", "12345.67")], source="test.xlsx",
        standard_code=NEWER_DEMO_CODE,
    )  # fmt: skip
    project = _kept(project, "imported")
    assert project.requested_amount == Decimal("42345.67")
    project = _kept(make_ready(project, submitter), "made ready")
    project = services.submit(project, actor=submitter, expected_version=project.version)
    for reviewer in (department_approver, data_reviewer):
        project = services.pass_stage(project, actor=reviewer, expected_version=project.version)
    project = _kept(project, "submitted and passed")
    cut = project.lines.get(name="监理")
    services.set_line_amount(
        project, actor=finance_reviewer, expected_version=project.version, line_id=cut.pk,
        approved_amount=Decimal("10000.00"), reason="workload_high", comment="工作量偏高",
    )  # fmt: skip
    project = _kept(project, "review cut")
    assert project.approved_amount is None  # fixed at approval, not before
    project = services.pass_stage(project, actor=finance_reviewer, expected_version=project.version)
    project = services.approve(project, actor=finance_approver, expected_version=project.version)
    project = _kept(project, "approved")
    assert project.approved_amount == project.requested_amount - Decimal("2345.67")
