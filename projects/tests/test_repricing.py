"""Re-pricing with the current standard: a line keeps its frozen standard until the clerk
has seen the differences and confirms; then all re-priceable lines change at once."""

from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from audit.models import Event
from projects import repricing, services
from projects.errors import ProjectError
from projects.models import Project
from projects.tests.factories import NEWER_DEMO_CODE as NEW_CODE
from projects.tests.factories import add_priced_line, publish_newer_version, register
from standards.demo import PROVINCE_CODE
from standards.models import StandardSet
from tests.helpers import seed_standards

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    seed_standards()
    with translation.override("en"):
        yield


@pytest.fixture
def project(submitter: User) -> Project:
    """Priced by the 2019 standard: 532,800.00 requested in all."""
    project = register(submitter, kind="operation")
    add_priced_line(project, submitter, "2.1", grade="L1", quantity="2")  # 167,800
    add_priced_line(project, submitter, "2.2", base="1000000", rate="0.06")  # 60,000
    add_priced_line(project, submitter, "4.3", one_off_cost="600000")  # 100,000 + 5 % O&M 30,000
    add_priced_line(
        project,
        submitter,
        "2.1",
        grade="L3",
        quantity="1",
        unit_price_override="130000",
        justification="须具备等保测评资质。",
    )
    services.add_non_standard_line(
        Project.objects.get(pk=project.pk), actor=submitter,
        expected_version=Project.objects.get(pk=project.pk).version, fee_class="其他服务费",
        name="渗透测试", unit="次", quantity=Decimal(1), unit_price=Decimal(45000),
        justification="标准未覆盖。",
    )  # fmt: skip
    project = Project.objects.get(pk=project.pk)
    assert project.requested_amount == Decimal("532800.00")
    return project


def test_nothing_to_reprice_while_the_lines_follow_the_standard_in_force(
    client: Client, submitter: User, project: Project
) -> None:
    changes = repricing.plan(project)
    assert changes is not None and changes.rows == []
    client.force_login(submitter)
    client.cookies["django_language"] = "en"
    detail = client.get(reverse("projects:detail", args=[project.code]))
    assert detail.context["reprice_offered"] is False
    page = client.get(reverse("projects:line_reprice", args=[project.code]))
    assert "Every line is priced by the standard in force" in page.content.decode()


def test_the_differences_are_shown_line_by_line_with_totals(
    client: Client, submitter: User, project: Project
) -> None:
    publish_newer_version()
    client.force_login(submitter)
    client.cookies["django_language"] = "en"
    detail = client.get(reverse("projects:detail", args=[project.code]))
    assert detail.context["reprice_offered"] is True
    assert reverse("projects:line_reprice", args=[project.code]) in detail.content.decode()

    response = client.get(reverse("projects:line_reprice", args=[project.code]))
    changes = response.context["plan"]
    assert changes.standard.code == NEW_CODE
    rows = {(row.line.item_code, row.line.grade_code): row for row in changes.repriced}
    staff = rows["2.1", "L1"]
    assert (staff.old_unit_price, staff.new_unit_price) == (Decimal("83900"), Decimal("90000"))
    assert (staff.line.amount, staff.new_amount) == (Decimal("167800.00"), Decimal("180000.00"))
    own_price = rows["2.1", "L3"]  # the clerk's own price and its flag are kept
    assert own_price.new_amount == Decimal("130000.00") and own_price.quote
    assert own_price.quote.above_standard
    assert {row.line.item_code: row.problem for row in changes.kept} == {
        "2.2": "With the current standard this line would be flagged and needs a "
        "justification: remove it and add it again with one.",
        "4.3": "The current standard has no such item.",
    }
    assert (changes.old_total, changes.new_total) == (Decimal("297800.00"), Decimal("310000.00"))
    assert changes.requested_after == Decimal("545000.00")
    html = response.content.decode()
    for figure in ("83,900.00", "90,000.00", "180,000.00", "12,200.00", "545,000.00"):
        assert figure in html
    assert "The current standard has no such item." in html
    assert "those are cleared and set again in the next review" in html
    assert not Event.objects.filter(event_type="projects.lines.repriced").exists()


def test_confirming_reprices_all_the_lines_it_can_in_one_audited_change(
    client: Client, submitter: User, project: Project
) -> None:
    publish_newer_version()
    untouched = {
        line.item_code: (line.amount, line.standard_set_id)
        for line in project.lines.filter(item_code__in=["2.2", "4.3", ""])
    }
    client.force_login(submitter)
    response = client.post(
        reverse("projects:line_reprice", args=[project.code]),
        {"version": project.version, "standard": NEW_CODE},
    )
    assert response.status_code == 302
    after = Project.objects.get(pk=project.pk)
    assert after.requested_amount == Decimal("545000.00")
    assert after.version == project.version + 1
    staff = after.lines.get(item_code="2.1", grade_code="L1")
    assert staff.amount == Decimal("180000.00")
    assert staff.standard_set_id == StandardSet.objects.get(code=NEW_CODE).pk
    assert staff.grade_figures["unit_price"] == "90000.00"
    assert "90,000.00" in staff.explanation_zh
    own_price = after.lines.get(item_code="2.1", grade_code="L3")
    assert own_price.is_above_standard and own_price.justification == "须具备等保测评资质。"
    assert own_price.standard_set_id == staff.standard_set_id
    assert {
        line.item_code: (line.amount, line.standard_set_id)
        for line in after.lines.filter(item_code__in=["2.2", "4.3", ""])
    } == untouched
    event = Event.objects.get(event_type="projects.lines.repriced")
    assert event.actor == submitter
    assert event.data["standard"] == NEW_CODE
    assert event.data["requested"] == ["532800.00", "545000.00"]
    assert sorted(event.data["kept"]) == ["2.2", "4.3"]
    changed = {c["before"]["amount"]: c["after"]["amount"] for c in event.data["lines"]}
    assert changed == {"167800.00": "180000.00", "130000.00": "130000.00"}


def test_a_stale_page_or_another_standard_is_refused_and_changes_nothing(
    client: Client, submitter: User, project: Project
) -> None:
    publish_newer_version()
    client.force_login(submitter)
    client.cookies["django_language"] = "en"
    url = reverse("projects:line_reprice", args=[project.code])
    response = client.post(url, {"version": project.version - 1, "standard": NEW_CODE})
    assert response.status_code == 302 and response["Location"] == url
    [message] = list(get_messages(response.wsgi_request))
    assert "Someone saved this project" in str(message)
    with pytest.raises(ProjectError, match="standard in force has changed"):
        services.reprice_lines(
            project, actor=submitter, expected_version=project.version, standard_code=PROVINCE_CODE
        )
    after = Project.objects.get(pk=project.pk)
    assert (after.version, after.requested_amount) == (project.version, project.requested_amount)
    assert not after.lines.filter(standard_set__code=NEW_CODE).exists()
    assert not Event.objects.filter(event_type="projects.lines.repriced").exists()


def test_only_the_units_submitters_reprice_an_editable_project(
    client: Client,
    submitter: User,
    outsider: User,
    department_approver: User,
    project: Project,
) -> None:
    publish_newer_version()
    url = reverse("projects:line_reprice", args=[project.code])
    data = {"version": project.version, "standard": NEW_CODE}
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.post(url, data).status_code == 404
    client.force_login(department_approver)
    assert client.get(url).status_code == 403
    assert client.post(url, data).status_code == 403
    with pytest.raises(ProjectError):
        services.reprice_lines(
            project, actor=department_approver, expected_version=project.version,
            standard_code=NEW_CODE,
        )  # fmt: skip
    assert not Project.objects.get(pk=project.pk).lines.filter(standard_set__code=NEW_CODE)


def test_the_differences_page_query_count_does_not_grow_with_lines(
    client: Client, submitter: User, project: Project
) -> None:
    publish_newer_version()
    client.force_login(submitter)
    url = reverse("projects:line_reprice", args=[project.code])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for quantity in range(1, 6):
        add_priced_line(project, submitter, "2.1", grade="L2", quantity=str(quantity))
        add_priced_line(project, submitter, "1.4", one_off_cost="300000")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["plan"].repriced) == 12
    assert len(many.captured_queries) == len(few.captured_queries)
