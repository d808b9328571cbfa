"""What Packstack leaves on each node for the enabled services: systemd units, listening
ports, catalog entries. Read from Packstack 26's manifests (APIs run under httpd) and the
RDO unit names; where RDO ships two names for one job (monolithic ``libvirtd`` or modular
``virtqemud``), either one running is enough.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from labbuilder.verify.labinfo import LabInfo, LabNode


@dataclass(frozen=True)
class Unit:
    label: str
    units: tuple[str, ...]
    roles: frozenset[str]
    services: frozenset[str] = frozenset()
    backend: str | None = None

    def wanted(self, lab: LabInfo) -> bool:
        return self.services <= lab.services and self.backend in (None, lab.neutron_backend)

    def applies_to(self, node: LabNode) -> bool:
        return node.has(*self.roles)

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class Port:
    label: str
    port: int
    services: frozenset[str] = frozenset()
    backend: str | None = None

    def wanted(self, lab: LabInfo) -> bool:
        return self.services <= lab.services and self.backend in (None, lab.neutron_backend)

    def __str__(self) -> str:
        return f"{self.port}-{self.label}"


@dataclass(frozen=True)
class CatalogService:
    label: str
    types: tuple[str, ...]
    """Any of these service types in the catalog will do (names changed across releases)."""
    service: str

    def __str__(self) -> str:
        return self.label


def _unit(
    label: str, units: Sequence[str], roles: str, services: str = "", backend: str | None = None
) -> Unit:
    return Unit(label, tuple(units), frozenset(roles.split()), frozenset(services.split()), backend)


UNITS = (
    _unit("mariadb", ["mariadb"], "controller"),
    _unit("rabbitmq", ["rabbitmq-server"], "controller"),
    _unit("memcached", ["memcached"], "controller"),
    _unit("httpd", ["httpd"], "controller"),
    _unit("nova-scheduler", ["openstack-nova-scheduler"], "controller", "nova"),
    _unit("nova-conductor", ["openstack-nova-conductor"], "controller", "nova"),
    _unit("nova-novncproxy", ["openstack-nova-novncproxy"], "controller", "nova"),
    _unit("nova-compute", ["openstack-nova-compute"], "compute", "nova"),
    _unit("libvirt", ["libvirtd", "virtqemud"], "compute", "nova"),
    _unit("neutron-server", ["neutron-server"], "controller", "neutron"),
    _unit("openvswitch", ["openvswitch"], "network compute", "neutron"),
    _unit("ovs-agent", ["neutron-openvswitch-agent"], "network compute", "neutron", "ovs"),
    _unit("l3-agent", ["neutron-l3-agent"], "network", "neutron", "ovs"),
    _unit("dhcp-agent", ["neutron-dhcp-agent"], "network", "neutron", "ovs"),
    _unit("metadata-agent", ["neutron-metadata-agent"], "network", "neutron", "ovs"),
    _unit("ovn-northd", ["ovn-northd"], "controller", "neutron", "ovn"),
    _unit("ovn-controller", ["ovn-controller"], "network compute", "neutron", "ovn"),
    _unit("ovn-metadata-agent", ["neutron-ovn-metadata-agent"], "compute", "neutron", "ovn"),
    _unit("cinder-scheduler", ["openstack-cinder-scheduler"], "controller", "cinder"),
    _unit("cinder-volume", ["openstack-cinder-volume"], "storage", "cinder"),
    _unit("cinder-backup", ["openstack-cinder-backup"], "controller", "cinder swift"),
    _unit("swift-proxy", ["openstack-swift-proxy"], "controller", "swift"),
    _unit("swift-account", ["openstack-swift-account"], "storage", "swift"),
    _unit("swift-container", ["openstack-swift-container"], "storage", "swift"),
    _unit("swift-object", ["openstack-swift-object"], "storage", "swift"),
    _unit("heat-engine", ["openstack-heat-engine"], "controller", "heat"),
    _unit(
        "ceilometer-notification", ["openstack-ceilometer-notification"], "controller", "ceilometer"
    ),
    _unit(
        "ceilometer-central",
        ["openstack-ceilometer-polling", "openstack-ceilometer-central"],
        "controller",
        "ceilometer",
    ),
    _unit(
        "ceilometer-compute",
        ["openstack-ceilometer-polling", "openstack-ceilometer-compute"],
        "compute",
        "ceilometer nova",
    ),
    _unit(
        "gnocchi-metricd",
        ["openstack-gnocchi-metricd", "gnocchi-metricd"],
        "controller",
        "ceilometer",
    ),
    _unit("aodh-evaluator", ["openstack-aodh-evaluator"], "controller", "ceilometer"),
    _unit("aodh-notifier", ["openstack-aodh-notifier"], "controller", "ceilometer"),
    _unit("aodh-listener", ["openstack-aodh-listener"], "controller", "ceilometer"),
    _unit("redis", ["redis"], "controller", "ceilometer"),
)


def _port(label: str, port: int, services: str = "", backend: str | None = None) -> Port:
    return Port(label, port, frozenset(services.split()), backend)


CONTROLLER_PORTS = (
    _port("keystone", 5000),
    _port("mariadb", 3306),
    _port("rabbitmq", 5672),
    _port("glance", 9292, "glance"),
    _port("nova-api", 8774, "nova"),
    _port("nova-metadata", 8775, "nova"),
    _port("placement", 8778, "nova"),
    _port("novncproxy", 6080, "nova"),
    _port("neutron", 9696, "neutron"),
    _port("ovn-northbound", 6641, "neutron", "ovn"),
    _port("ovn-southbound", 6642, "neutron", "ovn"),
    _port("cinder", 8776, "cinder"),
    _port("swift-proxy", 8080, "swift"),
    _port("heat", 8004, "heat"),
    _port("heat-cfn", 8000, "heat"),
    _port("horizon", 80, "horizon"),
    _port("gnocchi", 8041, "ceilometer"),
    _port("aodh", 8042, "ceilometer"),
)

CATALOG = (
    CatalogService("keystone", ("identity",), "keystone"),
    CatalogService("glance", ("image",), "glance"),
    CatalogService("nova", ("compute",), "nova"),
    CatalogService("placement", ("placement",), "nova"),
    CatalogService("neutron", ("network",), "neutron"),
    CatalogService("cinder", ("block-storage", "volumev3"), "cinder"),
    CatalogService("swift", ("object-store",), "swift"),
    CatalogService("heat", ("orchestration",), "heat"),
    CatalogService("heat-cfn", ("cloudformation",), "heat"),
    CatalogService("gnocchi", ("metric",), "ceilometer"),
    CatalogService("aodh", ("alarming",), "ceilometer"),
)


DEBIAN_NAMES: dict[str, tuple[str, ...] | None] = {
    "httpd": None,
    "nova-scheduler": ("nova-scheduler",),
    "nova-conductor": ("nova-conductor",),
    "nova-novncproxy": ("nova-novncproxy",),
    "nova-compute": ("nova-compute",),
    "libvirt": ("libvirtd", "virtqemud"),
    "neutron-server": ("neutron-api",),
    "openvswitch": ("openvswitch-switch",),
}
"""Debian's packages (the test cloud) name some services differently; None: Debian has no
such service (its APIs run under uwsgi, one init script each: ``DEBIAN_ONLY``)."""

DEBIAN_ONLY = (
    _unit("keystone", ["keystone"], "controller"),
    _unit("glance-api", ["glance-api"], "controller", "glance"),
    _unit("placement-api", ["placement-api"], "controller", "nova"),
    _unit("nova-api", ["nova-api"], "controller", "nova"),
    _unit("nova-metadata", ["nova-api-metadata"], "controller", "nova"),
    _unit("neutron-rpc-server", ["neutron-rpc-server"], "controller", "neutron"),
)


def units(lab: LabInfo) -> list[Unit]:
    """The units to find running, named as the lab's OpenStack packages name them."""
    if lab.packaging != "debian":
        return [u for u in UNITS if u.wanted(lab)]
    out = []
    for unit in (*UNITS, *DEBIAN_ONLY):
        names = DEBIAN_NAMES.get(unit.label, unit.units)
        if names is not None and unit.wanted(lab):
            out.append(Unit(unit.label, names, unit.roles, unit.services, unit.backend))
    return out


def controller_ports(lab: LabInfo) -> list[Port]:
    return [p for p in CONTROLLER_PORTS if p.wanted(lab)]


def catalog_services(lab: LabInfo) -> list[CatalogService]:
    return [c for c in CATALOG if c.service in lab.services]


@dataclass(frozen=True)
class Agent:
    label: str
    types: tuple[str, ...]
    """Neutron agent_type strings; any will do (OVN reports gateway chassis differently)."""
    roles: frozenset[str]
    backend: str

    def applies_to(self, node: LabNode) -> bool:
        return node.has(*self.roles)

    def __str__(self) -> str:
        return self.label


AGENTS = (
    Agent("ovs-agent", ("Open vSwitch agent",), frozenset({"network", "compute"}), "ovs"),
    Agent("l3-agent", ("L3 agent",), frozenset({"network"}), "ovs"),
    Agent("dhcp-agent", ("DHCP agent",), frozenset({"network"}), "ovs"),
    Agent("metadata-agent", ("Metadata agent",), frozenset({"network"}), "ovs"),
    Agent(
        "ovn-controller",
        ("OVN Controller Gateway agent", "OVN Controller agent"),
        frozenset({"network", "compute"}),
        "ovn",
    ),
    Agent("ovn-metadata", ("OVN Metadata agent",), frozenset({"compute"}), "ovn"),
)


def agents(lab: LabInfo) -> list[tuple[LabNode, Agent]]:
    """Every (node, agent) pair Neutron should report alive."""
    wanted = [a for a in AGENTS if a.backend == lab.neutron_backend]
    return [(node, agent) for agent in wanted for node in lab.nodes if agent.applies_to(node)]
