"""OpenStack's own view of the lab (hypervisors, Neutron agents, Cinder services), as plain
records taken from openstacksdk objects and checked by pure functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from labbuilder.verify.expected import Agent


@dataclass(frozen=True)
class Hypervisor:
    name: str
    state: str
    status: str


@dataclass(frozen=True)
class AgentState:
    agent_type: str
    host: str
    alive: bool
    admin_up: bool


@dataclass(frozen=True)
class ServiceState:
    binary: str
    host: str
    state: str
    status: str


def hypervisors_of(items: Iterable[Any]) -> list[Hypervisor]:
    return [Hypervisor(str(h.name), str(h.state), str(h.status)) for h in items]


def agents_of(items: Iterable[Any]) -> list[AgentState]:
    return [
        AgentState(str(a.agent_type), str(a.host), bool(a.is_alive), bool(a.is_admin_state_up))
        for a in items
    ]


def services_of(items: Iterable[Any]) -> list[ServiceState]:
    return [ServiceState(str(s.binary), str(s.host), str(s.state), str(s.status)) for s in items]


def _short(name: str) -> str:
    return name.split(".")[0]


def hypervisor_problem(fqdn: str, hypervisors: Sequence[Hypervisor]) -> str | None:
    found = [h for h in hypervisors if h.name == fqdn or _short(h.name) == _short(fqdn)]
    if not found:
        names = ", ".join(sorted(h.name for h in hypervisors)) or "none"
        return f"{fqdn} is not a Nova hypervisor (hypervisors: {names})"
    h = found[0]
    if h.state != "up":
        return f"hypervisor {h.name} is {h.state}: check openstack-nova-compute on it"
    if h.status != "enabled":
        return f"hypervisor {h.name} is {h.status}: enable its nova-compute service"
    return None


def extra_hypervisors_problem(
    fqdns: Iterable[str], hypervisors: Sequence[Hypervisor]
) -> str | None:
    known = {_short(f) for f in fqdns}
    extra = sorted(h.name for h in hypervisors if _short(h.name) not in known)
    if not extra:
        return None
    return f"Nova has hypervisors that are no compute of this lab: {', '.join(extra)}"


def agent_problem(expected: Agent, fqdn: str, agents: Sequence[AgentState]) -> str | None:
    on_host = [a for a in agents if _short(a.host) == _short(fqdn)]
    found = [a for a in on_host if a.agent_type in expected.types]
    if not found:
        there = ", ".join(sorted(a.agent_type for a in on_host)) or "none"
        return f"no {' or '.join(expected.types)} on {fqdn} (agents there: {there})"
    dead = [a for a in found if not a.alive]
    if dead:
        return f"{dead[0].agent_type} on {fqdn} is not alive: check {expected.label} on that node"
    if not all(a.admin_up for a in found):
        return f"{found[0].agent_type} on {fqdn} is administratively down"
    return None


def volume_service_problem(fqdn: str, services: Sequence[ServiceState]) -> str | None:
    """cinder-volume runs for ``fqdn`` (its host is ``<fqdn>@<backend>``) and is up."""
    volumes = [s for s in services if s.binary == "cinder-volume"]
    mine = [s for s in volumes if _short(s.host.split("@")[0]) == _short(fqdn)]
    if not mine:
        hosts = ", ".join(sorted(s.host for s in volumes)) or "none"
        return f"no cinder-volume service on {fqdn} (cinder-volume hosts: {hosts})"
    down = [s for s in mine if s.state != "up" or s.status != "enabled"]
    if down:
        return f"cinder-volume {down[0].host} is {down[0].state}/{down[0].status}"
    return None
