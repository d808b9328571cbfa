"""The provision plan as text: which script runs on which node with which arguments."""

from __future__ import annotations

import shlex

from labbuilder.model.lab import Lab
from labbuilder.model.provisioning import plan


def render_plan(lab: Lab) -> str:
    lines = [
        f"# Provisioning of lab {lab.name} (box {lab.box.name}, {lab.box.os_family}), scripts"
        " from provision/ run as root.",
        "# Phases run in order; in a phase the nodes run in parallel, each node's steps in order.",
    ]
    for phase in plan(lab):
        lines += ["", f"[{phase.name}]"]
        for node in phase.nodes():
            lines += [f"{node}: {shlex.join([s.script, *s.args])}" for s in phase.of(node)]
    return "\n".join(lines) + "\n"
