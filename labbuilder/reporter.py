"""Progress on long steps: what each node is doing, since when, and the running total."""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.console import Console


class Reporter:
    def __init__(self, console: Console | None = None, clock: Callable[[], float] = time.monotonic):
        self.console = console or Console(highlight=False)
        self.clock = clock
        self.started = clock()
        self.node_started: dict[str, float] = {}
        self.last: dict[str, str] = {}

    def elapsed(self) -> str:
        s = int(self.clock() - self.started)
        return f"{s // 60:2d}:{s % 60:02d}"

    def say(self, text: str, style: str = "") -> None:
        self.console.print(
            f"[{self.elapsed()}] {text}", style=style or None, markup=False, soft_wrap=True
        )

    def ok(self, text: str) -> None:
        self.say(text, "green")

    def warn(self, text: str) -> None:
        self.say(f"WARNING: {text}", "bold yellow")

    def node(self, name: str, message: str) -> None:
        if self.last.get(name) == message:
            return
        self.last[name] = message
        now = self.clock()
        since = now - self.node_started.setdefault(name, now)
        self.say(f"{name:<12} +{since:5.0f}s  {message}")
