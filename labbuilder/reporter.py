"""Progress on long steps: what each node is doing, since when, and the running total."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from rich.console import Console


class Timeline(Protocol):
    """Where events go (``adapters.eventlog.EventLog``); times are wall-clock seconds."""

    def wall(self) -> float: ...

    def add(
        self, stage: str, node: str, step: str, start: float, end: float, result: str = "ok"
    ) -> object: ...

    def stage(self, stage: str, start: float, end: float, result: str = "ok") -> object: ...


class Reporter:
    def __init__(self, console: Console | None = None, clock: Callable[[], float] = time.monotonic):
        if console is None:
            from rich.console import Console  # noqa: PLC0415 - rich loads when a task reports

            console = Console(highlight=False)
        self.console = console
        self.clock = clock
        self.started = clock()
        self.node_started: dict[str, float] = {}
        self.last: dict[str, str] = {}
        self.timeline: Timeline | None = None
        """Where stages and node steps go as events, once a lab is known."""
        self.stage = ""
        self.stage_start = 0.0
        self.node_mark: dict[str, float] = {}

    def elapsed(self) -> str:
        s = int(self.clock() - self.started)
        return f"{s // 60:2d}:{s % 60:02d}"

    def say(self, text: str, style: str = "") -> None:
        self.console.print(
            f"[{self.elapsed()}] {text}", style=style or None, markup=False, soft_wrap=True
        )

    def ok(self, text: str) -> None:
        self.say(text, "green")

    def error(self, text: str) -> None:
        self.say(text, "red")

    def warn(self, text: str) -> None:
        self.say(f"WARNING: {text}", "bold yellow")

    def node(self, name: str, message: str) -> None:
        if self.last.get(name) == message:
            return
        self.last[name] = message
        self.record_node(name, message)
        now = self.clock()
        since = now - self.node_started.setdefault(name, now)
        self.say(f"{name:<12} +{since:5.0f}s  {message}")

    def record_node(self, name: str, message: str) -> None:
        """A node's step as an event: from its previous report (or the stage's start) to now."""
        if self.timeline is None or not self.stage:
            return  # only steps inside a stage (not those of bringing a lab back in line)
        now = self.timeline.wall()
        start = self.node_mark.get(name, self.stage_start)
        self.node_mark[name] = now
        self.timeline.add(self.stage, name, message, start, now)

    def begin_stage(self, stage: str) -> None:
        self.stage = stage
        self.node_mark = {}
        self.stage_start = self.timeline.wall() if self.timeline else 0.0

    @contextlib.contextmanager
    def staged(self, stage: str) -> Iterator[None]:
        """Time ``stage`` as a lab-wide event (failed when it raises); node steps inside it
        are recorded under its name."""
        self.begin_stage(stage)
        result = "failed"
        try:
            yield
            result = "ok"
        finally:
            self.stage = ""
            if self.timeline is not None:
                self.timeline.stage(stage, self.stage_start, self.timeline.wall(), result)

    def event(self, node: str, step: str, start: float, end: float, result: str = "ok") -> None:
        """A step timed elsewhere (wall-clock seconds), in the current stage."""
        if self.timeline is not None:
            self.timeline.add(self.stage, node, step, start, end, result)
