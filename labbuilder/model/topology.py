"""A lab's topology as it really is, set against its plan: libvirt networks, each domain's
NICs (MAC, addresses) and, on a deployed lab, each node's Open vSwitch bridges and ports.

``build`` is pure: the plan comes from the lab's inventory, the live state from the adapters.
Wherever the two disagree the item carries a status other than ``ok`` and a line in
``Topology.problems``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

OK = "ok"
MISSING = "missing"
UNPLANNED = "unplanned"
DIFFERS = "differs"
DOWN = "down"

DATAPLANE_ROLES = ("network", "compute")


@dataclass(frozen=True)
class LiveNetwork:
    name: str
    bridge: str
    subnet: str
    active: bool


@dataclass(frozen=True)
class LiveNic:
    network: str
    mac: str
    device: str = ""
    """The host side (``vnet3``), when the domain runs."""
    model: str = ""
    addresses: tuple[str, ...] = ()


@dataclass(frozen=True)
class LivePort:
    name: str
    kind: str = ""
    remote_ip: str = ""


@dataclass(frozen=True)
class LiveBridge:
    name: str
    ports: tuple[LivePort, ...] = ()


@dataclass(frozen=True)
class LiveDomain:
    name: str
    running: bool
    nics: tuple[LiveNic, ...] = ()
    guest_addresses: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Device name in the guest -> its IPv4 addresses (when the node answered SSH)."""
    bridges: tuple[LiveBridge, ...] | None = None
    """Open vSwitch as the node reports it; None when it was not read."""


@dataclass(frozen=True)
class Live:
    networks: tuple[LiveNetwork, ...]
    domains: tuple[LiveDomain, ...]


@dataclass(frozen=True)
class NetworkView:
    name: str
    role: str
    """external, tunnel or "" (a network of the lab's prefix the plan does not have)."""
    subnet: str
    bridge: str
    status: str


@dataclass(frozen=True)
class NicView:
    name: str
    network: str
    mac: str
    addresses: tuple[str, ...]
    status: str
    note: str = ""


@dataclass(frozen=True)
class BridgeView:
    name: str
    ports: tuple[str, ...]
    addresses: tuple[str, ...]
    status: str


@dataclass(frozen=True)
class NodeView:
    name: str
    roles: tuple[str, ...]
    domain: str
    status: str
    """ok (running), down (defined, not running), missing or unplanned."""
    nics: tuple[NicView, ...]
    bridges: tuple[BridgeView, ...]


@dataclass(frozen=True)
class Topology:
    lab: str
    networks: tuple[NetworkView, ...]
    nodes: tuple[NodeView, ...]
    problems: tuple[str, ...]


def _port_label(port: LivePort) -> str:
    return f"{port.name} ({port.kind} to {port.remote_ip})" if port.remote_ip else port.name


def expected_bridges(roles: Sequence[str], backend: str) -> dict[str, tuple[str, ...]]:
    """Bridge -> ports that must be on it, on a deployed node with these roles."""
    if not set(roles) & set(DATAPLANE_ROLES):
        return {}
    wanted: dict[str, tuple[str, ...]] = {"br-int": ()}
    if backend == "ovs":
        wanted["br-tun"] = ()
    if "network" in roles:
        wanted["br-ex"] = ("eth0",)
    return wanted


def _bridges(
    node: str, live: LiveDomain, roles: Sequence[str], backend: str, problems: list[str]
) -> tuple[BridgeView, ...]:
    if live.bridges is None:
        return ()
    wanted = expected_bridges(roles, backend)
    have = {b.name: b for b in live.bridges}
    out = []
    for name in sorted({*wanted, *have}, key=lambda n: (n not in wanted, n)):
        bridge = have.get(name)
        addresses = tuple(live.guest_addresses.get(name, ()))
        if bridge is None:
            problems.append(f"{node}: bridge {name} is missing")
            out.append(BridgeView(name, wanted[name], addresses, MISSING))
            continue
        ports = tuple(_port_label(p) for p in bridge.ports if p.name != name)
        names = {p.name for p in bridge.ports}
        lacking = [p for p in wanted.get(name, ()) if p not in names]
        status = OK if name in wanted else UNPLANNED
        if lacking:
            status = MISSING
            problems.append(f"{node}: {name} lacks port {', '.join(lacking)}")
            ports += tuple(f"{p} (missing)" for p in lacking)
        out.append(BridgeView(name, ports, addresses, status))
    return tuple(out)


def _nics(
    node: Mapping[str, Any],
    live: LiveDomain,
    plan_nets: Mapping[str, str],
    problems: list[str],
) -> tuple[NicView, ...]:
    """NICs in domain order are eth0, eth1...; planned: eth0 on external, eth1 on tunnel."""
    name = str(node["name"])
    planned = {"external": ("eth0", str(node["mac"]), str(node["external_ip"]))}
    planned["tunnel"] = ("eth1", "", str(node["tunnel_ip"]))
    out = []
    seen: set[str] = set()
    for i, nic in enumerate(live.nics):
        dev = f"eth{i}"
        role = plan_nets.get(nic.network, "")
        addresses = tuple(dict.fromkeys([*nic.addresses, *live.guest_addresses.get(dev, ())]))
        if not role:
            problems.append(f"{name}: {dev} ({nic.mac}) is on {nic.network}, not a lab network")
            out.append(NicView(dev, nic.network, nic.mac, addresses, UNPLANNED))
            continue
        seen.add(role)
        _dev, want_mac, want_ip = planned[role]
        status, note = OK, ""
        if want_mac and nic.mac.lower() != want_mac.lower():
            status, note = DIFFERS, f"planned MAC {want_mac}"
        elif addresses and want_ip not in addresses and not live.bridges:
            status, note = DIFFERS, f"planned {want_ip}"
        if status != OK:
            problems.append(f"{name}: {dev} on {nic.network}: {note}")
        out.append(NicView(dev, nic.network, nic.mac, addresses or (want_ip,), status, note))
    for role, (dev, mac, ip) in planned.items():
        if role not in seen:
            net = next((n for n, r in plan_nets.items() if r == role), role)
            problems.append(f"{name}: no NIC on {net} ({role})")
            out.append(NicView(dev, net, mac or "-", (ip,), MISSING))
    return tuple(out)


def build(inventory: Mapping[str, Any], live: Live, prefix: str) -> Topology:
    """The plan (``inventory.json`` data) against ``live``; ``prefix`` names what the lab owns
    in libvirt (``labbuilder-<lab>-``), so anything else with it counts as unplanned."""
    problems: list[str] = []
    plan_nets = {
        str(inventory["external"]["network"]): "external",
        str(inventory["tunnel"]["network"]): "tunnel",
    }
    subnets = {
        str(inventory["external"]["network"]): str(inventory["external"]["subnet"]),
        str(inventory["tunnel"]["network"]): str(inventory["tunnel"]["subnet"]),
    }
    have = {n.name: n for n in live.networks}
    networks = []
    for name, role in plan_nets.items():
        net = have.get(name)
        if net is None:
            problems.append(f"network {name} is missing")
            networks.append(NetworkView(name, role, subnets[name], "", MISSING))
        else:
            status = OK if net.active else DOWN
            if not net.active:
                problems.append(f"network {name} is not active")
            networks.append(
                NetworkView(name, role, net.subnet or subnets[name], net.bridge, status)
            )
    for net in live.networks:
        if net.name.startswith(prefix) and net.name not in plan_nets:
            problems.append(f"network {net.name} is not in the plan")
            networks.append(NetworkView(net.name, "", net.subnet, net.bridge, UNPLANNED))
    domains = {d.name: d for d in live.domains}
    backend = str(inventory.get("neutron_backend", "ovs"))
    nodes = []
    for node in inventory["nodes"]:
        name, domain = str(node["name"]), str(node["domain"])
        roles = tuple(str(r) for r in node["roles"])
        dom = domains.get(domain)
        if dom is None:
            problems.append(f"{name}: domain {domain} is missing")
            nodes.append(NodeView(name, roles, domain, MISSING, (), ()))
            continue
        if not dom.running:
            problems.append(f"{name}: domain {domain} is not running")
        nics = _nics(node, dom, plan_nets, problems)
        bridges = _bridges(name, dom, roles, backend, problems)
        nodes.append(NodeView(name, roles, domain, OK if dom.running else DOWN, nics, bridges))
    planned_domains = {str(n["domain"]) for n in inventory["nodes"]}
    for dom in live.domains:
        if dom.name.startswith(prefix) and dom.name not in planned_domains:
            problems.append(f"domain {dom.name} is not in the plan")
            nics = tuple(
                NicView(f"eth{i}", n.network, n.mac, n.addresses, UNPLANNED)
                for i, n in enumerate(dom.nics)
            )
            nodes.append(NodeView(dom.name.removeprefix(prefix), (), dom.name, UNPLANNED, nics, ()))
    return Topology(str(inventory["lab"]), tuple(networks), tuple(nodes), tuple(problems))
