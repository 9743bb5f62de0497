"""Benchmark: the largest upload each import accepts finishes well inside the 30 s request limit.

gunicorn kills a request after 30 s (``config/gunicorn_conf.py``). Rather
than a job queue, every import caps its file, and this benchmark proves the
cap: it builds the largest file each import accepts and times the request
that handles it (target ≤ 10 s, a third of the limit, for slower servers).

- The standards workbook (admin, "Import a standard from Excel"): excel.MAX_ROWS
  items and excel.MAX_ROWS grades, posted to the admin view for real (not a dry run).
- A project's estimate template with estimate_excel.MAX_LINES lines of four
  pricing methods: the upload (where the file is read and priced, once), the
  preview of the kept lines and the all-or-nothing apply, three requests of the
  clerk's.
- django-import-export's admin import of grades, one row at a time through
  the services: resources.MAX_IMPORT_ROWS rows, a dry run and the confirmed
  run, each one request of the admin's two.
"""

import json
import time
from pathlib import Path
from typing import Any

import pytest
import tablib
from django.test import Client
from django.urls import reverse

from accounts.models import User
from benchmarks.standards_data import large_set
from projects import estimate_excel
from projects.tests.estimate_files import fill_template, upload
from projects.tests.factories import register
from standards import excel, resources
from standards.demo import seed_standards
from standards.models import Grade

ESTIMATE_ROWS: list[dict[str, Any]] = [
    {"服务内容编码": "1.1", "未调整功能点": 500, "应用类别": "业务处理", "复用程度": "中"},
    {"服务内容编码": "1.2", "工作量（阶段=人月）": "需求设计=2；编码=5"},
    {"服务内容编码": "1.3", "基数（元）": 1000000, "比例": 0.2},
    {"服务内容编码": "5.1", "等次编码": "L3", "数量": 1, "系数": 1.2},
]


def _largest_estimate(clerk_user: User) -> dict[str, float | int]:
    seed_standards()
    project = register(clerk_user)
    clerk = Client()
    clerk.force_login(clerk_user)
    template = clerk.get(reverse("projects:estimate_template", args=[project.code])).content
    rows = [ESTIMATE_ROWS[n % len(ESTIMATE_ROWS)] for n in range(estimate_excel.MAX_LINES)]
    filled = fill_template(template, rows)
    timings = {}
    start = time.perf_counter()
    response = clerk.post(
        reverse("projects:estimate_import", args=[project.code]), {"file": upload(filled)}
    )
    timings["upload"] = time.perf_counter() - start
    assert response.status_code == 302
    preview = str(response["Location"])
    start = time.perf_counter()
    assert clerk.get(preview).status_code == 200
    timings["preview"] = time.perf_counter() - start
    start = time.perf_counter()
    assert clerk.post(preview).status_code == 302
    timings["apply"] = time.perf_counter() - start
    assert project.lines.count() == estimate_excel.MAX_LINES
    return {
        "largest_estimate_lines": estimate_excel.MAX_LINES,
        **{f"largest_estimate_{step}_s": round(seconds, 2) for step, seconds in timings.items()},
    }


@pytest.mark.django_db
def test_largest_uploads_finish_well_inside_the_request_limit(
    tmp_path: Path, admin_user: User, submitter: User, settings, capsys: pytest.CaptureFixture[str]
) -> None:
    settings.MEDIA_ROOT = tmp_path
    # A workbook at the limit: MAX_ROWS items (header row aside) with one grade each.
    source = large_set("LARGEST-SRC", excel.MAX_ROWS - 1, grades_per_item=1)
    workbook = tmp_path / "largest.xlsx"
    excel.write_workbook(source, workbook)
    client = Client()
    client.force_login(admin_user)
    with workbook.open("rb") as upload:
        start = time.perf_counter()
        response = client.post(
            "/admin/standards/standardset/import/",
            {"file": upload, "code": "LARGEST-NEW"},
        )
        workbook_seconds = time.perf_counter() - start
    assert response.status_code == 200
    assert Grade.objects.filter(item__standard_set__code="LARGEST-NEW").count() == (
        excel.MAX_ROWS - 1
    )

    # import-export: MAX_IMPORT_ROWS grades of the draft above, new prices.
    dataset = tablib.Dataset(headers=["标准编码", "服务内容编码", "code", "name", "unit_price"])
    for number in range(resources.MAX_IMPORT_ROWS):
        dataset.append(["LARGEST-NEW", f"2.{number:05d}", "B", "二级", "125900.00"])
    timings = {}
    for dry_run in (True, False):
        start = time.perf_counter()
        result = resources.GradeResource().import_data(
            dataset, dry_run=dry_run, user=admin_user, use_transactions=True
        )
        timings[dry_run] = time.perf_counter() - start
        assert not result.has_errors() and not result.has_validation_errors()
    assert Grade.objects.filter(code="B").count() == resources.MAX_IMPORT_ROWS

    figures = {**_largest_estimate(submitter)}
    figures |= {
        "largest_workbook_items": excel.MAX_ROWS - 1,
        "largest_workbook_grades": excel.MAX_ROWS - 1,
        "largest_workbook_import_s": round(workbook_seconds, 2),
        "largest_resource_rows": resources.MAX_IMPORT_ROWS,
        "largest_resource_dry_run_s": round(timings[True], 2),
        "largest_resource_import_s": round(timings[False], 2),
    }
    with capsys.disabled():
        print("BENCH " + json.dumps(figures))
