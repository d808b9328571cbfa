"""``invoke stop``, ``invoke start`` and ``invoke restart``: a lab's VMs down and up again through
its own records (libvirt domains from ``inventory.json``, addresses from ``ssh-config``), which
keep working after the controller's eth0 went static and after a host reboot."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from labbuilder.adapters.libvirt import connect
from labbuilder.adapters.libvirt.domains import Domains
from labbuilder.adapters.ssh import Remote
from labbuilder.commands.context import prepare
from labbuilder.commands.flags import Flags
from labbuilder.errors import StateError, VerifyError
from labbuilder.labdir import LabDir
from labbuilder.model.lab import Lab
from labbuilder.reporter import Reporter
from labbuilder.stages import forward, guests, networks, power
from labbuilder.stages.snapshots import BOOT_TIMEOUT


def _built(config: Mapping[str, Any], lab: str | None) -> tuple[Lab, LabDir]:
    rendered, labdir = prepare(config, Flags(lab=lab))
    if not labdir.ssh_config.is_file() or not labdir.state.is_file():
        raise StateError(f"lab {labdir.name} has no VMs: `invoke up --lab {labdir.name}` first")
    return rendered.lab, labdir


def stop(config: Mapping[str, Any], lab: str | None, reporter: Reporter | None = None) -> list[str]:
    reporter = reporter or Reporter()
    built, labdir = _built(config, lab)
    forward.stop(labdir)
    with connect(built.libvirt_uri) as virt:
        have = virt.domains(built.prefix)
        present = [
            f"{built.prefix}{n.name}" for n in built.nodes if f"{built.prefix}{n.name}" in have
        ]
        power.stop(Domains(virt), present, reporter)
    return [f"lab {built.name} stopped ({len(present)} VMs); `invoke start --lab {built.name}`"]


def start(
    config: Mapping[str, Any], lab: str | None, reporter: Reporter | None = None
) -> list[str]:
    reporter = reporter or Reporter()
    built, labdir = _built(config, lab)
    started = time.monotonic()
    with connect(built.libvirt_uri) as virt:
        wanted = {n.name: f"{built.prefix}{n.name}" for n in built.nodes}
        missing = [d for d in wanted.values() if d not in virt.domains(built.prefix)]
        if missing:
            raise StateError(
                f"lab {built.name} lost VM {', '.join(missing)}: `invoke up --lab {built.name}` "
                "recreates it"
            )
        for message in networks.ensure(built, virt):
            reporter.ok(message)
        power.start(Domains(virt), list(wanted.values()), reporter)
    health = guests.settle(Remote(labdir.ssh_config), list(wanted), BOOT_TIMEOUT)
    problems = [h.problem for h in health if h.problem]
    if problems:
        raise VerifyError(f"lab {built.name} started but is not healthy: {'; '.join(problems)}")
    forward.ensure(labdir, reporter)
    return [f"lab {built.name} is up ({len(wanted)} VMs) in {time.monotonic() - started:.0f} s"]


def restart(
    config: Mapping[str, Any], lab: str | None, reporter: Reporter | None = None
) -> list[str]:
    reporter = reporter or Reporter()
    return [*stop(config, lab, reporter), *start(config, lab, reporter)]
