"""Timeline data as text: the devstack-style timing table and a comparison of two runs."""

from __future__ import annotations

from collections.abc import Sequence

from labbuilder.model.timeline import Change, Summary


def clock(seconds: float) -> str:
    s = max(0, round(seconds))
    return (
        f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
    )


def summary_lines(summary: Summary, title: str = "Timing (m:ss)") -> list[str]:
    width = min(max([len(r.step) for r in summary.rows] + [len("Unaccounted time"), 12]), 60)
    rule = "=" * (width + 18)
    out = [rule, title, rule]
    out += [
        f"{r.step[:width]:<{width}} {clock(r.seconds):>8} {r.share:>7.1%}" for r in summary.rows
    ]
    share = summary.unaccounted / summary.total if summary.total else 0.0
    out.append(f"{'Unaccounted time':<{width}} {clock(summary.unaccounted):>8} {share:>7.1%}")
    out += [rule, f"{'Total runtime':<{width}} {clock(summary.total):>8}", rule]
    return out


def _cell(seconds: float | None) -> str:
    return "-" if seconds is None else clock(seconds)


def compare_lines(changes: Sequence[Change], before: str, after: str, limit: int = 40) -> list[str]:
    """Steps that got slower first; ``+`` is slower, ``-`` faster, ``new``/``gone`` one-sided."""
    out = [f"{'stage':<10} {'node':<12} {'step':<48} {before:>16} {after:>16}  change"]
    for c in changes[:limit]:
        if c.before is None:
            change = "new"
        elif c.after is None:
            change = "gone"
        else:
            ratio = f" (x{c.ratio:.2f})" if c.ratio is not None else ""
            change = f"{'+' if c.delta >= 0 else '-'}{clock(abs(c.delta))}{ratio}"
        out.append(
            f"{c.stage:<10} {c.node:<12} {c.step[:48]:<48} {_cell(c.before):>16} "
            f"{_cell(c.after):>16}  {change}"
        )
    if len(changes) > limit:
        out.append(f"... and {len(changes) - limit} more steps")
    return out
