"""The home page: the user's unit, roles and dashboard."""

from django.contrib.auth.decorators import login_required
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization, Role, User
from accounts.permissions import sees_all_units, units_visible_to
from reports.dashboard import dashboard

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
        **dashboard(user),
    }
    return render(request, "reports/home.html", context)
