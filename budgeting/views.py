from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.models import Organization, Role, UnitLevel, User
from accounts.permissions import has_role, sees_all_units, units_visible_to
from budgeting.figures import control_rows
from budgeting.models import BudgetCycle, CycleState
from budgeting.review_views import tasks_for

ROLE_DUTIES = {
    Role.SUBMITTER: _("Register your unit's IT projects and price their budgets by the standards."),
    Role.DEPARTMENT_APPROVER: _("Sign off your unit's requests before they go to review."),
    Role.DATA_REVIEWER: _("Give the technical review of projects under the data administration."),
    Role.FINANCE_REVIEWER: _(
        "Review requests against the standards and cut what is not justified."
    ),
    Role.FINANCE_APPROVER: _("Give the final approval of reviewed budgets."),
    Role.SYSTEM_ADMIN: _("Maintain budget units, users and the budget standards."),
}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    unit = Organization.objects.select_related("parent").get(pk=user.organization_id)
    # Each primary unit followed by its secondary units.
    units = (
        units_visible_to(user)
        .select_related("parent")
        .order_by(Coalesce("parent__code", "code"), "level", "code")
    )
    context = {
        "unit": unit,
        "roles": [(Role(role).label, ROLE_DUTIES[Role(role)]) for role in user.roles],
        "sees_all_units": sees_all_units(user),
        "units": units,
        "task_count": tasks_for(user).count(),
        **_control_figures(user, unit),
    }
    return render(request, "budgeting/home.html", context)


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and monitoring: 200 when the database answers, else 503."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def _control_figures(user: User, unit: Organization) -> dict[str, Any]:
    """The open cycle's totals against control figures: finance and admins see every
    primary unit; a department sees its own primary unit."""
    cycle = BudgetCycle.objects.filter(state=CycleState.OPEN).order_by("-year").first()
    if cycle is None:
        return {}
    if sees_all_units(user) and not has_role(user, Role.DATA_REVIEWER):
        units = list(
            Organization.objects.filter(
                level=UnitLevel.PRIMARY, is_finance_department=False, is_data_administration=False
            ).order_by("code")
        )
    elif unit.is_finance_department or unit.is_data_administration:
        return {}
    else:
        units = [unit.parent if unit.parent else unit]
    return {"cycle": cycle, "control_rows": control_rows(cycle, units)}
