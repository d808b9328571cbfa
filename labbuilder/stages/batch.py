"""Run one job per lab, at most ``limit`` at a time; a job that fails does not stop the others.

Each job returns a one-line result or raises; either way its outcome is reported as soon as it
ends (``on_done``) and returned with the others, in the order the jobs were given.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from labbuilder.errors import LabError


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[], str]


@dataclass(frozen=True)
class Outcome:
    name: str
    ok: bool
    detail: str
    seconds: float


def default_limit(cpus: int) -> int:
    """Labs started at once on a host with ``cpus`` CPUs: booting VMs is CPU-bound."""
    return max(1, cpus // 2)


def _attempt(job: Job, on_done: Callable[[Outcome], None]) -> Outcome:
    start = time.monotonic()
    try:
        detail, ok = job.run(), True
    except LabError as err:
        detail, ok = err.message, False
    except Exception as err:  # one lab's unexpected failure must not stop the others
        detail, ok = f"unexpected {type(err).__name__}: {err}", False
    outcome = Outcome(job.name, ok, detail, round(time.monotonic() - start, 1))
    on_done(outcome)
    return outcome


def run(
    jobs: Sequence[Job], limit: int, on_done: Callable[[Outcome], None] = lambda _: None
) -> list[Outcome]:
    if not jobs:
        return []
    with ThreadPoolExecutor(max_workers=max(1, limit), thread_name_prefix="lab") as pool:
        futures = [pool.submit(_attempt, job, on_done) for job in jobs]
        return [f.result() for f in futures]
