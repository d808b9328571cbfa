"""Every node: planned addresses, FQDN hostname, the lab's names resolve, time sync, no
failed units. Runs from stage provision on (no OpenStack needed).
"""

from __future__ import annotations

import shlex

import pytest
from testinfra.host import Host

from labbuilder.verify import hostcheck, labinfo
from labbuilder.verify.labinfo import LabNode

LAB = labinfo.from_env()
DEPLOYED = labinfo.stage_from_env() == labinfo.DEPLOYED
TIME_SYNC_UNITS = {"el9": ("chronyd",), "debian": ("chrony", "chronyd")}

testinfra_hosts = LAB.hosts()


def test_external_address(host: Host, node: LabNode) -> None:
    addrs = hostcheck.parse_ip_addr(host.check_output(hostcheck.IP_ADDR))
    device = hostcheck.external_device(node, DEPLOYED)
    problem = hostcheck.address_problem(addrs, device, node.external)
    assert problem is None, problem


def test_tunnel_address(host: Host, node: LabNode) -> None:
    addrs = hostcheck.parse_ip_addr(host.check_output(hostcheck.IP_ADDR))
    problem = hostcheck.address_problem(addrs, hostcheck.TUNNEL_NIC, node.tunnel)
    assert problem is None, problem


def test_hostname_is_fqdn(host: Host, node: LabNode) -> None:
    problem = hostcheck.hostname_problem(host.check_output("hostname"), node.fqdn)
    assert problem is None, problem


@pytest.mark.parametrize("peer", LAB.nodes, ids=[n.name for n in LAB.nodes])
def test_resolves_lab_name(host: Host, node: LabNode, peer: LabNode) -> None:
    """Every lab FQDN, this node's own included, resolves to the node's external address."""
    out = host.run("getent ahostsv4 %s", peer.fqdn).stdout
    problem = hostcheck.resolve_problem(peer.fqdn, hostcheck.parse_getent(out), peer.external_ip)
    assert problem is None, problem


def test_time_sync_active(host: Host, node: LabNode) -> None:
    units = TIME_SYNC_UNITS.get(LAB.os_family, ("chronyd", "chrony"))
    out = host.run(shlex.join(["systemctl", "is-active", *units])).stdout
    problem = hostcheck.unit_problem("time sync", hostcheck.parse_unit_states(units, out))
    assert problem is None, problem


def test_no_failed_units(host: Host, node: LabNode) -> None:
    units = hostcheck.parse_failed_units(host.check_output(hostcheck.FAILED_UNITS))
    problem = hostcheck.failed_units_problem(units)
    assert problem is None, problem
