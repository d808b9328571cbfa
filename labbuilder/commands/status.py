"""``invoke status`` (one lab) and ``invoke list`` (every lab on this host)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from labbuilder import names, state
from labbuilder.adapters import vagrant as vagrantctl
from labbuilder.adapters.libvirt import connect
from labbuilder.commands.context import lab_dir, labs_dir, libvirt_uri
from labbuilder.errors import StateError
from labbuilder.labdir import LabDir
from labbuilder.model.planner import prefix_for
from labbuilder.stages import forward


def status(config: Mapping[str, Any], lab: str | None) -> list[str]:
    labdir = lab_dir(config, lab)
    if not labdir.inventory.is_file():
        raise StateError(
            f"lab {labdir.name} has not been rendered: run `invoke render --lab {labdir.name}`"
        )
    inv = json.loads(labdir.inventory.read_text())
    st = state.load(labdir)
    states: dict[str, str] = {}
    if (labdir.root / ".vagrant").is_dir():
        states = {m.name: m.state for m in vagrantctl.Vagrant(labdir.root).status()}
    out = [f"lab {inv['lab']}: stage {st.reached}, box {inv['box']['name']}, RDO {inv['release']}"]
    for node in inv["nodes"]:
        out.append(
            f"  {node['name']:<12}{states.get(node['name'], 'not created'):<13}"
            f"{node['external_ip']:<16}{node['tunnel_ip']:<16}{','.join(node['roles'])}"
        )
    dashboard = forward.describe(labdir)
    return [*out, f"  {dashboard}"] if dashboard else out


def list_labs(config: Mapping[str, Any]) -> list[str]:
    root = labs_dir(config)
    with connect(libvirt_uri(config)) as virt:
        domains = virt.domains("labbuilder-")
    found = {p.parent.name for p in root.glob("*/lab.yaml")}
    found |= {d[len("labbuilder-") : d.rindex("-")] for d in domains if d.count("-") >= 2}
    out = []
    for name in sorted(n for n in found if names.LAB.fullmatch(n)):
        labdir = LabDir.of(root, name)
        mine = sorted(d for d in domains if d.startswith(prefix_for(name)))
        running = sum(1 for d in mine if domains[d])
        reached = state.load(labdir).reached if labdir.root.is_dir() else "no lab directory"
        out.append(
            f"{name:<20} stage {reached:<10} VMs {running}/{len(mine)} running  {labdir.root}"
        )
    return out or [f"no labs under {root}"]
