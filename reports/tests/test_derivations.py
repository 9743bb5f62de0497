"""标准派生对比: each city's overrides (±%), additions and retirements, the projects they
priced, its Excel export, and a query count that does not grow (issue #18)."""

from decimal import Decimal
from io import BytesIO

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Organization, User
from projects.tests.factories import add_priced_line, register
from reports.derivations import derivation_rows
from standards import demo
from standards import services as standards_services
from standards.tests.factories import derived_set, jurisdiction

pytestmark = pytest.mark.django_db


@pytest.fixture
def guangzhou_project(submitter: User, education: Organization):
    demo.seed_standards()
    Organization.objects.filter(pk=education.pk).update(jurisdiction=demo.city_jurisdiction())
    project = register(User.objects.get(pk=submitter.pk), kind="operation")
    add_priced_line(project, submitter, "2.1", standard=demo.CITY_CODE, grade="L2", quantity="1")
    return project


def test_the_report_shows_guangzhous_changes_with_percentages(
    guangzhou_project, submitter: User
) -> None:
    from projects.permissions import projects_visible_to

    rows = derivation_rows(projects_visible_to(submitter))
    by_key = {(row.kind, row.item_code, row.grade): row for row in rows}
    l2 = by_key[("override", "2.1", "较高")]
    assert (l2.base_price, l2.own_price) == (Decimal("104900.00"), Decimal("98000.00"))
    assert l2.change_percent == Decimal("-6.58")
    assert l2.projects == 1 and l2.reason
    assert by_key[("override", "4.1", "通用型")].change_percent == Decimal("-8.33")
    assert ("local", "5.2", "") in by_key
    assert ("retired", "1.4", "") in by_key
    assert {row.standard_set.jurisdiction.code for row in rows} == {"GD-GZ", "GD-GZ-TH"}
    tianhe = by_key[("override", "5.1", "二级")]  # against Guangzhou's, its base
    assert (tianhe.base_price, tianhe.own_price) == (Decimal("80000.00"), Decimal("75000.00"))
    assert tianhe.change_percent == Decimal("-6.25")


def test_finance_sees_the_page_export_and_drill_down(
    guangzhou_project, finance_reviewer: User, admin_user: User, client: Client
) -> None:
    client.force_login(finance_reviewer)
    page = client.get(reverse("reports:derivations"))
    assert page.status_code == 200
    assert "98,000.00" in page.content.decode()
    drill_url = reverse("reports:derivation_projects", args=[demo.CITY_CODE, "2.1"])
    # A draft never reached finance: the drill-down stops at what finance may see.
    assert guangzhou_project.code not in client.get(drill_url).content.decode()
    client.force_login(admin_user)
    assert guangzhou_project.code in client.get(drill_url).content.decode()
    export = client.get(reverse("reports:derivations_export"))
    sheet = load_workbook(BytesIO(export.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert values[0][:2] == ["广州市", demo.CITY_CODE]
    assert any(row[3] == "2.1" and row[7] == 98000 for row in values)


def test_a_clerk_gets_403(submitter: User, client: Client) -> None:
    client.force_login(submitter)
    assert client.get(reverse("reports:derivations")).status_code == 403


def test_the_query_count_does_not_grow_with_sets_and_items(
    guangzhou_project, finance_reviewer: User, client: Client, django_assert_max_num_queries
) -> None:
    client.force_login(finance_reviewer)
    url = reverse("reports:derivations")
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    province = standards_services.publish_set(
        standards_services.copy_to_new_version(
            demo_province(), code="GD-MORE", version_label="x",
            effective_from=demo_province().effective_from, actor=None,
        ),
        actor=None,
    )  # fmt: skip
    for number in range(3):
        city = derived_set(
            province, f"SZ-{number}", where=jurisdiction(f"GD-C{number}", f"市{number}")
        )
        for code in ("2.1", "2.2", "4.2"):
            standards_services.override_item(city, code, actor=None, reason="测试")
        standards_services.retire_item(city, "1.4", reason="测试", actor=None)
        standards_services.publish_set(city, actor=None)
    with django_assert_max_num_queries(len(few)):
        page = client.get(url)
    assert page.content.decode().count("SZ-2") >= 4


def demo_province():
    from standards.models import StandardSet

    return StandardSet.objects.get(code=demo.PROVINCE_CODE)
