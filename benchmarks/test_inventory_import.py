"""Benchmark: a survey workbook of 20,000 device rows imported, against a bare parse.

Figures (printed as one "BENCH" JSON line, collected by ``make bench``): the import
(the package check, reading and checking every cell, replacing the unit's inventory
in one transaction) ÷ the time openpyxl needs just to read the same file in
read-only mode (target ≤ 2.0, issue #19), each the best of three runs, alternating.
"""

import datetime
import json
import time
from pathlib import Path

import pytest
from openpyxl import Workbook

from accounts.models import Organization, User
from benchmarks.reading import bare_read
from inventory import services, workbook
from inventory.models import Device
from inventory.tests.factories import open_survey, survey_of

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
