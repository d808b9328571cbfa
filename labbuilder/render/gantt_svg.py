"""A timeline as a Gantt chart in one SVG (drawsvg): one lane per node (the lab-wide stages
first), one bar per event, coloured by stage, failures outlined in red. Events that overlap in
a lane (Packstack manifests of one tier, suites run in parallel) stack in sub-rows.

Each lane is a ``<g class="lb-lane" id="lane-<node>">``, each bar a ``<rect class="lb-bar">``
whose ``<title>`` says what ran, how long and how it ended.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import drawsvg as dw

from labbuilder.model.timeline import LAB_LANE, Event
from labbuilder.render.timing import clock

LABEL_W = 130
ROW_H = 22
MARGIN = 20
AXIS_H = 34
FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"
STAGE_COLORS = {
    "networks": "#90caf9",
    "vms": "#a5d6a7",
    "provision": "#ffe082",
    "deploy": "#ffab91",
    "verify": "#ce93d8",
}
OTHER = "#b0bec5"
BAD = "#c62828"


def lanes(events: Sequence[Event], order: Sequence[str] = ()) -> list[str]:
    """Lane names: the lab-wide lane, then ``order`` (the lab's nodes), then any others."""
    present = list(dict.fromkeys(e.node for e in events))
    head = [LAB_LANE] if LAB_LANE in present else []
    known = [n for n in order if n in present and n != LAB_LANE]
    return head + known + [n for n in present if n not in head and n not in known]


def stack(events: Sequence[Event]) -> list[list[Event]]:
    """Sub-rows of one lane: each event goes into the first row where it overlaps nothing."""
    rows: list[list[Event]] = []
    for event in sorted(events, key=lambda e: (e.start, -e.seconds)):
        for row in rows:
            if row[-1].end <= event.start + 1e-6:
                row.append(event)
                break
        else:
            rows.append([event])
    return rows


def _ticks(span: float) -> float:
    for step in (1, 5, 10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200):
        if span / step <= 10:
            return float(step)
    return 14400.0


def draw(events: Sequence[Event], order: Sequence[str] = (), width: int = 1100) -> str:
    """The chart as an ``<svg>`` element (no XML prolog); a note when there are no events."""
    if not events:
        d = dw.Drawing(width, 40, font_family=FONT, id="gantt")
        d.append(dw.Text("no timeline yet: run `invoke up`", 14, MARGIN, 25))
        return _svg(d)
    t0 = min(e.start for e in events)
    span = max(max(e.end for e in events) - t0, 1.0)
    plot_w = width - LABEL_W - 2 * MARGIN
    scale = plot_w / span
    grouped = {name: stack([e for e in events if e.node == name]) for name in lanes(events, order)}
    height = MARGIN + AXIS_H + sum(len(r) * ROW_H + 8 for r in grouped.values()) + MARGIN
    d = dw.Drawing(width, height, font_family=FONT, id="gantt")
    d.append(dw.Rectangle(0, 0, width, height, fill="white"))
    x0 = MARGIN + LABEL_W
    tick = _ticks(span)
    start = datetime.fromtimestamp(t0, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    d.append(dw.Text(f"from {start}, total {clock(span)}", 12, MARGIN, MARGIN + 4, fill="#455a64"))
    t = 0.0
    while t <= span:
        x = x0 + t * scale
        d.append(dw.Line(x, MARGIN + AXIS_H - 8, x, height - MARGIN, stroke="#eceff1"))
        d.append(
            dw.Text(clock(t), 11, x, MARGIN + AXIS_H - 12, fill="#78909c", text_anchor="middle")
        )
        t += tick
    y = MARGIN + AXIS_H
    for name, rows in grouped.items():
        lane_h = len(rows) * ROW_H + 8
        g = dw.Group(id=f"lane-{name}", class_="lb-lane")
        g.append(dw.Rectangle(MARGIN, y, width - 2 * MARGIN, lane_h - 4, fill="#f5f7f8"))
        g.append(dw.Text(name, 13, MARGIN + 6, y + 16, font_weight="bold", fill="#263238"))
        for r, row in enumerate(rows):
            for e in row:
                bx, bw = x0 + (e.start - t0) * scale, max(e.seconds * scale, 2.0)
                by = y + 3 + r * ROW_H
                failed = e.result == "failed"
                bar = dw.Rectangle(
                    bx,
                    by,
                    bw,
                    ROW_H - 5,
                    rx=3,
                    fill=STAGE_COLORS.get(e.stage, OTHER),
                    stroke=BAD if failed else "#607d8b",
                    stroke_width=2.5 if failed else 0.6,
                    class_="lb-bar",
                    data_result=e.result,
                )
                bar.append_title(f"{e.stage} / {e.node}: {e.step} ({clock(e.seconds)}, {e.result})")
                g.append(bar)
                label = e.step if e.step != e.stage or e.node != LAB_LANE else e.stage
                chars = int((bw - 6) / 6.4)
                if chars >= 4:
                    text = label if len(label) <= chars else label[: chars - 1] + "…"
                    g.append(dw.Text(text, 11, bx + 4, by + 12, fill=BAD if failed else "#212121"))
        d.append(g)
        y += lane_h
    return _svg(d)


def _svg(d: dw.Drawing) -> str:
    return "\n".join(line for line in d.as_svg().splitlines() if not line.startswith("<?xml"))
