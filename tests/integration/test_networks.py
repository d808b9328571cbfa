"""The lab's libvirt networks on real libvirt (no VMs): created once, DHCP reservations kept in
line when computes come and go, removed without leftovers."""

from __future__ import annotations

from pathlib import Path

import pytest

from labbuilder.adapters import libvirt as virt
from tests.conftest import lab_of

from .conftest import URI, _libvirt_up, leftovers

pytestmark = pytest.mark.libvirt
LAB = "inet"


SUBNETS = {"external_subnet": "10.88.1.0/24", "tunnel_subnet": "192.168.188.0/24"}


@pytest.fixture
def conn():
    if not _libvirt_up():
        pytest.skip("libvirtd not available: run hostsetup/setup.sh")
    with virt.connect(URI) as v:
        yield v
        for name in (f"labbuilder-{LAB}-ext", f"labbuilder-{LAB}-tun"):
            v.remove_network(name)


def reservations(conn, lab):
    return virt.parse_reservations(conn.conn.networkLookupByName(lab.external.name).XMLDesc(0))


def test_reservations_follow_the_node_set(conn):
    for nodes, names in (
        (2, ["controller", "compute1"]),
        (3, ["controller", "compute1", "compute2"]),
        (2, ["controller", "compute1"]),
    ):
        lab = lab_of(nodes=nodes, lab=LAB, **SUBNETS)
        for net, res in virt.lab_networks(lab):
            conn.ensure_network(virt.network_xml(net, res, domain=lab.domain))
        assert [r.name for r in reservations(conn, lab)] == names
        assert reservations(conn, lab) == virt.lab_networks(lab)[0][1]


def test_ensure_twice_changes_nothing_and_remove_leaves_nothing(conn):
    lab = lab_of(nodes=2, lab=LAB, **SUBNETS)
    xmls = [virt.network_xml(net, res, domain=lab.domain) for net, res in virt.lab_networks(lab)]
    assert [conn.ensure_network(x) for x in xmls] == [True, True]
    assert [conn.ensure_network(x) for x in xmls] == [False, False]
    for net in (lab.external, lab.tunnel):
        bridge = virt.parse_network(conn.conn.networkLookupByName(net.name).XMLDesc(0)).bridge
        # no spanning tree: a new port (a reverted VM's) forwards at once, not after 2-4 s
        assert Path(f"/sys/class/net/{bridge}/bridge/stp_state").read_text().strip() == "0"
    assert conn.remove_network(lab.external.name) and conn.remove_network(lab.tunnel.name)
    assert leftovers(f"labbuilder-{LAB}-")["networks"] == []
