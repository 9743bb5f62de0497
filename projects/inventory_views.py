"""从资产清单生成明细: an operation project's lines from its unit's inventory. GET shows the
lines the inventory gives, priced, with the rows behind each; the POST adds them."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.permissions import request_member
from projects import inventory_lines, services
from projects.errors import ProjectError
from projects.models import EstimateLine
from projects.permissions import get_project_for_edit
from projects.views import project_url
from standards.models import ProjectKind
from ui.params import posted_version


@dataclass(frozen=True)
class PreviewRow:
    generated: inventory_lines.Generated
    line: EstimateLine | None
    error: str


@login_required
def lines_from_inventory(request: HttpRequest, code: str) -> HttpResponse:
    project = get_project_for_edit(request.user, code)
    if project.kind != ProjectKind.OPERATION:
        raise PermissionDenied
    plan = inventory_lines.plan(project)
    refusal = ""
    if request.method == "POST":
        try:
            added = inventory_lines.generate(
                project, actor=request_member(request), expected_version=posted_version(request)
            )
        except ProjectError as error:
            refusal = error.message
        else:
            messages.success(
                request,
                _("%(count)d estimate lines generated from the inventory.") % {"count": len(added)},
            )
            return redirect(f"{project_url(project)}#lines")
    rows = []
    for generated in plan.lines:
        try:
            line = services.price_line(generated.spec)
        except ProjectError as error:
            rows.append(PreviewRow(generated, None, error.message))
        else:
            rows.append(PreviewRow(generated, line, ""))
    return render(
        request,
        "projects/inventory_lines.html",
        {"project": project, "plan": plan, "rows": rows, "refusal": refusal},
        status=400 if refusal else 200,
    )
