"""The full end-to-end walk on the real cloud, through `invoke verify --only e2e`: project,
user, extnet, flavor, network, router, security group, keypair, image (the guest built from
Debian packages), an instance under the real libvirt driver, floating IP, ping and SSH from
this process; afterwards nothing the walk made is left in the cloud.
"""

from __future__ import annotations

import pytest

from .cloudlab import cases, failed

pytestmark = pytest.mark.cloud

STEPS = (
    "project", "user", "external network", "flavor", "network", "router", "security group",
    "keypair", "image", "server", "floating ip", "ping", "ssh",
)  # fmt: skip


def inventory_of(conn) -> dict[str, set[str]]:
    """Everything a walk could leave behind, by kind (names or ids). Not the service project's
    default security group: Nova's service user makes Neutron create it on the cloud's first
    instance, and it stays as on any cloud."""
    service = conn.identity.find_project("service", ignore_missing=False)
    return {
        "projects": {p.name for p in conn.identity.projects()},
        "users": {u.name for u in conn.identity.users()},
        "flavors": {f.name for f in conn.compute.flavors()},
        "servers": {s.id for s in conn.compute.servers(all_projects=True)},
        "images": {i.id for i in conn.image.images()},
        "networks": {n.id for n in conn.network.networks()},
        "subnets": {s.id for s in conn.network.subnets()},
        "routers": {r.id for r in conn.network.routers()},
        "ports": {p.id for p in conn.network.ports()},
        "floating ips": {f.id for f in conn.network.ips()},
        "security groups": {
            f"{g.name} {g.id} of project {g.project_id}"
            for g in conn.network.security_groups()
            if g.project_id != service.id
        },
    }


def test_walk_passes_and_leaves_nothing(cloudlab, tmp_path):
    conn = cloudlab.connect()
    try:
        before = inventory_of(conn)
        result, junit = cloudlab.verify("e2e", tmp_path)
        after = inventory_of(conn)
    finally:
        conn.close()
    assert failed(junit) == {}, result.stdout[-3000:]
    (case,) = cases(junit).values()
    steps = {
        p.get("name", "").removeprefix("step:"): p.get("value", "")
        for p in case.iter("property")
        if p.get("name", "").startswith("step:")
    }
    for step in STEPS:
        assert steps.get(step, "").split()[1:2] == ["ok"], f"{step}: {steps.get(step)}"
    assert after == before
