"""``inventory.json``: the lab as plain data for the verify suites, status and other tools."""

from __future__ import annotations

import json
from typing import Any

from labbuilder.model.lab import Lab


def to_data(lab: Lab) -> dict[str, Any]:
    return {
        "lab": lab.name,
        "domain": lab.domain,
        "release": lab.release,
        "box": {"name": lab.box.name, "os_family": lab.box.os_family},
        "driver": lab.driver,
        "nested": lab.nested,
        "neutron_backend": lab.neutron_backend,
        "services": sorted(lab.services),
        "horizon_port": lab.horizon_port,
        "external": {
            "network": lab.external.name,
            "subnet": str(lab.external.subnet),
            "gateway": str(lab.external.host_ip),
            "dhcp": [str(a) for a in lab.external.dhcp or ()],
            "floating": [str(a) for a in lab.floating_range],
        },
        "tunnel": {"network": lab.tunnel.name, "subnet": str(lab.tunnel.subnet)},
        "nodes": [
            {
                "name": n.name,
                "fqdn": n.fqdn,
                "roles": sorted(r.value for r in n.roles),
                "external_ip": str(n.external_ip),
                "tunnel_ip": str(n.tunnel_ip),
                "mac": n.mac,
                "domain": f"{lab.prefix}{n.name}",
            }
            for n in lab.nodes
        ],
    }


def dumps(lab: Lab) -> str:
    return json.dumps(to_data(lab), indent=2) + "\n"
