"""两上两下: a year of rounds, the control figure's bite in 二上, finance's allowance.

A year of TWO_ROUNDS: requests submitted in 一上 are reviewed up to the final stage and
wait there; 一下 closes submissions; opening 二上 returns them to their units with their
一上 figures kept; in 二上 a unit's counted requests may not exceed its figure.
"""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone, translation

from accounts.models import Organization, User
from audit.models import Event
from budgeting import cycles, round_changes, rounds, services
from budgeting.models import BudgetCycle, BudgetRound, CycleState, RoundResult, RoundState
from budgeting.permissions import Standing, available_actions
from budgeting.tests.workflow_fixtures import add_line, advance, make_ready, two_round_year
from budgeting.workflow import Action, WorkflowError
from projects import services as project_services
from projects.models import Project, ProjectState
from projects.tests.factories import register


@pytest.fixture(autouse=True)
def _english() -> None:
    translation.activate("en")


@pytest.fixture
def year(db: None) -> BudgetCycle:
    return two_round_year()


def _round(cycle: BudgetCycle, code: str) -> BudgetRound:
    return cycle.rounds.get(code=code)


def _reviewed(project: Project, people: list[User]) -> Project:
    """Submitted, then passed by each of ``people`` in turn (department, data, finance)."""
    project = services.submit(project, actor=people[0], expected_version=project.version)
    for person in people[1:]:
        project = services.pass_stage(project, actor=person, expected_version=project.version)
    return project


@pytest.fixture
def people(
    submitter: User, department_approver: User, data_reviewer: User, finance_reviewer: User
) -> list[User]:
    return [submitter, department_approver, data_reviewer, finance_reviewer]


def test_a_year_opens_in_its_first_round_and_submissions_carry_it(
    year: BudgetCycle, submitter: User
) -> None:
    assert [(r.name, r.state) for r in year.rounds.order_by("order")] == [
        ("一上", RoundState.OPEN),
        ("一下", RoundState.PENDING),
        ("二上", RoundState.PENDING),
        ("二下", RoundState.PENDING),
    ]
    project = make_ready(register(submitter), submitter)
    project = services.submit(project, actor=submitter, expected_version=project.version)
    assert project.review.round == _round(year, "1up")


def test_requests_of_the_first_round_wait_at_the_final_stage_instead_of_being_approved(
    year: BudgetCycle, people: list[User], finance_approver: User
) -> None:
    project = _reviewed(make_ready(register(people[0]), people[0]), people)
    assert project.review.stage is not None and project.review.stage.is_final
    assert Action.APPROVE not in available_actions(project, finance_approver)
    with pytest.raises(WorkflowError, match="Final approval comes after the year's last round"):
        services.approve(project, actor=finance_approver, expected_version=project.version)
    assert Project.objects.get(pk=project.pk).state == ProjectState.IN_REVIEW


def test_an_issue_round_takes_no_submissions(
    year: BudgetCycle, submitter: User, finance_approver: User
) -> None:
    advance(year, finance_approver)
    project = make_ready(register(submitter), submitter)
    with pytest.raises(WorkflowError, match="is in 一下: no submissions now"):
        services.submit(project, actor=submitter, expected_version=project.version)
    assert Project.objects.get(pk=project.pk).state == ProjectState.DRAFT


def test_opening_the_second_round_waits_for_the_first_rounds_reviews(
    year: BudgetCycle, people: list[User], finance_approver: User
) -> None:
    project = make_ready(register(people[0]), people[0])
    services.submit(project, actor=people[0], expected_version=project.version)
    advance(year, finance_approver)  # 一上 → 一下
    with pytest.raises(WorkflowError, match="1 requests of 一上 are still in review"):
        advance(year, finance_approver)
    assert _round(year, "1down").state == RoundState.OPEN
    assert _round(year, "2up").state == RoundState.PENDING


def test_opening_the_second_round_returns_reviewed_requests_with_their_first_round_figures(
    year: BudgetCycle, people: list[User], finance_approver: User
) -> None:
    clerk, approver, data, finance = people
    project = make_ready(register(clerk), clerk)
    project = services.submit(project, actor=clerk, expected_version=project.version)
    for person in (approver, data):
        project = services.pass_stage(project, actor=person, expected_version=project.version)
    line = project.lines.get()
    project.refresh_from_db()
    services.set_line_amount(
        project,
        actor=finance,
        expected_version=project.version,
        line_id=line.pk,
        approved_amount=Decimal("400000"),
        reason="over_standard",
    )
    project.refresh_from_db()
    project = services.pass_stage(project, actor=finance, expected_version=project.version)
    refused = make_ready(register(clerk, name="不予安排的项目"), clerk)
    refused = _reviewed(refused, people)
    services.reject(
        refused, actor=finance_approver, expected_version=refused.version, comment="重复建设"
    )

    advance(year, finance_approver)  # 一上 → 一下
    second = advance(year, finance_approver)  # 一下 → 二上

    assert second.code == "2up" and second.state == RoundState.OPEN
    project.refresh_from_db()
    assert project.state == ProjectState.RETURNED
    result = RoundResult.objects.get(project=project, round=_round(year, "1up"))
    assert (result.requested_amount, result.reviewed_amount) == (
        Decimal("500000.00"),
        Decimal("400000.00"),
    )
    assert result.lines[0]["reviewed"] == "400000.00"
    rejected = RoundResult.objects.get(project=refused, round=_round(year, "1up"))
    assert rejected.reviewed_amount == 0
    assert Project.objects.get(pk=refused.pk).state == ProjectState.REJECTED
    returned = Event.objects.filter(target_key=project.code, event_type="budgeting.project.return")
    assert returned.latest("occurred_at").data["round"] == "2up"
    moved = Event.objects.get(event_type="budgeting.cycle.round_changed", to_state="2up")
    assert moved.data["projects_taken"] == 1


def test_a_stale_round_page_changes_nothing(year: BudgetCycle, finance_approver: User) -> None:
    first = _round(year, "1up")
    advance(year, finance_approver)
    with pytest.raises(WorkflowError, match="Someone moved the year"):
        round_changes.advance_round(year, actor=finance_approver, expected_round=first.pk)
    assert _round(year, "1down").state == RoundState.OPEN


def test_only_finance_moves_the_rounds(year: BudgetCycle, department_approver: User) -> None:
    with pytest.raises(WorkflowError, match="Only finance"):
        round_changes.advance_round(
            year, actor=department_approver, expected_round=_round(year, "1up").pk
        )
    assert _round(year, "1up").state == RoundState.OPEN


@pytest.fixture
def in_second_round(year: BudgetCycle, finance_approver: User) -> BudgetCycle:
    advance(year, finance_approver)
    advance(year, finance_approver)
    return year


def test_a_submission_over_the_figure_is_refused_naming_the_excess_in_wan_yuan(
    in_second_round: BudgetCycle, submitter: User, education: Organization
) -> None:
    cycles.set_control_figure(in_second_round, education, Decimal("377000"), actor=None)
    project = make_ready(register(submitter), submitter)  # 500,000.00 requested
    with pytest.raises(WorkflowError) as refused:
        services.submit(project, actor=submitter, expected_version=project.version)
    assert "Over the control figure by 12.30 (10,000 yuan)" in refused.value.message
    assert project.code in refused.value.message
    assert Project.objects.get(pk=project.pk).state == ProjectState.DRAFT
    # Fitted to the figure, the same request goes through.
    project = add_line(Project.objects.get(pk=project.pk), submitter, "压减", "0.01")
    project_services.remove_line(
        project,
        actor=submitter,
        line_id=project.lines.order_by("position")[0].pk,
        expected_version=project.version,
    )
    project = add_line(Project.objects.get(pk=project.pk), submitter, "压减后的开发", "370000")
    project = services.submit(project, actor=submitter, expected_version=project.version)
    assert project.state == ProjectState.IN_REVIEW


def test_secondary_units_count_toward_their_primary_units_figure(
    in_second_round: BudgetCycle,
    submitter: User,
    secondary_submitter: User,
    education: Organization,
) -> None:
    cycles.set_control_figure(in_second_round, education, Decimal("800000"), actor=None)
    first = make_ready(register(secondary_submitter, name="考试院项目"), secondary_submitter)
    services.submit(first, actor=secondary_submitter, expected_version=first.version)
    second = make_ready(register(submitter, name="教育厅项目"), submitter)
    with pytest.raises(WorkflowError, match=r"Over the control figure by 20\.00") as refused:
        services.submit(second, actor=submitter, expected_version=second.version)
    assert first.code in refused.value.message


def test_the_department_cannot_pass_a_request_once_the_figure_is_lowered(
    in_second_round: BudgetCycle,
    submitter: User,
    department_approver: User,
    education: Organization,
) -> None:
    cycles.set_control_figure(in_second_round, education, Decimal("600000"), actor=None)
    project = make_ready(register(submitter), submitter)
    project = services.submit(project, actor=submitter, expected_version=project.version)
    cycles.set_control_figure(in_second_round, education, Decimal("450000"), actor=None)
    assert Action.PASS not in available_actions(project, department_approver)
    with pytest.raises(WorkflowError, match=r"Over the control figure by 5\.00"):
        services.pass_stage(project, actor=department_approver, expected_version=project.version)


def test_finance_may_allow_an_excess_with_a_recorded_reason(
    in_second_round: BudgetCycle,
    submitter: User,
    finance_reviewer: User,
    department_approver: User,
    education: Organization,
) -> None:
    cycles.set_control_figure(in_second_round, education, Decimal("100000"), actor=None)
    project = make_ready(register(submitter), submitter)
    with pytest.raises(WorkflowError, match="Only finance"):
        round_changes.allow_excess(project, actor=department_approver, reason="急需")
    with pytest.raises(WorkflowError, match="Give the reason"):
        round_changes.allow_excess(project, actor=finance_reviewer, reason="  ")
    round_changes.allow_excess(project, actor=finance_reviewer, reason="省委交办的重点任务")
    project = services.submit(project, actor=submitter, expected_version=project.version)
    assert project.state == ProjectState.IN_REVIEW
    allowed = Event.objects.get(event_type="budgeting.project.excess_allowed")
    assert allowed.comment == "省委交办的重点任务"


def test_the_first_round_is_not_bound_by_figures(
    year: BudgetCycle, submitter: User, education: Organization
) -> None:
    cycles.set_control_figure(year, education, Decimal("1"), actor=None)
    project = make_ready(register(submitter), submitter)
    project = services.submit(project, actor=submitter, expected_version=project.version)
    assert project.state == ProjectState.IN_REVIEW


def test_the_enforcement_check_costs_the_same_queries_for_many_projects(
    in_second_round: BudgetCycle,
    submitter: User,
    education: Organization,
    django_assert_max_num_queries,
) -> None:
    cycles.set_control_figure(in_second_round, education, Decimal("1000000000"), actor=None)
    project = make_ready(register(submitter), submitter)

    def queries_for_submission_check() -> int:
        standing = Standing.of(Project.objects.select_related("organization").get(pk=project.pk))
        with django_assert_max_num_queries(100) as counted:
            assert Action.SUBMIT in available_actions(project, submitter, standing=standing)
        return len(counted.captured_queries)

    few = queries_for_submission_check()
    for number in range(12):
        other = make_ready(register(submitter, name=f"项目{number}"), submitter)
        services.submit(other, actor=submitter, expected_version=other.version)
    assert queries_for_submission_check() == few


@pytest.mark.django_db(transaction=True)
def test_two_finance_users_moving_the_year_at_once_one_wins(
    year: BudgetCycle, finance_approver: User, finance_reviewer: User
) -> None:
    first = _round(year, "1up")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def move(person: User) -> None:
        try:
            barrier.wait()
            round_changes.advance_round(year, actor=person, expected_round=first.pk)
            outcomes.append("won")
        except WorkflowError:
            outcomes.append("told")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=move, args=(person,))
        for person in (finance_approver, finance_reviewer)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["told", "won"]
    assert _round(year, "1down").state == RoundState.OPEN
    assert Event.objects.filter(event_type="budgeting.cycle.round_changed").count() == 1


def test_three_rounds_are_configured_not_coded(db: None) -> None:
    now = timezone.now()
    year = cycles.create_cycle(
        actor=None,
        year=2028,
        name="2028年度部门预算",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=90),
        state=CycleState.OPEN,
        rounds=rounds.THREE_ROUNDS,
    )
    year_rounds = list(year.rounds.order_by("order"))
    by_code = {r.code: r for r in year_rounds}
    assert [r.name for r in year_rounds] == ["一上", "一下", "二上", "二下", "三上", "三下"]
    assert [c for c, r in by_code.items() if rounds.issues_figures(r, year_rounds)] == [
        "1down",
        "2down",
    ]
    assert [c for c, r in by_code.items() if rounds.bound_by_figures(r, year_rounds)] == [
        "2up",
        "3up",
    ]
    assert [c for c, r in by_code.items() if rounds.is_last_submission(r, year_rounds)] == ["3up"]
    assert [c for c, r in by_code.items() if rounds.issues_approval(r, year_rounds)] == ["3down"]


def test_a_single_round_year_approves_its_requests_as_before(
    cycle: BudgetCycle, people: list[User], finance_approver: User
) -> None:
    project = _reviewed(make_ready(register(people[0]), people[0]), people)
    assert [r.name for r in cycle.rounds.order_by("order")] == ["一上", "一下"]
    project = services.approve(project, actor=finance_approver, expected_version=project.version)
    assert project.state == ProjectState.APPROVED
