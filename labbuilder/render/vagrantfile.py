"""The context ``Vagrantfile.j2`` renders from: every decision about the VMs is made here."""

from __future__ import annotations

from typing import Any

from labbuilder.model.lab import Lab, Node
from labbuilder.render.engine import render

TEMPLATE = "Vagrantfile.j2"
BOOT_TIMEOUT = {"kvm": 300, "qemu": 900}
EMULATED_CPU_MODEL = "Nehalem"  # x86-64-v2, which CentOS Stream 9 needs


def _provider(lab: Lab, node: Node) -> list[tuple[str, object]]:
    """``lv.<key> = <value>`` lines of one node's libvirt provider block, in order."""
    pairs: list[tuple[str, object]] = [
        ("memory", node.sizes.memory_mib),
        ("cpus", node.sizes.vcpus),
        ("machine_virtual_size", node.sizes.disk_gib),
        ("management_network_mac", node.mac),
    ]
    if lab.driver == "kvm":
        pairs.append(("cpu_mode", "host-passthrough"))
        pairs.append(("nested", node.nested))
    else:
        pairs += [("cpu_mode", "custom"), ("cpu_model", EMULATED_CPU_MODEL)]
    return pairs


def context(lab: Lab) -> dict[str, Any]:
    return {
        "lab": lab.name,
        "box": lab.box.name,
        "boot_timeout": BOOT_TIMEOUT[lab.driver],
        "libvirt": [
            ("uri", lab.libvirt_uri),
            ("driver", lab.driver),
            ("default_prefix", lab.prefix),
            ("graphics_type", "none"),
            ("management_network_name", lab.external.name),
            ("management_network_address", str(lab.external.subnet)),
            ("management_network_mode", "nat"),
            ("management_network_keep", True),
        ],
        "nodes": [
            {
                "name": node.name,
                "fqdn": node.fqdn,
                "tunnel_ip": str(node.tunnel_ip),
                "tunnel_network": lab.tunnel.name,
                "tunnel_netmask": str(lab.tunnel.subnet.netmask),
                "provider": _provider(lab, node),
            }
            for node in lab.nodes
        ],
    }


def render_vagrantfile(lab: Lab) -> str:
    return render(TEMPLATE, context(lab))
