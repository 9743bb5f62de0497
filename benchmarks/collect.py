"""Gather the benchmarks' ``BENCH {json}`` lines into one JSON object (``make bench``).

Reads pytest's output on stdin, copies every line to ``var/bench.log`` as it comes (so a
run stopped halfway keeps the figures it printed), and prints the figures merged. A
line that is not whole JSON (a run interrupted mid-line) is named on stderr and skipped
instead of losing every other figure.
"""

import json
import sys
from pathlib import Path

MARK = "BENCH "


def collect(lines: list[str] | None = None, log: Path | None = None) -> dict[str, object]:
    figures: dict[str, object] = {}
    source = sys.stdin if lines is None else lines
    with (log or Path("var/bench.log")).open("a", encoding="utf-8") as copy:
        for line in source:
            copy.write(line if line.endswith("\n") else line + "\n")
            copy.flush()
            if MARK not in line:
                continue
            text = line.split(MARK, 1)[1].strip()
            try:
                figures.update(json.loads(text))
            except json.JSONDecodeError as error:
                print(
                    f"bench: skipped a line that is not JSON ({error}): {text[:120]!r}",
                    file=sys.stderr,
                )
    return figures


if __name__ == "__main__":
    Path("var").mkdir(exist_ok=True)
    print(json.dumps(collect(), indent=2, ensure_ascii=False))
