"""Per-line approved amounts and the waterfall, as arithmetic (no database)."""

from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.utils import translation

from budgeting.amounts import LineFigures, Step
from budgeting.models import LineDecision, ReviewStage
from projects.models import EstimateLine

D = Decimal
TECHNICAL = ReviewStage(order=2, code="technical")
FINANCE = ReviewStage(order=3, code="finance")
FINAL = ReviewStage(order=4, code="final", is_final=True)


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    with translation.override("en"):
        yield


def _figures(
    amounts: list[str], decisions: dict[int, list[tuple[ReviewStage, str]]]
) -> LineFigures:
    lines = [EstimateLine(pk=n, amount=D(a)) for n, a in enumerate(amounts, start=1)]
    return LineFigures(
        lines,
        {
            line_id: [LineDecision(stage=s, approved_amount=D(a)) for s, a in by_stage]
            for line_id, by_stage in decisions.items()
        },
    )


def test_a_line_keeps_its_request_until_a_stage_decides() -> None:
    figures = _figures(["1000.00", "250.50"], {})
    assert figures.current() == {1: D("1000.00"), 2: D("250.50")}
    steps = figures.waterfall([TECHNICAL, FINANCE, FINAL])
    assert [(s.label, s.total, s.cut) for s in steps] == [
        ("Requested", D("1250.50"), D("0.00")),
        ("Technical review", D("1250.50"), D("0.00")),
        ("Finance review", D("1250.50"), D("0.00")),
        ("Final approval", D("1250.50"), D("0.00")),
    ]
    assert steps[-1].cut_rate == D("0.00")


def test_the_latest_stage_decides_and_earlier_steps_keep_their_figures() -> None:
    figures = _figures(
        ["10089.00", "5000.00", "300.00"],
        {1: [(TECHNICAL, "8000.00"), (FINANCE, "5472.00")], 3: [(FINANCE, "0.00")]},
    )
    assert figures.current() == {1: D("5472.00"), 2: D("5000.00"), 3: D("0.00")}
    steps = figures.waterfall([TECHNICAL, FINANCE, FINAL])
    assert [s.total for s in steps] == [D("15389.00"), D("13300.00"), D("10472.00"), D("10472.00")]
    assert [s.cut for s in steps] == [D("0.00"), D("2089.00"), D("4917.00"), D("4917.00")]
    # 4917 / 15389 = 31.951...%, rounded half-up to two places
    assert steps[-1].cut_rate == D("31.95")


def test_a_stage_the_project_skips_is_not_a_step() -> None:
    figures = _figures(["100.00"], {1: [(FINANCE, "80.00")]})
    assert [s.total for s in figures.waterfall([FINANCE, FINAL])] == [
        D("100.00"), D("80.00"), D("80.00"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("total", "cut", "rate"),
    [
        ("0.00", "0.00", None),  # nothing requested: no rate, never a division by zero
        ("70.00", "30.00", D("30.00")),
        ("2.00", "1.00", D("33.33")),
        ("1.00", "2.00", D("66.67")),
        ("199.99", "0.01", D("0.01")),  # 0.005%, half-up
        ("0.00", "5.00", D("100.00")),
    ],
)
def test_cut_rate_is_the_cut_over_the_request_half_up(
    total: str, cut: str, rate: Decimal | None
) -> None:
    assert Step("x", D(total), D(cut)).cut_rate == rate


def test_stages_beyond_the_reached_one_are_marked_not_reached() -> None:
    figures = _figures(["100.00"], {1: [(TECHNICAL, "80.00")]})
    steps = figures.waterfall([TECHNICAL, FINANCE, FINAL], reached_order=TECHNICAL.order)
    assert [s.reached for s in steps] == [True, True, False, False]
    assert [(s.total, s.cut, s.cut_rate) for s in steps[:2]] == [
        (D("100.00"), D("0.00"), D("0.00")), (D("80.00"), D("20.00"), D("20.00")),
    ]  # fmt: skip
    assert steps[2].cut_rate is None
    assert figures.last_decided_order() == TECHNICAL.order
    assert _figures(["1.00"], {}).last_decided_order() == 0
