"""The line form's live price (htmx preview partial), its fallback without JavaScript,
and inputs outside the standard's range: priced, flagged, only with a justification."""

import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from audit.models import Event
from projects.errors import ProjectError
from projects.models import EstimateLine, Project
from projects.tests.factories import add_priced_line, register
from tests.helpers import seed_standards

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    seed_standards()
    with translation.override("en"):
        yield


@pytest.fixture
def operation(submitter: User) -> Project:
    return register(submitter, kind="operation")


@pytest.fixture
def construction(submitter: User) -> Project:
    return register(submitter, name="教育考试平台建设", kind="construction")


def _preview(client: Client, project: Project, item: str, **values: str) -> str:
    client.cookies["django_language"] = "en"
    response = client.get(
        reverse("projects:line_preview", args=[project.code]), {"item": item, **values}
    )
    assert response.status_code == 200
    assert b"<html" not in response.content  # a partial, for htmx to swap in
    return response.content.decode()


# Every pricing method, with the amount and a piece of its explanation.
METHODS = [
    ("operation", "2.1", {"grade": "L2", "quantity": "3"}, "314,700.00", "unit price 104,900.00"),
    (
        "construction",
        "1.1",
        {"ufp": "1000", "category": "业务处理", "reuse": "低"},
        "897,931.03",
        "function points = UFP 1000",
    ),
    (
        "construction",
        "1.2",
        {"stage:编码": "10", "stage:测试": "2.5"},
        "300,000.00",
        "12.5 person-months",
    ),
    ("operation", "2.2", {"base": "1000000", "rate": "0.06"}, "60,000.00", "rate 6%"),
    ("operation", "1.4", {"one_off_cost": "900000", "years": "3"}, "300,000.00", "÷ 3 years"),
]


@pytest.mark.parametrize(("kind", "item", "values", "amount", "explains"), METHODS)
def test_the_preview_prices_every_method_and_writes_nothing(
    client: Client,
    submitter: User,
    request: pytest.FixtureRequest,
    kind: str,
    item: str,
    values: dict[str, str],
    amount: str,
    explains: str,
) -> None:
    project: Project = request.getfixturevalue(kind)
    client.force_login(submitter)
    events = Event.objects.count()
    html = _preview(client, project, item, **values)
    assert amount in html
    assert explains in html
    assert "flagged" not in html
    assert not EstimateLine.objects.exists()
    assert Event.objects.count() == events
    assert Project.objects.get(pk=project.pk).version == project.version


def test_the_preview_asks_for_what_is_missing_and_names_bad_input(
    client: Client, submitter: User, operation: Project
) -> None:
    client.force_login(submitter)
    html = _preview(client, operation, "2.2", base="")
    assert "To see the amount, give: Base amount (yuan)." in html
    html = _preview(client, operation, "2.2", base="abc")
    assert "Base amount (yuan): Enter a number." in html
    html = _preview(client, operation, "2.1", grade="L1")  # no quantity yet
    assert "Quantity used" in html


def test_the_preview_names_a_missing_input_by_its_label_never_its_key(
    client: Client, submitter: User, construction: Project
) -> None:
    """Issue #15: a workload line with no stage said "请填写 stages。"."""
    client.force_login(submitter)
    client.cookies["django_language"] = "zh-hans"
    url = reverse("projects:line_preview", args=[construction.code])
    with translation.override("zh-hans"):
        html = client.get(url, {"item": "1.2"}).content.decode()
    assert "请至少填写一个阶段的人月数。" in html
    assert "stages" not in html


def test_the_preview_shows_an_input_outside_the_range_flagged(
    client: Client, submitter: User, operation: Project
) -> None:
    client.force_login(submitter)
    html = _preview(client, operation, "2.2", base="1000000", rate="0.2")
    assert "200,000.00" in html  # priced with the rate given
    assert "Outside the allowed range" in html
    assert "between 5% and 8%" in html
    assert "give a written justification" in html


def test_the_preview_is_checked_like_the_form(
    client: Client,
    submitter: User,
    outsider: User,
    department_approver: User,
    operation: Project,
) -> None:
    url = reverse("projects:line_preview", args=[operation.code])
    query = {"item": "2.1", "grade": "L1", "quantity": "1"}
    client.force_login(outsider)
    assert client.get(url, query).status_code == 404
    client.force_login(department_approver)
    assert client.get(url, query).status_code == 403
    client.force_login(submitter)
    assert client.get(url, {**query, "item": "1.1"}).status_code == 404  # not for operation
    assert client.post(url, query).status_code == 405


def test_the_form_carries_the_live_preview_wiring(
    client: Client, submitter: User, operation: Project
) -> None:
    client.force_login(submitter)
    page = client.get(reverse("projects:line_add", args=[operation.code]), {"item": "2.2"})
    html = page.content.decode()
    assert f'hx-get="{reverse("projects:line_preview", args=[operation.code])}"' in html
    assert 'hx-target="#line-preview"' in html
    assert 'id="line-preview" aria-live="polite"' in html
    # Strict CSP: every script is a static file, none inline (with attributes or without).
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.IGNORECASE | re.DOTALL)
    assert len(scripts) == html.lower().count("<script")
    assert scripts and all('src="/static/' in attrs and not body.strip() for attrs, body in scripts)
    assert "<script" not in _preview(client, operation, "2.2", base="1000000", rate="0.06")


def test_without_javascript_calculate_shows_the_price_and_saves_nothing(
    client: Client, submitter: User, operation: Project
) -> None:
    client.force_login(submitter)
    client.cookies["django_language"] = "en"
    url = reverse("projects:line_add", args=[operation.code])
    data = {"item": "2.2", "version": operation.version, "base": "1000000", "rate": "0.06"}
    response = client.post(url, {**data, "calculate": "1"})
    assert response.status_code == 200
    assert response.context["preview"].quote.result.amount == Decimal("60000.00")
    assert "base 1,000,000.00 yuan × rate 6% = 60,000.00 yuan" in response.content.decode()
    assert response.context["form"]["base"].value() == "1000000"  # the form keeps its values
    assert not EstimateLine.objects.exists()
    response = client.post(url, data)
    assert response.status_code == 302
    assert EstimateLine.objects.get().amount == Decimal("60000.00")


def test_without_javascript_an_error_is_shown_with_the_form(
    client: Client, submitter: User, operation: Project
) -> None:
    client.force_login(submitter)
    client.cookies["django_language"] = "en"
    url = reverse("projects:line_add", args=[operation.code])
    data = {"item": "2.2", "version": operation.version, "base": "1000000", "rate": "0.2"}
    response = client.post(url, data)
    assert response.status_code == 200
    errors = " ".join(response.context["form"].non_field_errors())
    assert "needs a written justification" in errors and "between 5% and 8%" in errors
    assert response.context["preview"].quote.result.amount == Decimal("200000.00")
    assert not EstimateLine.objects.exists()


def test_an_input_outside_the_range_needs_a_justification_and_is_flagged(
    submitter: User, construction: Project
) -> None:
    with pytest.raises(ProjectError, match=r"justification.*1\.3"):
        add_priced_line(construction, submitter, "5.1", grade="L3", quantity="1", coefficient="1.5")
    assert not construction.lines.exists()
    line = add_priced_line(
        construction, submitter, "5.1", grade="L3", quantity="1", coefficient="1.5",
        justification="四级系统参照三级上浮。",
    )  # fmt: skip
    assert line.amount == Decimal("150000.00")
    assert line.is_out_of_range and not line.is_above_standard
    assert line.justification == "四级系统参照三级上浮。"
    assert "outside the standard's allowed range" in line.explanation_en
    assert "超出标准允许范围" in line.explanation_zh
    assert line.flag_labels == ["Outside the allowed range"]
    event = Event.objects.filter(event_type="projects.line.added").latest("id")
    assert event.data["line"]["out_of_range"] is True
    within = add_priced_line(
        construction, submitter, "5.1", grade="L3", quantity="1", coefficient="1.2"
    )
    assert not within.is_out_of_range and within.justification == ""
