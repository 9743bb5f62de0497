"""Large exports in the background: the request queues a job and returns at once;
``manage.py db_worker`` (django-tasks' database backend) writes the workbook while
the requester's page shows its progress, then serves the file to that user alone.

A year's estimate lines (100,000 at the scale of a province) take 15 to 35 s to
write on our machines: too close to, or past, the 30 s a request may last.
"""

import logging
import tempfile
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from django.core.files import File
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from accounts.models import User
from audit.services import record_event
from budgeting import exports
from budgeting.models import ExportJob, ExportState
from projects.models import EstimateLine
from projects.permissions import projects_visible_to

logger = logging.getLogger(__name__)

# A finished export's file is kept this long, then deleted by the next export.
KEEP = timedelta(hours=24)
# An unfinished job that has not moved for this long has lost its worker (a
# restart mid-export): asking again starts a new one instead of waiting for it.
STALLED_AFTER = timedelta(minutes=10)
# Progress is written every this many rows: about once a second at full speed.
PROGRESS_STEP = 5000


def is_stalled(job: ExportJob) -> bool:
    return not job.is_finished and timezone.now() - job.updated_at > STALLED_AFTER


@transaction.atomic
def request_lines_export(*, user: User, year: int, language: str) -> ExportJob:
    """Queue the export of the year's estimate lines that ``user`` may see.

    A second request while one is still being written gets that one back, so a
    double click or an impatient reload does not queue the same work twice.
    """
    # Serialises one user's requests, so two clicks cannot both find no job.
    User.objects.select_for_update().get(pk=user.pk)
    unfinished = (
        ExportJob.objects.filter(
            requested_by=user,
            year=year,
            language=language,
            state__in=[ExportState.QUEUED, ExportState.RUNNING],
        )
        .order_by("-created_at")
        .first()
    )
    if unfinished is not None and not is_stalled(unfinished):
        return unfinished
    job = ExportJob.objects.create(requested_by=user, year=year, language=language)
    record_event(
        "budgeting.export.lines",
        actor=user,
        target=job,
        target_key=str(job.public_id),
        data={"year": year},
    )
    # The database backend queues inside this transaction: no job without its task.
    write_lines_export.enqueue(str(job.public_id))
    return job


def _counted(rows: Iterable[Any], job: ExportJob) -> Iterator[Any]:
    """Pass the rows through, writing the count to the job every PROGRESS_STEP rows."""
    done = 0
    for row in rows:
        done += 1
        if done % PROGRESS_STEP == 0:
            ExportJob.objects.filter(pk=job.pk).update(rows_done=done, updated_at=timezone.now())
        yield row
    ExportJob.objects.filter(pk=job.pk).update(rows_done=done, updated_at=timezone.now())


@task()
def write_lines_export(public_id: str) -> None:
    """The worker's half: write the workbook to the job's file, then forget old exports."""
    job = ExportJob.objects.select_related("requested_by").get(public_id=public_id)
    projects = projects_visible_to(job.requested_by).filter(budget_year=job.year)
    total = EstimateLine.objects.filter(project__in=projects).count()
    # Claimed by one conditional UPDATE: a task delivered twice, or run by two
    # workers at once, finds the job no longer queued and does nothing.
    claimed = ExportJob.objects.filter(pk=job.pk, state=ExportState.QUEUED).update(
        state=ExportState.RUNNING, rows_total=total, updated_at=timezone.now()
    )
    if not claimed:
        return
    job.refresh_from_db()
    try:
        with translation.override(job.language), File(tempfile.TemporaryFile()) as handle:
            title = _("Estimate lines %(year)s") % {"year": job.year}
            written = exports.write_lines(_counted(exports.line_rows(projects), job), handle, title)
            handle.seek(0)
            job.file.save(job.filename, handle, save=False)
    except Exception as error:
        logger.exception("Export %s failed", public_id)
        job.state = ExportState.FAILED
        job.error = f"{type(error).__name__}: {error}"[:2000]
        job.finished_at = timezone.now()
        job.save(update_fields=["state", "error", "finished_at", "updated_at"])
    else:
        # The lines in the file, which may differ from the count taken a moment before.
        job.rows_total = job.rows_done = written
        job.state = ExportState.DONE
        job.finished_at = timezone.now()
        job.save(
            update_fields=["state", "file", "rows_total", "rows_done", "finished_at", "updated_at"]
        )
    purge_old_exports()


def purge_old_exports(now: datetime | None = None) -> int:
    """Delete exports finished more than KEEP ago, files first; returns how many."""
    cutoff = (now or timezone.now()) - KEEP
    old = list(ExportJob.objects.filter(finished_at__lt=cutoff))
    for job in old:
        if job.file:
            job.file.delete(save=False)
    ExportJob.objects.filter(pk__in=[job.pk for job in old]).delete()
    return len(old)
