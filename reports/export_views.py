"""Background exports: ask for one, watch its progress, download it (the requester only)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import request_member
from reports import export_jobs
from reports.models import ExportState
from reports.permissions import get_export_for_user
from reports.views import budget_year
from ui.excel import XLSX

# After this long in the queue the page says the worker may not be running.
WORKER_HINT_SECONDS = 30
POLL_SECONDS = 2
# htmx swaps this answer in as any 2xx, then stops polling.
STOP_POLLING = 286


@login_required
@require_POST
def lines_export(request: HttpRequest) -> HttpResponse:
    year = budget_year(request.POST.get("year"))
    try:
        job = export_jobs.request_lines_export(
            actor=request_member(request), year=year, language=get_language()
        )
    except export_jobs.ExportError as error:
        messages.error(request, error.message)
        return redirect(f"{reverse('reports:summary')}?year={year}")
    return redirect("reports:export", public_id=job.public_id)


@login_required
def export_status(request: HttpRequest, public_id: str) -> HttpResponse:
    """The progress page. htmx polls it for the status block alone (a partial, so
    pending messages stay for the next page) until the export ends."""
    job = get_export_for_user(request.user, public_id)
    stalled = export_jobs.was_interrupted(job)
    waited = (timezone.now() - job.created_at).total_seconds()
    context = {
        "job": job,
        "stalled": stalled,
        "state_label": _("The export has stopped") if stalled else job.get_state_display(),
        "ended": job.is_finished or stalled,
        "worker_hint": job.state == ExportState.QUEUED and waited > WORKER_HINT_SECONDS,
        "poll_seconds": POLL_SECONDS,
        "hint_seconds": WORKER_HINT_SECONDS,
        "kept_hours": int(export_jobs.KEEP.total_seconds() // 3600),
    }
    if request.headers.get("HX-Request"):
        response = render(request, "reports/includes/export_poll.html", context)
        if context["ended"]:
            response.status_code = STOP_POLLING
    else:
        response = render(request, "reports/export.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
def export_download(request: HttpRequest, public_id: str) -> FileResponse:
    job = get_export_for_user(request.user, public_id)
    if job.state != ExportState.DONE or not job.file:
        raise Http404
    return FileResponse(
        job.file.open("rb"), as_attachment=True, filename=job.filename, content_type=XLSX
    )
