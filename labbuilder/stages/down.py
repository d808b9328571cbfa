"""Tear a lab down: VMs, disks, networks and runtime state, even when half-built or when
Vagrant's own records are gone. The rendered settings stay unless ``purge`` is asked for."""

from __future__ import annotations

import contextlib
import shutil

from labbuilder import state
from labbuilder.adapters.libvirt import Virt
from labbuilder.adapters.vagrant import Vagrant
from labbuilder.errors import ToolError
from labbuilder.labdir import LabDir
from labbuilder.model.planner import network_names, prefix_for
from labbuilder.reporter import Reporter
from labbuilder.stages import forward
from labbuilder.stages.vms import POOL

RUNTIME = ("ssh-config",)


def down(
    lab_name: str, labdir: LabDir, virt: Virt, vg: Vagrant, reporter: Reporter, *, purge: bool
) -> list[str]:
    """Remove everything of the lab; what was removed. ``vg`` is Vagrant in ``labdir``."""
    removed: list[str] = []
    if forward.stop(labdir):
        removed.append("dashboard forward")
    if labdir.vagrantfile.is_file() and (labdir.root / ".vagrant").is_dir():
        try:
            vg.destroy()
        except ToolError as err:
            reporter.warn(f"{err.message}; removing the VMs through libvirt instead")
    prefix = prefix_for(lab_name)
    for domain in virt.domains(prefix):
        virt.remove_domain(domain)
        removed.append(f"domain {domain}")
    removed += [f"volume {v}" for v in virt.remove_volumes(POOL, prefix)]
    for name in network_names(lab_name):
        if virt.remove_network(name):
            removed.append(f"network {name}")
    for folder in (".vagrant", "snapshots"):
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(labdir.root / folder)
    state.remove(labdir)
    for name in RUNTIME:
        (labdir.root / name).unlink(missing_ok=True)
    if purge and labdir.root.is_dir():
        shutil.rmtree(labdir.root)
        removed.append(f"directory {labdir.root}")
    return removed
