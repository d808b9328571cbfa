"""What provisioning runs where: the scripts of ``provision/``, their arguments and order.

Pure data from the ``Lab``: the provision stage runs it and ``render.provisionplan`` prints it.
Phases run one after the other; inside a phase the nodes run in parallel, and each node runs
its own steps in order.

On a CentOS Stream 9 box every node is prepared for RDO and gets its root disk grown to the
planned size. Every node with the network role (whose eth0 Packstack moves into br-ex) also
gets the legacy network-scripts with ``ifup-ovs``, a static eth0 profile and DNS pinned to the
lab's gateway, then a guard checks all of it before Packstack can run.
"""

from __future__ import annotations

from dataclasses import dataclass

from labbuilder.model.lab import Lab, Node, Role

ROOT_KEY = "<controller root key>"
"""Placeholder in ``authorize.sh``'s arguments for the key ``rootkey.sh`` prints."""


@dataclass(frozen=True)
class Step:
    node: str
    script: str
    """Path under ``provision/``, e.g. ``el9/prepare.sh``."""
    args: tuple[str, ...]
    done: str
    """What the node reports when the step succeeded ("" for nothing)."""
    timeout: int = 600


@dataclass(frozen=True)
class Phase:
    name: str
    steps: tuple[Step, ...]

    def nodes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s.node for s in self.steps))

    def of(self, node: str) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.node == node)


def _common(lab: Lab) -> Phase:
    table = tuple(f"{n.external_ip} {n.fqdn} {n.name}" for n in lab.nodes)
    steps: list[Step] = []
    for node in lab.nodes:
        steps += [
            Step(node.name, "common/hosts.sh", (node.fqdn, *table), "hostname and /etc/hosts set"),
            Step(
                node.name,
                "common/timesync.sh",
                lab.ntp_servers,
                f"time sync against {', '.join(lab.ntp_servers)}",
            ),
        ]
    return Phase("common", tuple(steps))


def _network(lab: Lab, node: Node) -> list[Step]:
    ext = lab.external
    ip, gateway = str(node.external_ip), str(ext.host_ip)
    return [
        Step(
            node.name,
            "el9/network-scripts.sh",
            (),
            "openvswitch and the legacy network-scripts (ifup-ovs) installed",
            timeout=1800,
        ),
        Step(
            node.name,
            "el9/static-eth0.sh",
            (ip, str(ext.prefixlen), gateway, gateway),
            f"eth0 static at {ip}/{ext.prefixlen}",
        ),
        Step(node.name, "el9/dns-pin.sh", (lab.domain, gateway), f"DNS pinned to {gateway}"),
        Step(node.name, "el9/guard-network.sh", (ip, gateway), "ready for br-ex"),
    ]


def _el9(lab: Lab) -> Phase:
    steps: list[Step] = []
    for node in lab.nodes:
        steps += [
            Step(
                node.name,
                "el9/prepare.sh",
                (lab.release,),
                "SELinux permissive, CRB and RDO repositories on, updated",
                timeout=3600,
            ),
            Step(
                node.name,
                "el9/grow-root.sh",
                (str(node.sizes.disk_gib),),
                f"root filesystem grown to the {node.sizes.disk_gib} GiB disk",
                timeout=1800,
            ),
        ]
        if node.has(Role.NETWORK):
            steps += _network(lab, node)
        if node.has(Role.CONTROLLER):
            steps.append(
                Step(node.name, "el9/packstack-install.sh", (), "Packstack installed", 1800)
            )
    return Phase("el9", tuple(steps))


def plan(lab: Lab) -> tuple[Phase, ...]:
    ctl = lab.controller.name
    hosts = tuple(h for n in lab.nodes for h in (str(n.external_ip), n.fqdn))
    phases = [_common(lab)]
    if lab.box.os_family == "el9":
        phases.append(_el9(lab))
    return (
        *phases,
        Phase("root key", (Step(ctl, "common/rootkey.sh", (), ""),)),
        Phase(
            "authorize",
            tuple(Step(n.name, "common/authorize.sh", (ROOT_KEY,), "") for n in lab.nodes),
        ),
        Phase("known hosts", (Step(ctl, "common/known_hosts.sh", hosts, ""),)),
    )
