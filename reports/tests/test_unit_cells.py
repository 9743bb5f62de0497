"""The summary's coarse kept totals (``reports.models.UnitCell``, issue #21): the default
view and the round columns (两上两下) read them, and every figure is the live sum of its
projects, their lines and the figures recorded per round after every kind of write."""

from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts import services as account_services
from accounts.models import (
    AdministrativeLevel,
    Jurisdiction,
    Organization,
    Role,
    User,
    province_pk,
)
from accounts.tests.factories import UserFactory
from budgeting import cycles, services
from budgeting.models import Review, RoundResult
from budgeting.tests.workflow_fixtures import add_line, advance, make_ready, two_round_year
from projects import services as project_services
from projects.models import Project, ProjectState
from projects.tests.factories import register
from reports.models import UnitCell
from reports.tests.round_fixtures import cut_the_line, to_final
from reports.tests.test_summary_cells import (
    assert_cells_are_a_fresh_count,
    assert_summaries_are_live,
)

pytestmark = pytest.mark.django_db

DIMENSIONS = ("unit", "state", "fee_class", "level")


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def test_every_kept_round_figure_is_the_live_sum_after_every_kind_of_write(
    submitter: User,
    outsider: User,
    department_approver: User,
    data_reviewer: User,
    finance_reviewer: User,
    finance_approver: User,
) -> None:
    """Line edits, review decisions and cuts, withdrawals, rejections, round transitions,
    control figures, approvals, a unit moved to a city, and writes outside the services
    (a round result changed, a review's round changed, a project deleted): after each,
    every persona's summary and round columns (from the unit cells) are the live sums of
    what they may see, and the kept cells are what counting every project afresh gives."""
    personas = (finance_reviewer, submitter, outsider, department_approver, data_reviewer)

    def check(write: str) -> None:
        assert_summaries_are_live(personas, write, DIMENSIONS)
        assert_cells_are_a_fresh_count(write)

    cycle = two_round_year()
    edu = [department_approver, data_reviewer]
    kept = make_ready(register(submitter, name="教育考试平台"), submitter)
    check("registered, a line added")
    kept = services.submit(kept, actor=submitter, expected_version=kept.version)
    check("submitted in 一上")
    kept = to_final(kept, edu)
    kept = cut_the_line(kept, finance_reviewer, "400000")
    check("cut by finance")
    kept = to_final(kept, [finance_reviewer])
    check("passed the final review stage")

    rejected = make_ready(register(submitter, name="重复建设的系统"), submitter)
    rejected = services.submit(rejected, actor=submitter, expected_version=rejected.version)
    rejected = to_final(rejected, edu)
    services.reject(
        rejected, actor=finance_reviewer, expected_version=rejected.version, comment="重复建设"
    )
    check("rejected")

    withdrawn = make_ready(register(submitter, name="撤回的项目"), submitter)
    withdrawn = services.submit(withdrawn, actor=submitter, expected_version=withdrawn.version)
    services.withdraw(withdrawn, actor=submitter, expected_version=withdrawn.version)
    check("withdrawn")

    health = make_ready(register(outsider, name="卫生健康数据平台"), outsider)
    health = add_line(health, outsider, "云主机", "80000", fee_class="基础设施服务费")
    health = services.submit(health, actor=outsider, expected_version=health.version)
    health_head = UserFactory.create(
        username="health_head", organization=outsider.organization, roles=[Role.DEPARTMENT_APPROVER]
    )
    health = to_final(health, [health_head, data_reviewer, finance_reviewer])
    check("another unit's project in review")

    advance(cycle, finance_reviewer)  # 一下: the figures of 一上 recorded
    check("round ended (一下)")
    cycles.set_control_figure(
        cycle, submitter.organization, Decimal("420000"), actor=finance_reviewer
    )
    check("control figure set")
    advance(cycle, finance_reviewer)  # 二上: the reviewed requests back for revision
    check("next round opened (二上)")

    kept = Project.objects.get(pk=kept.pk)
    old_line = kept.lines.get()
    kept = add_line(kept, submitter, "系统开发（压缩）", "410000", fee_class="软件开发服务费")
    kept = project_services.remove_line(
        kept, actor=submitter, line_id=old_line.pk, expected_version=kept.version
    )
    check("lines edited in 二上")
    kept = services.submit(kept, actor=submitter, expected_version=kept.version)
    kept = to_final(kept, [*edu, finance_reviewer])
    check("resubmitted and reviewed in 二上")
    advance(cycle, finance_reviewer)  # 二下
    services.approve_batch(
        [kept],
        actor=finance_approver,
        name="2027年第一批",
        versions={kept.pk: kept.version},
        document_number="粤财预〔2027〕12号",
    )
    check("approved")
    assert UnitCell.objects.filter(round_id__isnull=False).exists()

    # A unit moved to a city: its unit cells go with it.
    city = Jurisdiction.objects.create(
        code="GD-GZ", name="广州市", level=AdministrativeLevel.CITY, parent_id=province_pk()
    )
    unit = Organization.objects.get(pk=outsider.organization_id)
    unit.jurisdiction = city
    account_services.save_organization(unit, actor=None)
    check("a unit moved to a city")
    assert set(
        UnitCell.objects.filter(organization=unit).values_list("jurisdiction", flat=True)
    ) == {city.pk}

    # Writes outside the services are caught as well.
    RoundResult.objects.filter(project=kept).update(requested_amount=Decimal("123456.78"))
    check("a recorded round figure changed")
    Review.objects.filter(project=health).update(round=None)
    check("a review's round emptied")
    Review.objects.filter(project=health).update(round=cycle.rounds.get(code="2up"))
    check("a review's round set")
    RoundResult.objects.filter(project=rejected).delete()
    check("a recorded round figure deleted")
    doomed = register(submitter, name="删除的项目")
    doomed = add_line(doomed, submitter, "运维", "30000", fee_class="运维服务费")
    Project.objects.filter(pk=doomed.pk).update(
        state=ProjectState.IN_REVIEW, reached_roles=kept.reached_roles
    )
    Review.objects.create(project=doomed, cycle=cycle, round=cycle.rounds.get(code="2up"))
    check("a project put in 二上 outside the services")
    Review.objects.filter(project=doomed).delete()
    Project.objects.filter(pk=doomed.pk).delete()
    check("a project deleted")


def test_the_unit_cells_do_not_grow_with_the_projects(
    submitter: User, department_approver: User
) -> None:
    """More projects of the same unit, state and reached stages add to the same cells."""
    two_round_year()

    def submitted(name: str) -> None:
        project = make_ready(register(submitter, name=name), submitter)
        project = services.submit(project, actor=submitter, expected_version=project.version)
        services.pass_stage(project, actor=department_approver, expected_version=project.version)

    submitted("第一个项目")
    cells = UnitCell.objects.count()
    for index in range(4):
        submitted(f"又一个项目{index}")
    assert UnitCell.objects.count() == cells
    assert_cells_are_a_fresh_count("more of the same")


def test_the_round_columns_read_the_unit_cells(submitter: User) -> None:
    cycle = two_round_year()
    project = make_ready(register(submitter, name="一上项目"), submitter)
    services.submit(project, actor=submitter, expected_version=project.version)
    client = Client()
    client.force_login(submitter)  # the unit's own request, live in 一上
    url = reverse("reports:summary")

    def first_requested() -> Decimal:
        summary = client.get(url, {"year": "2027", "by": "unit"}).context["rounds"]
        return summary.total.requested[0]

    before = first_requested()
    assert before == Decimal("500000.00")
    # A cell changed behind the page's back shows: the page read it.
    round_one = UnitCell.objects.filter(round_id=cycle.rounds.get(code="1up").pk)
    assert round_one.count() == 1
    round_one.update(requested=before + 1)
    assert first_requested() == before + 1
