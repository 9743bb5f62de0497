"""Browsing, item detail and comparison pages: access, content and query counts."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from standards import services
from standards.models import Grade, SetStatus, Unit
from standards.tests.factories import derived_set, filled_set, new_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def province():
    return filled_set(2, code="GD-2019")


def urls_for(code: str) -> list[str]:
    return [
        reverse("standards:index"),
        reverse("standards:set", args=[code]),
        reverse("standards:item", args=[code, "2.01"]),
        reverse("standards:compare"),
    ]


def test_anonymous_users_are_sent_to_login(client, province):
    for url in urls_for(province.code):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login"))


def test_deactivated_users_see_no_drafts_and_nothing(clerk, client, province):
    clerk.is_active = False
    clerk.save()
    client.force_login(clerk)
    assert client.get(reverse("standards:index")).status_code == 302


def test_index_shows_the_provincial_standard_in_force_by_fee_class(clerk_client, province):
    response = clerk_client.get(reverse("standards:index"))
    assert response.status_code == 200
    assert response.context["standard_set"] == province
    [group] = response.context["groups"]
    assert group.fee_class.name == "运行维护服务费"
    assert [item.code for item in group.items] == ["2.01", "2.02"]
    assert "125,900.00" in response.content.decode()


def test_search_by_code_or_name(clerk_client, province):
    url = reverse("standards:set", args=[province.code])
    by_code = clerk_client.get(url, {"q": "2.02"})
    assert [i.code for g in by_code.context["groups"] for i in g.items] == ["2.02"]
    by_name = clerk_client.get(url, {"q": "运维服务1"})
    assert [i.code for g in by_name.context["groups"] for i in g.items] == ["2.01"]
    nothing = clerk_client.get(url, {"q": "云计算"})
    assert nothing.context["total"] == 0


def test_a_set_not_yet_in_force_is_not_the_default(clerk_client):
    filled_set(1, code="FUTURE", effective_from=datetime.date(2099, 1, 1))
    response = clerk_client.get(reverse("standards:index"))
    assert response.context["standard_set"] is None


def test_drafts_are_hidden_from_department_staff(clerk_client):
    draft = filled_set(1, code="DRAFT", status=SetStatus.DRAFT)
    assert clerk_client.get(reverse("standards:set", args=[draft.code])).status_code == 404
    item_url = reverse("standards:item", args=[draft.code, "2.01"])
    assert clerk_client.get(item_url).status_code == 404


def test_admins_can_preview_drafts(system_admin_client):
    draft = filled_set(1, code="DRAFT", status=SetStatus.DRAFT)
    assert system_admin_client.get(reverse("standards:set", args=[draft.code])).status_code == 200


def test_unknown_set_or_item_is_404(clerk_client, province):
    assert clerk_client.get(reverse("standards:set", args=["NOPE"])).status_code == 404
    assert clerk_client.get(reverse("standards:item", args=[province.code, "9"])).status_code == 404


def test_item_detail_shows_grades_method_unit_and_basis(clerk_client, province):
    item = province.items.get(code="2.01")
    response = clerk_client.get(reverse("standards:item", args=[province.code, item.code]))
    assert response.status_code == 200
    assert response.context["item"] == item
    assert [g.code for g in response.context["grades"]] == ["A", "B"]
    body = response.content.decode()
    assert "83,900.00" in body
    assert str(Unit.PERSON_YEAR.label) in body


def test_item_of_a_derived_set_says_where_it_is_inherited_from(clerk_client, province):
    city = derived_set(province, "GZ-2020")
    services.publish_set(city, actor=None)
    response = clerk_client.get(reverse("standards:item", args=[city.code, "2.01"]))
    assert response.context["inherited_from"] == province


def test_compare_lists_added_removed_and_changed_prices(clerk_client, province):
    newer = new_version(province)
    Grade.objects.filter(item__standard_set=newer, item__code="2.01", code="A").update(
        unit_price=Decimal("90000.00")
    )
    newer.items.get(code="2.02").grades.all().delete()
    newer.items.get(code="2.02").delete()
    services.publish_set(newer, actor=None)
    response = clerk_client.get(reverse("standards:compare"), {"old": "GD-2019", "new": "GD-2021"})
    assert response.status_code == 200
    comparison = response.context["comparison"]
    assert [i.code for i in comparison.removed] == ["2.02"]
    assert comparison.added == []
    [change] = comparison.changed
    [grade] = [g for g in change.grades if g.changed]
    assert (grade.old_price, grade.new_price) == (Decimal("83900.00"), Decimal("90000.00"))
    assert "90,000.00" in response.content.decode()


def test_compare_refuses_the_same_version_twice(clerk_client, province):
    response = clerk_client.get(reverse("standards:compare"), {"old": "GD-2019", "new": "GD-2019"})
    assert response.context["comparison"] is None
    assert response.context["form"].errors


def test_compare_does_not_offer_drafts_to_staff(clerk_client, province):
    filled_set(1, code="DRAFT", status=SetStatus.DRAFT)
    response = clerk_client.get(reverse("standards:compare"), {"old": "GD-2019", "new": "DRAFT"})
    assert "new" in response.context["form"].errors


def test_navigation_offers_budget_standards(clerk_client):
    response = clerk_client.get(reverse("home"))
    assert reverse("standards:index") in response.content.decode()


# --- Query counts do not grow with the number of items ------------------------------


def count_queries(client, url: str, params: dict[str, str] | None = None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("page", ["index", "set", "compare", "item"])
def test_pages_keep_a_constant_query_count(clerk_client, django_assert_max_num_queries, page):
    counts = []
    for size in (2, 20):
        old = filled_set(size, code=f"OLD{size}", effective_from=datetime.date(2018, 1, 1))
        new = filled_set(size, code=f"NEW{size}")
        url, params = {
            "index": (reverse("standards:index"), None),
            "set": (reverse("standards:set", args=[new.code]), None),
            "compare": (reverse("standards:compare"), {"old": old.code, "new": new.code}),
            "item": (reverse("standards:item", args=[new.code, "2.01"]), None),
        }[page]
        with django_assert_max_num_queries(14):
            counts.append(count_queries(clerk_client, url, params))
        # The next round's sets are the ones in force.
        for standard_set in (old, new):
            services.retire_set(standard_set, actor=None, effective_to=datetime.date(2018, 1, 1))
    assert counts[0] == counts[1]


def test_compare_offers_the_standard_in_force_against_the_one_it_replaced(clerk_client):
    older = filled_set(1, code="GD-2019", effective_from=datetime.date(2019, 1, 1))
    newer = new_version(older)
    services.publish_set(newer, actor=None)
    form = clerk_client.get(reverse("standards:compare")).context["form"]
    assert form.initial == {"old": "GD-2019", "new": "GD-2021"}


def test_item_detail_states_the_formula(clerk_client, province):
    clerk_client.cookies["django_language"] = "en"
    response = clerk_client.get(reverse("standards:item", args=[province.code, "2.01"]))
    assert str(response.context["formula"]).startswith("amount = unit price")
