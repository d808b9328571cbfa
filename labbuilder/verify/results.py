"""A verify run's JUnit XML read back into checks and a summary (counts, failures, lines).

The suites' conftest stores ``suite``, ``host`` and ``check`` as properties of each test
case; the end-to-end test adds one ``step:<name>`` property per step ("12.3 ok").
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from labbuilder.verify.naming import suite_of
from labbuilder.verify.suites import SUITES

STEP_PREFIX = "step:"
QUALIFIED = re.compile(r"^(?:[A-Za-z_]\w*\.)+([A-Za-z_]\w*): ")
"""``labbuilder.errors.VerifyError: ...`` -> ``VerifyError: ...``."""
OUTCOMES = ("passed", "failed", "error", "skipped")


@dataclass(frozen=True)
class Case:
    suite: str
    host: str
    check: str
    outcome: str
    reason: str
    seconds: float
    steps: tuple[tuple[str, str], ...] = ()


class Failure(NamedTuple):
    suite: str
    host: str
    test: str
    reason: str


@dataclass(frozen=True)
class Summary:
    lab: str
    stage: str
    passed: int
    failed: int
    skipped: int
    errors: int
    failures: tuple[Failure, ...]
    cases: tuple[Case, ...]
    lines: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.errors == 0

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.skipped + self.errors


def reason_of(message: str) -> str:
    """One line from a JUnit failure/error/skip message."""
    text = message.strip()
    for wrapper in ("failed on setup with ", "failed on teardown with ", "collection failure"):
        if text.startswith(wrapper):
            text = text.removeprefix(wrapper).strip().strip('"')
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    for prefix in ("AssertionError: ", "Failed: "):
        first = first.removeprefix(prefix)
    return QUALIFIED.sub(r"\1: ", first) or "no message"


def _case(element: ET.Element) -> Case:
    props = [(p.get("name", ""), p.get("value", "")) for p in element.iter("property")]
    named = dict(props)
    outcome, reason = "passed", ""
    for tag, kind in (("skipped", "skipped"), ("error", "error"), ("failure", "failed")):
        found = element.find(tag)
        if found is not None:
            outcome = kind
            reason = reason_of(found.get("message", "") or (found.text or ""))
    classname = element.get("classname", "")
    name = element.get("name", "")
    return Case(
        suite=named.get("suite") or suite_of(classname or name),
        host=named.get("host", ""),
        check=named.get("check") or name,
        outcome=outcome,
        reason=reason,
        seconds=float(element.get("time", "0") or 0),
        steps=tuple(
            (k.removeprefix(STEP_PREFIX), v) for k, v in props if k.startswith(STEP_PREFIX)
        ),
    )


def parse_junit(text: str) -> tuple[Case, ...]:
    root = ET.fromstring(text)  # noqa: S314 (written by our own pytest run)
    order = {name: i for i, name in enumerate(SUITES)}
    cases = [_case(e) for e in root.iter("testcase")]
    return tuple(sorted(cases, key=lambda c: (order.get(c.suite, len(order)), c.host, c.check)))


def checks(count: int) -> str:
    return f"{count} check" if count == 1 else f"{count} checks"


def _failure_lines(failures: Sequence[Failure]) -> list[str]:
    """One line per failure; failures sharing suite, host and reason share a line."""
    groups: dict[tuple[str, str, str], list[Failure]] = {}
    for f in failures:
        groups.setdefault((f.suite, f.host, f.reason), []).append(f)
    return [
        f"FAIL {suite} {host} {same[0].test}: {reason}"
        if len(same) == 1
        else f"FAIL {suite} {host} ({len(same)} checks): {reason}"
        for (suite, host, reason), same in groups.items()
    ]


def summarize(lab: str, stage: str, cases: Sequence[Case]) -> Summary:
    counts = Counter(c.outcome for c in cases)
    failures = tuple(
        Failure(c.suite, c.host or "-", c.check, c.reason)
        for c in cases
        if c.outcome in {"failed", "error"}
    )
    lines = [
        f"lab {lab} (stage {stage}): {checks(len(cases))}: {counts['passed']} passed, "
        f"{counts['failed']} failed, {counts['error']} errors, {counts['skipped']} skipped"
    ]
    lines += _failure_lines(failures)
    skips = Counter((c.suite, c.reason) for c in cases if c.outcome == "skipped")
    lines += [f"SKIP {suite} ({checks(n)}): {reason}" for (suite, reason), n in skips.items()]
    walk = [c for c in cases if c.steps]
    lines += [
        "end to end: " + ", ".join(f"{name} {value.split()[0]} s" for name, value in c.steps)
        for c in walk
    ]
    return Summary(
        lab=lab,
        stage=stage,
        passed=counts["passed"],
        failed=counts["failed"],
        skipped=counts["skipped"],
        errors=counts["error"],
        failures=failures,
        cases=tuple(cases),
        lines=tuple(lines),
    )
