"""A project is priced by the standard in force for its unit's jurisdiction (issue #18):
its county's, else its city's, else the province's; the line says which set and level."""

import datetime
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.utils import translation

from accounts.models import Organization, User
from projects import estimates
from projects.tests.factories import add_priced_line, register
from standards import catalogue, demo
from standards import services as standards_services
from standards.models import StandardSet
from standards.tests.factories import jurisdiction

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def guangzhou_clerk(submitter: User, education: Organization) -> User:
    """EDU moved under Guangzhou: its clerk prices by Guangzhou's standard."""
    demo.seed_standards()
    Organization.objects.filter(pk=education.pk).update(jurisdiction=demo.city_jurisdiction())
    return User.objects.get(pk=submitter.pk)


def test_a_guangzhou_units_line_gets_guangzhous_overridden_price(guangzhou_clerk: User) -> None:
    project = register(guangzhou_clerk, kind="operation")
    standard = estimates.standard_for(project)
    assert standard is not None and standard.code == demo.CITY_CODE
    line = add_priced_line(
        project, guangzhou_clerk, "2.1", standard=demo.CITY_CODE, grade="L2", quantity="1"
    )
    assert line.amount == Decimal("98000.00")
    assert line.standard_set_id == standard.pk
    assert line.priced_by == "广州市 standard DEMO-GZ-2020 · city override"
    inherited = add_priced_line(project, guangzhou_clerk, "2.2", base="100000", rate="0.05")
    assert inherited.priced_by == "广州市 standard DEMO-GZ-2020 · provincial item"
    local = add_priced_line(
        project, guangzhou_clerk, "5.2", standard=demo.CITY_CODE, grade="STD", quantity="1"
    )
    assert local.priced_by == "广州市 standard DEMO-GZ-2020 · city addition"


def test_a_provincial_units_line_gets_the_provinces_price(submitter: User) -> None:
    demo.seed_standards()
    project = register(submitter, kind="operation")
    assert estimates.standard_for(project).code == demo.PROVINCE_CODE  # type: ignore[union-attr]
    line = add_priced_line(project, submitter, "2.1", grade="L2", quantity="1")
    assert line.amount == Decimal("104900.00")
    assert line.priced_by == "Provincial standard DEMO-GD-2019"


def test_the_project_page_and_review_show_which_set_priced_the_line(
    guangzhou_clerk: User, client
) -> None:
    project = register(guangzhou_clerk, kind="operation")
    add_priced_line(
        project, guangzhou_clerk, "2.1", standard=demo.CITY_CODE, grade="L2", quantity="1"
    )
    client.force_login(guangzhou_clerk)
    page = client.get(f"/projects/{project.code}/").content.decode()
    assert "广州市标准 DEMO-GZ-2020 · 市级覆盖" in page  # the UI speaks Chinese by default
    client.cookies["django_language"] = "en"
    page = client.get(f"/projects/{project.code}/").content.decode()
    assert "广州市 standard DEMO-GZ-2020 · city override" in page


def test_fallback_runs_county_city_province() -> None:
    demo.seed_standards()
    province = StandardSet.objects.get(code=demo.PROVINCE_CODE)
    city = StandardSet.objects.get(code=demo.CITY_CODE)
    county = StandardSet.objects.get(code=demo.COUNTY_CODE)  # Tianhe's, from 2024
    tianhe = jurisdiction("GD-GZ-TH", "天河区", parent="GD-GZ")
    shenzhen = jurisdiction("GD-SZ", "深圳市")
    day = datetime.date(2027, 1, 1)
    assert catalogue.set_in_force_for(tianhe, day) == county
    assert catalogue.set_in_force_for(tianhe, datetime.date(2023, 1, 1)) == city  # not yet its own
    assert catalogue.set_in_force_for(tianhe, datetime.date(2019, 6, 1)) == province
    assert catalogue.set_in_force_for(shenzhen, day) == province  # no city set: the province's
    assert catalogue.set_in_force_for(None, day) == province
    assert catalogue.set_in_force_for(demo.city_jurisdiction(), datetime.date(2019, 6, 1)) == (
        province
    )
    standards_services.retire_set(county, actor=None, effective_to=datetime.date(2025, 12, 31))
    assert catalogue.set_in_force_for(tianhe, day) == city  # retired: the city's again
