"""The timeline of the command that runs now: attached to its reporter, summarised at its end."""

from __future__ import annotations

from pathlib import Path

from labbuilder.adapters import eventlog
from labbuilder.labdir import LabDir
from labbuilder.model import timeline
from labbuilder.render.timing import summary_lines
from labbuilder.reporter import Reporter
from labbuilder.verify.results import parse_junit


def path(labdir: LabDir) -> Path:
    return labdir.root / eventlog.FILE_NAME


def attach(reporter: Reporter, labdir: LabDir) -> None:
    """From now on, stages and node steps of this command go to the lab's timeline."""
    if reporter.timeline is None:
        reporter.timeline = eventlog.EventLog(path(labdir))


def summary(reporter: Reporter) -> list[str]:
    """The devstack-style table of this run (empty when nothing ran)."""
    log = reporter.timeline
    if not isinstance(log, eventlog.EventLog) or not log.events:
        return []
    total = reporter.clock() - reporter.started
    title = f"Timing of run {log.run} (m:ss)"
    return summary_lines(timeline.summarize(log.events, total), title)


def record_verify(labdir: LabDir, junit: Path, start: float, end: float) -> None:
    """A verify run as events: the run itself, each suite per host (from the time of its
    checks, starting with the run) and each end-to-end step. JUnit keeps only durations, so
    the end-to-end steps are laid back to back, ending when the run ended."""
    log = eventlog.EventLog(path(labdir))
    fresh = junit.is_file() and junit.stat().st_mtime >= start - 1  # not an earlier run's
    cases = parse_junit(junit.read_text(encoding="utf-8")) if fresh else ()
    failed = any(c.outcome in {"failed", "error"} for c in cases)
    log.add("verify", timeline.LAB_LANE, "verify", start, end, "failed" if failed else "ok")
    suites: dict[tuple[str, str], list[float | bool]] = {}
    for case in cases:
        if case.outcome == "skipped" or case.steps:
            continue
        seconds, bad = suites.get((case.suite, case.host), [0.0, False])
        suites[(case.suite, case.host)] = [
            float(seconds) + case.seconds,
            bool(bad) or case.outcome in {"failed", "error"},
        ]
    for (suite, host), (seconds, bad) in suites.items():
        node = host or timeline.LAB_LANE
        log.add("verify", node, suite, start, start + float(seconds), "failed" if bad else "ok")
    for case in cases:
        steps = [(name, float(value.split()[0]), value.split()[1]) for name, value in case.steps]
        at = end - sum(seconds for _, seconds, _ in steps)
        for name, seconds, outcome in steps:
            result = "failed" if outcome == "failed" else "ok"
            log.add("verify", "e2e", name, at, at + seconds, result)
            at += seconds
