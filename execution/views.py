"""The execution page of a project: whoever may see the project sees its execution."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from execution.figures import execution_of
from projects.permissions import get_project_for_user


@login_required
def project_execution(request: HttpRequest, code: str) -> HttpResponse:
    project = get_project_for_user(request.user, code)
    return render(
        request,
        "execution/project_execution.html",
        {
            "project": project,
            "execution": execution_of(project),
            "contracts": project.contracts.all(),
            "payments": project.payments.select_related("contract"),
        },
    )
