"""What a lab really is right now: its libvirt networks and domains (NICs, MACs, leased
addresses) and, from each running node over SSH, its addresses and Open vSwitch bridges."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from labbuilder.adapters.libvirt import Virt, parse_domain_nics, parse_network
from labbuilder.adapters.ssh import Remote
from labbuilder.errors import ToolError
from labbuilder.model.topology import Live, LiveBridge, LiveDomain, LiveNic, LivePort
from labbuilder.verify import hostcheck, ovs

GUEST_TIMEOUT = 30.0


def bridges_of(switch: ovs.Switch) -> tuple[LiveBridge, ...]:
    return tuple(
        LiveBridge(
            b.name,
            tuple(
                LivePort(port, i.type, i.remote_ip or "")
                for port, ifaces in b.ports.items()
                for i in ifaces[:1] or (ovs.Interface(port, "", {}),)
            ),
        )
        for b in switch.bridges.values()
    )


def guest(
    remote: Remote, node: str, with_ovs: bool
) -> tuple[dict[str, tuple[str, ...]], tuple[LiveBridge, ...] | None]:
    """A node's IPv4 addresses per device and (``with_ovs``) its bridges; empty when the
    node does not answer."""
    try:
        out = remote.run(node, hostcheck.IP_ADDR, timeout=GUEST_TIMEOUT)
        addrs = {
            dev: tuple(str(a.ip) for a in found)
            for dev, found in hostcheck.parse_ip_addr(out.stdout).items()
        }
        if not with_ovs:
            return addrs, None
        listed = remote.run(node, ovs.LIST_COMMAND, sudo=True, check=False, timeout=GUEST_TIMEOUT)
        if listed.rc != 0:
            return addrs, None
        return addrs, bridges_of(ovs.parse(listed.stdout))
    except (ToolError, ValueError):
        return {}, None


def gather(
    virt: Virt, inventory: Mapping[str, Any], prefix: str, remote: Remote | None, deployed: bool
) -> Live:
    networks = []
    for name in virt.network_names(prefix):
        xml, active = virt.network_xml(name)
        networks.append(parse_network(xml, active))
    running = virt.domains(prefix)
    names = {str(n["domain"]): str(n["name"]) for n in inventory["nodes"]}

    def one(domain: str) -> LiveDomain:
        leases = virt.domain_addresses(domain)
        nics = tuple(
            LiveNic(n.network, n.mac, n.device, n.model, leases.get(n.mac.lower(), ()))
            for n in parse_domain_nics(virt.domain_xml(domain))
        )
        addrs: dict[str, tuple[str, ...]] = {}
        bridges = None
        if remote is not None and running[domain] and domain in names:
            addrs, bridges = guest(remote, names[domain], deployed)
        return LiveDomain(domain, running[domain], nics, addrs, bridges)

    with ThreadPoolExecutor(max_workers=max(1, min(8, len(running)))) as pool:
        domains = tuple(pool.map(one, sorted(running)))
    return Live(tuple(networks), domains)
