from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from projects.models import EstimateLine, Project
from projects.tests.factories import register
from standards.demo import seed_standards

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(submitter: User) -> Project:
    seed_standards()
    return register(submitter, kind="operation")


def test_the_clerk_chooses_an_item_and_prices_a_line(
    client: Client, submitter: User, project: Project
) -> None:
    client.force_login(submitter)
    url = reverse("projects:line_add", args=[project.code])
    chooser = client.get(url)
    codes = [item.code for group in chooser.context["groups"] for item in group.items]
    assert "2.1" in codes and "1.1" not in codes  # function points price construction only
    assert [i.code for g in client.get(url, {"q": "驻场"}).context["groups"] for i in g.items] == [
        "2.1"
    ]
    form_page = client.get(url, {"item": "2.1"})
    assert "grade" in form_page.context["form"].fields
    response = client.post(
        url, {"item": "2.1", "version": project.version, "grade": "L2", "quantity": "3"}
    )
    assert response.status_code == 302
    line = EstimateLine.objects.get()
    assert line.grade_figures["unit_price"] == "104900.00"
    assert line.amount == Decimal("314700.00")  # 3 × 104,900
    project.refresh_from_db()
    assert project.requested_amount == line.amount


def test_an_out_of_range_input_is_shown_on_the_form(
    client: Client, submitter: User, project: Project
) -> None:
    client.force_login(submitter)
    client.cookies["django_language"] = "en"
    response = client.post(
        reverse("projects:line_add", args=[project.code]),
        {"item": "2.2", "version": project.version, "base": "1000000", "rate": "0.2"},
    )
    assert response.status_code == 200
    assert "between 5% and 8%" in " ".join(response.context["form"].non_field_errors())
    assert not EstimateLine.objects.exists()


def test_non_standard_line_needs_its_justification(
    client: Client, submitter: User, project: Project
) -> None:
    client.force_login(submitter)
    url = reverse("projects:line_add_non_standard", args=[project.code])
    data = {
        "version": project.version,
        "fee_class": "其他服务费",
        "name": "专家评审",
        "unit": "次",
        "quantity": "2",
        "unit_price": "5000",
        "justification": "",
    }
    assert client.post(url, data).status_code == 200
    assert not EstimateLine.objects.exists()
    data["justification"] = "标准未覆盖"
    assert client.post(url, data).status_code == 302
    assert EstimateLine.objects.get().is_non_standard


def test_outsiders_and_approvers_cannot_add_lines(
    client: Client, outsider: User, department_approver: User, project: Project
) -> None:
    url = reverse("projects:line_add", args=[project.code])
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(department_approver)
    assert client.get(url).status_code == 403


def test_removing_a_line_is_a_post(client: Client, submitter: User, project: Project) -> None:
    client.force_login(submitter)
    client.post(
        reverse("projects:line_add", args=[project.code]),
        {"item": "2.1", "version": project.version, "grade": "L1", "quantity": "1"},
    )
    line = EstimateLine.objects.get()
    url = reverse("projects:line_remove", args=[project.code, line.pk])
    assert client.get(url).status_code == 405
    project.refresh_from_db()
    client.post(url, {"version": project.version})
    assert not EstimateLine.objects.exists()
