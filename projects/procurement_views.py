"""The change of an approved project's procurement method or supplier (issue #17)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.permissions import request_member
from projects import procurement
from projects.errors import ProjectError
from projects.forms import ProcurementForm, add_refusal
from projects.permissions import get_project_for_user


@login_required
def procurement_change(request: HttpRequest, code: str) -> HttpResponse:
    """GET: the form; POST: the change, which withdraws a procurement approval given for
    the old method or supplier. 404 for a project the user may not see, 403 for one
    they may see but whose procurement is not theirs to change (or not approved yet)."""
    user = request_member(request)
    project = get_project_for_user(user, code)
    if not procurement.can_change_procurement(user, project):
        raise PermissionDenied
    form = ProcurementForm(
        request.POST or None, instance=project, initial={"version": project.version}
    )
    if request.method == "POST" and form.is_valid():
        try:
            procurement.change_procurement(
                project,
                actor=user,
                fields=form.cleaned_data,
                expected_version=form.cleaned_data["version"],
                comment=form.cleaned_data["comment"],
            )
        except ProjectError as error:
            add_refusal(form, error)
        else:
            messages.success(request, _("Procurement changed."))
            return redirect("projects:detail", code=project.code)
    return render(
        request,
        "projects/procurement_change.html",
        {"form": form, "project": project},
        status=400 if form.errors else 200,
    )
