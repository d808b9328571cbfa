"""A lab's runtime state (``labs/<lab>/state.json``): which stages finished, and when.

Stages run in ``STAGES`` order; ``invoke up`` skips the ones already done, so re-running it
converges instead of starting over. This module is the only reader and writer of the file
(``load``/``save``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from labbuilder.errors import StateError
from labbuilder.labdir import LabDir, write_atomic

STAGES = ("networks", "vms", "provision", "deploy")


@dataclass(frozen=True)
class StageRecord:
    finished: str
    seconds: float


@dataclass(frozen=True)
class LabState:
    stages: dict[str, StageRecord] = field(default_factory=dict)
    nodes: tuple[str, ...] = ()

    @property
    def reached(self) -> str:
        """The last stage in order that is done, or "rendered"."""
        done = [s for s in STAGES if s in self.stages]
        return done[-1] if done else "rendered"

    def done(self, stage: str) -> bool:
        return stage in self.stages

    def finish(self, stage: str, seconds: float, now: datetime | None = None) -> LabState:
        stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
        return replace(self, stages={**self.stages, stage: StageRecord(stamp, round(seconds, 1))})

    def reset_from(self, stage: str) -> LabState:
        """Forget ``stage`` and every later one (they must run again)."""
        keep = STAGES[: STAGES.index(stage)]
        return replace(self, stages={k: v for k, v in self.stages.items() if k in keep})


def check_stage(name: str) -> str:
    if name not in STAGES:
        raise StateError(f"unknown stage {name!r}: use one of {', '.join(STAGES)}")
    return name


def dumps(state: LabState) -> str:
    data = {
        "stages": {
            k: {"finished": v.finished, "seconds": v.seconds} for k, v in state.stages.items()
        },
        "nodes": list(state.nodes),
    }
    return json.dumps(data, indent=2) + "\n"


def loads(text: str, source: str) -> LabState:
    try:
        data: Any = json.loads(text)
        stages = {
            str(k): StageRecord(str(v["finished"]), float(v["seconds"]))
            for k, v in data.get("stages", {}).items()
            if k in STAGES
        }
        return LabState(stages=stages, nodes=tuple(str(n) for n in data.get("nodes", [])))
    except (ValueError, KeyError, TypeError, AttributeError):
        raise StateError(
            f"{source} is damaged: run `invoke down` for this lab, then `invoke up`"
        ) from None


def load(labdir: LabDir) -> LabState:
    """The lab's recorded state; an empty one when nothing was recorded yet."""
    if not labdir.state.is_file():
        return LabState()
    return loads(labdir.state.read_text(encoding="utf-8"), str(labdir.state))


def save(labdir: LabDir, state: LabState) -> None:
    write_atomic(labdir.state, dumps(state))


def remove(labdir: LabDir) -> None:
    """Forget the lab's state (``invoke down``): the next ``up`` starts from the beginning."""
    labdir.state.unlink(missing_ok=True)
