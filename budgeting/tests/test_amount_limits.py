"""The amount limit in the review (issue #15): a cut and the approved total are held to
the one limit of every amount (``standards.pricing.check_amount``), with its words."""

from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from audit.models import Event
from budgeting import services
from budgeting.models import LineDecision
from budgeting.workflow import WorkflowError
from projects.models import EstimateLine, Project, ProjectState

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def test_a_cut_to_an_amount_no_column_holds_says_the_limit(
    at_finance: Project, finance_reviewer: User
) -> None:
    with pytest.raises(WorkflowError) as error:
        services.set_line_amount(
            at_finance,
            actor=finance_reviewer,
            expected_version=at_finance.version,
            line_id=at_finance.lines.get().pk,
            approved_amount=Decimal("1e13"),
            reason="other",
        )
    assert error.value.message.startswith(
        "Exceeds the amount limit: The approved amount is 10,000,000,000,000.00 yuan"
    )
    assert error.value.field == "approved_amount"
    assert not LineDecision.objects.exists()


def test_the_cut_form_shows_the_limit_at_the_amount(
    client: Client, at_finance: Project, finance_reviewer: User
) -> None:
    client.force_login(finance_reviewer)
    line = at_finance.lines.get()
    response = client.post(
        reverse("budgeting:cut", args=[at_finance.code, line.pk]),
        {"version": at_finance.version, "approved_amount": "1e30", "reason": "other"},
    )
    assert response.status_code == 400
    assert "超出金额上限：审核数为 1.000E+30 元" in response.content.decode()
    assert not LineDecision.objects.exists()


def test_an_approved_total_no_column_holds_is_refused_not_a_database_error(
    at_finance: Project, finance_reviewer: User, finance_approver: User
) -> None:
    # Lines the services could never write (each within the limit, together past it),
    # as an older version or a hand-made row might have left them.
    project = services.pass_stage(
        at_finance, actor=finance_reviewer, expected_version=at_finance.version
    )
    line = project.lines.get()
    EstimateLine.objects.filter(pk=line.pk).update(amount=Decimal("900000000000.00"))
    EstimateLine.objects.create(
        project=project, position=2, fee_class="其他服务费", name="另一项", unit="项",
        amount=Decimal("900000000000.00"), is_non_standard=True, justification="测试",
    )  # fmt: skip
    with pytest.raises(WorkflowError, match=r"^Exceeds the amount limit: The approved amount"):
        services.approve(project, actor=finance_approver, expected_version=project.version)
    project.refresh_from_db()
    assert project.state == ProjectState.IN_REVIEW
    assert project.approved_amount is None
    assert not Event.objects.filter(event_type="budgeting.project.approve").exists()
