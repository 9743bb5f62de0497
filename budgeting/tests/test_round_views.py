"""The rounds page: finance sees where the year stands and moves it on; nobody else."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from audit.models import Event
from budgeting import cycles
from budgeting.models import BudgetCycle, RoundState
from budgeting.tests.workflow_fixtures import advance, two_round_year

pytestmark = pytest.mark.django_db


@pytest.fixture
def year(db: None) -> BudgetCycle:
    return two_round_year()


def _client(user: User) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client


def test_finance_moves_the_year_from_round_to_round(
    year: BudgetCycle, finance_approver: User
) -> None:
    client = _client(finance_approver)
    page = client.get(reverse("budgeting:rounds", args=[2027]))
    assert "Close 一上 and open 一下" in page.content.decode()
    first = year.rounds.get(code="1up")
    answer = client.post(
        reverse("budgeting:advance_round", args=[2027]),
        {"expected_round": first.pk},
        follow=True,
    )
    assert "一下 is open." in answer.content.decode()
    assert year.rounds.get(code="1down").state == RoundState.OPEN
    # The same (now stale) form again: told, nothing moves.
    stale = client.post(
        reverse("budgeting:advance_round", args=[2027]), {"expected_round": first.pk}, follow=True
    )
    assert "Someone moved the year" in stale.content.decode()
    assert year.rounds.get(code="1down").state == RoundState.OPEN


@pytest.mark.parametrize("junk", ["", "abc", "\x00", "9" * 40])
def test_a_junk_expected_round_changes_nothing(
    year: BudgetCycle, finance_approver: User, junk: str
) -> None:
    answer = _client(finance_approver).post(
        reverse("budgeting:advance_round", args=[2027]), {"expected_round": junk}
    )
    assert answer.status_code == 302
    assert year.rounds.get(code="1up").state == RoundState.OPEN


def test_outsiders_cannot_move_the_year(
    year: BudgetCycle, department_approver: User, data_reviewer: User
) -> None:
    first = year.rounds.get(code="1up")
    for user in (department_approver, data_reviewer):
        client = _client(user)
        assert client.get(reverse("budgeting:rounds", args=[2027])).status_code == 403
        answer = client.post(
            reverse("budgeting:advance_round", args=[2027]), {"expected_round": first.pk}
        )
        assert answer.status_code == 403
    assert year.rounds.get(code="1up").state == RoundState.OPEN
    assert not Event.objects.filter(event_type="budgeting.cycle.round_changed").exists()


def test_an_unknown_or_impossible_year_is_404(finance_approver: User) -> None:
    client = _client(finance_approver)
    assert client.get(reverse("budgeting:rounds", args=[2031])).status_code == 404
    assert client.get("/review/years/99999999999999999999/").status_code == 404


def test_a_round_window_is_set_and_a_reversed_one_refused(
    year: BudgetCycle, finance_reviewer: User
) -> None:
    second = year.rounds.get(code="2up")
    url = reverse("budgeting:round_window", args=[2027, second.pk])
    prefix = f"round-{second.pk}"
    client = _client(finance_reviewer)
    refused = client.post(
        url, {f"{prefix}-opens_at": "2027-03-10T09:00", f"{prefix}-closes_at": "2027-03-01T09:00"}
    )
    assert refused.status_code == 400
    assert "The round must close after it opens." in refused.content.decode()
    second.refresh_from_db()
    assert second.opens_at is None
    saved = client.post(
        url, {f"{prefix}-opens_at": "2027-03-01T09:00", f"{prefix}-closes_at": "2027-03-10T18:00"}
    )
    assert saved.status_code == 302
    second.refresh_from_db()
    assert second.opens_at is not None and second.closes_at is not None
    assert second.closes_at > second.opens_at
    assert Event.objects.filter(event_type="budgeting.cycle.round_window_set").count() == 1


def test_a_closed_rounds_window_no_longer_changes(
    year: BudgetCycle, finance_reviewer: User
) -> None:
    first = year.rounds.get(code="1up")
    client = _client(finance_reviewer)
    client.post(reverse("budgeting:advance_round", args=[2027]), {"expected_round": first.pk})
    answer = client.post(
        reverse("budgeting:round_window", args=[2027, first.pk]),
        {f"round-{first.pk}-opens_at": "2027-03-01T09:00"},
        follow=True,
    )
    assert "A closed round is history" in answer.content.decode()
    first.refresh_from_db()
    assert first.opens_at is None


def test_in_the_second_round_the_review_page_shows_the_figure_the_excess_and_the_review_diff(
    year: BudgetCycle,
    submitter: User,
    department_approver: User,
    data_reviewer: User,
    finance_reviewer: User,
    finance_approver: User,
    education,
) -> None:
    from decimal import Decimal

    from budgeting import services
    from budgeting.tests.workflow_fixtures import make_ready
    from projects.tests.factories import register

    project = make_ready(register(submitter), submitter)
    project = services.submit(project, actor=submitter, expected_version=project.version)
    for person in (department_approver, data_reviewer):
        project = services.pass_stage(project, actor=person, expected_version=project.version)
    services.set_line_amount(
        project,
        actor=finance_reviewer,
        expected_version=project.version,
        line_id=project.lines.get().pk,
        approved_amount=Decimal("450000"),
        reason="over_standard",
    )
    project.refresh_from_db()
    services.pass_stage(project, actor=finance_reviewer, expected_version=project.version)
    advance(year, finance_approver)
    advance(year, finance_approver)
    cycles.set_control_figure(year, education, Decimal("480000"), actor=None)

    clerk_page = _client(submitter).get(reverse("budgeting:review", args=[project.code]))
    text = clerk_page.content.decode()
    assert "Requested in 一上" in text and "Reviewed in 一上" in text
    assert "Over the control figure by 2.00 (10,000 yuan)" in text
    assert "Allow the excess" not in text  # the clerk may not

    finance = _client(finance_reviewer)
    assert (
        "Allow the excess"
        in finance.get(reverse("budgeting:review", args=[project.code])).content.decode()
    )
    refused = finance.post(
        reverse("budgeting:allow_excess", args=[project.code]), {"reason": ""}, follow=True
    )
    assert "This field is required." in refused.content.decode()
    finance.post(
        reverse("budgeting:allow_excess", args=[project.code]), {"reason": "急需保障的系统"}
    )
    project.refresh_from_db()
    submitted = services.submit(project, actor=submitter, expected_version=project.version)
    page = _client(department_approver).get(reverse("budgeting:review", args=[submitted.code]))
    text = page.content.decode()
    assert "Finance has allowed this request to exceed the figure." in text
    assert "Changes against the review of the round before" in text
    assert "450,000.00" in text  # the line as reviewed in 一上


def test_an_outsider_cannot_allow_an_excess(
    year: BudgetCycle, submitter: User, outsider: User, department_approver: User
) -> None:
    from budgeting.tests.workflow_fixtures import make_ready
    from projects.tests.factories import register

    project = make_ready(register(submitter), submitter)
    url = reverse("budgeting:allow_excess", args=[project.code])
    assert _client(outsider).post(url, {"reason": "x"}).status_code == 404
    assert _client(department_approver).post(url, {"reason": "x"}).status_code == 403
