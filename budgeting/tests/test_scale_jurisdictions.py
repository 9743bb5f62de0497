"""seed_scale across jurisdictions (issues #18 and #21): in a module of its own, because
the scale module's data (the demo and its synthetic projects) is seeded once for all its
tests and this one seeds its own places and projects over the demo."""

import pytest
from django.db.models import F

from accounts.models import Jurisdiction
from budgeting.models import Review
from budgeting.scale import seed_jurisdictions, seed_reviews
from projects.demo import BUDGET_YEAR
from projects.scale import seed_scale

# seed_demo's rows as it left them (``demo_province``: seeded once per worker, copied
# back for this module), instead of seed_demo again here (11 s of CPU).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_province")]


def test_seed_scale_makes_the_province_s_shape_each_city_reviewing_its_own() -> None:
    made = seed_jurisdictions(30, year=BUDGET_YEAR)
    assert made == 29  # the province counted
    assert Jurisdiction.objects.filter(level="city").count() == 21 + 2  # and the demo's
    assert seed_jurisdictions(30, year=BUDGET_YEAR) == 0
    seed_scale(200, year=BUDGET_YEAR, lines=1)
    seed_reviews(BUDGET_YEAR)
    reviews = Review.objects.filter(cycle__year=BUDGET_YEAR)
    assert (
        reviews.exclude(cycle__jurisdiction=F("project__organization__jurisdiction")).count() == 0
    )
    assert reviews.filter(cycle__jurisdiction__code__startswith="GD-C").exists()
