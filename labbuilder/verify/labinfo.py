"""The lab as the suites see it: read back from ``labs/<lab>/inventory.json``."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from pathlib import Path
from typing import Any

from labbuilder.errors import StateError

INVENTORY_ENV = "LABBUILDER_INVENTORY"
STAGE_ENV = "LABBUILDER_STAGE"
DEPLOYED = "deploy"
DATAPLANE_ROLES = ("network", "compute")
"""Roles whose nodes run Open vSwitch and a Neutron L2 agent (or ovn-controller)."""


@dataclass(frozen=True)
class LabNode:
    name: str
    fqdn: str
    roles: frozenset[str]
    external: IPv4Interface
    tunnel: IPv4Interface

    def has(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)

    @property
    def external_ip(self) -> IPv4Address:
        return self.external.ip

    @property
    def tunnel_ip(self) -> IPv4Address:
        return self.tunnel.ip


@dataclass(frozen=True)
class LabInfo:
    name: str
    domain: str
    os_family: str
    neutron_backend: str
    services: frozenset[str]
    external_subnet: IPv4Network
    gateway: IPv4Address
    floating: tuple[IPv4Address, IPv4Address]
    tunnel_subnet: IPv4Network
    nodes: tuple[LabNode, ...]
    packaging: str = "rdo"
    """Whose OpenStack packages run the services: ``rdo`` (Packstack) or ``debian`` (the
    test cloud); they name their services differently."""

    def with_role(self, *roles: str) -> tuple[LabNode, ...]:
        return tuple(n for n in self.nodes if n.has(*roles))

    def hosts(self, *roles: str) -> list[str]:
        """testinfra host specs of the nodes with any of ``roles`` (every node when none)."""
        nodes = self.with_role(*roles) if roles else self.nodes
        return [f"ssh://{n.name}" for n in nodes]

    def node(self, name: str) -> LabNode | None:
        return next((n for n in self.nodes if name in (n.name, n.fqdn)), None)

    @property
    def controller(self) -> LabNode:
        return self.with_role("controller")[0]

    @property
    def dataplane(self) -> tuple[LabNode, ...]:
        return self.with_role(*DATAPLANE_ROLES)

    def tunnel_peers(self, node: LabNode) -> tuple[IPv4Address, ...]:
        """Tunnel addresses of the other data-plane nodes ``node`` must reach."""
        return tuple(n.tunnel_ip for n in self.dataplane if n.name != node.name)

    def enabled(self, service: str) -> bool:
        return service in self.services


def _node(data: Mapping[str, Any], external: IPv4Network, tunnel: IPv4Network) -> LabNode:
    return LabNode(
        name=str(data["name"]),
        fqdn=str(data["fqdn"]),
        roles=frozenset(str(r) for r in data["roles"]),
        external=IPv4Interface(f"{data['external_ip']}/{external.prefixlen}"),
        tunnel=IPv4Interface(f"{data['tunnel_ip']}/{tunnel.prefixlen}"),
    )


def parse(data: Mapping[str, Any]) -> LabInfo:
    """``inventory.json`` as written by ``labbuilder.inventory``; KeyError/ValueError if not."""
    external = IPv4Network(data["external"]["subnet"])
    tunnel = IPv4Network(data["tunnel"]["subnet"])
    first, last = data["external"]["floating"]
    return LabInfo(
        name=str(data["lab"]),
        domain=str(data["domain"]),
        os_family=str(data.get("box", {}).get("os_family", "el9")),
        neutron_backend=str(data["neutron_backend"]),
        services=frozenset(str(s) for s in data["services"]),
        external_subnet=external,
        gateway=IPv4Address(data["external"]["gateway"]),
        floating=(IPv4Address(first), IPv4Address(last)),
        tunnel_subnet=tunnel,
        nodes=tuple(_node(n, external, tunnel) for n in data["nodes"]),
        packaging=str(data.get("packaging", "rdo")),
    )


def load(path: Path) -> LabInfo:
    try:
        return parse(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise StateError(f"{path} not found: run `invoke up` for this lab first") from None
    except (ValueError, KeyError, TypeError, IndexError):
        raise StateError(f"{path} is damaged: run `invoke render` for this lab again") from None


def from_env(env: Mapping[str, str] = os.environ) -> LabInfo:
    path = env.get(INVENTORY_ENV)
    if not path:
        raise StateError(f"{INVENTORY_ENV} is not set: run the suites through `invoke verify`")
    return load(Path(path))


def stage_from_env(env: Mapping[str, str] = os.environ) -> str:
    return env.get(STAGE_ENV, "rendered")


def not_deployed_reason(lab: str, stage: str) -> str | None:
    """Why OpenStack checks cannot run yet, or None once the lab is deployed."""
    if stage == DEPLOYED:
        return None
    return (
        f"OpenStack is not deployed on lab {lab} (recorded stage: {stage}): "
        "run `invoke up` to deploy it"
    )
