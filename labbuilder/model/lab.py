"""The lab as pure data: roles, nodes, networks. Built by ``planner.plan``; no I/O here."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from ipaddress import IPv4Address, IPv4Network


class Role(StrEnum):
    CONTROLLER = "controller"
    NETWORK = "network"
    STORAGE = "storage"
    COMPUTE = "compute"


RELEASES = ("antelope", "caracal", "dalmatian", "epoxy")
"""RDO releases Packstack supports on CentOS Stream 9, oldest first (2023.1 .. 2025.1)."""

SERVICES = (
    "nova",
    "neutron",
    "keystone",
    "glance",
    "cinder",
    "swift",
    "horizon",
    "ceilometer",
    "heat",
)
"""The services of the source notes, each switchable except the ones in REQUIRED_SERVICES."""

REQUIRED_SERVICES = frozenset({"keystone", "neutron"})
NEUTRON_BACKENDS = ("ovs", "ovn")


@dataclass(frozen=True)
class Sizes:
    vcpus: int
    memory_mib: int
    disk_gib: int


@dataclass(frozen=True)
class Box:
    """A Vagrant box the lab's VMs boot from.

    ``url``/``checksum_url`` are set for a box labbuilder can fetch itself; ``os_family``
    decides which provisioning scripts apply ("el9" runs Packstack for real). ``sha256`` is
    the digest the project keeps for a pinned build; ``archive_url`` where the build stays
    once the mirror has pruned it.
    """

    name: str
    os_family: str
    url: str | None = None
    checksum_url: str | None = None
    version: str | None = None
    latest_url: str | None = None
    sha256: str | None = None
    archive_url: str | None = None


@dataclass(frozen=True)
class Network:
    """A libvirt network of the lab. ``forward`` is "nat" (external) or "none" (isolated)."""

    name: str
    subnet: IPv4Network
    host_ip: IPv4Address
    forward: str
    dhcp: tuple[IPv4Address, IPv4Address] | None = None

    @property
    def prefixlen(self) -> int:
        return self.subnet.prefixlen


@dataclass(frozen=True)
class Node:
    name: str
    fqdn: str
    roles: frozenset[Role]
    size_key: str
    sizes: Sizes
    external_ip: IPv4Address
    tunnel_ip: IPv4Address
    mac: str
    nested: bool

    def has(self, role: Role) -> bool:
        return role in self.roles


@dataclass(frozen=True)
class Lab:
    name: str
    domain: str
    prefix: str
    release: str
    box: Box
    driver: str
    nested: bool
    neutron_backend: str
    services: frozenset[str]
    external: Network
    tunnel: Network
    floating_range: tuple[IPv4Address, IPv4Address]
    nodes: tuple[Node, ...]
    ntp_servers: tuple[str, ...]
    service_workers: int
    libvirt_uri: str
    horizon_port: int = 0
    """The host TCP port forwarded to the controller's port 80 (the dashboard); 0: none."""

    def with_role(self, role: Role) -> tuple[Node, ...]:
        return tuple(n for n in self.nodes if n.has(role))

    @property
    def controller(self) -> Node:
        return self.with_role(Role.CONTROLLER)[0]

    @property
    def computes(self) -> tuple[Node, ...]:
        return self.with_role(Role.COMPUTE)

    def node(self, name: str) -> Node | None:
        return next((n for n in self.nodes if n.name == name), None)

    @property
    def totals(self) -> Sizes:
        return Sizes(
            vcpus=sum(n.sizes.vcpus for n in self.nodes),
            memory_mib=sum(n.sizes.memory_mib for n in self.nodes),
            disk_gib=sum(n.sizes.disk_gib for n in self.nodes),
        )
