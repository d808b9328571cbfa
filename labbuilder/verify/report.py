"""The human report of a verify run (Markdown): summary, failures, every check by suite, and
the end-to-end step timings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from labbuilder.verify.results import Case, Summary, checks

MARK = {"passed": "pass", "failed": "**FAIL**", "error": "**ERROR**", "skipped": "skip"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ") or "-"


def _table(head: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return out


def render(summary: Summary, junit: str, seconds: float) -> str:
    lines = [
        f"# labbuilder verify: lab {summary.lab}",
        "",
        f"Recorded stage: **{summary.stage}**. Result: **{'passed' if summary.ok else 'FAILED'}** "
        f"({checks(summary.total)}: {summary.passed} passed, {summary.failed} failed, "
        f"{summary.errors} errors, {summary.skipped} skipped) in {seconds:.0f} s. "
        f"JUnit XML: `{junit}`.",
        "",
    ]
    if summary.failures:
        lines += ["## Failures", ""]
        lines += _table(
            ("suite", "host", "check", "why"),
            ((f.suite, f.host, f.test, f.reason) for f in summary.failures),
        )
        lines.append("")
    for suite in dict.fromkeys(c.suite for c in summary.cases):
        lines += [f"## {suite}", "", *_suite([c for c in summary.cases if c.suite == suite]), ""]
    lines += _steps([c for c in summary.cases if c.steps])
    return "\n".join(lines).rstrip() + "\n"


def _suite(cases: Sequence[Case]) -> list[str]:
    reasons = {c.reason for c in cases}
    if all(c.outcome == "skipped" for c in cases) and len(reasons) == 1:
        return [f"{checks(len(cases)).capitalize()} skipped: {reasons.pop()}"]
    return _table(
        ("host", "check", "result", "time (s)", "note"),
        (
            (c.host or "-", c.check, MARK.get(c.outcome, c.outcome), f"{c.seconds:.1f}", c.reason)
            for c in cases
        ),
    )


def _steps(walks: Sequence[Case]) -> list[str]:
    out: list[str] = []
    for case in walks:
        out += ["## End-to-end timings", ""]
        rows = [(name, *_split(value)) for name, value in case.steps]
        out += _table(("step", "time (s)", "result", "detail"), rows)
        out.append("")
    return out


def _split(value: str) -> tuple[str, str, str]:
    seconds, _, rest = value.partition(" ")
    outcome, _, detail = rest.partition(" ")
    return seconds, outcome, detail
