"""The lab report: ``index.html`` (one self-contained page, inline SVG, no script, nothing
fetched) and ``report.md`` (Mermaid diagrams for a bug tracker), from data gathered elsewhere.

Everything the templates show is computed here; the templates only substitute and loop.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from labbuilder.model.timeline import LAB_LANE, Event
from labbuilder.model.topology import OK, Topology
from labbuilder.render import engine, gantt_svg, topology_svg
from labbuilder.render.timing import clock

HTML_TEMPLATE = "labbuilder/render/templates/report.html.j2"
MD_TEMPLATE = "labbuilder/render/templates/report.md.j2"
ORDER = {"failed": 0, "error": 0, "skipped": 1, "passed": 2}


@dataclass(frozen=True)
class Check:
    """One verify result (from the run's JUnit XML)."""

    suite: str
    host: str
    check: str
    outcome: str
    reason: str
    seconds: float


@dataclass(frozen=True)
class Report:
    lab: str
    stage: str
    generated: str
    topology: Topology
    events: tuple[Event, ...]
    cases: tuple[Check, ...]
    settings: str
    lock: str
    node_order: tuple[str, ...]


def latest_per_stage(events: Sequence[Event]) -> list[Event]:
    """For each stage, the events of the latest run that ran it (what the lab is made of now)."""
    last: dict[str, tuple[float, str]] = {}
    for e in events:
        last[e.stage] = max(last.get(e.stage, (e.start, e.run)), (e.start, e.run))
    return [e for e in events if last[e.stage][1] == e.run]


def checks(cases: Sequence[Check]) -> list[dict[str, str]]:
    """Verify results, failures first."""
    ordered = sorted(cases, key=lambda c: (ORDER.get(c.outcome, 3), c.suite, c.host, c.check))
    return [
        {
            "outcome": c.outcome,
            "suite": c.suite,
            "host": c.host or "-",
            "check": c.check,
            "reason": c.reason,
            "reason_md": c.reason.replace("|", "\\|"),
            "seconds": f"{c.seconds:.1f}",
        }
        for c in ordered
    ]


def counts(cases: Sequence[Check]) -> str:
    if not cases:
        return "no verify run yet: `invoke verify`"
    n = {
        k: sum(1 for c in cases if c.outcome == k) for k in ("passed", "failed", "error", "skipped")
    }
    return (
        f"{len(cases)} checks: {n['passed']} passed, {n['failed']} failed, "
        f"{n['error']} errors, {n['skipped']} skipped"
    )


def _mid(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def _mlabel(text: str) -> str:
    """Text inside a Mermaid ``["..."]`` label."""
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def mermaid_topology(topology: Topology) -> str:
    lines = ["flowchart TB"]
    for net in topology.networks:
        badge = "" if net.status == OK else f"<br/>{net.status.upper()}"
        label = _mlabel(f"{net.name} {net.subnet}") + badge
        lines.append(f'  net_{_mid(net.name)}[("{label}")]')
    for node in topology.nodes:
        badge = "" if node.status == OK else f"<br/>{node.status.upper()}"
        bridges = "".join(
            f"<br/>{_mlabel(b.name)}: {_mlabel(', '.join(b.ports) or '-')}"
            + ("" if b.status == OK else f" {b.status.upper()}")
            for b in node.bridges
        )
        label = _mlabel(f"{node.name} ({', '.join(node.roles)})") + badge + bridges
        lines.append(f'  node_{_mid(node.name)}["{label}"]')
        for nic in node.nics:
            text = _mlabel(f"{nic.name} {nic.mac} {' '.join(nic.addresses)}")
            if nic.status != OK:
                text += f" {nic.status.upper()}"
            lines.append(f'  node_{_mid(node.name)} ---|"{text}"| net_{_mid(nic.network)}')
    bad = [f"node_{_mid(n.name)}" for n in topology.nodes if n.status != OK]
    bad += [f"net_{_mid(n.name)}" for n in topology.networks if n.status != OK]
    if bad:
        lines.append("  classDef bad stroke:#c62828,stroke-width:3px,color:#c62828")
        lines.append(f"  class {','.join(bad)} bad")
    return "\n".join(lines)


def mermaid_gantt(events: Sequence[Event], order: Sequence[str]) -> str:
    lines = ["gantt", "  dateFormat X", "  axisFormat %H:%M"]
    for i, lane in enumerate(gantt_svg.lanes(events, order)):
        lines.append(f"  section {_mid(lane)}")
        for j, e in enumerate(sorted((e for e in events if e.node == lane), key=lambda e: e.start)):
            name = re.sub(r"[:;#]", " ", e.step if lane != LAB_LANE else e.stage)[:60]
            tag = "crit, " if e.result == "failed" else ""
            lines.append(
                f"  {name} :{tag}t{i}_{j}, {int(e.start)}, {max(int(e.end), int(e.start) + 1)}"
            )
    return "\n".join(lines)


def context(report: Report) -> dict[str, object]:
    events = latest_per_stage(report.events)
    return {
        "lab": report.lab,
        "stage": report.stage,
        "generated": report.generated,
        "problems": list(report.topology.problems),
        "topology_svg": Markup(topology_svg.draw(report.topology)),  # noqa: S704 - drawsvg escapes
        "gantt_svg": Markup(gantt_svg.draw(events, report.node_order)),  # noqa: S704
        "topology_mermaid": mermaid_topology(report.topology),
        "gantt_mermaid": mermaid_gantt(events, report.node_order),
        "runs": sorted({e.run for e in events}),
        "timeline_span": clock(
            max((e.end for e in events), default=0) - min((e.start for e in events), default=0)
        ),
        "verify_counts": counts(report.cases),
        "checks": checks(report.cases),
        "settings": report.settings,
        "lock": report.lock,
    }


def render(report: Report) -> tuple[str, str]:
    """(index.html, report.md)."""
    ctx = context(report)
    return engine.render(HTML_TEMPLATE, ctx), engine.render(MD_TEMPLATE, ctx)
