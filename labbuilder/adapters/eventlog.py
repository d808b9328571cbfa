"""``labs/<lab>/timeline.jsonl``: the lab's events, appended one JSON line at a time (the
file is the outside store here; ``model.timeline`` says what the events mean).

Every command that changes a lab writes under its own run id; runs are never rewritten, so
the file holds the lab's whole history (``invoke report --compare RUN RUN``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from labbuilder.model import timeline
from labbuilder.model.timeline import Event

FILE_NAME = "timeline.jsonl"


def new_run_id(now: datetime | None = None) -> str:
    """A run id that sorts by time: ``20261129-203012``."""
    return (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")


class EventLog:
    """Appends events of one run; keeps them in memory for the run's own summary."""

    def __init__(self, path: Path, run: str | None = None, wall: Callable[[], float] = time.time):
        self.path = path
        self.run = run or new_run_id()
        self.wall = wall
        self.events: list[Event] = []

    def stage(self, stage: str, start: float, end: float, result: str = "ok") -> Event:
        """A whole stage, on the lab-wide lane."""
        return self.add(stage, timeline.LAB_LANE, stage, start, end, result)

    def add(
        self, stage: str, node: str, step: str, start: float, end: float, result: str = "ok"
    ) -> Event:
        event = Event(self.run, stage, node, step, round(start, 3), round(end, 3), result)
        self.events.append(event)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # one write() of a whole line on an O_APPEND file: lines never interleave
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (timeline.dumps(event) + "\n").encode("utf-8"))
        finally:
            os.close(fd)
        return event


def read(path: Path) -> list[Event]:
    if not path.is_file():
        return []
    return timeline.loads(path.read_text(encoding="utf-8"), str(path))
