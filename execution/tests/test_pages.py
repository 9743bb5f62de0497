"""The execution pages: the clerk's forms, finance's decisions, the dashboard (scoped,
filtered, constant queries), the project page's and the review page's cards."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from execution import services
from execution.models import CarryOverState, Contract, Payment
from projects.models import Continuity, Project, ProjectState
from projects.tests.factories import register

pytestmark = pytest.mark.django_db
DAY = datetime.date(2027, 3, 1)


def browser(user: User) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return client


def test_the_clerk_records_through_the_page_and_is_told_when_over(
    approved: Project, submitter: User, finance_reviewer: User
) -> None:
    page = browser(submitter)
    url = reverse("execution:project", args=[approved.code])
    html = page.get(url).content.decode()
    assert "Record contract" in html and "Request carry-over" in html
    # Each form's label names its own field: the payment's amount is not the contract's.
    assert 'for="id_contract_amount"' in html and 'for="id_payment_amount"' in html
    assert "Close the project" not in html
    over = page.post(
        reverse("execution:contract_add", args=[approved.code]),
        {"listed": "0", "supplier": "某公司", "amount": "600000.00", "signed_on": "2027-03-01"},
    )
    assert over.status_code == 400
    assert "Give the reason for exceeding the approved amount" in over.content.decode()
    assert not Contract.objects.exists()
    done = page.post(
        reverse("execution:contract_add", args=[approved.code]),
        {"listed": "0", "supplier": "某公司", "amount": "300000.00", "signed_on": "2027-03-01"},
    )
    assert done.status_code == 302
    signed = Contract.objects.get()
    page.post(
        reverse("execution:payment_add", args=[approved.code]),
        {
            "listed": "0",
            "amount": "100000.00",
            "paid_on": "2027-04-01",
            "contract": signed.reference,
        },
    )
    assert Payment.objects.get().contract == signed
    # The text fields take 10,000 characters and no NUL (the form says so).
    nul = page.post(
        reverse("execution:contract_add", args=[approved.code]),
        {"listed": "1", "supplier": "a\x00b", "amount": "1.00", "signed_on": "2027-03-01"},
    )
    assert nul.status_code == 400
    # Finance sees the figures, may not record, closes.
    finance = browser(finance_reviewer)
    html = finance.get(url).content.decode()
    assert "Record contract" not in html and "Close the project" in html
    assert (
        finance.post(
            reverse("execution:payment_add", args=[approved.code]),
            {"listed": "1", "amount": "1.00", "paid_on": "2027-04-01"},
        ).status_code
        == 403
    )
    detail = page.get(reverse("projects:detail", args=[approved.code])).content.decode()
    assert "100,000.00" in detail and "20.00%" in detail


def test_the_same_form_sent_twice_records_once_and_says_why(
    approved: Project, submitter: User
) -> None:
    """A double click: both posts carry what the page listed; the second is refused with
    a message, and the form drawn with it counts the list as it is now."""
    page = browser(submitter)
    for url, data, model in (
        (
            reverse("execution:contract_add", args=[approved.code]),
            {"supplier": "某公司", "amount": "1000.00", "signed_on": "2027-03-01"},
            Contract,
        ),
        (
            reverse("execution:payment_add", args=[approved.code]),
            {"amount": "500.00", "paid_on": "2027-04-01"},
            Payment,
        ),
    ):
        assert page.post(url, {"listed": "0", **data}).status_code == 302
        again = page.post(url, {"listed": "0", **data})
        assert again.status_code == 400
        assert "perhaps this same form, sent twice" in again.content.decode()
        assert model.objects.count() == 1
        assert 'name="listed" value="1"' in again.content.decode()
        # Sent from the page as drawn again, it is recorded.
        assert page.post(url, {"listed": "1", **data}).status_code == 302
        assert model.objects.count() == 2


@pytest.mark.parametrize("hidden", ["", "abc", "\x00", "-1", "9" * 20])
def test_a_bad_hidden_field_says_the_page_is_out_of_date(
    approved: Project, submitter: User, finance_reviewer: User, hidden: str
) -> None:
    contract = browser(submitter).post(
        reverse("execution:contract_add", args=[approved.code]),
        {"listed": hidden, "supplier": "某公司", "amount": "1000.00", "signed_on": "2027-03-01"},
    )
    close = browser(finance_reviewer).post(
        reverse("execution:close", args=[approved.code]), {"version": hidden}
    )
    assert contract.status_code == 400
    assert "This page is out of date: reload it and try again." in contract.content.decode()
    # A version that is a number, but none of the project's, is the service's stale page.
    assert close.status_code == 400
    assert re.search(
        r"This page is out of date: reload it|Reload the page to see its current state",
        close.content.decode(),
        flags=re.IGNORECASE,
    )
    assert not Contract.objects.exists()
    approved.refresh_from_db()
    assert approved.state == ProjectState.APPROVED


def test_carry_over_and_closure_through_the_pages(
    approved: Project, submitter: User, finance_reviewer: User
) -> None:
    page, finance = browser(submitter), browser(finance_reviewer)
    page.post(reverse("execution:carry_over_request", args=[approved.code]), {"reason": "工期延后"})
    refused = finance.post(
        reverse("execution:carry_over_decide", args=[approved.code]), {"decision": "refuse"}
    )
    assert refused.status_code == 400
    finance.post(
        reverse("execution:carry_over_decide", args=[approved.code]), {"decision": "approve"}
    )
    assert approved.carry_over.state == CarryOverState.APPROVED
    approved.refresh_from_db()
    stale = finance.post(
        reverse("execution:close", args=[approved.code]), {"version": approved.version - 1}
    )
    assert stale.status_code == 400
    finance.post(reverse("execution:close", args=[approved.code]), {"version": approved.version})
    approved.refresh_from_db()
    assert approved.state == ProjectState.CLOSED
    html = page.get(reverse("execution:project", args=[approved.code])).content.decode()
    assert "Record contract" not in html and "500,000.00" in html


def test_the_review_page_of_a_continuing_project_shows_its_predecessor(
    approved: Project, submitter: User, finance_reviewer: User, outsider: User
) -> None:
    services.record_payment(approved, actor=submitter, amount=Decimal("200000.00"), paid_on=DAY)
    services.request_carry_over(approved, actor=submitter, reason="延期")
    services.decide_carry_over(approved, actor=finance_reviewer, approve=True)
    successor = register(
        submitter,
        budget_year=2028,
        start_year=2028,
        end_year=2029,
        continuity=Continuity.CONTINUING,
        predecessor=approved,
    )
    html = browser(submitter).get(reverse("budgeting:review", args=[successor.code])).content
    text = html.decode()
    assert "What the earlier project achieved" in text
    assert "200,000.00" in text and "300,000.00" in text  # paid; carried over
    detail = browser(submitter).get(reverse("projects:detail", args=[successor.code]))
    assert "Carried over from the earlier project" in detail.content.decode()


def _approved_like(template: Project, count: int) -> None:
    """``count`` copies of an approved project, each with a payment (bulk, for counting)."""
    fields = {
        f.name: getattr(template, f.name)
        for f in Project._meta.concrete_fields
        if f.name not in {"id", "code"}
    }
    copies = Project.objects.bulk_create(
        Project(**fields, code=f"2027-EDU-{9000 + n:04d}") for n in range(count)
    )
    Payment.objects.bulk_create(
        Payment(reference=f"R{p.pk}", project=p, amount=Decimal("1000.00"), paid_on=DAY)
        for p in copies
    )


def test_the_dashboard_lists_projects_below_target_in_constant_queries(
    approved: Project, submitter: User, finance_reviewer: User, outsider: User
) -> None:
    services.set_target(
        2027, actor=finance_reviewer, rate=Decimal("50"), due_on=datetime.date(2027, 9, 30)
    )
    url = reverse("execution:progress") + "?year=2027"
    finance = browser(finance_reviewer)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = finance.get(url)
        assert response.status_code == 200
        return len(captured)

    few = queries()
    html = finance.get(url).content.decode()
    assert approved.code in html and "教育厅" in html
    _approved_like(approved, 120)
    assert queries() == few
    assert "Page 1 of 3" in finance.get(url).content.decode()
    # Paid over the target: off the list (unless asked for every project).
    services.record_payment(approved, actor=submitter, amount=Decimal("250000.00"), paid_on=DAY)
    listed = finance.get(url + "&unit=" + approved.organization.code).content.decode()
    assert approved.code not in listed
    everything = finance.get(url + "&everything=on").content.decode()
    assert "121 projects" in everything
    # Another unit's clerk sees none of them.
    assert approved.code not in browser(outsider).get(url + "&everything=on").content.decode()
    # A unit outside the clerk's scope is refused, and the year asked for still applies.
    mixed = browser(outsider).get(
        reverse("execution:progress"), {"year": "2026", "unit": approved.organization.code}
    )
    assert mixed.status_code == 200
    assert mixed.context["board"].year == 2026
    assert "unit" in mixed.context["filter_form"].errors


def test_finance_saves_the_target_from_the_dashboard(
    finance_reviewer: User, submitter: User
) -> None:
    data = {"year": 2027, "rate": "50", "due_on": "2027-09-30"}
    response = browser(finance_reviewer).post(reverse("execution:target_set"), data)
    assert response.status_code == 302
    assert browser(submitter).post(reverse("execution:target_set"), data).status_code == 403
    # Refused, each message names its field.
    finance = browser(finance_reviewer)
    refused = finance.post(reverse("execution:target_set"), {}, follow=True)
    text = refused.content.decode()
    for label in ("Budget year: ", "Target execution rate (%): "):
        assert label + "This field is required." in text
