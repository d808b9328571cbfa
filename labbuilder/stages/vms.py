"""Bring the lab's VMs up with Vagrant, after clearing what an interrupted run left behind.

libvirt (``Virt``) and Vagrant (``Vagrant``) are passed in, so the stage runs against fakes too.
"""

from __future__ import annotations

import fcntl
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from labbuilder.adapters.libvirt import Virt
from labbuilder.adapters.vagrant import Vagrant, box_volume_prefix
from labbuilder.errors import ToolError
from labbuilder.labdir import LabDir, write_atomic
from labbuilder.model.lab import Lab
from labbuilder.reporter import Reporter

POOL = "default"


def machine_dir(labdir: LabDir, node: str) -> Path:
    return labdir.root / ".vagrant" / "machines" / node / "libvirt"


def box_imported(box: str, virt: Virt, vg: Vagrant) -> bool:
    """True when the pool holds the base volumes of the very box copy Vagrant will boot (an
    older copy, or another Vagrant home's, has other names and would be imported again)."""
    wanted = vg.box_volumes(box)
    return wanted is not None and set(wanted) <= set(virt.volumes(POOL, box_volume_prefix(box)))


def clear_leftovers(lab: Lab, labdir: LabDir, virt: Virt, reporter: Reporter) -> None:
    """Remove domains Vagrant no longer tracks (an interrupted ``up``), machines no longer in the
    lab (fewer computes), and orphaned disks, so ``vagrant up`` can create them cleanly."""
    wanted = {f"{lab.prefix}{n.name}": n.name for n in lab.nodes}
    for domain in virt.domains(lab.prefix):
        node = wanted.get(domain)
        tracked = node is not None and (machine_dir(labdir, node) / "id").is_file()
        if not tracked:
            virt.remove_domain(domain)
            reporter.warn(f"removed {domain}: left over from an interrupted or shrunk lab")
    for node_dir in (labdir.root / ".vagrant" / "machines").glob("*"):
        if node_dir.name not in wanted.values():
            shutil.rmtree(node_dir)
    live = set(virt.domains(lab.prefix))
    for volume in virt.volumes(POOL, lab.prefix):
        if volume.rsplit(".", 1)[0] not in live:
            virt.remove_volumes(POOL, volume)
            reporter.warn(f"removed orphaned disk {volume}")


@contextmanager
def box_import_lock(lock_dir: Path) -> Iterator[None]:
    """Serialise first imports of a box into the pool across labs (vagrant-libvirt #850)."""
    lock_dir.mkdir(parents=True, exist_ok=True)
    with (lock_dir / ".box-import.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def unfinished(lab: Lab, labdir: LabDir, vg: Vagrant) -> list[str]:
    """Nodes Vagrant created but an interrupted ``up`` left without their FQDN or tunnel
    address (Vagrant only configures those while creating a machine)."""
    out = []
    for node in lab.nodes:
        if not (machine_dir(labdir, node.name) / "id").is_file():
            continue
        text = vg.run(node.name, "hostname -f; ip -4 -o addr show dev eth1")
        if text is None or node.fqdn not in text.split() or f" {node.tunnel_ip}/" not in text:
            out.append(node.name)
    return out


def up(lab: Lab, labdir: LabDir, virt: Virt, vg: Vagrant, reporter: Reporter) -> None:
    clear_leftovers(lab, labdir, virt, reporter)
    for name in unfinished(lab, labdir, vg):
        reporter.warn(f"{name} was left half-configured by an interrupted run: recreating it")
        vg.destroy(name)
    names = [n.name for n in lab.nodes]
    if not box_imported(lab.box.name, virt, vg):
        with box_import_lock(labdir.root.parent):
            reporter.say(f"importing box {lab.box.name} with {names[0]} first")
            vg.up(names[:1], reporter.node, reporter.error)
        names = names[1:]
    if names:
        vg.up(names, reporter.node, reporter.error)
    states = virt.domains(lab.prefix)  # libvirt answers at once; `vagrant status` takes seconds
    down = [n.name for n in lab.nodes if not states.get(f"{lab.prefix}{n.name}")]
    if down:
        raise ToolError(
            f"VMs not running after vagrant up: {', '.join(down)}: see the output above"
        )
    write_ssh_config(lab, labdir, vg)


def write_ssh_config(lab: Lab, labdir: LabDir, vg: Vagrant) -> None:
    text = vg.ssh_configs([n.name for n in lab.nodes])
    write_atomic(labdir.ssh_config, text, 0o600)
