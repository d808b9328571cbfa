"""Open vSwitch on the nodes running Neutron's data plane: br-int everywhere, br-ex with eth0
and the external address on network nodes, one tunnel port per other node.

Run after a restart (``invoke verify`` once the nodes are back), the br-ex checks say whether
br-ex came back holding eth0 and the external address; on CentOS Stream 9 a further check reads
what brings it back at boot (the ifcfg files and the legacy network service).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from testinfra.host import Host

from labbuilder.verify import hostcheck, labinfo, ovs
from labbuilder.verify.labinfo import LabNode

LAB = labinfo.from_env()
TUNNELS = ovs.TUNNELS[LAB.neutron_backend]

testinfra_hosts = LAB.hosts(*labinfo.DATAPLANE_ROLES)
pytestmark = pytest.mark.deployed


@dataclass(frozen=True)
class Peer:
    """Another data-plane node this node must have a tunnel to."""

    node: LabNode

    def applies_to(self, node: LabNode) -> bool:
        return node.name != self.node.name

    def __str__(self) -> str:
        return self.node.name


@pytest.fixture(scope="module")
def switch(host: Host, node: LabNode) -> ovs.Switch:
    return ovs.parse(host.check_output(ovs.LIST_COMMAND))


def test_br_int(switch: ovs.Switch) -> None:
    problem = ovs.bridge_problem(switch, "br-int")
    assert problem is None, problem


@pytest.mark.roles("network")
def test_br_ex_holds_eth0(switch: ovs.Switch) -> None:
    problem = ovs.port_problem(switch, hostcheck.EXTERNAL_BRIDGE, hostcheck.EXTERNAL_NIC)
    assert problem is None, problem


@pytest.mark.roles("network")
def test_external_address_on_br_ex(host: Host, node: LabNode) -> None:
    addrs = hostcheck.parse_ip_addr(host.check_output(hostcheck.IP_ADDR))
    problem = hostcheck.address_problem(addrs, hostcheck.EXTERNAL_BRIDGE, node.external)
    assert problem is None, problem


@pytest.mark.roles("network")
def test_br_ex_comes_back_at_boot(host: Host, node: LabNode) -> None:
    if LAB.os_family != "el9":
        pytest.skip(f"only CentOS Stream 9 boxes keep br-ex in ifcfg files (box: {LAB.os_family})")
    boot = ovs.parse_boot(host.check_output(ovs.BOOT_COMMAND))
    problem = ovs.boot_problem(
        boot, hostcheck.EXTERNAL_BRIDGE, hostcheck.EXTERNAL_NIC, node.external
    )
    assert problem is None, problem


@pytest.mark.backend("ovs")
def test_br_tun(switch: ovs.Switch) -> None:
    problem = ovs.bridge_problem(switch, "br-tun")
    assert problem is None, problem


@pytest.mark.parametrize("peer", [Peer(n) for n in LAB.dataplane], ids=str)
def test_tunnel_to_peer(switch: ovs.Switch, node: LabNode, peer: Peer) -> None:
    problem = ovs.tunnel_problem(
        switch, TUNNELS, peer.node.name, peer.node.tunnel_ip, node.tunnel_ip
    )
    assert problem is None, problem


def test_no_stray_tunnels(switch: ovs.Switch, node: LabNode) -> None:
    problem = ovs.stray_tunnels_problem(switch, TUNNELS, LAB.tunnel_peers(node))
    assert problem is None, problem
