"""The lab's libvirt networks, created before Vagrant runs: external (NAT, DHCP reservations
MAC -> planned address) and tunnel (isolated)."""

from __future__ import annotations

from labbuilder.adapters.libvirt import Virt, lab_networks, network_xml
from labbuilder.model.lab import Lab


def ensure(lab: Lab, virt: Virt) -> list[str]:
    """Create or update both networks; one message per network that changed."""
    out = []
    for net, reservations in lab_networks(lab):
        xml = network_xml(net, reservations, domain=lab.domain if net.forward == "nat" else None)
        if virt.ensure_network(xml):
            out.append(f"network {net.name} ({net.subnet}) ready")
    return out
