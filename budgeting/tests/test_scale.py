"""Synthetic volume for the province-scale benchmarks (issue #21): review rows at every
stage, decisions, approved batches, all consistent with what the pages read."""

import io
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Sum

from accounts.models import User
from budgeting import amounts
from budgeting.models import ApprovalBatch, LineDecision, Review
from budgeting.review_views import tasks_for
from budgeting.scale import seed_reviews
from projects.demo import BUDGET_YEAR
from projects.models import Project, ProjectState
from projects.scale import seed_scale
from tests.helpers import module_data

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(demo_province: None, django_db_blocker: Any) -> Iterator[dict[str, int]]:
    """The demo and 120 synthetic projects, once for the module (every test uses it)."""
    with module_data(django_db_blocker):
        before = set(Project.objects.values_list("pk", flat=True))
        seed_scale(120, year=BUDGET_YEAR, lines=3)
        counts = seed_reviews(BUDGET_YEAR)
        counts["new"] = Project.objects.exclude(pk__in=before).count()
        yield counts


def test_every_project_in_review_stands_at_a_stage_and_every_stage_has_some(seeded):
    waiting = Project.objects.filter(budget_year=BUDGET_YEAR, state=ProjectState.IN_REVIEW)
    assert not waiting.filter(review__isnull=True).exists()
    assert not waiting.filter(review__stage__isnull=True).exists()
    stages = set(waiting.values_list("review__stage__code", flat=True))
    assert stages == {"department", "technical", "finance", "final"}
    assert all(seeded[code] > 0 for code in stages)
    # A technical review only for a project it applies to.
    assert not waiting.filter(review__stage__code="technical", managed_by_data_admin=False).exists()


def test_each_stage_s_reviewers_see_its_projects_in_their_tasks(seeded):
    for username, code in (("finance_reviewer", "finance"), ("finance_director", "final")):
        user = User.objects.get(username=username)
        # The province's finance: the cities' own review theirs (issue #18).
        at_stage = Review.objects.filter(
            cycle__year=BUDGET_YEAR,
            cycle__jurisdiction__parent=None,
            stage__code=code,
            project__state=ProjectState.IN_REVIEW,
        )
        assert set(tasks_for(user).values_list("pk", flat=True)) >= set(
            at_stage.filter(project__name__endswith="项目").values_list("pk", flat=True)
        )
        assert at_stage.exists()


def test_approved_projects_are_in_batches_with_the_sum_of_their_decided_lines(seeded):
    approved = Project.objects.filter(
        budget_year=BUDGET_YEAR, state=ProjectState.APPROVED, review__batch__name__startswith="合成"
    )
    assert approved.count() == seeded["approved"] > 0
    assert ApprovalBatch.objects.filter(name__startswith="合成").count() == seeded["batches"]
    for project in approved:
        assert project.review.stage is None
        assert project.approved_amount == amounts.load(project).approved_total()
        lines = project.lines.aggregate(total=Sum("amount"))["total"]
        assert project.approved_amount < lines == project.requested_amount
    decided = LineDecision.objects.filter(line__project__in=approved)
    assert decided.count() == 3 * approved.count()
    assert all(
        d.approved_amount
        == (d.line.amount * Decimal("0.90")).quantize(Decimal("0.01"), ROUND_HALF_UP)
        for d in decided.select_related("line")
    )


def test_seeding_again_adds_reviews_only_for_new_projects(seeded):
    assert seed_reviews(BUDGET_YEAR)["approved"] == 0
    assert sum(seed_reviews(BUDGET_YEAR)[code] for code in ("department", "final")) == 0


def test_the_command_adds_projects_lines_and_reviews(seeded):
    out = io.StringIO()
    call_command("seed_scale", "--projects", "30", "--lines", "2", stdout=out)
    assert "30 synthetic projects of 2027 added; reviews: department" in out.getvalue()
    assert not Project.objects.filter(
        state=ProjectState.IN_REVIEW, review__isnull=True, budget_year=2027
    ).exists()


def test_batches_are_numbered_on_across_calls(seeded):
    seed_scale(60, year=BUDGET_YEAR, lines=1, seed=7)
    again = seed_reviews(BUDGET_YEAR, seed=7)
    names = list(
        ApprovalBatch.objects.filter(name__startswith="合成").values_list("name", flat=True)
    )
    assert len(names) == len(set(names)) == seeded["batches"] + again["batches"]
