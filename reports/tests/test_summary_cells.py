"""The summary from kept totals (reports.cells, issue #21): the same figures as summed
live, for every dimension and every scope, the round columns too, at once after every
write (the triggers keep the cells in the write's transaction)."""

from collections.abc import Iterable
from typing import Any

import pytest
from django.db.models import F
from django.test import Client
from django.urls import reverse

from accounts.models import Organization, User
from budgeting.models import LineDecision, ReviewStage
from budgeting.permissions import control_figure_units, cycles_visible_to
from budgeting.scale import seed_reviews
from projects.models import EstimateLine, Project
from projects.permissions import projects_visible_to
from projects.scale import seed_scale
from reports import cells
from reports.models import RollUpCell, SummaryCell, UnitCell
from reports.rounds import RoundSummary, round_summary
from reports.summary import DIMENSIONS, counted, summarise, summary_by
from reports.tests.report_fixtures import World, report_world  # noqa: F401

pytestmark = pytest.mark.django_db

USERS = (
    "finance_reviewer",
    "department_approver",
    "submitter",
    "outsider",
    "data_reviewer",
    "admin_user",
)


@pytest.fixture
def world(report_world: World) -> World:  # noqa: F811
    # Volume in every state and stage, beside the fixture's cut and approved projects.
    seed_scale(60, year=2027, lines=3)
    seed_reviews(2027)
    return report_world


def _flat(row: Any) -> tuple[Any, ...]:
    return (row.key, str(row.label), row.projects, row.requested, row.approved,
            row.requested_of_decided, row.counted)  # fmt: skip


def _page(client: Client, by: str) -> dict[str, Any]:
    response = client.get(reverse("reports:summary"), {"year": "2027", "by": by})
    assert response.status_code == 200
    return {
        "rows": [_flat(row) for row, _link in response.context["rows"]],
        "total": _flat(response.context["totals"]),
        "fee_classes": [_flat(row) for row, _link in response.context["fee_classes"]],
        "rounds": _rounds(response.context.get("rounds")),
    }


def _rounds(summary: RoundSummary | None) -> list[tuple[Any, ...]] | None:
    """Every figure of the round columns (两上两下), by unit and in total."""
    if summary is None:
        return None
    rows = [*summary.rows, summary.total]
    return [(row.unit, *summary.cells(row)) for row in rows]


def _live(user: User, by: str) -> dict[str, Any]:
    projects = projects_visible_to(user).filter(budget_year=2027)
    rows, totals = summary_by(projects, by)
    return {
        "rows": [_flat(row) for row in rows],
        "total": _flat(totals),
        "fee_classes": [
            _flat(row) for row in summarise(counted(projects), DIMENSIONS["fee_class"])
        ],
        # Summed live from the projects, their lines and the figures recorded per round.
        "rounds": _rounds(
            round_summary(projects, 2027, control_figure_units(user), cycles_visible_to(user))
        )
        if by == "unit"
        else None,
    }


def _cells() -> list[tuple[Any, ...]]:
    """Every cell's keys and figures, in one order."""
    fields = [f.attname for f in SummaryCell._meta.concrete_fields if f.attname != "id"]
    return sorted(
        (tuple(row) for row in SummaryCell.objects.values_list(*fields)),
        key=lambda row: tuple(str(value) for value in row),
    )


def _unit_cells() -> list[tuple[Any, ...]]:
    fields = [f.attname for f in UnitCell._meta.concrete_fields if f.attname != "id"]
    return sorted(
        (tuple(row) for row in UnitCell.objects.values_list(*fields)),
        key=lambda row: tuple(str(value) for value in row),
    )


def _roll_up_cells() -> list[tuple[Any, ...]]:
    fields = ("budget_year", "jurisdiction_id", "kind", "state", "fee_class", "projects",
              "requested", "reviewed")  # fmt: skip
    return sorted(RollUpCell.objects.values_list(*fields), key=str)


def assert_cells_are_a_fresh_count(write: str) -> None:
    """The cells (the summary's and the province's roll-up's) as the triggers kept them
    are what counting every project afresh gives, and every summary cell carries its
    unit's jurisdiction (the reviewers' pages read the cells by it)."""
    for model in (SummaryCell, UnitCell):
        misplaced = model.objects.exclude(jurisdiction_id=F("organization__jurisdiction_id"))
        assert not misplaced.exists(), (write, model)
    kept = _cells(), _unit_cells(), _roll_up_cells()
    cells.refresh()
    assert kept == (_cells(), _unit_cells(), _roll_up_cells()), write


def assert_summaries_are_live(users: Iterable[User], write: str, by: Iterable[str]) -> None:
    """The summary page each user sees (from the cells) is the live sum of the projects
    they may see, by each of ``by``."""
    for user in users:
        client = Client()
        client.force_login(user)
        for dimension in by:
            assert _page(client, dimension) == _live(user, dimension), (write, user, dimension)


@pytest.mark.parametrize("username", USERS)
def test_the_kept_figures_are_the_live_ones_for_every_dimension_and_scope(
    world: World, request: pytest.FixtureRequest, username: str
) -> None:
    user: User = request.getfixturevalue(username)
    client = Client()
    client.force_login(user)
    kept = {by: _page(client, by) for by in DIMENSIONS}
    assert kept == {by: _live(user, by) for by in DIMENSIONS}
    assert_cells_are_a_fresh_count("seeded")


def test_the_page_reads_the_cells(world: World, finance_reviewer: User) -> None:
    client = Client()
    client.force_login(finance_reviewer)
    # A cell changed behind the summary's back shows: the page read the cells, the coarse
    # unit cells by state (and unit, level, fee class), the fine cells by kind.
    for cells_of, by in ((UnitCell.objects.filter(round_id=None), "state"),
                         (SummaryCell.objects.all(), "kind")):  # fmt: skip
        model = cells_of.model
        cell = cells_of.filter(fee_class="", state="approved").first()
        assert cell is not None
        before = _page(client, by)["total"]
        model.objects.filter(pk=cell.pk).update(requested=cell.requested + 1)
        assert _page(client, by)["total"][3] == before[3] + 1, model


def test_bulk_writes_outside_the_services_are_counted_at_once(
    world: World, finance_reviewer: User, department_approver: User, submitter: User
) -> None:
    """Every writer is caught: QuerySet.update and delete, a project moved to another unit
    and year, lines moved between projects, decisions removed, stages reordered; and each
    persona's summary (the province's finance, a department's reviewer, a clerk) is still
    the live sum of what they may see."""
    year = Project.objects.filter(budget_year=2027)
    other_unit = Organization.objects.exclude(pk=world.waiting.organization_id).first()
    assert other_unit is not None
    writes = {
        "amounts": lambda: year.filter(pk=world.waiting.pk).update(requested_amount=1),
        "moved unit": lambda: year.filter(pk=world.waiting.pk).update(organization=other_unit),
        "lines repriced": lambda: (
            EstimateLine.objects.filter(project__budget_year=2027)
            .filter(pk__in=EstimateLine.objects.values("pk")[:40])
            .update(amount=12345)
        ),
        "fee class": lambda: EstimateLine.objects.filter(project=world.approved).update(
            fee_class="其他服务费"
        ),
        "line moved": lambda: EstimateLine.objects.filter(
            pk=EstimateLine.objects.filter(project=world.approved).values("pk")[:1]
        ).update(project=world.waiting),
        "decisions removed": lambda: LineDecision.objects.filter(
            pk__in=LineDecision.objects.values("pk")[:20]
        ).delete(),
        "stages reordered": lambda: ReviewStage.objects.filter(
            pk__in=ReviewStage.objects.order_by("-order").values("pk")[:1]
        ).update(order=99),
        "state": lambda: year.filter(pk__in=year.values("pk")[:10]).update(state="rejected"),
        "moved year": lambda: year.filter(pk__in=year.values("pk")[:5]).update(budget_year=2028),
        "lines deleted": lambda: (
            EstimateLine.objects.filter(project__budget_year=2027)
            .filter(pk__in=EstimateLine.objects.values("pk")[:30])
            .delete()
        ),
    }
    personas = (finance_reviewer, department_approver, submitter)
    for write, run in writes.items():
        run()
        assert_summaries_are_live(personas, write, ("unit", "state", "fee_class", "kind"))
        assert_cells_are_a_fresh_count(write)


def test_an_inactive_user_s_cells_are_none(world: World, submitter: User) -> None:
    submitter.is_active = False
    submitter.save(update_fields=["is_active"])
    assert not cells.fresh_cells(submitter, 2027).exists()
