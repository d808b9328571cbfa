"""``invoke preflight`` (and the first step of ``up``): can this host run the lab?"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from labbuilder.adapters import hostfacts
from labbuilder.adapters import vagrant as vagrantctl
from labbuilder.adapters.libvirt import Virt
from labbuilder.commands.context import prepare
from labbuilder.commands.flags import Flags
from labbuilder.errors import ToolError
from labbuilder.model.lab import Lab
from labbuilder.model.planner import network_names
from labbuilder.stages import box as boxfetch
from labbuilder.stages import preflight


def run_checks(
    lab: Lab, virt: Virt | None, libvirt_error: str, *, force: bool
) -> list[preflight.Check]:
    """Every check of this host against ``lab``; ``virt`` is None when libvirt is unreachable
    (``libvirt_error`` says why)."""
    facts = hostfacts.gather(disk_path=Path("/var/lib/libvirt/images"))
    own = set(network_names(lab.name))
    running = set(virt.domains(lab.prefix)) if virt else set()
    pending = [n for n in lab.nodes if f"{lab.prefix}{n.name}" not in running]
    others: dict[str, Any] = {}
    own_existing = []
    if virt is not None:
        for name, subnets in virt.network_subnets().items():
            for i, net in enumerate(subnets):
                if name in own:
                    own_existing.append(net)
                else:
                    others[name if i == 0 else f"{name}#{i}"] = net
    needs = preflight.Needs(
        memory_mib=sum(n.sizes.memory_mib for n in pending),
        vcpus=lab.totals.vcpus,
        disk_gib=sum(n.sizes.disk_gib for n in pending),
        subnets=(lab.external.subnet, lab.tunnel.subnet),
        compute_nodes=len(lab.computes),
    )
    tools = preflight.Tools(
        libvirt_version=virt.version() if virt else None,
        libvirt_error=libvirt_error,
        vagrant_version=vagrantctl.version(),
        vagrant_libvirt_version=vagrantctl.plugins().get("vagrant-libvirt"),
    )
    checks = preflight.run_checks(
        facts, needs, tools, others, own_existing=own_existing, force=force
    )
    installed = vagrantctl.boxes() if tools.vagrant_version else {}
    home = vagrantctl.home()
    closed = vagrantctl.closed_to_others(home)
    kernel = lab.box.os_family == "debian"  # the test box boots its kernel from the box dir
    return [
        *checks,
        preflight.check_release(lab.release, datetime.date.today()),
        preflight.check_vagrant_home(str(home), str(closed) if closed else None, kernel),
        boxfetch.check(lab.box, installed),
    ]


def check(
    config: Mapping[str, Any], flags: Flags, *, force: bool = False
) -> tuple[list[str], bool]:
    """The check lines, and whether any failed."""
    rendered, _ = prepare(config, flags)
    lab = rendered.lab
    try:
        virt = Virt(lab.libvirt_uri)
    except ToolError as err:  # libvirt unreachable: a FAIL line of its own
        checks = run_checks(lab, None, err.message, force=force)
    else:
        with contextlib.closing(virt):
            checks = run_checks(lab, virt, "", force=force)
    return preflight.format_checks(checks), preflight.failed(checks)
