"""The home dashboard: my tasks, my unit's projects, the open cycle's window and
progress, and totals against control figures. A fixed number of aggregate queries,
whatever the number of projects or units."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Min, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import sees_all_units
from budgeting.models import BudgetCycle, CycleState
from budgeting.permissions import control_figure_units, cycles_visible_to
from budgeting.review_views import returned_to, tasks_for
from projects.models import Project, ProjectState
from projects.permissions import projects_visible_to
from reports.figures import control_rows
from ui import charts


@dataclass(frozen=True)
class StateCount:
    state: str
    label: str
    count: int


@dataclass(frozen=True)
class Window:
    opens_at: datetime
    closes_at: datetime
    accepting: bool
    days_left: int | None  # whole days until it closes; None once closed or not yet open


def by_state(projects: QuerySet[Project]) -> list[StateCount]:
    """Projects per state, every state in workflow order (zeros included): one query."""
    counts = dict(projects.order_by().values_list("state").annotate(n=Count("pk")))
    return [
        StateCount(value, str(label), counts.get(value, 0)) for value, label in ProjectState.choices
    ]


def window(cycle: BudgetCycle, now: datetime | None = None) -> Window:
    now = now or timezone.now()
    accepting = cycle.accepts_submissions(now)
    days_left = (cycle.closes_at - now).days if accepting else None
    return Window(cycle.opens_at, cycle.closes_at, accepting, days_left)


def dashboard(user: User) -> dict[str, Any]:
    tasks = tasks_for(user).order_by().aggregate(count=Count("pk"), oldest=Min("stage_entered_at"))
    context: dict[str, Any] = {
        "task_count": tasks["count"],
        "oldest_task": tasks["oldest"],
        "returned_count": returned_to(user).count(),
    }
    if not sees_all_units(user):
        # A department's scope is its unit and its secondary units, never its parent's or siblings'.
        context["my_projects"] = by_state(projects_visible_to(user))
    cycle = cycles_visible_to(user).filter(state=CycleState.OPEN).order_by("-year").first()
    if cycle is None:
        return context
    progress = by_state(projects_visible_to(user).filter(budget_year=cycle.year))
    context.update(
        cycle=cycle,
        window=window(cycle),
        progress=progress,
        progress_total=sum(row.count for row in progress),
        progress_chart=charts.shares(
            _("Projects of %(cycle)s by state") % {"cycle": cycle.name},
            [(row.label, row.count) for row in progress if row.count],
            show=lambda count: str(int(count)),
        ),
        **_control_figures(user, cycle),
    )
    return context


def _control_figures(user: User, cycle: BudgetCycle) -> dict[str, Any]:
    """The units ``control_figure_units`` lets the user see, each against its figure."""
    units = list(control_figure_units(user).order_by("code"))
    if not units:
        return {}
    rows = control_rows(cycle, units, projects_visible_to(user))
    return {"control_rows": rows, "units_over": sum(1 for row in rows if row.over)}
