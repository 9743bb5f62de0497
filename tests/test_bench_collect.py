"""``make bench`` gathers the benchmarks' figures even from a run that broke a line."""

import json
from pathlib import Path

import pytest

from benchmarks.collect import collect


def test_figures_are_merged_and_a_broken_line_is_skipped_with_a_word(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "bench.log"
    lines = [
        "benchmarks/test_a.py BENCH " + json.dumps({"a_ratio": 1.2}) + "\n",
        "....\n",
        'BENCH {"b_ms": 3\x03\n',  # a run interrupted mid-line
        "BENCH " + json.dumps({"c_queries": 9, "a_ratio": 1.1}),
    ]

    figures = collect(lines, log)

    assert figures == {"a_ratio": 1.1, "c_queries": 9}
    assert "skipped a line that is not JSON" in capsys.readouterr().err
    assert log.read_text(encoding="utf-8").count("\n") == 4  # every line kept as it came
