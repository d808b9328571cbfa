"""A lab's timeline: one event per stage, node step, Packstack manifest and verify step, and
what can be read from it (a devstack-style timing summary, two runs compared).

Events are plain data; ``adapters.eventlog`` appends them to ``labs/<lab>/timeline.jsonl``,
one JSON object per line. Times are UNIX seconds (wall clock), so runs on different days and
events from different processes line up.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from labbuilder.errors import StateError

SLOWEST = 3
"""Steps listed under each stage in the summary."""
LAB_LANE = "lab"
"""The node name of events that belong to the whole lab (a stage, not one node's step)."""


@dataclass(frozen=True)
class Event:
    run: str
    stage: str
    node: str
    step: str
    start: float
    end: float
    result: str = "ok"
    """ok, failed or skipped."""

    @property
    def seconds(self) -> float:
        return max(0.0, self.end - self.start)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.stage, self.node, self.step)


def dumps(event: Event) -> str:
    return json.dumps(asdict(event), sort_keys=True)


def loads(text: str, source: str = "timeline") -> list[Event]:
    """Every event of a timeline file; a damaged line (an interrupted write) is skipped."""
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            data: Any = json.loads(line)
            out.append(
                Event(
                    run=str(data["run"]),
                    stage=str(data["stage"]),
                    node=str(data["node"]),
                    step=str(data["step"]),
                    start=float(data["start"]),
                    end=float(data["end"]),
                    result=str(data.get("result", "ok")),
                )
            )
        except (ValueError, KeyError, TypeError):
            continue
    return out


def runs(events: Iterable[Event]) -> list[str]:
    """Run ids in the order they first appear."""
    return list(dict.fromkeys(e.run for e in events))


def of_run(events: Iterable[Event], run: str) -> list[Event]:
    return [e for e in events if e.run == run]


@dataclass(frozen=True)
class Row:
    step: str
    seconds: float
    share: float
    """Part of the total, 0..1."""
    detail: bool = False
    """One of the slowest steps inside the stage above (not added to the total)."""


@dataclass(frozen=True)
class Summary:
    rows: tuple[Row, ...]
    unaccounted: float
    total: float


def summarize(events: Sequence[Event], total: float) -> Summary:
    """The lab-wide events (stages) of one run against the command's wall time ``total``.

    Like devstack's timing table: each step's time and share, and what no step accounts for
    (preflight, reading state, the time between steps)."""
    stages = [e for e in events if e.node == LAB_LANE]
    accounted = sum(e.seconds for e in stages)
    total = max(total, accounted)
    rows: list[Row] = []
    for e in stages:
        name = e.stage if e.step == e.stage else f"{e.stage}: {e.step}"
        rows.append(Row(name, e.seconds, _share(e.seconds, total)))
        inner = [i for i in events if i.node != LAB_LANE and i.stage == e.stage]
        for i in sorted(inner, key=lambda i: -i.seconds)[:SLOWEST]:
            rows.append(Row(f"  {i.node}: {i.step}", i.seconds, _share(i.seconds, total), True))
    return Summary(tuple(rows), total - accounted, total)


def _share(part: float, total: float) -> float:
    return part / total if total > 0 else 0.0


@dataclass(frozen=True)
class Change:
    stage: str
    node: str
    step: str
    before: float | None
    after: float | None

    @property
    def delta(self) -> float:
        return (self.after or 0.0) - (self.before or 0.0)

    @property
    def ratio(self) -> float | None:
        if not self.before or self.after is None:
            return None
        return self.after / self.before


def compare(events: Sequence[Event], before: str, after: str) -> list[Change]:
    """Each step of two runs side by side, the one that got slower most first.

    A step that ran several times in a run (a retried step) counts with its total time."""
    known = runs(events)
    for run in (before, after):
        if run not in known:
            raise StateError(
                f"no run {run!r} in the timeline: choose from {', '.join(known) or 'none yet'}"
            )

    def totals(run: str) -> dict[tuple[str, str, str], float]:
        out: dict[tuple[str, str, str], float] = {}
        for e in of_run(events, run):
            out[e.key] = out.get(e.key, 0.0) + e.seconds
        return out

    a, b = totals(before), totals(after)
    keys = list(dict.fromkeys([*a, *b]))
    changes = [Change(*k, a.get(k), b.get(k)) for k in keys]
    return sorted(changes, key=lambda c: -c.delta)
