"""My tasks and batch approval at province scale (issue #21): 50 to a page, filtered by
stage, unit and amounts, sorted by a whitelist of keys, all through GET parameters that
keep each other; as many queries for 60 waiting projects as for 3; hostile parameters
are the first or last page, never an error; an outsider sees nothing of other units."""

import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from accounts.models import Organization, Role, User
from accounts.tests.factories import UserFactory
from budgeting.models import ApprovalBatch, BudgetCycle, Review, ReviewStage
from budgeting.queues import PAGE_SIZE
from budgeting.scale import seed_waiting
from projects.models import Project, ProjectState

pytestmark = pytest.mark.django_db

TASKS = reverse("budgeting:tasks")
BATCHES = reverse("budgeting:batches")
EXPORT = reverse("budgeting:tasks_export")


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def _stage(cycle: BudgetCycle, code: str) -> ReviewStage:
    return cycle.stages.get(code=code)


def _log_in(client: Client, user: User) -> Client:
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def _codes(response: Any) -> list[str]:
    assert response.status_code == 200, response.status_code
    return [review.project.code for review in response.context["reviews"]]


def _batch_codes(response: Any) -> list[str]:
    assert response.status_code == 200, response.status_code
    return [row.project.code for row in response.context["waiting"]]


@pytest.fixture
def finance_both(finance_department: Organization) -> User:
    """A finance officer who reviews and approves: two stages to filter between."""
    return UserFactory.create(
        username="finance_both",
        organization=finance_department,
        roles=[Role.FINANCE_REVIEWER, Role.FINANCE_APPROVER],
    )


@pytest.fixture
def province(
    cycle: BudgetCycle,
    education: Organization,
    exam_authority: Organization,
    health: Organization,
    submitter: User,
) -> dict[str, list[Project]]:
    """Projects at the finance review and at final approval, of three units."""
    units = [education, exam_authority, health]
    return {
        "finance": seed_waiting(9, stage=_stage(cycle, "finance"), units=units, seed=1),
        "final": seed_waiting(6, stage=_stage(cycle, "final"), units=units, seed=2),
    }


# Query counts ------------------------------------------------------------------------


def test_my_tasks_take_as_many_queries_for_60_waiting_projects_as_for_3(
    client: Client,
    cycle: BudgetCycle,
    education: Organization,
    department_approver: User,
    django_assert_num_queries: Any,
) -> None:
    stage = _stage(cycle, "department")
    seed_waiting(3, stage=stage, units=[education], seed=1)
    _log_in(client, department_approver)
    with CaptureQueriesContext(connection) as three:
        assert len(_codes(client.get(TASKS, {"sort": "-amount"}))) == 3
    seed_waiting(57, stage=stage, units=[education], seed=2)
    with django_assert_num_queries(len(three.captured_queries)):
        response = client.get(TASKS, {"sort": "-amount"})
    assert len(_codes(response)) == PAGE_SIZE
    assert response.context["page"].paginator.count == 60


def test_the_batch_page_takes_as_many_queries_for_60_waiting_projects_as_for_3(
    client: Client,
    cycle: BudgetCycle,
    education: Organization,
    finance_approver: User,
    django_assert_num_queries: Any,
) -> None:
    stage = _stage(cycle, "final")
    seed_waiting(3, stage=stage, units=[education], seed=1)
    _log_in(client, finance_approver)
    with CaptureQueriesContext(connection) as three:
        assert len(_batch_codes(client.get(BATCHES, {"sort": "unit"}))) == 3
    seed_waiting(57, stage=stage, units=[education], seed=2)
    with django_assert_num_queries(len(three.captured_queries)):
        response = client.get(BATCHES, {"sort": "unit"})
    assert len(_batch_codes(response)) == PAGE_SIZE


# Filters -----------------------------------------------------------------------------


def test_filter_by_stage(
    client: Client, finance_both: User, province: dict[str, list[Project]]
) -> None:
    _log_in(client, finance_both)
    everything = _codes(client.get(TASKS))
    assert len(everything) == 15
    final = ReviewStage.objects.get(code="final")
    assert sorted(_codes(client.get(TASKS, {"stage": final.pk}))) == sorted(
        project.code for project in province["final"]
    )
    # The stage choices are the user's stages only.
    choices = {
        str(value)
        for value, _label in client.get(TASKS).context["filter_form"].fields["stage"].choices
    }
    assert choices == {"", str(final.pk), str(ReviewStage.objects.get(code="finance").pk)}


def test_filter_by_unit_takes_in_its_secondary_units(
    client: Client,
    finance_both: User,
    province: dict[str, list[Project]],
    education: Organization,
    exam_authority: Organization,
) -> None:
    _log_in(client, finance_both)
    codes = _codes(client.get(TASKS, {"unit": education.pk}))
    expected = Project.objects.filter(organization__in=[education, exam_authority])
    assert sorted(codes) == sorted(expected.values_list("code", flat=True))
    only_exam = _codes(client.get(TASKS, {"unit": exam_authority.pk}))
    assert {code.split("-")[1] for code in only_exam} == {"EDUEXAM"}
    batch = _batch_codes(client.get(BATCHES, {"unit": exam_authority.pk}))
    assert sorted(batch) == sorted(
        p.code for p in province["final"] if p.organization_id == exam_authority.pk
    )


def test_filter_by_amount_from_and_to(
    client: Client, finance_both: User, province: dict[str, list[Project]]
) -> None:
    amounts = sorted(Project.objects.values_list("requested_amount", flat=True))
    low, high = amounts[3], amounts[10]
    _log_in(client, finance_both)

    def expected(**lookup: Decimal) -> list[str]:
        return sorted(Project.objects.filter(**lookup).values_list("code", flat=True))

    assert sorted(_codes(client.get(TASKS, {"amount_from": str(low)}))) == expected(
        requested_amount__gte=low
    )
    assert sorted(_codes(client.get(TASKS, {"amount_to": str(high)}))) == expected(
        requested_amount__lte=high
    )
    both = _codes(client.get(TASKS, {"amount_from": str(low), "amount_to": str(high)}))
    assert sorted(both) == expected(requested_amount__gte=low, requested_amount__lte=high)
    assert len(both) == 8
    batch = _batch_codes(client.get(BATCHES, {"amount_from": str(low)}))
    assert sorted(batch) == sorted(p.code for p in province["final"] if p.requested_amount >= low)


def test_no_match_says_the_filters_match_nothing(
    client: Client, finance_both: User, province: dict[str, list[Project]]
) -> None:
    _log_in(client, finance_both)
    page = client.get(TASKS, {"amount_from": "999999999"}).content.decode()
    assert "No project awaiting your decision matches the filters." in page
    assert "Nothing awaits you" not in page


# Sorting -----------------------------------------------------------------------------

SORT_VALUES = {
    "code": lambda review: (),
    "unit": lambda review: (review.project.organization.code,),
    "amount": lambda review: (review.project.requested_amount,),
    "submitted": lambda review: (review.submitted_at,),
    "waiting": lambda review: (review.stage_entered_at,),
}


@pytest.mark.parametrize("key", sorted(SORT_VALUES))
@pytest.mark.parametrize("descending", [False, True])
def test_sort_each_key_both_ways(
    client: Client,
    finance_both: User,
    province: dict[str, list[Project]],
    key: str,
    descending: bool,
) -> None:
    reviews = Review.objects.select_related("project__organization")
    expected = [
        review.project.code
        for review in sorted(
            reviews,
            key=lambda review: (*SORT_VALUES[key](review), review.project.code),
            reverse=descending,
        )
    ]
    sort = f"-{key}" if descending else key
    _log_in(client, finance_both)
    response = client.get(TASKS, {"sort": sort})
    assert _codes(response) == expected
    assert response.context["sort"] == sort
    final = [code for code in expected if code in {p.code for p in province["final"]}]
    assert _batch_codes(client.get(BATCHES, {"sort": sort})) == final


def test_an_unknown_sort_key_is_the_default_oldest_first(
    client: Client, finance_both: User, province: dict[str, list[Project]]
) -> None:
    _log_in(client, finance_both)
    default = _codes(client.get(TASKS))
    for junk in ["project__name", "-", "--amount", "password", "\x00", "amount;drop"]:
        response = client.get(TASKS, {"sort": junk})
        assert _codes(response) == default
        assert response.context["sort"] == "waiting"


# Pages -------------------------------------------------------------------------------


def test_page_two_shows_the_next_rows_and_the_links_keep_filters_and_sort(
    client: Client, cycle: BudgetCycle, education: Organization, department_approver: User
) -> None:
    seed_waiting(60, stage=_stage(cycle, "department"), units=[education])
    everything = [
        review.project.code
        for review in sorted(
            Review.objects.select_related("project"),
            key=lambda review: (review.project.requested_amount, review.project.code),
            reverse=True,
        )
    ]
    _log_in(client, department_approver)
    query = {"sort": "-amount", "amount_from": "0", "unit": str(education.pk)}
    first = client.get(TASKS, query)
    assert _codes(first) == everything[:50]
    html = first.content.decode()
    assert f"?amount_from=0&amp;unit={education.pk}&amp;sort=-amount&amp;page=2" in html
    assert "Page 1 of 2" in html
    second = client.get(TASKS, {**query, "page": "2"})
    assert _codes(second) == everything[50:]
    # The sort links and the export keep the filters.
    assert f'href="?amount_from=0&amp;unit={education.pk}&amp;sort=amount"' in html
    assert f"{EXPORT}?amount_from=0&amp;unit={education.pk}&amp;sort=-amount" in html


HOSTILE_PAGES = ["abc", "-1", "0", "1.5", "²", "٣", "\x00", "1\x00", "", " 2", "0x10"]


@pytest.mark.parametrize("url", [TASKS, BATCHES])
def test_hostile_parameters_are_the_first_or_last_page_never_an_error(
    client: Client, finance_both: User, cycle: BudgetCycle, education: Organization, url: str
) -> None:
    seed_waiting(60, stage=_stage(cycle, "finance"), units=[education], seed=1)
    seed_waiting(60, stage=_stage(cycle, "final"), units=[education], seed=2)
    _log_in(client, finance_both)
    for raw in HOSTILE_PAGES:
        response = client.get(url, {"page": raw})
        assert response.status_code == 200, raw
        assert response.context["page"].number == 1, raw
    last = 3 if url == TASKS else 2  # my tasks hold both stages
    for raw in ["3", "99", "2147483648", "9" * 40]:
        response = client.get(url, {"page": raw})
        assert response.status_code == 200, raw
        assert response.context["page"].number == last, raw
    hostile_filters = [
        {"amount_from": "1e30"}, {"amount_from": "NaN"}, {"amount_to": "-Infinity"},
        {"amount_to": "\x00"}, {"amount_from": "-5"}, {"unit": "\x00"},
        {"unit": "99999999999999999999"}, {"unit": "abc"}, {"stage": "-1"},
        {"stage": "\x00"}, {"stage": "2147483648"}, {"sort": "\x00", "page": "\x00"},
    ]  # fmt: skip
    for params in hostile_filters:
        response = client.get(url, params)
        assert response.status_code == 200, params
        # An invalid filter is said at its field and otherwise ignored.
        assert response.context["page"].paginator.count == 60 * (last - 1), params
    assert client.get(EXPORT, {"amount_from": "\x00", "sort": "\x00"}).status_code == 200


# Scope -------------------------------------------------------------------------------


def test_an_outsider_sees_nothing_of_other_units_whatever_the_filters(
    client: Client,
    cycle: BudgetCycle,
    education: Organization,
    health: Organization,
    department_approver: User,
    outsider: User,
) -> None:
    stage = _stage(cycle, "department")
    seed_waiting(5, stage=stage, units=[education])
    health_head = UserFactory.create(
        username="health_head", organization=health, roles=[Role.DEPARTMENT_APPROVER]
    )
    for user in (outsider, health_head):
        _log_in(client, user)
        for params in ({}, {"unit": education.pk}, {"stage": stage.pk}, {"page": "2"}):
            response = client.get(TASKS, params)
            assert _codes(response) == [], (user, params)
            assert "EDU-" not in response.content.decode()
            sheet = load_workbook(io.BytesIO(client.get(EXPORT, params).content)).active
            assert sheet.max_row == 1  # the headers alone
        # Another unit is no choice of theirs.
        units = client.get(TASKS).context["filter_form"].fields["unit"].queryset
        assert education not in units
    _log_in(client, department_approver)
    assert len(_codes(client.get(TASKS, {"unit": education.pk}))) == 5
    # Another department is no choice of the approver's: said at the field, and ignored.
    response = client.get(TASKS, {"unit": health.pk})
    assert "unit" in response.context["filter_form"].errors
    assert all(code.startswith("2027-EDU-") for code in _codes(response))


# Export ------------------------------------------------------------------------------


def test_the_export_holds_every_page_of_the_filtered_queue_in_its_order(
    client: Client, cycle: BudgetCycle, education: Organization, department_approver: User
) -> None:
    seed_waiting(70, stage=_stage(cycle, "department"), units=[education])
    floor = sorted(Project.objects.values_list("requested_amount", flat=True))[5]
    _log_in(client, department_approver)
    expected = [
        review.project.code
        for review in sorted(
            Review.objects.filter(project__requested_amount__gte=floor).select_related("project"),
            key=lambda review: (review.project.requested_amount, review.project.code),
        )
    ]
    query = {"amount_from": str(floor), "sort": "amount", "page": "2"}
    sheet = load_workbook(io.BytesIO(client.get(EXPORT, query).content)).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == expected
    assert len(expected) == 65


# Batch approval across pages ---------------------------------------------------------


def test_projects_ticked_on_page_two_go_with_the_form_to_the_confirmation(
    client: Client, cycle: BudgetCycle, education: Organization, finance_approver: User
) -> None:
    projects = seed_waiting(55, stage=_stage(cycle, "final"), units=[education])
    _log_in(client, finance_approver)
    query = "?sort=code&page=2"
    page = client.get(BATCHES + query)
    on_page = _batch_codes(page)
    assert on_page == sorted(project.code for project in projects)[50:]
    html = page.content.decode()
    assert 'action="?sort=code&amp;page=2"' in html
    assert "checked" not in html
    chosen = list(Project.objects.filter(code__in=on_page[:2]).order_by("code"))
    choice = {
        "name": "2027年第二批",
        "project": [project.code for project in chosen],
        **{f"version-{project.code}": str(project.version) for project in chosen},
    }
    confirm = client.post(BATCHES + query, choice)
    assert confirm.templates[0].name == "budgeting/batch_confirm.html"
    total = sum((project.requested_amount for project in chosen), Decimal("0.00"))
    text = confirm.content.decode()
    assert "You are about to approve 2 projects as batch “2027年第二批”" in text
    assert f"{total:,.2f} yuan in total" in text
    assert not ApprovalBatch.objects.exists()
    # Back to the list: the same page, the choice kept ticked.
    back = client.post(BATCHES + query, {**choice, "step": "back"})
    assert back.context["page"].number == 2
    for project in chosen:
        assert f'value="{project.code}" id="pick-{project.code}" checked' in back.content.decode()
    # Going back to another page keeps the chosen rows, ticked, at the top.
    elsewhere = client.post(BATCHES + "?sort=code&page=1", {**choice, "step": "back"})
    shown = _batch_codes(elsewhere)
    assert sorted(shown[:2]) == [project.code for project in chosen] and len(shown) == 52
    client.post(BATCHES + query, {**choice, "step": "confirm"})
    batch = ApprovalBatch.objects.get()
    assert set(batch.reviews.values_list("project__code", flat=True)) == set(on_page[:2])
    assert set(
        Project.objects.filter(state=ProjectState.APPROVED).values_list("code", flat=True)
    ) == set(on_page[:2])


def test_a_posted_code_that_awaits_nothing_is_refused_at_the_field(
    client: Client, cycle: BudgetCycle, education: Organization, finance_approver: User
) -> None:
    seed_waiting(2, stage=_stage(cycle, "final"), units=[education])
    _log_in(client, finance_approver)
    for code in ["2027-HEALTH-0001", "\x00", "x" * 500]:
        response = client.post(BATCHES, {"name": "第一批", "project": [code]})
        assert response.status_code == 400, code
        assert "no longer awaits final approval" in response.content.decode()
    assert not ApprovalBatch.objects.exists()


# Counting no further than needed (issue #21) -------------------------------------------


def test_a_queue_longer_than_the_cap_says_more_than_and_every_page_stays_reachable(
    client: Client,
    cycle: BudgetCycle,
    education: Organization,
    department_approver: User,
    monkeypatch: pytest.MonkeyPatch,
    django_assert_num_queries: Any,
) -> None:
    monkeypatch.setattr("ui.paging.CAP", 100)  # two pages counted exactly
    seed_waiting(130, stage=_stage(cycle, "department"), units=[education], seed=3)
    _log_in(client, department_approver)
    with CaptureQueriesContext(connection) as first_page:
        first = client.get(TASKS)
    counted = len(first_page.captured_queries)  # before the next request resets the log
    content = first.content.decode()
    assert "More than 100 projects await your decision" in content
    assert "Page 1 of more than 2" in content
    assert first.context["page"].has_next()
    # The second page links on to a third, past the counted rows: it counts exactly there.
    assert first.context["page"].paginator.more
    second = client.get(TASKS, {"page": "2"})
    assert second.context["page"].has_next()
    third = client.get(TASKS, {"page": "3"})
    assert len(_codes(third)) == 30
    assert third.context["page"].paginator.count == 130
    assert "Page 3 of 3" in third.content.decode()
    assert not third.context["page"].has_next()
    # A page far past the end is the last, as before.
    assert client.get(TASKS, {"page": "99"}).context["page"].number == 3
    # Every waiting project on exactly one page.
    seen = _codes(first) + _codes(second) + _codes(third)
    assert len(set(seen)) == 130
    # The capped count costs no extra query on the pages it counts.
    with django_assert_num_queries(counted):
        client.get(TASKS, {"page": "2"})


def test_my_tasks_in_chinese_say_more_than(
    client: Client,
    cycle: BudgetCycle,
    education: Organization,
    department_approver: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("ui.paging.CAP", 50)
    seed_waiting(60, stage=_stage(cycle, "department"), units=[education], seed=4)
    client.force_login(department_approver)
    client.cookies["django_language"] = "zh-hans"
    with translation.override("zh-hans"):
        content = client.get(TASKS).content.decode()
    assert "超过 50 个项目待您处理" in content
    assert "第 1 页，共 1 页以上" in content


def test_my_tasks_filter_by_submission_round(
    client: Client, cycle: BudgetCycle, education: Organization, department_approver: User
) -> None:
    from budgeting.models import BudgetRound, RoundKind

    waiting = seed_waiting(8, stage=_stage(cycle, "department"), units=[education], seed=5)
    second = BudgetRound.objects.create(
        cycle=cycle, order=98, code="draw-second", name="二上", kind=RoundKind.SUBMISSION
    )
    later = [project.code for project in waiting[:3]]
    Review.objects.filter(project__code__in=later).update(round=second)
    _log_in(client, department_approver)
    response = client.get(TASKS, {"round": str(second.pk)})
    assert sorted(_codes(response)) == sorted(later)
    assert f'<option value="{second.pk}" selected>{cycle.year} 二上</option>' in (
        response.content.decode()
    )
    others = _codes(client.get(TASKS))
    assert len(others) == 8
    # Junk is said at the field and otherwise ignored, as for the other filters.
    assert len(_codes(client.get(TASKS, {"round": "x\x00"}))) == 8
