"""What an import is measured against: openpyxl reading the same file, and nothing else."""

import time
from pathlib import Path

from openpyxl import load_workbook


def bare_read(path: Path) -> float:
    """Seconds openpyxl takes to read every row of every sheet in read-only mode."""
    start = time.perf_counter()
    book = load_workbook(path, read_only=True)
    for sheet in book.worksheets:
        for _row in sheet.iter_rows(values_only=True):
            pass
    book.close()
    return time.perf_counter() - start
