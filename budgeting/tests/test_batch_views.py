"""Batch approval's pages (issue #15): nothing chosen by default, each row shows the
amount approval fixes (after cuts), and a confirmation with the count and the total
comes before anything is approved."""

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from budgeting import amounts, services
from budgeting.models import ApprovalBatch, BudgetCycle, LineDecision
from budgeting.tests.workflow_fixtures import make_ready
from projects.models import Project, ProjectState
from projects.tests.factories import register

pytestmark = pytest.mark.django_db

URL = reverse("budgeting:batches")


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def final_stage(
    cycle: BudgetCycle,
    submitter: User,
    department_approver: User,
    data_reviewer: User,
    finance_reviewer: User,
) -> Iterator[object]:
    """A maker of projects waiting at the final stage, with an optional cut at finance."""

    def make(name: str, cut: str | None = None) -> Project:
        project = make_ready(register(submitter, name=name), submitter)
        project = services.submit(project, actor=submitter, expected_version=project.version)
        for reviewer in (department_approver, data_reviewer):
            project = services.pass_stage(project, actor=reviewer, expected_version=project.version)
        if cut is not None:
            services.set_line_amount(
                project,
                actor=finance_reviewer,
                expected_version=project.version,
                line_id=project.lines.get().pk,
                approved_amount=Decimal(cut),
                reason="workload_high",
            )
            project = Project.objects.get(pk=project.pk)
        return services.pass_stage(
            project, actor=finance_reviewer, expected_version=project.version
        )

    yield make


def _log_in(client: Client, user: User) -> None:
    client.force_login(user)
    client.cookies["django_language"] = "en"


def _choice(*projects: Project, name: str = "2027年第一批", **extra: str) -> dict[str, object]:
    return {
        "name": name,
        "project": [project.code for project in projects],
        **{f"version-{project.code}": str(project.version) for project in projects},
        **extra,
    }


def test_nothing_is_ticked_and_each_row_shows_what_approval_will_fix(
    client: Client, finance_approver: User, final_stage
) -> None:
    cut = final_stage("核减过的项目", cut="350000")
    whole = final_stage("未核减的项目")
    _log_in(client, finance_approver)
    response = client.get(URL)
    page = response.content.decode()
    assert "checked" not in page
    rows = {row.project.code: row.approved for row in response.context["waiting"]}
    assert rows == {cut.code: Decimal("350000.00"), whole.code: Decimal("500000.00")}
    assert "350,000.00" in page  # the cut figure, not only the requested 500,000.00
    # The figure shown is the one approval fixes.
    services.approve(cut, actor=finance_approver, expected_version=cut.version)
    assert Project.objects.get(pk=cut.pk).approved_amount == rows[cut.code]


def test_choosing_shows_the_count_and_total_and_approves_nothing(
    client: Client, finance_approver: User, final_stage
) -> None:
    first = final_stage("项目一", cut="350000")
    second = final_stage("项目二")
    final_stage("未选的项目")
    _log_in(client, finance_approver)
    response = client.post(URL, _choice(first, second))
    assert response.status_code == 200
    assert response.templates[0].name == "budgeting/batch_confirm.html"
    page = response.content.decode()
    assert "You are about to approve 2 projects as batch “2027年第一批”" in page
    assert "850,000.00 yuan in total" in page
    assert "Approve 2 projects, 850,000.00 yuan" in page
    assert not ApprovalBatch.objects.exists()
    assert set(Project.objects.values_list("state", flat=True)) == {ProjectState.IN_REVIEW}


def test_confirming_approves_exactly_the_chosen_projects(
    client: Client, finance_approver: User, final_stage
) -> None:
    chosen = final_stage("选中的项目", cut="350000")
    other = final_stage("未选的项目")
    _log_in(client, finance_approver)
    response = client.post(URL, _choice(chosen, step="confirm"))
    batch = ApprovalBatch.objects.get()
    assert response["Location"] == reverse("budgeting:batch", args=[batch.public_id])
    assert Project.objects.get(pk=chosen.pk).approved_amount == Decimal("350000.00")
    assert Project.objects.get(pk=other.pk).state == ProjectState.IN_REVIEW


def test_back_shows_the_list_with_the_choice_kept(
    client: Client, finance_approver: User, final_stage
) -> None:
    chosen = final_stage("选中的项目")
    other = final_stage("未选的项目")
    _log_in(client, finance_approver)
    page = client.post(URL, _choice(chosen, step="back")).content.decode()
    assert f'value="{chosen.code}" id="pick-{chosen.code}" checked' in page
    assert f'value="{other.code}" id="pick-{other.code}">' in page
    assert 'value="2027年第一批"' in page
    assert not ApprovalBatch.objects.exists()


def test_no_choice_and_no_name_are_said_at_their_fields(
    client: Client, finance_approver: User, final_stage
) -> None:
    final_stage("项目")
    _log_in(client, finance_approver)
    response = client.post(URL, {"name": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Choose at least one project for the batch." in page
    assert 'aria-describedby="pick-error"' in page
    assert "Name the batch" in page
    assert 'aria-describedby="id_name_error"' in page
    assert not ApprovalBatch.objects.exists()


def test_a_project_changed_since_the_page_was_drawn_is_shown_again(
    client: Client, finance_approver: User, final_stage
) -> None:
    project = final_stage("项目")
    _log_in(client, finance_approver)
    stale = {**_choice(project, step="confirm"), f"version-{project.code}": "0"}
    response = client.post(URL, stale)
    assert response.status_code == 400
    assert "changed since you opened the page" in response.content.decode()
    assert not ApprovalBatch.objects.exists()


def test_approved_batches_are_listed_newest_first(
    client: Client, finance_approver: User, cycle: BudgetCycle
) -> None:
    now = timezone.now()
    for days, name in ((3, "第一批"), (1, "第三批"), (2, "第二批")):
        ApprovalBatch.objects.create(
            cycle=cycle, name=name, approved_by=finance_approver, approved_at=now - timedelta(days)
        )
    _log_in(client, finance_approver)
    batches = client.get(URL).context["batches"]
    assert [batch.name for batch in batches] == ["第三批", "第二批", "第一批"]


def test_the_page_shows_the_newest_batches_with_their_counts_and_all_on_their_own_page(
    client: Client, finance_approver: User, final_stage, cycle: BudgetCycle
) -> None:
    first, second = final_stage("项目一", cut="350000"), final_stage("项目二")
    _log_in(client, finance_approver)
    client.post(URL, _choice(first, second, step="confirm"))
    now = timezone.now()
    for day in range(1, 8):  # older than the batch just approved
        ApprovalBatch.objects.create(
            cycle=cycle,
            name=f"旧批{day}",
            approved_by=finance_approver,
            approved_at=now - timedelta(days=day),
        )
    page = client.get(URL)
    shown = list(page.context["batches"])
    assert [batch.name for batch in shown] == ["2027年第一批", "旧批1", "旧批2", "旧批3", "旧批4"]
    assert (shown[0].project_count, shown[0].total) == (2, Decimal("850000.00"))
    assert (shown[1].project_count, shown[1].total) == (0, None)
    everything = reverse("budgeting:approved_batches")
    assert f'href="{everything}"' in page.content.decode()
    listed = client.get(everything)
    assert listed.status_code == 200
    assert [batch.name for batch in listed.context["page"].object_list] == [
        "2027年第一批",
        *(f"旧批{day}" for day in range(1, 8)),
    ]
    assert "850,000.00" in listed.content.decode()


def test_only_a_finance_approver_sees_the_approved_batches(
    client: Client, finance_reviewer: User
) -> None:
    _log_in(client, finance_reviewer)
    assert client.get(reverse("budgeting:approved_batches")).status_code == 403


def test_the_page_takes_as_many_queries_for_many_batches_as_for_one(
    client: Client, finance_approver: User, final_stage, cycle: BudgetCycle
) -> None:
    """Issue #21: the approved batches under the list are the newest few, each counted
    by a subquery: no query more, and no more rows grouped, as batches accumulate."""
    _log_in(client, finance_approver)
    first = final_stage("项目一")
    client.post(URL, _choice(first, step="confirm", name="第一批"))
    final_stage("项目二")
    with CaptureQueriesContext(connection) as one:
        client.get(URL)
    for n in range(8):
        project = final_stage(f"更多项目{n}")
        client.post(URL, _choice(project, step="confirm", name=f"第{n + 2}批"))
    final_stage("等待的项目")
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL)
    assert ApprovalBatch.objects.count() == 9
    assert len(list(response.context["batches"])) == 5
    assert len(many) == len(one)


def test_the_list_takes_as_many_queries_for_many_projects_as_for_one(
    client: Client, finance_approver: User, final_stage
) -> None:
    _log_in(client, finance_approver)
    final_stage("项目一", cut="400000")
    with CaptureQueriesContext(connection) as one:
        client.get(URL)
    for n in range(3):
        final_stage(f"更多项目{n}", cut="100000")
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL)
    assert len(response.context["waiting"]) == 4
    assert len(many) == len(one)


def test_the_totals_summed_in_the_database_are_what_approval_fixes(
    finance_approver: User, final_stage, cycle: BudgetCycle
) -> None:
    """``amounts.approved_totals`` (one query) agrees with ``LineFigures``, which
    approval uses: each line at its latest stage's decision, else its own amount."""
    cut, whole = final_stage("核减过的项目", cut="350000"), final_stage("未核减的项目")
    line = cut.lines.get()
    finance = LineDecision.objects.get(line=line).stage
    earlier = cycle.stages.filter(order__lt=finance.order).order_by("-order").first()
    assert earlier is not None
    # Decided again at an earlier stage, written after: the later stage's figure still wins.
    LineDecision.objects.create(
        line=line, stage=earlier, approved_amount=Decimal("420000"), decided_by=finance_approver
    )
    with CaptureQueriesContext(connection) as queries:
        totals = amounts.approved_totals([cut, whole])
    assert len(queries) == 1
    assert totals == {cut.pk: Decimal("350000.00"), whole.pk: Decimal("500000.00")}
    assert totals == {p.pk: amounts.load(p).approved_total() for p in (cut, whole)}
    assert amounts.approved_totals([]) == {}
