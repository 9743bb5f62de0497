"""Ask for the background lines export as a browser does, run its task as the worker
would, and download the workbook."""

import io
from typing import Any

from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from reports.export_jobs import write_lines_export
from reports.models import ExportJob
from tests.helpers import run_the_worker

__all__ = ["exported_lines", "requested_job", "rows_of", "run_the_worker"]


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
