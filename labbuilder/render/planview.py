"""The text ``invoke plan`` prints: every node, its NICs and sizes, and the host totals."""

from __future__ import annotations

from labbuilder.model import releases
from labbuilder.model.addressing import fmt_range
from labbuilder.model.lab import Lab, Role

ROLE_ORDER = (Role.CONTROLLER, Role.NETWORK, Role.STORAGE, Role.COMPUTE)


def lines(lab: Lab) -> list[str]:
    kind = "all-in-one" if len(lab.nodes) == 1 else f"{len(lab.nodes)} nodes"
    out = [
        f"lab {lab.name} ({kind}): RDO {lab.release}, box {lab.box.name}, "
        f"Neutron {lab.neutron_backend.upper()}, libvirt driver {lab.driver}"
        + (", nested KVM on computes" if lab.nested else ""),
        f"release {releases.CATALOG[lab.release].describe()}",
        f"services: {', '.join(sorted(lab.services))}",
        f"external {lab.external.name}: {lab.external.subnet} NAT, gateway {lab.external.host_ip}, "
        f"DHCP {fmt_range(lab.external.dhcp) if lab.external.dhcp else '-'}, "
        f"floating IPs {fmt_range(lab.floating_range)}",
        f"tunnel   {lab.tunnel.name}: {lab.tunnel.subnet} isolated",
        "",
        f"{'node':<12}{'roles':<28}{'eth0 (external)':<18}{'eth1 (tunnel)':<18}"
        f"{'vCPU':>5}{'MiB':>8}{'GiB':>6}  fqdn",
    ]
    for n in lab.nodes:
        roles = ",".join(r.value for r in ROLE_ORDER if r in n.roles)
        out.append(
            f"{n.name:<12}{roles:<28}{n.external_ip!s:<18}{n.tunnel_ip!s:<18}"
            f"{n.sizes.vcpus:>5}{n.sizes.memory_mib:>8}{n.sizes.disk_gib:>6}  {n.fqdn}"
        )
    t = lab.totals
    out.append(f"{'total':<12}{'':<28}{'':<18}{'':<18}{t.vcpus:>5}{t.memory_mib:>8}{t.disk_gib:>6}")
    return out
