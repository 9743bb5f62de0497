"""Benchmark: a survey workbook of 20,000 device rows imported, against a bare parse.

Figures (printed as one "BENCH" JSON line, collected by ``make bench``): the import
(the package check, reading and checking every cell, replacing the unit's inventory
in one transaction) ÷ the time openpyxl needs just to read the same file in
read-only mode (target ≤ 2.0, issue #19), each the best of three runs, alternating;
and the queries of generating an operation project's lines from 20 and from 2,000
devices (target: equal).
"""

import datetime
import json
import time
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from accounts.models import Organization, User
from benchmarks.reading import bare_read
from inventory import services, workbook
from inventory.models import Device
from inventory.tests.factories import device, open_survey, survey_of
from projects import inventory_lines
from projects.models import LineBasis, Project
from projects.tests.factories import register
from standards.demo import seed_standards
from standards.models import ProjectKind

DEVICES = 20_000
RUNS = 3


def _large_workbook(path: Path) -> None:
    book = Workbook(write_only=True)
    for spec in workbook.SHEETS:
        sheet = book.create_sheet(spec.title)
        sheet.append([column.header for column in spec.columns])
        if spec.kind == "device":
            kinds = list(workbook.DEVICE_TYPES)
            for n in range(DEVICES):
                sheet.append(
                    [
                        kinds[n % len(kinds)],
                        f"设备{n:05d}",
                        1 + n % 7,
                        10000 + n % 997 + 0.25,
                        datetime.date(2015 + n % 10, 1 + n % 12, 1),
                        datetime.date(2020 + n % 10, 1 + n % 12, 1) if n % 5 else None,
                    ]
                )
    book.save(path)


@pytest.mark.django_db
def test_a_20000_device_workbook_imports_within_twice_a_bare_parse(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    data_reviewer: User,
    submitter: User,
    education: Organization,
) -> None:
    path = tmp_path / "survey.xlsx"
    _large_workbook(path)
    survey = survey_of(open_survey(data_reviewer, education), education)
    import_times, read_times = [], []
    for _run in range(RUNS):
        start = time.perf_counter()
        with path.open("rb") as upload:
            workbook.check_upload(upload, path.name)
            reading = workbook.read_workbook(upload)
        assert not reading.problems, reading.problems[:3]
        survey = services.replace_rows(
            survey, reading.rows, actor=submitter, expected_version=survey.version
        )
        import_times.append(time.perf_counter() - start)
        read_times.append(bare_read(path))
    assert Device.objects.filter(survey=survey).count() == DEVICES
    import_time, read_time = min(import_times), min(read_times)
    ratio = import_time / read_time
    with capsys.disabled():
        print(
            "BENCH "
            + json.dumps(
                {
                    "inventory_devices": DEVICES,
                    "inventory_import_s": round(import_time, 2),
                    "inventory_bare_read_s": round(read_time, 2),
                    "inventory_import_ratio": round(ratio, 2),
                }
            )
        )
    assert ratio <= 2.0


@pytest.mark.django_db
def test_generating_lines_for_2000_devices_takes_the_queries_of_20(
    capsys: pytest.CaptureFixture[str],
    data_reviewer: User,
    submitter: User,
    education: Organization,
) -> None:
    """Generating lines ("从资产清单生成明细") for an operation project maintaining 20,
    then 2,000 device rows: the queries (planning, pricing, writing the lines and their
    bases, the history) are the same; the time is printed."""
    seed_standards()
    figures: dict[str, float | int] = {}
    for year, count in ((2025, 20), (2026, 2000)):
        survey = survey_of(open_survey(data_reviewer, education, year=year), education)
        rows = services.InventoryRows(
            devices=[
                device(name=f"服务器{n}", warranty_end=datetime.date(2024, 1, 1))
                for n in range(count)
            ]
        )
        survey = services.replace_rows(survey, rows, actor=submitter, expected_version=1)
        services.act(survey, "submit", actor=submitter, expected_version=survey.version)
        project = register(submitter, name=f"运维{count}", kind=ProjectKind.OPERATION)
        # As a request has them: the clerk and the project read afresh, nothing cached on
        # the objects from the size before (the unit's jurisdiction, counted once only).
        clerk = User.objects.get(pk=submitter.pk)
        project = Project.objects.get(pk=project.pk)
        start = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            inventory_lines.generate(project, actor=clerk, expected_version=project.version)
        figures[f"inventory_lines_queries_{count}"] = len(queries)
        figures[f"inventory_lines_ms_{count}"] = round((time.perf_counter() - start) * 1000, 1)
        assert LineBasis.objects.filter(line__project=project).count() == count
    with capsys.disabled():
        print("BENCH " + json.dumps(figures))
    assert figures["inventory_lines_queries_20"] == figures["inventory_lines_queries_2000"]
