"""The control figure pages: finance's alone, a constant number of queries, drafts saved
per row or from a sheet (all or nothing, errors by row and column), side by side, issued;
the unit head sees the issued figure on the home page."""

from collections.abc import Iterator
from decimal import Decimal
from io import BytesIO
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from accounts.models import Organization, User
from audit.models import Event
from budgeting import figures
from budgeting.figure_sheet import HEADERS, SHEET
from budgeting.models import BudgetCycle, ControlFigure, FigureDraft
from budgeting.tests.figure_helpers import (
    reviewed_in_first_round,
    seed_first_round,
    seed_units,
)
from budgeting.tests.workflow_fixtures import advance, two_round_year
from projects.models import Project

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def year() -> BudgetCycle:
    return two_round_year()


@pytest.fixture
def finance(client: Client, finance_reviewer: User) -> Client:
    client.force_login(finance_reviewer)
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def draft(year: BudgetCycle, finance_reviewer: User) -> FigureDraft:
    return figures.create_draft(
        year, actor=finance_reviewer, name="压减一成", change_percent=Decimal("-10")
    )


@pytest.fixture
def edu_request(
    year: BudgetCycle,
    submitter: User,
    department_approver: User,
    data_reviewer: User,
    finance_reviewer: User,
    health: Organization,
) -> Project:
    return reviewed_in_first_round(
        submitter,
        [department_approver, data_reviewer, finance_reviewer],
        "教育平台",
        cut_to="400000",
    )


def _post_draft(client: Client, draft: FigureDraft, **fields: str) -> Any:
    data = {
        "name": draft.name,
        "change_percent": str(draft.change_percent),
        "version": str(draft.version),
        **fields,
    }
    if draft.keep_operation_whole:
        data.setdefault("keep_operation_whole", "on")
    return client.post(reverse("budgeting:figure_draft", args=[draft.public_id]), data)


def test_the_overview_shows_each_unit_in_a_constant_number_of_queries(
    finance: Client, year: BudgetCycle, finance_reviewer: User
) -> None:
    url = reverse("budgeting:figures", args=[year.year])
    units = seed_units(3)
    seed_first_round(year, units, per_unit=2)
    with CaptureQueriesContext(connection) as few:
        response = finance.get(url)
    assert response.status_code == 200
    assert len(response.context["basis"].units) == 3
    more = seed_units(27, prefix="V")
    seed_first_round(year, more, per_unit=2)
    with CaptureQueriesContext(connection) as many:
        response = finance.get(url)
    assert len(response.context["basis"].units) == 30
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.parametrize("units", [3, 30])
def test_the_draft_page_costs_the_same_queries_for_3_and_30_units(
    finance: Client,
    year: BudgetCycle,
    draft: FigureDraft,
    units: int,
    django_assert_num_queries: object,
) -> None:
    seed_first_round(year, seed_units(units), per_unit=2)
    url = reverse("budgeting:figure_draft", args=[draft.public_id])
    finance.get(url)  # the session and the translations, once
    with django_assert_num_queries(QUERIES_OF_THE_DRAFT_PAGE):  # type: ignore[operator]
        response = finance.get(url)
    assert response.status_code == 200
    assert len(response.context["proposals"]) == units


# The session and its user (with the user's unit, accounts.backends), the draft, the units,
# the rounds, the round's results (and whether any exist), its projects, their reviewed
# totals, last year's approvals, the figures, the draft's history; the layout's own (the
# session saved, ...).
QUERIES_OF_THE_DRAFT_PAGE = 15


def test_the_pages_are_finance_s_alone(
    client: Client,
    year: BudgetCycle,
    draft: FigureDraft,
    department_approver: User,
    submitter: User,
    outsider: User,
    admin_user: User,
) -> None:
    urls = [
        reverse("budgeting:figures_latest"),
        reverse("budgeting:figures", args=[year.year]),
        reverse("budgeting:figure_compare", args=[year.year]),
        reverse("budgeting:figure_draft", args=[draft.public_id]),
        reverse("budgeting:figure_draft_template", args=[draft.public_id]),
        reverse("budgeting:figure_issue", args=[draft.public_id]),
    ]
    for person in (department_approver, submitter, outsider, admin_user):
        client.force_login(person)
        for url in urls:
            assert client.get(url).status_code == 403, (person.username, url)
        response = client.post(
            reverse("budgeting:figure_draft_create", args=[year.year]),
            {"name": "偷建", "change_percent": "0"},
        )
        assert response.status_code == 403
        assert _post_draft(client, draft, name="偷改").status_code == 403
        assert _upload(client, draft, _sheet([["EDU", "", None, 1]])).status_code == 403
        assert client.post(urls[-1], {"version": "1", "seen_issue": ""}).status_code == 403
    assert FigureDraft.objects.count() == 1
    draft.refresh_from_db()
    assert (draft.name, draft.version, draft.issued_at) == ("压减一成", 1, None)


def test_finance_creates_a_draft_and_sees_what_it_does(
    finance: Client, year: BudgetCycle, edu_request: Project
) -> None:
    response = finance.post(
        reverse("budgeting:figure_draft_create", args=[year.year]),
        {"name": "压减一成", "change_percent": "-10", "keep_operation_whole": "on"},
        follow=True,
    )
    draft = FigureDraft.objects.get()
    assert draft.keep_operation_whole and draft.change_percent == Decimal("-10")
    assert response.redirect_chain[-1][0] == reverse(
        "budgeting:figure_draft", args=[draft.public_id]
    )
    rows = {p.basis.unit.code: p for p in response.context["proposals"]}
    assert rows["EDU"].amount == Decimal("360000.00")
    # The overview shows the draft's proposed figure beside the issued one (none yet).
    overview = finance.get(reverse("budgeting:figures", args=[year.year]))
    (edu_row, proposal), _health = overview.context["rows"]
    assert (edu_row.requested, edu_row.reviewed) == (Decimal("500000.00"), Decimal("400000.00"))
    assert proposal.amount == Decimal("360000.00") and edu_row.issued is None
    assert "Proposed by 压减一成" in overview.content.decode()
    page = response.content.decode()
    assert "教育平台" in page and "-40,000.00" in page


@pytest.mark.parametrize("name", ["含\x00空字符", "长" * 10_000, "  "])
def test_bad_draft_names_are_refused_cleanly(finance: Client, year: BudgetCycle, name: str) -> None:
    response = finance.post(
        reverse("budgeting:figure_draft_create", args=[year.year]),
        {"name": name, "change_percent": "0"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["name"]
    assert not FigureDraft.objects.exists()


def test_fixed_figures_typed_per_row_are_saved(
    finance: Client, draft: FigureDraft, health: Organization, education: Organization
) -> None:
    response = _post_draft(finance, draft, **{"fixed-HEALTH": "250000.50", "fixed-EDU": ""})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.fixed == {"HEALTH": "250000.50"}
    assert draft.version == 2


def test_a_negative_typed_figure_is_refused_on_its_row(
    finance: Client, draft: FigureDraft, health: Organization
) -> None:
    response = _post_draft(finance, draft, **{"fixed-HEALTH": "-1"})
    assert response.status_code == 400
    assert response.context["form"].errors["fixed-HEALTH"]
    draft.refresh_from_db()
    assert draft.fixed == {} and draft.version == 1


@pytest.mark.parametrize("value", ["\x00", "9" * 10_000, "一百", "1000000000000", "1.001"])
def test_junk_in_a_typed_figure_is_refused_on_its_row(
    finance: Client, draft: FigureDraft, health: Organization, value: str
) -> None:
    response = _post_draft(finance, draft, **{"fixed-HEALTH": value})
    assert response.status_code == 400
    assert response.context["form"].errors["fixed-HEALTH"]
    assert 'aria-invalid="true"' in response.content.decode()
    draft.refresh_from_db()
    assert draft.version == 1


def test_two_finance_users_editing_one_wins_the_other_is_told(
    finance: Client, draft: FigureDraft, finance_approver: User, health: Organization
) -> None:
    other = Client()
    other.force_login(finance_approver)
    stale = FigureDraft.objects.get(pk=draft.pk)
    assert _post_draft(other, draft, name="他的改法").status_code == 302
    response = _post_draft(finance, stale, name="我的改法")
    assert response.status_code == 400
    assert "changed this draft after you opened it" in response.content.decode()
    draft.refresh_from_db()
    assert draft.name == "他的改法"


def _sheet(rows: list[list[object]], headers: tuple[str, ...] = HEADERS) -> SimpleUploadedFile:
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append(list(headers))
    for row in rows:
        sheet.append(row)
    buffer = BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("控制数.xlsx", buffer.getvalue())


def _upload(client: Client, draft: FigureDraft, upload: SimpleUploadedFile) -> Any:
    return client.post(
        reverse("budgeting:figure_draft_upload", args=[draft.public_id]),
        {"file": upload, "version": str(draft.version)},
    )


def test_the_template_round_trips_fixed_figures(
    finance: Client, draft: FigureDraft, health: Organization, education: Organization
) -> None:
    template = finance.get(reverse("budgeting:figure_draft_template", args=[draft.public_id]))
    book = load_workbook(BytesIO(template.content))
    sheet = book[SHEET]
    assert [c.value for c in sheet[1]] == list(HEADERS)
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert set(rows) == {"EDU", "HEALTH"}
    rows["HEALTH"][3].value = 123456.78
    buffer = BytesIO()
    book.save(buffer)
    response = _upload(finance, draft, SimpleUploadedFile("figures.xlsx", buffer.getvalue()))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.fixed == {"HEALTH": "123456.78"}


def test_a_bad_sheet_names_every_row_and_column_and_changes_nothing(
    finance: Client,
    draft: FigureDraft,
    health: Organization,
    education: Organization,
    exam_authority: Organization,
) -> None:
    draft = figures.change_draft(
        draft,
        actor=draft.created_by,
        expected_version=draft.version,
        name=draft.name,
        change_percent=draft.change_percent,
        keep_operation_whole=False,
        fixed={"EDU": Decimal("5")},
        units=[education, health],
    )
    upload = _sheet(
        [
            ["HEALTH", "卫健委", None, "一百万"],
            ["EDU", "教育厅", None, -5],
            ["NOPE", "无此单位", None, 1],
            ["EDUEXAM", "考试院", None, 1],
            ["HEALTH", "卫健委", None, 1_000_000_000_000],
        ]
    )
    response = _upload(finance, draft, upload)
    assert response.status_code == 400
    errors = response.context["sheet_errors"]
    assert errors == [
        "Row 2, column D: Not an amount: 一百万.",
        "Row 3, column D: A control figure cannot be negative.",
        "Row 4, column A: No budget unit has the code NOPE.",
        "Row 5, column A: EDUEXAM is a secondary unit: control figures are for primary units.",
        "Row 6, column A: HEALTH is listed already in row 2.",
        "Row 6, column D: Exceeds the amount limit: 固定控制数（元） is 1,000,000,000,000.00 "
        "yuan, at most 999,999,999,999.99 yuan.",
    ]
    draft.refresh_from_db()
    assert draft.fixed == {"EDU": "5.00"} and draft.version == 2


def test_formulas_fractions_of_a_fen_and_rows_without_a_unit_are_refused(
    finance: Client, draft: FigureDraft, health: Organization, education: Organization
) -> None:
    upload = _sheet(
        [
            ["HEALTH", "", None, "=1+1"],
            [],
            [None, "无编码", None, 5],
            ["EDU", "", None, 1.001],
        ]
    )
    response = _upload(finance, draft, upload)
    assert response.context["sheet_errors"] == [
        "Row 2, column D: Formulas are not accepted; enter the value itself.",
        "Row 4, column A: The unit code is missing.",
        "Row 5, column D: At most two decimal places (fen).",
    ]
    draft.refresh_from_db()
    assert draft.fixed == {} and draft.version == 1


def test_a_file_that_is_no_workbook_is_refused(finance: Client, draft: FigureDraft) -> None:
    response = _upload(finance, draft, SimpleUploadedFile("figures.xlsx", b"not a zip"))
    assert response.status_code == 400
    assert "not a valid Excel workbook" in response.context["sheet_errors"][0]
    response = _upload(finance, draft, _sheet([], headers=("编码", "名称", "审核数", "金额")))
    assert "Expected the header 单位编码" in response.context["sheet_errors"][0]


def test_two_or_three_drafts_side_by_side_with_totals(
    finance: Client,
    year: BudgetCycle,
    draft: FigureDraft,
    finance_reviewer: User,
    edu_request: Project,
) -> None:
    other = figures.create_draft(
        year, actor=finance_reviewer, name="持平", change_percent=Decimal("0")
    )
    url = reverse("budgeting:figure_compare", args=[year.year])
    response = finance.get(url, {"draft": [str(draft.public_id), str(other.public_id)]})
    assert response.status_code == 200
    comparison = response.context["comparison"]
    assert [d.name for d in comparison.drafts] == ["持平", "压减一成"]
    assert comparison.totals == [Decimal("400000.00"), Decimal("360000.00")]
    assert "36.00" in response.content.decode()  # 万元
    response = finance.get(url, {"draft": [str(draft.public_id)]})
    assert response.status_code == 400
    assert "Choose two or three drafts" in response.content.decode()
    assert finance.get(url, {"draft": ["\x00", "x" * 10_000]}).status_code == 400


def test_issuing_from_the_page_then_the_head_sees_the_figure_at_home(
    finance: Client,
    client: Client,
    year: BudgetCycle,
    draft: FigureDraft,
    edu_request: Project,
    finance_reviewer: User,
    department_approver: User,
) -> None:
    issue_url = reverse("budgeting:figure_issue", args=[draft.public_id])
    # In 一上 the page says the issue will be refused, and the service refuses it.
    page = finance.get(issue_url)
    assert "does not issue control figures" in page.content.decode()
    form = page.context["form"]
    response = finance.post(
        issue_url, {"version": draft.version, "seen_issue": form["seen_issue"].value()}, follow=True
    )
    assert "Nothing was issued" in response.content.decode()
    assert not ControlFigure.objects.exists()
    advance(year, finance_reviewer)
    page = finance.get(issue_url)
    response = finance.post(
        issue_url,
        {"version": draft.version, "seen_issue": page.context["form"]["seen_issue"].value()},
        follow=True,
    )
    assert "were issued to 2 units" in response.content.decode()
    figure = ControlFigure.objects.get(organization__code="EDU")
    assert figure.amount == Decimal("360000.00")
    assert Event.objects.filter(event_type="budgeting.control_figures.issued").count() == 1
    # The year's history on the overview says it in words.
    assert "Control figures issued: draft 压减一成, 2 units, 360,000.00 yuan in total" in (
        response.content.decode()
    )
    client.force_login(department_approver)
    client.cookies["django_language"] = "en"
    home = client.get(reverse("home"))
    rows = home.context["control_rows"]
    assert [(r.unit.code, r.control, r.issued_at) for r in rows] == [
        ("EDU", Decimal("360000.00"), figure.issued_at)
    ]
    assert "issued " in home.content.decode()
