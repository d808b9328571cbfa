"""Timed steps with undo, and waiting on an injectable clock: the engine of the end-to-end walk.

Each step registers how to undo what it created as soon as it exists; ``walk`` stops at the
first failing step and then undoes everything in reverse order, reporting every step and
every undo with its time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from labbuilder.adapters.openstack import is_gone
from labbuilder.errors import VerifyError

T = TypeVar("T")
Action = Callable[[], Any]


@dataclass(frozen=True)
class Policy:
    """How long each wait may take, how often to look again, and the clock to do it with."""

    server: float = 900.0
    volume: float = 300.0
    image: float = 600.0
    ping: float = 600.0
    ssh: float = 300.0
    stack: float = 300.0
    delete: float = 300.0
    interval: float = 5.0
    now: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


@dataclass(frozen=True)
class StepTiming:
    name: str
    seconds: float
    outcome: str
    """ok, failed or deleted."""
    detail: str = ""


class OnStep(Protocol):
    def __call__(self, step: StepTiming) -> None: ...


def no_report(step: StepTiming) -> None:
    return None


@dataclass
class Steps:
    policy: Policy = field(default_factory=Policy)
    on_step: OnStep = no_report
    undo: list[tuple[str, Action]] = field(default_factory=list)

    def register(self, what: str, action: Action) -> None:
        self.undo.append((what, action))

    def walk(self, steps: Sequence[tuple[str, Action]]) -> None:
        """Run ``steps`` in order, then clean up; VerifyError names the first that failed."""
        failure = None
        for name, step in steps:
            reason = self.attempt(name, step)
            if reason is not None:
                failure = f"end-to-end step '{name}' failed: {reason}"
                break
        left = self.cleanup()
        if failure is not None:
            also = f" (cleanup also left {'; '.join(left)})" if left else ""
            raise VerifyError(failure + also)
        if left:
            raise VerifyError(f"end-to-end cleanup left {len(left)} resource(s): {'; '.join(left)}")

    def attempt(self, name: str, action: Action, outcome: str = "ok") -> str | None:
        """Run and time ``action``; the one-line reason it failed, or None."""
        start = self.policy.now()
        try:
            action()
        except Exception as err:  # any failure ends the walk the same way: report, clean up
            reason = one_line(err)
            self.on_step(StepTiming(name, self.policy.now() - start, "failed", reason))
            return reason
        self.on_step(StepTiming(name, self.policy.now() - start, outcome))
        return None

    def cleanup(self) -> list[str]:
        """Undo everything in reverse order; returns what could not be removed, and why."""
        left = []
        while self.undo:
            what, action = self.undo.pop()
            reason = self.attempt(f"delete {what}", action, outcome="deleted")
            if reason is not None:
                left.append(f"{what} ({reason})")
        return left

    def wait(self, what: str, probe: Callable[[], T | None], timeout: float) -> T:
        """Call ``probe`` until it returns a value; VerifyError ``what`` after ``timeout`` s."""
        deadline = self.policy.now() + timeout
        while True:
            found = probe()
            if found is not None:
                return found
            if self.policy.now() >= deadline:
                raise VerifyError(f"{what} within {timeout:.0f} s")
            self.policy.sleep(self.policy.interval)

    def gone(self, what: str, get: Action, timeout: float) -> None:
        """Wait until ``get`` answers Not Found."""
        self.wait(f"{what} not deleted", lambda: is_gone(get) or None, timeout)


def one_line(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    return " ".join(text.split())[:300]
