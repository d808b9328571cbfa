"""The OVS checks against real Open vSwitch on this host, read through testinfra's local
backend exactly as the ovs suite reads a node over SSH.

A fixture lays the bridges out the way Neutron's OVS agent does on a network node (br-ex
holding the external NIC and the external address, br-int, br-tun with one vxlan port per
other node), with the userspace datapath; a veth named ``lbt-eth0`` stands for eth0 and
documentation addresses stand for the lab's. Each test then removes one piece and the checks
must name exactly that piece. Skipped without ovs-vsctl; starts (and afterwards stops) the
OVS daemons when they are not running; refuses to touch bridges it did not create.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from ipaddress import IPv4Address, IPv4Interface

import pytest
import testinfra
from testinfra.host import Host

from labbuilder.verify import hostcheck, ovs

pytestmark = pytest.mark.ovs

NIC = "lbt-eth0"
EXTERNAL = IPv4Interface("203.0.113.10/24")
LOCAL = IPv4Address("198.51.100.10")
PEERS = {"compute1": IPv4Address("198.51.100.20"), "compute2": IPv4Address("198.51.100.21")}
BRIDGES = ("br-ex", "br-int", "br-tun")
TUNNELS = ovs.TUNNELS["ovs"]


def sh(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, check=check, capture_output=True, text=True, timeout=30)


def vsctl(*args: str) -> None:
    sh("ovs-vsctl", "--timeout=10", *args)


def vxlan_name(ip: IPv4Address) -> str:
    return "vxlan-" + "".join(f"{int(octet):02x}" for octet in str(ip).split("."))


@pytest.fixture(scope="module")
def switchd() -> Iterator[None]:
    if shutil.which("ovs-vsctl") is None:
        pytest.skip("ovs-vsctl is not installed (apt-get install openvswitch-switch)")
    started = sh("ovs-vsctl", "--timeout=2", "show", check=False).returncode != 0
    if started:
        sh("service", "openvswitch-switch", "start")
    taken = [b for b in BRIDGES if sh("ovs-vsctl", "br-exists", b, check=False).returncode == 0]
    if taken or sh("ip", "link", "show", NIC, check=False).returncode == 0:
        pytest.skip(f"{', '.join(taken) or NIC} already exist on this host: not ours to change")
    yield
    if started:
        sh("ovs-appctl", "-t", "ovs-vswitchd", "exit", check=False)
        sh("ovs-appctl", "-t", "ovsdb-server", "exit", check=False)


def add_bridge(name: str) -> None:
    vsctl("add-br", name, "--", "set", "bridge", name, "datapath_type=netdev", "fail_mode=secure")


def add_patch(bridge: str, port: str, peer: str) -> None:
    vsctl(
        "add-port",
        bridge,
        port,
        "--",
        "set",
        "interface",
        port,
        "type=patch",
        f"options:peer={peer}",
    )


def add_vxlan(remote: IPv4Address) -> None:
    name = vxlan_name(remote)
    vsctl(
        "add-port", "br-tun", name, "--", "set", "interface", name, "type=vxlan",
        "options:df_default=true", "options:in_key=flow", "options:out_key=flow",
        f"options:local_ip={LOCAL}", f"options:remote_ip={remote}",
    )  # fmt: skip


@pytest.fixture
def layout(switchd: None) -> Iterator[None]:
    """A network node's bridges as the OVS agent leaves them."""
    sh("ip", "link", "add", NIC, "type", "veth", "peer", "name", f"{NIC}p")
    try:
        for bridge in BRIDGES:
            add_bridge(bridge)
        vsctl("add-port", "br-ex", NIC)
        add_patch("br-ex", "phy-br-ex", "int-br-ex")
        add_patch("br-int", "int-br-ex", "phy-br-ex")
        add_patch("br-int", "patch-tun", "patch-int")
        add_patch("br-tun", "patch-int", "patch-tun")
        for remote in PEERS.values():
            add_vxlan(remote)
        sh("ip", "link", "set", "br-ex", "up")
        sh("ip", "addr", "add", str(EXTERNAL), "dev", "br-ex")
        yield
    finally:
        for bridge in BRIDGES:
            sh("ovs-vsctl", "--timeout=10", "--if-exists", "del-br", bridge, check=False)
        sh("ip", "link", "del", NIC, check=False)


@pytest.fixture
def host() -> Host:
    return testinfra.get_host("local://")


def problems(host: Host) -> list[str]:
    """Every check of the ovs suite for this node, as the suite runs them."""
    switch = ovs.parse(host.check_output(ovs.LIST_COMMAND))
    addrs = hostcheck.parse_ip_addr(host.check_output(hostcheck.IP_ADDR))
    found = [
        ovs.bridge_problem(switch, "br-int"),
        ovs.bridge_problem(switch, "br-tun"),
        ovs.port_problem(switch, "br-ex", NIC),
        hostcheck.address_problem(addrs, "br-ex", EXTERNAL),
        ovs.stray_tunnels_problem(switch, TUNNELS, PEERS.values()),
        *(ovs.tunnel_problem(switch, TUNNELS, name, ip, LOCAL) for name, ip in PEERS.items()),
    ]
    return [p for p in found if p is not None]


def test_layout_passes(layout: None, host: Host) -> None:
    assert problems(host) == []


def move_nic_to_br_int() -> None:
    vsctl("del-port", "br-ex", NIC)
    vsctl("add-port", "br-int", NIC)


def leave_address_on_nic() -> None:
    sh("ip", "addr", "del", str(EXTERNAL), "dev", "br-ex")
    sh("ip", "addr", "add", str(EXTERNAL), "dev", NIC)


BREAKS: list[tuple[str, Callable[[], None], list[str]]] = [
    (
        "no-br-ex",
        lambda: vsctl("del-br", "br-ex"),
        [
            "bridge br-ex is missing (bridges: br-int, br-tun)",
            f"br-ex has no IPv4 address, expected {EXTERNAL}",
        ],
    ),
    (
        "no-eth0-port",
        lambda: vsctl("del-port", "br-ex", NIC),
        [f"br-ex has no port {NIC} (ports: br-ex, phy-br-ex)"],
    ),
    ("eth0-on-br-int", move_nic_to_br_int, [f"{NIC} is a port of br-int, not of br-ex"]),
    (
        "no-vxlan-to-compute2",
        lambda: vsctl("del-port", "br-tun", vxlan_name(PEERS["compute2"])),
        [
            "br-tun has no vxlan port to compute2 (remote_ip=198.51.100.21); "
            "vxlan ports: vxlan-c6336414 -> 198.51.100.20"
        ],
    ),
    (
        "stray-vxlan",
        lambda: add_vxlan(IPv4Address("198.51.100.99")),
        ["br-tun has vxlan port(s) to no other lab node: vxlan-c6336463 -> 198.51.100.99"],
    ),
    (
        "no-br-tun",
        lambda: vsctl("del-br", "br-tun"),
        ["bridge br-tun is missing (bridges: br-ex, br-int)"] * 3,
    ),
    ("address-left-on-nic", leave_address_on_nic, [f"{EXTERNAL} is on {NIC}, not on br-ex"]),
]


@pytest.mark.parametrize(
    ("damage", "expected"), [(b[1], b[2]) for b in BREAKS], ids=[b[0] for b in BREAKS]
)
def test_missing_piece_is_named(
    layout: None, host: Host, damage: Callable[[], None], expected: list[str]
) -> None:
    damage()
    assert problems(host) == expected
