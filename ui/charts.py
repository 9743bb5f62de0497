"""Charts drawn on the server as inline SVG: no chart library, no script (strict CSP).

Each builder returns a ``Chart`` of plain shapes in a fixed coordinate space;
``ui/chart.html`` draws it with a ``viewBox``, so it scales to
any width (320 px included). Colours are CSS classes (``series-N``), as the CSP
forbids inline styles. Every chart stands beside a table of the same figures,
which is what screen readers and keyboard users read; the SVG carries
``role="img"`` and a title that says what it shows.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

WIDTH = 640
SERIES = 8  # colours defined in app.css


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    series: int
    tip: str = ""  # a tooltip (<title>) for pointer users


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    anchor: str = "start"  # start | middle | end
    small: bool = False


@dataclass(frozen=True)
class Chart:
    title: str
    height: float
    rects: list[Rect] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    width: float = WIDTH


def wan(value: Decimal) -> str:
    """Yuan as 万元 with two places, thousands separated."""
    return f"{(value / 10000).quantize(Decimal('0.01'), ROUND_HALF_UP):,.2f}"


def _short(text: str, length: int = 12) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _scale(values: Sequence[Decimal], span: float) -> Callable[[Decimal], float]:
    top = max(values, default=Decimal(0))
    if top <= 0:
        return lambda _value: 0.0
    return lambda value: round(float(value / top) * span, 1)


def _legend(names: Sequence[str], series: Sequence[int], y: float) -> tuple[list[Rect], list[Text]]:
    rects, texts, x = [], [], 0.0
    for name, colour in zip(names, series, strict=True):
        rects.append(Rect(x, y - 11, 14, 14, colour))
        texts.append(Text(x + 20, y, name))
        x += 40 + 16 * len(name)
    return rects, texts


def bars(title: str, rows: Sequence[tuple[str, Sequence[Decimal]]], names: Sequence[str]) -> Chart:
    """Horizontal bars, one per series in each row (e.g. requested and approved), on one
    scale, labelled in 万元."""
    label_width, bar_height, top = 170, 14, 34
    row_height = 14 + 16 * len(names)
    scale = _scale([value for _label, values in rows for value in values], WIDTH - label_width - 90)
    rects, texts = _legend(names, range(len(names)), 16)
    for index, (label, values) in enumerate(rows):
        y = top + index * row_height
        texts.append(Text(label_width - 8, y + 12 + 8 * (len(names) - 1), _short(label), "end"))
        for series, value in enumerate(values):
            bar_y = y + series * 16
            width = scale(value)
            rects.append(
                Rect(label_width, bar_y, width, bar_height, series, f"{label}: {wan(value)}")
            )
            texts.append(Text(label_width + width + 6, bar_y + 12, wan(value), small=True))
    return Chart(title, top + len(rows) * row_height + 4, rects, texts)


def waterfall(title: str, steps: Sequence[tuple[str, Decimal]], names: tuple[str, str]) -> Chart:
    """Vertical bars of each step's total; above every bar after the first, the part the
    step cut (the difference to the step before) in the cut colour."""
    total_name, cut_name = names
    plot_top, plot_height, left = 40, 200, 10
    slot = (WIDTH - left) / max(len(steps), 1)
    scale = _scale([total for _label, total in steps], plot_height)
    rects, texts = _legend([total_name, cut_name], (0, 2), 16)
    bottom = plot_top + plot_height
    previous: Decimal | None = None
    for index, (label, total) in enumerate(steps):
        x = left + index * slot + slot * 0.15
        width = slot * 0.7
        height = scale(total)
        rects.append(Rect(x, bottom - height, width, height, 0, f"{label}: {wan(total)}"))
        if previous is not None and previous > total:
            cut = scale(previous) - height
            rects.append(
                Rect(x, bottom - height - cut, width, cut, 2, f"{label}: −{wan(previous - total)}")
            )
        texts.append(Text(x + width / 2, bottom - scale(max(total, previous or total)) - 6,
                          wan(total), "middle", small=True))  # fmt: skip
        texts.append(Text(x + width / 2, bottom + 18, _short(label, 8), "middle", small=True))
        previous = total
    return Chart(title, bottom + 30, rects, texts)


def shares(
    title: str,
    rows: Sequence[tuple[str, Decimal | int]],
    show: Callable[[Decimal], str] = wan,
) -> Chart:
    """One bar split into each row's share of the whole, with a legend of the shares."""
    values = [Decimal(value) for _label, value in rows]
    whole = sum(values, Decimal(0))
    rects: list[Rect] = []
    texts: list[Text] = []
    x, bar_y, bar_height = 0.0, 8, 36
    for index, ((label, _raw), value) in enumerate(zip(rows, values, strict=True)):
        share = value / whole if whole else Decimal(0)
        width = round(float(share) * WIDTH, 1)
        percent = f"{(share * 100).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"
        rects.append(Rect(x, bar_y, width, bar_height, index % SERIES, f"{label}: {percent}"))
        x += width
        legend_y = bar_y + bar_height + 26 + index * 24
        rects.append(Rect(0, legend_y - 12, 14, 14, index % SERIES))
        texts.append(Text(22, legend_y, f"{label}  {show(value)}  ({percent})"))
    return Chart(title, bar_y + bar_height + 20 + len(rows) * 24, rects, texts)
