"""Open vSwitch as Neutron leaves it: bridges, ports, tunnel interfaces, read from one
``ovs-vsctl`` call (JSON) and checked by pure functions that name the missing piece.

With the OVS agent every node's ``br-tun`` holds one ``vxlan`` port per other node
(``options:remote_ip`` = that node's tunnel address, ``local_ip`` = its own); with OVN,
``br-int`` holds one ``geneve`` port per other chassis.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Interface
from typing import Any

LIST_COMMAND = (
    "ovs-vsctl --format=json --columns=name,ports list Bridge"
    " -- --columns=_uuid,name,interfaces list Port"
    " -- --columns=_uuid,name,type,options list Interface"
)


@dataclass(frozen=True)
class Tunnels:
    """Where a backend's tunnel ports live and what they are."""

    bridge: str
    kind: str
    checks_local_ip: bool


TUNNELS = {
    "ovs": Tunnels("br-tun", "vxlan", checks_local_ip=True),
    "ovn": Tunnels("br-int", "geneve", checks_local_ip=False),
}


@dataclass(frozen=True)
class Interface:
    name: str
    type: str
    options: Mapping[str, str]

    @property
    def remote_ip(self) -> str | None:
        return self.options.get("remote_ip")


@dataclass(frozen=True)
class Bridge:
    name: str
    ports: Mapping[str, tuple[Interface, ...]]

    def interfaces(self) -> tuple[Interface, ...]:
        return tuple(i for ifaces in self.ports.values() for i in ifaces)


@dataclass(frozen=True)
class Switch:
    bridges: Mapping[str, Bridge]

    def bridge(self, name: str) -> Bridge | None:
        return self.bridges.get(name)

    def bridge_of(self, port: str) -> str | None:
        return next((b.name for b in self.bridges.values() if port in b.ports), None)


def _atoms(value: Any) -> list[Any]:
    """An OVSDB JSON value as a list of atoms (``["set", [...]]``, one atom, or a uuid)."""
    if isinstance(value, list) and value and value[0] == "set":
        return [_atom(v) for v in value[1]]
    return [_atom(value)]


def _atom(value: Any) -> Any:
    if isinstance(value, list) and len(value) == 2 and value[0] in {"uuid", "named-uuid"}:
        return value[1]
    return value


def _map(value: Any) -> dict[str, str]:
    if isinstance(value, list) and value and value[0] == "map":
        return {str(k): str(v) for k, v in value[1]}
    return {}


def _tables(text: str) -> list[list[dict[str, Any]]]:
    decoder = json.JSONDecoder()
    tables: list[list[dict[str, Any]]] = []
    pos = 0
    while pos < len(text):
        if text[pos].isspace():
            pos += 1
            continue
        table, pos = decoder.raw_decode(text, pos)
        tables.append([dict(zip(table["headings"], row, strict=True)) for row in table["data"]])
    return tables


def parse(text: str) -> Switch:
    """The output of ``LIST_COMMAND``: three JSON tables (Bridge, Port, Interface)."""
    tables = _tables(text)
    if len(tables) != 3:
        raise ValueError(f"expected 3 ovs-vsctl tables, got {len(tables)}")
    bridges, ports, ifaces = tables
    by_iface = {
        _atom(i["_uuid"]): Interface(str(i["name"]), str(i["type"]), _map(i["options"]))
        for i in ifaces
    }
    by_port = {
        _atom(p["_uuid"]): (
            str(p["name"]),
            tuple(by_iface[u] for u in _atoms(p["interfaces"]) if u in by_iface),
        )
        for p in ports
    }
    return Switch(
        {
            str(b["name"]): Bridge(
                str(b["name"]), dict(by_port[u] for u in _atoms(b["ports"]) if u in by_port)
            )
            for b in bridges
        }
    )


def _names(items: Iterable[str]) -> str:
    return ", ".join(sorted(items)) or "none"


def bridge_problem(switch: Switch, bridge: str) -> str | None:
    if switch.bridge(bridge) is not None:
        return None
    return f"bridge {bridge} is missing (bridges: {_names(switch.bridges)})"


def port_problem(switch: Switch, bridge: str, port: str) -> str | None:
    found = switch.bridge(bridge)
    if found is None:
        return bridge_problem(switch, bridge)
    if port in found.ports:
        return None
    elsewhere = switch.bridge_of(port)
    if elsewhere:
        return f"{port} is a port of {elsewhere}, not of {bridge}"
    return f"{bridge} has no port {port} (ports: {_names(found.ports)})"


def tunnel_ports(switch: Switch, tunnels: Tunnels) -> tuple[Interface, ...]:
    found = switch.bridge(tunnels.bridge)
    if found is None:
        return ()
    return tuple(i for i in found.interfaces() if i.type == tunnels.kind)


def _listing(ports: Iterable[Interface]) -> str:
    return _names(f"{i.name} -> {i.remote_ip or '?'}" for i in ports)


def tunnel_problem(
    switch: Switch,
    tunnels: Tunnels,
    peer: str,
    peer_ip: IPv4Address,
    local_ip: IPv4Address,
) -> str | None:
    """The one tunnel port towards ``peer`` (remote_ip ``peer_ip``) is there and sane."""
    if switch.bridge(tunnels.bridge) is None:
        return bridge_problem(switch, tunnels.bridge)
    ports = tunnel_ports(switch, tunnels)
    matching = [i for i in ports if i.remote_ip == str(peer_ip)]
    if not matching:
        return (
            f"{tunnels.bridge} has no {tunnels.kind} port to {peer} (remote_ip={peer_ip}); "
            f"{tunnels.kind} ports: {_listing(ports)}"
        )
    if len(matching) > 1:
        return (
            f"{tunnels.bridge} has {len(matching)} {tunnels.kind} ports to {peer} "
            f"(remote_ip={peer_ip}): {_names(i.name for i in matching)}"
        )
    port = matching[0]
    local = port.options.get("local_ip")
    if tunnels.checks_local_ip and local != str(local_ip):
        return (
            f"{tunnels.kind} port {port.name} to {peer} has local_ip={local or '(unset)'}, "
            f"expected {local_ip} (this node's tunnel address)"
        )
    return None


def stray_tunnels_problem(
    switch: Switch, tunnels: Tunnels, peer_ips: Iterable[IPv4Address]
) -> str | None:
    """Tunnel ports whose remote_ip is no other node of the lab (a retired or wrong address)."""
    wanted = {str(ip) for ip in peer_ips}
    strays = [i for i in tunnel_ports(switch, tunnels) if i.remote_ip not in wanted]
    if not strays:
        return None
    return f"{tunnels.bridge} has {tunnels.kind} port(s) to no other lab node: {_listing(strays)}"


IFCFG_DIR = "/etc/sysconfig/network-scripts"
BOOT_COMMAND = (
    f'for f in {IFCFG_DIR}/ifcfg-br-ex {IFCFG_DIR}/ifcfg-eth0; do echo "== $f";'
    " cat \"$f\" 2>/dev/null || echo '(missing)'; done;"
    " echo '== /etc/rc.d/rc3.d'; ls /etc/rc.d/rc3.d 2>/dev/null || true"
)
"""What brings br-ex back at boot on EL9: the two ifcfg files puppet-vswitch's ovs_redhat
provider writes, and the runlevel links of the legacy ``network`` service that reads them."""


@dataclass(frozen=True)
class BootConfig:
    ifcfg: Mapping[str, Mapping[str, str] | None]
    """Per device (``br-ex``, ``eth0``): its ifcfg keys, or None when the file is missing."""
    rc3: tuple[str, ...]


def _ifcfg(lines: list[str]) -> dict[str, str] | None:
    if lines == ["(missing)"]:
        return None
    keys: dict[str, str] = {}
    for line in lines:
        key, sep, value = line.partition("=")
        if sep and key.strip() and not key.lstrip().startswith("#"):
            keys[key.strip()] = value.strip().strip("\"'")
    return keys


def parse_boot(text: str) -> BootConfig:
    """The output of ``BOOT_COMMAND``."""
    sections: dict[str, list[str]] = {}
    current: list[str] = []
    for line in text.splitlines():
        if line.startswith("== "):
            current = sections.setdefault(line[3:].strip(), [])
        elif line.strip():
            current.append(line.strip())
    ifcfg = {
        path.rsplit("ifcfg-", 1)[1]: _ifcfg(lines)
        for path, lines in sections.items()
        if path.startswith(f"{IFCFG_DIR}/ifcfg-")
    }
    return BootConfig(ifcfg, tuple(sections.get("/etc/rc.d/rc3.d", [])))


def boot_problem(boot: BootConfig, bridge: str, nic: str, address: IPv4Interface) -> str | None:
    """Why ``bridge`` would not come back with ``address`` and ``nic`` as its port after a
    reboot, or None."""
    br = boot.ifcfg.get(bridge)
    port = boot.ifcfg.get(nic)
    if br is None:
        return f"no ifcfg-{bridge}: nothing brings {bridge} back at boot"
    if (br.get("TYPE"), br.get("DEVICETYPE")) != ("OVSBridge", "ovs"):
        return f"ifcfg-{bridge} has TYPE={br.get('TYPE', '(unset)')}, not an Open vSwitch bridge"
    if br.get("ONBOOT") != "yes":
        onboot = br.get("ONBOOT", "(unset)")
        return f"ifcfg-{bridge} has ONBOOT={onboot}: {bridge} stays down after a reboot"
    given = f"{br.get('IPADDR', '(none)')}/{br.get('PREFIX', '?')}"
    if given != str(address):
        return f"ifcfg-{bridge} gives {given}, not the external address {address}"
    if port is None:
        return f"no ifcfg-{nic}: {nic} does not join {bridge} at boot"
    if (port.get("TYPE"), port.get("OVS_BRIDGE")) != ("OVSPort", bridge):
        return (
            f"ifcfg-{nic} does not make {nic} a port of {bridge} "
            f"(TYPE={port.get('TYPE', '(unset)')}, OVS_BRIDGE={port.get('OVS_BRIDGE', '(unset)')})"
        )
    if port.get("ONBOOT") != "yes":
        return (
            f"ifcfg-{nic} has ONBOOT={port.get('ONBOOT', '(unset)')}: {nic} stays out of {bridge}"
        )
    if "IPADDR" in port:
        return f"ifcfg-{nic} still gives {nic} the address {port['IPADDR']}, which {bridge} holds"
    if not any(name.startswith("S") and name.endswith("network") for name in boot.rc3):
        return (
            "the legacy network service is not enabled (no S*network in /etc/rc.d/rc3.d), so "
            f"nothing brings {bridge} up at boot: systemctl enable network"
        )
    return None
