"""Large exports in the background: the request queues a job and returns at once;
``manage.py run_worker`` (django-tasks' database backend) writes the workbook while
the requester's page shows its progress, then serves the file to that user alone.

A year's estimate lines (100,000 at the scale of a province) take 15 to 35 s to
write on our machines: too close to, or past, the 30 s a request may last.
"""

import logging
import tempfile
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from accounts.models import User
from audit.services import record_event
from budgeting.permissions import cycles_visible_to
from ops import replica, workers
from projects.models import EstimateLine
from projects.permissions import projects_visible_to
from reports import exports
from reports.models import ExportJob, ExportState

logger = logging.getLogger(__name__)

# A finished export's file is kept this long, then deleted by the next export.
KEEP = timedelta(hours=24)
# A running export writes its progress about once a second (the longest pause,
# packing the workbook at the end, takes seconds); one that has not moved for
# this long lost its worker (killed mid-export, or on another machine) and is
# offered again. One whose worker ran on this machine and is gone is at once.
STALLED_AFTER = timedelta(minutes=2)
# The start of ExportJob.error for an export whose worker stopped under it.
INTERRUPTED = "interrupted:"
# Progress is written every this many rows: about once a second at full speed.
PROGRESS_STEP = 5000
# Unfinished exports one user may have at once (all years and languages).
MAX_UNFINISHED = 3


class ExportError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def is_stalled(job: ExportJob) -> bool:
    """Running, but not moving or its worker gone. A queued job waits for a worker,
    however long."""
    return job.state == ExportState.RUNNING and (
        timezone.now() - job.updated_at > STALLED_AFTER or workers.is_gone(job.worker)
    )


def was_interrupted(job: ExportJob) -> bool:
    """Its worker stopped before it finished: stalled now, or failed for that reason."""
    return is_stalled(job) or (
        job.state == ExportState.FAILED and job.error.startswith(INTERRUPTED)
    )


def fail_abandoned_exports(**kwargs: Any) -> int:
    """Receiver of ops.workers.worker_starting: fail the exports a dead worker was
    writing, so their owners see "start again" now, not when the next one asks.
    Returns how many."""
    failed = 0
    for job in ExportJob.objects.filter(state=ExportState.RUNNING):
        if is_stalled(job) and _finish(
            job, ExportState.FAILED, error=f"{INTERRUPTED} its worker stopped ({job.worker})"
        ):
            failed += 1
    if failed:
        logger.warning("Marked %s export(s) of a stopped worker as failed", failed)
    return failed


def request_lines_export(*, actor: User, year: int, language: str) -> ExportJob:
    """Queue the export of the year's estimate lines that ``actor`` may see.

    A second request while one is still queued or running gets that one back, so
    a double click or an impatient reload does not queue the same work twice. A
    stalled one is marked failed and replaced.
    """
    with transaction.atomic():
        # Serialises one user's requests, so two clicks cannot both find no job.
        User.objects.select_for_update().get(pk=actor.pk)
        if not cycles_visible_to(actor).filter(year=year).exists():
            raise ExportError(_("There is no budget cycle for %(year)s.") % {"year": year})
        unfinished = ExportJob.objects.filter(
            requested_by=actor, state__in=[ExportState.QUEUED, ExportState.RUNNING]
        ).order_by("-created_at")
        for job in unfinished:
            if is_stalled(job):
                _finish(job, ExportState.FAILED, error=f"{INTERRUPTED} replaced by a new request")
            elif (job.year, job.language) == (year, language):
                return job
        if unfinished.count() >= MAX_UNFINISHED:
            raise ExportError(
                _(
                    "You already have %(count)s exports waiting or being written. "
                    "Wait for one of them to finish."
                )
                % {"count": MAX_UNFINISHED}
            )
        job = ExportJob.objects.create(requested_by=actor, year=year, language=language)
        record_event(
            "reports.export.lines",
            actor=actor,
            target=job,
            target_key=str(job.public_id),
            data={"year": year},
        )
        # The database backend queues inside this transaction: no job without its task.
        write_lines_export.enqueue(str(job.public_id))
    return job


def _counted(rows: Iterable[Any], job: ExportJob) -> Iterator[Any]:
    """Pass the rows through, writing the count to the job every PROGRESS_STEP rows."""
    for done, row in enumerate(rows, start=1):
        if done % PROGRESS_STEP == 0:
            ExportJob.objects.filter(pk=job.pk).update(rows_done=done, updated_at=timezone.now())
        yield row


def _finish(job: ExportJob, state: str, **fields: Any) -> bool:
    """Move a running (or queued) job to its end, unless something else ended it first."""
    return bool(
        ExportJob.objects.filter(
            pk=job.pk, state__in=[ExportState.QUEUED, ExportState.RUNNING]
        ).update(state=state, finished_at=timezone.now(), updated_at=timezone.now(), **fields)
    )


def _write_workbook(job: ExportJob, handle: File) -> int:
    """Write the job's workbook into ``handle`` (from its start); returns the lines written."""
    handle.seek(0)
    handle.truncate()
    projects = projects_visible_to(job.requested_by).filter(budget_year=job.year)
    total = EstimateLine.objects.filter(project__in=projects).count()
    ExportJob.objects.filter(pk=job.pk).update(rows_total=total, updated_at=timezone.now())
    with translation.override(job.language):
        title = _("Estimate lines %(year)s") % {"year": job.year}
        return exports.write_lines(_counted(exports.line_rows(projects), job), handle, title)


@task()
def write_lines_export(public_id: str) -> None:
    """The worker's half: write the workbook to the job's file, then forget old exports.

    Whatever stops it (an error, the worker told to stop twice) marks the job failed
    before the task fails with it, so nobody waits for an export that will never come.
    """
    job = ExportJob.objects.select_related("requested_by").get(public_id=public_id)
    # Claimed by one conditional UPDATE: a task delivered twice, or run by two
    # workers at once, or a job replaced meanwhile, finds it no longer queued.
    claimed = ExportJob.objects.filter(pk=job.pk, state=ExportState.QUEUED).update(
        state=ExportState.RUNNING, updated_at=timezone.now(), worker=workers.this_process()
    )
    if not claimed:
        return
    try:
        with File(tempfile.TemporaryFile()) as handle:
            # From the read replica when there is one, once it has replayed all that
            # was committed before now (ops/replica.py); if it fails meanwhile, the
            # workbook is written again from the primary.
            written = replica.read_with_fallback(
                lambda: _write_workbook(job, handle),
                min_lsn=replica.primary_position(),
                wait=settings.REPLICA_WAIT_SECONDS,
            )
            handle.seek(0)
            job.file.save(job.filename, handle, save=False)
    except BaseException as error:
        _finish(job, ExportState.FAILED, error=f"{type(error).__name__}: {error}"[:2000])
        raise
    # The lines in the file, which may differ from the count taken a moment before.
    if not _finish(
        job, ExportState.DONE, file=job.file.name, rows_total=written, rows_done=written
    ):
        job.file.delete(save=False)  # replaced while it ran: nobody will download it
    purge_old_exports()


def purge_old_exports(now: datetime | None = None) -> int:
    """Delete exports asked for more than KEEP ago, files first; returns how many.

    Finished or not: an export still unfinished after a day never will be.
    """
    cutoff = (now or timezone.now()) - KEEP
    old = list(ExportJob.objects.filter(Q(finished_at__lt=cutoff) | Q(created_at__lt=cutoff)))
    for job in old:
        if job.file:
            job.file.delete(save=False)
    ExportJob.objects.filter(pk__in=[job.pk for job in old]).delete()
    return len(old)
