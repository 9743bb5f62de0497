"""Issue #18: a jurisdiction's admin manages its own units, people, standards and years
only. A system admin is a Django superuser; a city's admin must still reach nothing of
the province's or a neighbour's, in Django admin or on the pages, while the province's
admins keep every jurisdiction and what belongs to none (code lists, API clients, the
history)."""

import pytest
from django.contrib import admin
from django.urls import reverse

from accounts.models import Organization, Role, User
from accounts.permissions import units_visible_to
from accounts.tests.factories import UserFactory
from budgeting.models import BudgetCycle
from projects.models import Project
from projects.permissions import projects_visible_to
from standards import import_service
from standards.excel import read_workbook, write_workbook
from standards.models import SetStatus, StandardSet
from standards.permissions import can_manage_set
from standards.services import StandardsError
from standards.tests.factories import filled_set
from tests.test_jurisdiction_access import REFUSED, City, _city, _client, _statuses

pytestmark = pytest.mark.django_db

# What belongs to no jurisdiction: the province's admins' alone.
PROVINCE_ONLY = {
    "audit.event",
    "classification.classificationcode",
    "api.apiclient",
    "api.apicall",
    "api.webhook",
    "api.webhookdelivery",
}


@pytest.fixture
def guangzhou(db: None) -> City:
    return _city("GD-GZ", "广州市", "GZ")


@pytest.fixture
def shenzhen(db: None) -> City:
    return _city("GD-SZ", "深圳市", "SZ")


@pytest.fixture
def gz_admin(guangzhou: City) -> User:
    data_administration = Organization.objects.get(code="GZZSJ")
    return UserFactory.create(
        username="gz_admin", organization=data_administration, roles=[Role.SYSTEM_ADMIN]
    )


def _changelist(model_admin: admin.ModelAdmin) -> str:
    meta = model_admin.model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")


def test_a_city_s_admin_sees_its_own_city_on_the_pages(
    guangzhou: City, shenzhen: City, at_finance: Project, gz_admin: User, admin_user: User
) -> None:
    assert set(projects_visible_to(gz_admin)) == {guangzhou.project}
    assert {unit.jurisdiction_id for unit in units_visible_to(gz_admin)} == {
        guangzhou.jurisdiction.pk
    }
    for project in (shenzhen.project, at_finance):
        reached = {n: s for n, s in _statuses(gz_admin, project).items() if s not in REFUSED}
        assert reached == {}, (project.code, reached)
    listing = _client(gz_admin).get(reverse("projects:list")).content.decode()
    assert guangzhou.project.code in listing and shenzhen.project.code not in listing
    # The roll-up across jurisdictions is the province's.
    assert _client(gz_admin).get(reverse("reports:province")).status_code == 403
    # The province's admin still sees every jurisdiction's projects.
    assert {guangzhou.project, shenzhen.project, at_finance} <= set(projects_visible_to(admin_user))


def test_nothing_of_the_province_s_in_django_admin(
    guangzhou: City, shenzhen: City, gz_admin: User
) -> None:
    client = _client(gz_admin)
    statuses = {}
    for model, model_admin in admin.site._registry.items():
        statuses[model._meta.label_lower] = client.get(_changelist(model_admin)).status_code
    assert {label for label, status in statuses.items() if status == 403} == PROVINCE_ONLY
    assert {status for label, status in statuses.items() if label not in PROVINCE_ONLY} == {200}
    # The years: Guangzhou's alone, and another's change page is missing.
    cycles = client.get(reverse("admin:budgeting_budgetcycle_changelist")).content.decode()
    assert guangzhou.cycle.name in cycles and shenzhen.cycle.name not in cycles
    other = client.get(reverse("admin:budgeting_budgetcycle_change", args=[shenzhen.cycle.pk]))
    assert other.status_code == 302  # "doesn't exist": back to the admin index


def test_a_city_s_admin_makes_its_years_for_its_own_city(guangzhou: City, gz_admin: User) -> None:
    response = _client(gz_admin).post(
        reverse("admin:budgeting_budgetcycle_add"),
        {
            "year": 2028,
            "name": "2028年度广州市部门预算",
            "opens_at_0": "2027-06-01",
            "opens_at_1": "00:00:00",
            "closes_at_0": "2027-09-30",
            "closes_at_1": "00:00:00",
            "state": "preparing",
            "rounds": "2",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert BudgetCycle.objects.get(year=2028).jurisdiction == guangzhou.jurisdiction


def test_each_admin_manages_its_own_jurisdiction_s_standards(
    guangzhou: City, shenzhen: City, gz_admin: User, admin_user: User
) -> None:
    province = filled_set(code="GD-2019")
    gz_set = filled_set(
        code="GZ-2020", base=province, jurisdiction=guangzhou.jurisdiction, status=SetStatus.DRAFT
    )
    sz_set = filled_set(
        code="SZ-2020", base=province, jurisdiction=shenzhen.jurisdiction, status=SetStatus.DRAFT
    )
    assert can_manage_set(gz_admin, gz_set)
    assert not can_manage_set(gz_admin, province) and not can_manage_set(gz_admin, sz_set)
    assert all(can_manage_set(admin_user, s) for s in (province, gz_set, sz_set))
    client = _client(gz_admin)
    sets = client.get(reverse("admin:standards_standardset_changelist")).content.decode()
    assert "GZ-2020" in sets and "SZ-2020" not in sets and "GD-2019" not in sets
    for standard_set in (province, sz_set):
        change = reverse("admin:standards_standardset_change", args=[standard_set.pk])
        assert client.get(change).status_code == 302
        export = reverse("admin:standards_standardset_export", args=[standard_set.pk])
        assert client.get(export).status_code == 404
    # A neighbour's draft is no more visible on the pages than in the admin.
    assert client.get(reverse("standards:set", args=["SZ-2020"])).status_code == 404
    assert client.get(reverse("standards:set", args=["GZ-2020"])).status_code == 200


def test_a_city_s_admin_cannot_import_into_another_jurisdiction_s_set(
    guangzhou: City, shenzhen: City, tmp_path
) -> None:
    sz_set = filled_set(code="SZ-2020", jurisdiction=shenzhen.jurisdiction, status=SetStatus.DRAFT)
    path = tmp_path / "sz.xlsx"
    with path.open("wb") as out:
        write_workbook(sz_set, out)
    parsed = read_workbook(str(path), "sz.xlsx")
    with pytest.raises(StandardsError, match="SZ-2020"):
        import_service.import_catalogue(
            "SZ-2020", parsed, actor=None, jurisdiction=guangzhou.jurisdiction
        )
    # A new code becomes the importing admin's jurisdiction's draft.
    import_service.import_catalogue(
        "GZ-2021", parsed, actor=None, jurisdiction=guangzhou.jurisdiction
    )
    assert StandardSet.objects.get(code="GZ-2021").jurisdiction == guangzhou.jurisdiction
