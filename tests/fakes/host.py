"""Fakes of the outside tools the stages drive, kept in memory so the ``up`` runner, reconcile
and down run in unit tests: ``FakeVirt`` (libvirt: networks, domains, volumes), ``FakeVagrant``
(machines of one lab, creating their domains in a ``FakeVirt`` as vagrant-libvirt would) and
``FakeBoxStore`` (Vagrant's installed boxes). They follow the real adapters' contracts (return
values, what each call leaves behind), not their implementation.
"""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field

from labbuilder.adapters.vagrant import Machine, box_volume_prefix
from labbuilder.errors import ToolError
from labbuilder.labdir import LabDir
from labbuilder.model.lab import Lab
from labbuilder.stages.vms import POOL, machine_dir


@dataclass
class FakeNetwork:
    xml: str
    active: bool = True


@dataclass
class FakeVirt:
    """Fake libvirt connection (``adapters.libvirt.Virt``): state in dicts."""

    networks: dict[str, FakeNetwork] = field(default_factory=dict)
    running: dict[str, bool] = field(default_factory=dict)  # domain -> running
    pools: dict[str, set[str]] = field(default_factory=lambda: {POOL: set()})

    def ensure_network(self, xml: str) -> bool:
        name = ET.fromstring(xml).findtext("name") or ""
        net = self.networks.get(name)
        if net is not None and net.active and net.xml == xml:
            return False
        self.networks[name] = FakeNetwork(xml)
        return True

    def remove_network(self, name: str) -> bool:
        return self.networks.pop(name, None) is not None

    def domains(self, prefix: str) -> dict[str, bool]:
        return {d: up for d, up in self.running.items() if d.startswith(prefix)}

    def remove_domain(self, name: str) -> list[str]:
        if self.running.pop(name, None) is None:
            return []
        disks = sorted(v for v in self.pools[POOL] if v.startswith(f"{name}."))
        self.pools[POOL] -= set(disks)
        return disks

    def volumes(self, pool: str, prefix: str) -> list[str]:
        return sorted(v for v in self.pools.get(pool, set()) if v.startswith(prefix))

    def remove_volumes(self, pool: str, prefix: str) -> list[str]:
        gone = self.volumes(pool, prefix)
        self.pools[pool] -= set(gone)
        return gone

    def create_domain(self, name: str, *, running: bool = True) -> None:
        """What vagrant-libvirt leaves for one machine: the domain and its disk."""
        self.running[name] = running
        self.pools[POOL].add(f"{name}.img")


@dataclass
class FakeVagrant:
    """Fake Vagrant (``adapters.vagrant.Vagrant``) in the lab's directory: ``up`` creates or
    starts the machines' domains in ``virt`` and records them under ``.vagrant/``."""

    lab: Lab
    labdir: LabDir
    virt: FakeVirt
    records_lost: bool = False  # destroy fails as when .vagrant/ no longer matches libvirt
    box_mtime: int = 1700000000  # when the installed box's image was written
    upped: list[list[str]] = field(default_factory=list)

    def _domain(self, name: str) -> str:
        return f"{self.lab.prefix}{name}"

    def up(
        self,
        names: list[str],
        on_step: Callable[[str, str], None],
        on_error: Callable[[str], None],
    ) -> None:
        self.upped.append(list(names))
        self.virt.pools[POOL].update(self.box_volumes(self.lab.box.name))
        for name in names:
            domain = self._domain(name)
            if domain in self.virt.running:
                self.virt.running[domain] = True
            else:
                self.virt.create_domain(domain)
            record = machine_dir(self.labdir, name) / "id"
            record.parent.mkdir(parents=True, exist_ok=True)
            record.write_text(domain)
            on_step(name, "Machine booted and ready!")

    def box_volumes(self, box: str) -> list[str]:
        """The names vagrant-libvirt gives an unversioned box copied at time ``box_mtime``."""
        return [f"{box_volume_prefix(box)}_0_{self.box_mtime}_box.img"]

    def status(self) -> list[Machine]:
        def state(name: str) -> str:
            running = self.virt.running.get(self._domain(name))
            return "not_created" if running is None else ("running" if running else "shutoff")

        return [Machine(n.name, state(n.name)) for n in self.lab.nodes]

    def destroy(self, name: str | None = None) -> None:
        if self.records_lost:
            raise ToolError("vagrant destroy failed (exit 1): The machine was not found")
        for node in [name] if name else [n.name for n in self.lab.nodes]:
            self.virt.remove_domain(self._domain(node))
            shutil.rmtree(machine_dir(self.labdir, node).parent, ignore_errors=True)

    def run(self, name: str, command: str) -> str | None:
        node = next(n for n in self.lab.nodes if n.name == name)
        if not self.virt.running.get(self._domain(name)):
            return None
        return f"{node.fqdn}\n3: eth1    inet {node.tunnel_ip}/24 brd ... scope global eth1\n"

    def ssh_config(self, name: str) -> str:
        return f"Host {name}\n  HostName 10.0.0.1\n  User vagrant\n"

    def ssh_configs(self, names: list[str]) -> str:
        return "".join(self.ssh_config(name) for name in names)


@dataclass
class FakeBoxStore:
    """Fake of Vagrant's box list (``boxes``/``box_add`` of ``adapters.vagrant``)."""

    installed: dict[str, str] = field(default_factory=dict)

    def boxes(self) -> dict[str, str]:
        return dict(self.installed)

    def box_add(self, name: str, url: str) -> None:
        self.installed[name] = "libvirt"
