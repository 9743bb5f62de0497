"""Numbers from the query string or a form: only ASCII digits within bounds count.

``str.isdigit`` accepts "²" (which ``int`` refuses) and a number too large for a
PostgreSQL integer; either gave a server error. Now the page or message is the one
for a missing or stale number.
"""

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from budgeting import services
from budgeting.models import BudgetCycle
from projects.models import Project
from reports.tests.export_helpers import requested_job
from ui.params import POSTGRES_INT_MAX, page_number, whole_number

pytestmark = pytest.mark.django_db

BAD = ["²", "99999999999", "١٢", "-1", " 7", "", "x"]


@pytest.fixture(autouse=True)
def english(client: Client) -> Iterator[None]:
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("raw", "number"),
    [("0", 0), ("2027", 2027), ("007", 7), ("2147483647", 2147483647), ("2147483648", None)]
    + [(raw, None) for raw in BAD],
)
def test_whole_number_takes_only_ascii_digits_within_a_postgresql_integer(
    raw: str, number: int | None
) -> None:
    assert whole_number(raw) == number


def test_whole_number_takes_a_lower_maximum_and_none() -> None:
    assert whole_number("9999", maximum=9999) == 9999
    assert whole_number("10000", maximum=9999) is None
    assert whole_number(None) is None


@pytest.mark.parametrize("raw", ["²", "99999999999", "99999"])
@pytest.mark.parametrize(
    "name",
    ["summary", "review_figures", "summary_export", "cut_reasons_export", "open_data"],
)
def test_a_bad_year_shows_the_default_year(
    client: Client, finance_reviewer: User, cycle: BudgetCycle, name: str, raw: str
) -> None:
    client.force_login(finance_reviewer)
    response = client.get(reverse(f"reports:{name}"), {"year": raw})
    assert response.status_code == 200
    if name in ("summary", "review_figures"):
        assert response.context["year"] == timezone.localdate().year + 1


@pytest.mark.parametrize("raw", ["²", "99999999999", "99999"])
def test_a_bad_year_asks_for_the_lines_export_of_the_default_year(
    client: Client, finance_reviewer: User, cycle: BudgetCycle, raw: str
) -> None:
    client.force_login(finance_reviewer)
    assert requested_job(client, raw).year == timezone.localdate().year + 1


@pytest.mark.parametrize("raw", ["²", "99999999999"])
def test_a_bad_year_on_the_project_list_is_no_error(
    client: Client, ready_project: Project, submitter: User, raw: str
) -> None:
    client.force_login(submitter)
    response = client.get(reverse("projects:list"), {"year": raw})
    assert response.status_code == 200


def _messages(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


STALE = "Someone saved this project after you opened it"
ACTED = "Someone acted on this project after you opened it"


@pytest.mark.parametrize("raw", ["²", "99999999999"])
def test_a_bad_version_on_a_projects_form_is_a_stale_page(
    client: Client, ready_project: Project, submitter: User, raw: str
) -> None:
    client.force_login(submitter)
    code = ready_project.code
    posts = [
        reverse("projects:line_remove", args=[code, ready_project.lines.get().pk]),
        reverse("projects:line_reprice", args=[code]),
        reverse("projects:target_remove", args=[code, ready_project.targets.all()[0].pk]),
    ]
    for url in posts:
        response = client.post(url, {"version": raw, "standard": ""})
        assert response.status_code == 302, url
        assert any(STALE in message for message in _messages(response)), url
    after = Project.objects.get(pk=ready_project.pk)
    assert (after.version, after.lines.count()) == (ready_project.version, 1)


@pytest.mark.parametrize("raw", ["²", "99999999999"])
def test_a_bad_version_on_a_review_form_is_a_stale_page(
    client: Client, at_finance: Project, finance_reviewer: User, finance_approver: User, raw: str
) -> None:
    client.force_login(finance_reviewer)
    line = at_finance.lines.get()
    response = client.post(
        reverse("budgeting:cut", args=[at_finance.code, line.pk]),
        {"version": raw, "approved_amount": "1", "reason": "workload_high"},
    )
    # The review page again, the input kept and the refusal at the form (issue #15).
    assert response.status_code == 400
    assert ACTED in response.content.decode()
    assert not line.decisions.exists()
    at_final = services.pass_stage(
        at_finance, actor=finance_reviewer, expected_version=at_finance.version
    )
    client.force_login(finance_approver)
    for step in ("", "confirm"):
        response = client.post(
            reverse("budgeting:batches"),
            {"name": "第一批", "project": [at_finance.code], f"version-{at_finance.code}": raw,
             "step": step},
        )  # fmt: skip
        assert response.status_code == 400
        assert "changed since you opened the page" in response.content.decode()
    assert Project.objects.get(pk=at_finance.pk).version == at_final.version


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-Infinity", "1e30", "sNaN"])
def test_an_approved_amount_that_is_no_finite_amount_is_refused_with_a_message(
    client: Client, at_finance: Project, finance_reviewer: User, raw: str
) -> None:
    client.force_login(finance_reviewer)
    line = at_finance.lines.get()
    response = client.post(
        reverse("budgeting:cut", args=[at_finance.code, line.pk]),
        {"version": at_finance.version, "approved_amount": raw, "reason": "workload_high"},
    )
    assert response.status_code == 400
    [error] = response.context["line_rows"][0][3].errors["approved_amount"]
    assert error in (
        "Enter the approved amount as a number.",
        "The approved amount must be between 0 and the requested 500,000.00.",
    ) or error.startswith("Exceeds the amount limit: The approved amount")  # 1e30
    assert f'name="approved_amount" value="{raw}"' in response.content.decode()
    assert not line.decisions.exists()


@pytest.mark.parametrize(
    ("raw", "page"),
    [
        (None, 1), ("", 1), ("x", 1), ("-3", 1), ("0", 1), ("²", 1), ("١٢", 1), ("\x00", 1),
        ("2\x00", 1), (" 2", 1), ("2.0", 1), ("2", 2), ("0050", 50),
        # too long for an integer: the largest, which the paginator makes the last page
        ("99999999999", POSTGRES_INT_MAX), ("9" * 400, POSTGRES_INT_MAX),
    ],
)  # fmt: skip
def test_a_page_number_is_the_first_page_unless_whole_digits(raw: str | None, page: int) -> None:
    assert page_number(raw) == page
