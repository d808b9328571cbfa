"""``invoke report``: the lab's page (topology, timeline, verify results, settings, lock) and
``--compare RUN RUN`` (which steps got slower between two runs)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from labbuilder import state
from labbuilder.adapters import eventlog
from labbuilder.adapters.libvirt import connect
from labbuilder.adapters.ssh import Remote
from labbuilder.commands import livestate, timing
from labbuilder.commands.context import lab_dir, libvirt_uri
from labbuilder.errors import StateError
from labbuilder.labdir import LabDir, write_atomic
from labbuilder.model import timeline
from labbuilder.model.planner import prefix_for
from labbuilder.model.topology import Topology, build
from labbuilder.render import report_page
from labbuilder.render.timing import compare_lines
from labbuilder.verify.results import parse_junit


@dataclass(frozen=True)
class Written:
    html: Path
    markdown: Path
    topology: Topology


def inventory_of(labdir: LabDir) -> dict[str, Any]:
    if not labdir.inventory.is_file():
        raise StateError(
            f"lab {labdir.name} has not been rendered: run `invoke up --lab {labdir.name}` first"
        )
    data: dict[str, Any] = json.loads(labdir.inventory.read_text(encoding="utf-8"))
    return data


def topology_of(config: Mapping[str, Any], labdir: LabDir, stage: str) -> Topology:
    inventory = inventory_of(labdir)
    remote = Remote(labdir.ssh_config) if labdir.ssh_config.is_file() else None
    prefix = prefix_for(labdir.name)
    with connect(libvirt_uri(config)) as virt:
        live = livestate.gather(virt, inventory, prefix, remote, deployed=stage == "deploy")
    return build(inventory, live, prefix)


def _text(path: Path, missing: str) -> str:
    return path.read_text(encoding="utf-8") if path.is_file() else missing


def write(config: Mapping[str, Any], lab: str | None, out_dir: Path | None = None) -> Written:
    """Write ``labs/<lab>/report/index.html`` and ``report.md``."""
    labdir = lab_dir(config, lab)
    inventory = inventory_of(labdir)
    stage = state.load(labdir).reached
    topology = topology_of(config, labdir, stage)
    junit = labdir.root / "verify" / "junit.xml"
    cases = parse_junit(junit.read_text(encoding="utf-8")) if junit.is_file() else ()
    report = report_page.Report(
        lab=labdir.name,
        stage=stage,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        topology=topology,
        events=tuple(eventlog.read(timing.path(labdir))),
        cases=tuple(
            report_page.Check(c.suite, c.host, c.check, c.outcome, c.reason, c.seconds)
            for c in cases
        ),
        settings=_text(labdir.settings, "(no lab.yaml)"),
        lock=_text(labdir.root / "lab.lock", "(no lab.lock yet: written when the deploy ends)"),
        node_order=tuple(str(n["name"]) for n in inventory["nodes"]),
    )
    html, markdown = report_page.render(report)
    dest = out_dir or labdir.root / "report"
    dest.mkdir(parents=True, exist_ok=True)
    write_atomic(dest / "index.html", html)
    write_atomic(dest / "report.md", markdown)
    return Written(dest / "index.html", dest / "report.md", topology)


def report(config: Mapping[str, Any], lab: str | None) -> list[str]:
    written = write(config, lab)
    lines = [f"report: {written.html}", f"Markdown (Mermaid): {written.markdown}"]
    problems = written.topology.problems
    if problems:
        lines.append(f"live state and plan disagree ({len(problems)}):")
        lines += [f"  {p}" for p in problems]
    return lines


def compare(config: Mapping[str, Any], lab: str | None, runs: Sequence[str]) -> list[str]:
    if len(runs) != 2:
        raise StateError(
            f"--compare takes two run ids (got {len(runs)}): `--compare A --compare B`"
        )
    labdir = lab_dir(config, lab)
    events = eventlog.read(timing.path(labdir))
    before, after = runs
    return compare_lines(timeline.compare(events, before, after), before, after)


def list_runs(config: Mapping[str, Any], lab: str | None) -> list[str]:
    events = eventlog.read(timing.path(lab_dir(config, lab)))
    out = []
    for run in timeline.runs(events):
        mine = timeline.of_run(events, run)
        stages = ", ".join(dict.fromkeys(e.stage for e in mine))
        span = max(e.end for e in mine) - min(e.start for e in mine)
        out.append(f"{run}  {stages}  ({span:.0f} s)")
    return out
