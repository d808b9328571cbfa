"""``invoke down``: destroy the lab's VMs, disks, networks and runtime state."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from labbuilder.adapters.libvirt import connect
from labbuilder.adapters.vagrant import Vagrant
from labbuilder.commands.context import lab_dir, libvirt_uri
from labbuilder.reporter import Reporter
from labbuilder.stages import down as down_stage


def down(
    config: Mapping[str, Any], lab: str | None, reporter: Reporter | None = None, *, purge: bool
) -> list[str]:
    labdir = lab_dir(config, lab)
    with connect(libvirt_uri(config)) as virt:
        vg = Vagrant(labdir.root)
        removed = down_stage.down(
            labdir.name, labdir, virt, vg, reporter or Reporter(), purge=purge
        )
    return [f"lab {labdir.name} is down" + (f"; removed {', '.join(removed)}" if removed else "")]
