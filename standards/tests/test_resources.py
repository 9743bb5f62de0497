"""django-import-export resources: round trip through the services, drafts only."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from audit.models import Event
from standards import resources
from standards.models import Grade, SetStatus
from standards.resources import FeeCategoryResource, GradeResource, ServiceItemResource
from standards.tests.factories import filled_set

pytestmark = pytest.mark.django_db


def test_export_names_sets_and_parents_by_code():
    filled_set(2, code="GD-2019")
    items = ServiceItemResource().export()
    assert items.headers[:4] == ["标准编码", "code", "name", "费用类别编码"]
    assert items[0][:4] == ("GD-2019", "2.01", "运维服务1", "2")
    grades = GradeResource().export()
    assert grades[0][:3] == ("GD-2019", "2.01", "A")


def test_reimporting_unchanged_rows_writes_nothing():
    draft = filled_set(2, code="DRAFT", status=SetStatus.DRAFT)
    for resource_class in (FeeCategoryResource, ServiceItemResource, GradeResource):
        dataset = resource_class().export()
        result = resource_class().import_data(dataset, dry_run=False)
        assert not result.has_errors()
        assert result.totals["update"] == 0
        assert result.totals["new"] == 0
    assert draft.items.count() == 2


def test_importing_grades_into_a_draft_goes_through_the_services(system_admin):
    filled_set(1, code="DRAFT", status=SetStatus.DRAFT)
    dataset = GradeResource().export()
    dataset.append(("DRAFT", "2.01", "C", "三级", "150000.00", "", "", "", "3"))
    price = dataset.headers.index("unit_price")
    first = list(dataset[0])
    first[price] = "90000.00"
    dataset[0] = tuple(first)
    result = GradeResource().import_data(dataset, dry_run=False, user=system_admin)
    assert not result.has_errors(), result.row_errors()
    assert result.totals["new"] == 1
    assert result.totals["update"] == 1
    grades = Grade.objects.filter(item__standard_set__code="DRAFT").order_by("code")
    assert [g.unit_price for g in grades] == [
        Decimal("90000.00"),
        Decimal("125900.00"),
        Decimal("150000.00"),
    ]
    assert Event.objects.filter(event_type="standards.grade.created", actor=system_admin).exists()


def test_importing_into_a_published_set_fails_and_writes_nothing():
    filled_set(1, code="PUB")
    dataset = GradeResource().export()
    price = dataset.headers.index("unit_price")
    first = list(dataset[0])
    first[price] = "1.00"
    dataset[0] = tuple(first)
    result = GradeResource().import_data(dataset, dry_run=False)
    assert result.has_errors()
    assert not Grade.objects.filter(unit_price=Decimal("1.00")).exists()


@pytest.mark.parametrize("model", ["feecategory", "serviceitem", "grade"])
def test_import_and_export_pages_are_for_system_admins_only(
    model, client, clerk_client, system_admin_client
):
    for name in ("import", "export"):
        url = reverse(f"admin:standards_{model}_{name}")
        for outsider in (client, clerk_client):
            response = outsider.get(url)
            assert response.status_code == 302
            assert reverse("admin:login") in response["Location"]
        assert system_admin_client.get(url).status_code == 200


def test_an_import_over_the_row_limit_is_refused_whole(system_admin, monkeypatch):
    filled_set(2, code="DRAFT", status=SetStatus.DRAFT)
    dataset = GradeResource().export()  # two items, two grades each
    price = dataset.headers.index("unit_price")
    for number in range(len(dataset)):
        row = list(dataset[number])
        row[price] = "1.00"
        dataset[number] = tuple(row)
    monkeypatch.setattr(resources, "MAX_IMPORT_ROWS", 3)
    with translation.override("en"):
        result = GradeResource().import_data(dataset, dry_run=False, user=system_admin)
    [error] = result.base_errors
    assert "The file has 4 rows; this import takes at most 3." in str(error.error)
    assert not Grade.objects.filter(unit_price=Decimal("1.00")).exists()
