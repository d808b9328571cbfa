"""Pure parsers and checks for what a node reports: addresses, names, units, sockets.

Each ``*_problem`` function returns one line naming what is wrong, or None when all is well.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping, Sequence
from ipaddress import IPv4Address, IPv4Interface

from labbuilder.verify.labinfo import LabNode

IP_ADDR = "ip -j -4 addr show"
FAILED_UNITS = "systemctl list-units --state=failed --plain --no-legend --no-pager"
LISTENING = "ss -Htln"
EXTERNAL_NIC = "eth0"
TUNNEL_NIC = "eth1"
EXTERNAL_BRIDGE = "br-ex"


def parse_ip_addr(text: str) -> dict[str, tuple[IPv4Interface, ...]]:
    """``ip -j -4 addr show`` -> {device: its IPv4 addresses with prefix}."""
    out: dict[str, tuple[IPv4Interface, ...]] = {}
    for link in json.loads(text or "[]"):
        addrs = tuple(
            IPv4Interface(f"{a['local']}/{a['prefixlen']}")
            for a in link.get("addr_info", [])
            if a.get("family") == "inet"
        )
        out[str(link["ifname"])] = addrs
    return out


def external_device(node: LabNode, deployed: bool) -> str:
    """Where the external address lives: br-ex on a deployed network node, eth0 elsewhere."""
    return EXTERNAL_BRIDGE if deployed and node.has("network") else EXTERNAL_NIC


def address_problem(
    addrs: Mapping[str, Sequence[IPv4Interface]], device: str, expected: IPv4Interface
) -> str | None:
    on_device = tuple(addrs.get(device, ()))
    if expected in on_device:
        return None
    same_ip = [a for a in on_device if a.ip == expected.ip]
    if same_ip:
        return f"{device} has {same_ip[0]}, expected {expected} (wrong prefix length)"
    elsewhere = sorted(d for d, found in addrs.items() if expected.ip in {a.ip for a in found})
    if elsewhere:
        return f"{expected} is on {', '.join(elsewhere)}, not on {device}"
    if device not in addrs:
        return f"{device} has no IPv4 address, expected {expected}"
    have = ", ".join(str(a) for a in on_device)
    return f"{device} has {have}, expected {expected}"


def hostname_problem(reported: str, fqdn: str) -> str | None:
    name = reported.strip()
    if name == fqdn:
        return None
    return f"hostname is {name or '(empty)'!r}, expected {fqdn!r}"


def parse_getent(text: str) -> tuple[IPv4Address, ...]:
    """``getent ahostsv4 NAME`` -> its addresses, in the resolver's order, once each."""
    seen: list[IPv4Address] = []
    for line in text.splitlines():
        fields = line.split()
        if fields:
            addr = IPv4Address(fields[0])
            if addr not in seen:
                seen.append(addr)
    return tuple(seen)


def resolve_problem(name: str, found: Sequence[IPv4Address], expected: IPv4Address) -> str | None:
    if not found:
        return f"{name} does not resolve, expected {expected}"
    if found[0] == expected:
        return None
    return f"{name} resolves to {found[0]}, expected {expected}"


def parse_failed_units(text: str) -> tuple[str, ...]:
    """``systemctl list-units --state=failed --plain --no-legend`` -> unit names."""
    units = []
    for line in text.splitlines():
        fields = [f for f in line.split() if f not in {"●", "*"}]
        if fields:
            units.append(fields[0])
    return tuple(units)


def failed_units_problem(units: Sequence[str]) -> str | None:
    if not units:
        return None
    return f"{len(units)} failed unit(s): {', '.join(units)} (see `systemctl status UNIT`)"


def unit_states_command(units: Sequence[str]) -> str:
    """A shell command printing one state per unit, in order, whatever the node's init:
    ``systemctl is-active`` under systemd; otherwise ``active`` when the unit's init script
    reports it running, a pidfile named after it (``/run/U.pid``, ``/run/*/U.pid``) names a
    live process, or a process has its name; ``inactive`` when none does.
    """
    names = " ".join(shlex.quote(u) for u in units)
    return (
        f"if [ -d /run/systemd/system ]; then systemctl is-active {names}; "
        f"else for u in {names}; do s=inactive; "
        '[ -x "/etc/init.d/$u" ] && "/etc/init.d/$u" status >/dev/null 2>&1 && s=active; '
        'for f in "/run/$u.pid" /run/*/"$u.pid"; do '
        '[ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && s=active; done; '
        'pidof -x "$u" >/dev/null 2>&1 && s=active; '
        'echo "$s"; done; fi'
    )


def parse_unit_states(units: Sequence[str], text: str) -> dict[str, str]:
    """What ``unit_states_command`` (or ``systemctl is-active U1 U2 ...``) prints: one state
    per unit, in order."""
    states = [line.strip() for line in text.splitlines() if line.strip()]
    return {unit: states[i] if i < len(states) else "unknown" for i, unit in enumerate(units)}


def unit_problem(label: str, states: Mapping[str, str]) -> str | None:
    """``states`` of the units that can provide ``label``; one of them must be active."""
    if any(state == "active" for state in states.values()):
        return None
    seen = ", ".join(f"{unit} is {state}" for unit, state in states.items())
    return f"{label} is not running: {seen}"


def parse_listening(text: str) -> dict[int, tuple[str, ...]]:
    """``ss -Htln`` -> {port: addresses listening on it}."""
    out: dict[int, list[str]] = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 4 or fields[0] != "LISTEN":
            continue
        address, _, port = fields[3].rpartition(":")
        out.setdefault(int(port), []).append(address.split("%")[0])
    return {port: tuple(addrs) for port, addrs in out.items()}


def socket_problem(label: str, port: int, listening: Mapping[int, Sequence[str]]) -> str | None:
    addrs = listening.get(port)
    if not addrs:
        ports = ", ".join(str(p) for p in sorted(listening)) or "none"
        return f"nothing listens on TCP {port} ({label}); listening ports: {ports}"
    if all(a.startswith("127.") or a == "[::1]" for a in addrs):
        return f"TCP {port} ({label}) listens only on loopback ({', '.join(addrs)})"
    return None
