"""Ask for the background lines export as a browser does, run its task as the worker
would, and download the workbook."""

import io
import signal
from typing import Any

from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from reports.export_jobs import write_lines_export
from reports.models import ExportJob


def requested_job(client: Client, year: int | str) -> ExportJob:
    response = client.post(reverse("reports:lines_export"), {"year": str(year)})
    assert response.status_code == 302
    job = ExportJob.objects.get(public_id=response["Location"].rstrip("/").rsplit("/", 1)[-1])
    assert response["Location"] == reverse("reports:export", args=[job.public_id])
    return job


def exported_lines(client: Client, year: int | str) -> bytes:
    """The workbook of the year's estimate lines that the client's user may see."""
    job = requested_job(client, year)
    write_lines_export.call(str(job.public_id))
    response = client.get(reverse("reports:export_download", args=[job.public_id]))
    assert response.status_code == 200, response
    assert response["Content-Disposition"].startswith("attachment")
    return response.getvalue()


def rows_of(content: bytes) -> list[tuple[Any, ...]]:
    return list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


def run_the_worker() -> None:
    """`manage.py db_worker --batch`: every queued task, then it stops. The worker
    takes over SIGINT and SIGTERM while it runs; the test session gets them back."""
    handlers = {number: signal.getsignal(number) for number in WORKER_SIGNALS}
    try:
        call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)


WORKER_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)
