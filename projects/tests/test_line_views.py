from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from audit.models import Event
from projects.models import EstimateLine, Project
from projects.tests.factories import register
from tests.helpers import seed_standards

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


def test_removing_a_line_asks_first_and_removes_only_on_the_confirmation(
    client: Client, submitter: User, project: Project
) -> None:
    """Issue #15: one click used to remove a line, with no question asked."""
    client.force_login(submitter)
    client.cookies["django_language"] = "en"
    client.post(
        reverse("projects:line_add", args=[project.code]),
        {"item": "2.1", "version": project.version, "grade": "L1", "quantity": "1"},
    )
    line = EstimateLine.objects.get()
    url = reverse("projects:line_remove", args=[project.code, line.pk])
    detail = client.get(reverse("projects:detail", args=[project.code])).content.decode()
    assert f'href="{url}"' in detail  # a link to the question, not a button that removes
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert f"Remove the line {line.name}" in html
    assert 'method="post"' in html
    assert EstimateLine.objects.filter(pk=line.pk).exists()
    project.refresh_from_db()
    response = client.post(url, {"version": project.version})
    assert response.status_code == 302
    assert not EstimateLine.objects.exists()
    assert Event.objects.filter(event_type="projects.line.removed").count() == 1
    assert not EstimateLine.objects.exists()


def _standard_line(client: Client, project: Project, **inputs: str) -> EstimateLine:
    response = client.post(
        reverse("projects:line_add", args=[project.code]),
        {"item": "2.1", "version": Project.objects.get(pk=project.pk).version, **inputs},
    )
    assert response.status_code == 302
    return EstimateLine.objects.latest("pk")


def test_editing_opens_the_line_form_filled_with_the_lines_inputs_and_price(
    client: Client, submitter: User, project: Project
) -> None:
    client.force_login(submitter)
    client.cookies["django_language"] = "en"
    line = _standard_line(client, project, grade="L2", quantity="3")
    detail = client.get(reverse("projects:detail", args=[project.code])).content.decode()
    url = reverse("projects:line_edit", args=[project.code, line.pk])
    assert f'href="{url}"' in detail
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["form"]
    assert (form["grade"].value(), form["quantity"].value()) == ("L2", "3")
    html = page.content.decode()
    assert "314,700.00" in html  # the line's price, before anything is changed
    # The same live pricing as adding a line.
    assert f'hx-get="{reverse("projects:line_preview", args=[project.code])}"' in html
    assert 'name="item" value="2.1"' in html


def test_saving_an_edit_replaces_the_line_in_its_place_with_its_history(
    client: Client, submitter: User, project: Project
) -> None:
    client.force_login(submitter)
    first = _standard_line(client, project, grade="L2", quantity="3")
    second = _standard_line(client, project, grade="L1", quantity="1")
    version = Project.objects.get(pk=project.pk).version
    response = client.post(
        reverse("projects:line_edit", args=[project.code, first.pk]),
        {"item": "2.1", "version": version, "grade": "L2", "quantity": "2"},
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.amount == Decimal("209800.00")  # 2 × 104,900
    assert first.inputs == {"quantity": "2"}
    assert list(project.lines.values_list("pk", flat=True)) == [first.pk, second.pk]
    project.refresh_from_db()
    assert project.requested_amount == first.amount + second.amount
    assert project.version == version + 1
    event = Event.objects.get(event_type="projects.line.changed")
    assert (event.data["before"]["amount"], event.data["after"]["amount"]) == (
        "314700.00",
        "209800.00",
    )
    assert event.data["requested"][1] == str(project.requested_amount)


def test_an_edit_from_a_stale_page_changes_nothing_and_keeps_the_input(
    client: Client, submitter: User, project: Project
) -> None:
    client.force_login(submitter)
    client.cookies["django_language"] = "en"
    line = _standard_line(client, project, grade="L2", quantity="3")
    stale = Project.objects.get(pk=project.pk).version - 1
    response = client.post(
        reverse("projects:line_edit", args=[project.code, line.pk]),
        {"item": "2.1", "version": stale, "grade": "L2", "quantity": "5"},
    )
    assert response.status_code == 200
    assert "Someone saved this project after you opened it" in response.content.decode()
    assert response.context["form"]["quantity"].value() == "5"
    line.refresh_from_db()
    assert line.amount == Decimal("314700.00")
    assert not Event.objects.filter(event_type="projects.line.changed").exists()


def test_a_non_standard_line_is_edited_in_its_own_form(
    client: Client, submitter: User, project: Project
) -> None:
    client.force_login(submitter)
    client.post(
        reverse("projects:line_add_non_standard", args=[project.code]),
        {
            "version": project.version, "fee_class": "其他服务费", "name": "等保测评",
            "unit": "项", "quantity": "1", "unit_price": "80000", "justification": "标准未覆盖。",
        },
    )  # fmt: skip
    line = EstimateLine.objects.get()
    url = reverse("projects:line_edit", args=[project.code, line.pk])
    form = client.get(url).context["form"]
    assert (form["name"].value(), form["unit_price"].value()) == ("等保测评", "80000")
    response = client.post(
        url,
        {
            "version": Project.objects.get(pk=project.pk).version, "fee_class": "其他服务费",
            "name": "等保测评（三级）", "unit": "项", "quantity": "1", "unit_price": "100000",
            "justification": "三级系统。",
        },
    )  # fmt: skip
    assert response.status_code == 302
    line.refresh_from_db()
    assert (line.name, line.amount, line.is_non_standard) == (
        "等保测评（三级）",
        Decimal("100000.00"),
        True,
    )


def test_only_who_may_edit_the_project_edits_or_removes_its_lines(
    client: Client, submitter: User, project: Project, department_approver: User, outsider: User
) -> None:
    client.force_login(submitter)
    line = _standard_line(client, project, grade="L2", quantity="3")
    for name in ("projects:line_edit", "projects:line_remove"):
        url = reverse(name, args=[project.code, line.pk])
        client.force_login(outsider)
        assert client.get(url).status_code == 404
        assert client.post(url, {"version": project.version}).status_code == 404
        client.force_login(department_approver)
        assert client.get(url).status_code == 403
        client.force_login(submitter)
        assert client.get(reverse(name, args=[project.code, 999999])).status_code == 404
    assert EstimateLine.objects.filter(pk=line.pk).exists()
