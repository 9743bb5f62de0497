"""What the rounds of a budget year mean, read from the rounds themselves (data, like
stages): which one is open, whether a submission round ends in final approval or in
control figures, whether figures bind it. Pure functions of a cycle's rounds in order,
so a page and a service answer alike and a province's "三上三下" needs no code.

- A submission round (上) is followed by an issue round (下).
- The issue round after the **last** submission round issues the approval (批复);
  every earlier issue round issues control figures (控制数).
- A submission round after an issue round is bound by the figures issued: a unit's
  counted requests may not exceed its figure.
"""

from collections.abc import Sequence

from budgeting.models import BudgetRound, RoundKind, RoundState

# The shapes a new year can take: (code, name, kind) in order.
ONE_ROUND = (
    ("1up", "一上", RoundKind.SUBMISSION),
    ("1down", "一下", RoundKind.ISSUE),
)
TWO_ROUNDS = (
    *ONE_ROUND,
    ("2up", "二上", RoundKind.SUBMISSION),
    ("2down", "二下", RoundKind.ISSUE),
)
THREE_ROUNDS = (
    *TWO_ROUNDS,
    ("3up", "三上", RoundKind.SUBMISSION),
    ("3down", "三下", RoundKind.ISSUE),
)
SHAPES = {"1": ONE_ROUND, "2": TWO_ROUNDS, "3": THREE_ROUNDS}


def open_round(rounds: Sequence[BudgetRound]) -> BudgetRound | None:
    """The year's open round (at most one is, by a constraint), if any."""
    return next((r for r in rounds if r.state == RoundState.OPEN), None)


def submission_rounds(rounds: Sequence[BudgetRound]) -> list[BudgetRound]:
    return [r for r in rounds if r.kind == RoundKind.SUBMISSION]


def is_last_submission(round_: BudgetRound, rounds: Sequence[BudgetRound]) -> bool:
    """Whether projects submitted in this round end in final approval (no later 上)."""
    later = [r for r in submission_rounds(rounds) if r.order > round_.order]
    return round_.kind == RoundKind.SUBMISSION and not later


def issues_approval(round_: BudgetRound, rounds: Sequence[BudgetRound]) -> bool:
    """An issue round after the last submission round: it issues the approval (批复)."""
    return round_.kind == RoundKind.ISSUE and not [
        r for r in submission_rounds(rounds) if r.order > round_.order
    ]


def issues_figures(round_: BudgetRound, rounds: Sequence[BudgetRound]) -> bool:
    """An issue round with a submission round after it: it issues control figures."""
    return round_.kind == RoundKind.ISSUE and not issues_approval(round_, rounds)


def bound_by_figures(round_: BudgetRound, rounds: Sequence[BudgetRound]) -> bool:
    """A submission round that comes after an issue of control figures."""
    return round_.kind == RoundKind.SUBMISSION and any(
        issues_figures(r, rounds) for r in rounds if r.order < round_.order
    )


def previous_submission(round_: BudgetRound, rounds: Sequence[BudgetRound]) -> BudgetRound | None:
    earlier = [r for r in submission_rounds(rounds) if r.order < round_.order]
    return earlier[-1] if earlier else None


def next_round(round_: BudgetRound | None, rounds: Sequence[BudgetRound]) -> BudgetRound | None:
    """The round after ``round_`` (the first if None), if any."""
    later = [r for r in rounds if round_ is None or r.order > round_.order]
    return min(later, key=lambda r: r.order) if later else None


def approval_round(rounds: Sequence[BudgetRound]) -> BudgetRound | None:
    """The round a batch approved now belongs to: the open round if it issues the approval
    (二下), else the year's last issue round; None for a year without rounds."""
    current = open_round(rounds)
    if current is not None and issues_approval(current, rounds):
        return current
    issues = [r for r in rounds if r.kind == RoundKind.ISSUE]
    return max(issues, key=lambda r: r.order) if issues else None
