"""OVS parsing and checks, fed ``ovs-vsctl`` output recorded from real Open vSwitch
(tests/fixtures/verify/ovs/, made by its record.sh) for the poc lab's addresses.
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface

import pytest

from labbuilder.verify import ovs
from tests.conftest import FIXTURES

OVS = FIXTURES / "verify" / "ovs"
IP = {"controller": "192.168.10.10", "compute1": "192.168.10.20", "compute2": "192.168.10.21"}


def switch(layout: str, node: str) -> ovs.Switch:
    return ovs.parse((OVS / layout / node / "ovs-vsctl-list.json").read_text())


@pytest.mark.parametrize(
    ("layout", "node", "expected"),
    [
        (
            "ovs-ok",
            "controller",
            {
                "br-ex": {"br-ex", "eth0", "phy-br-ex"},
                "br-int": {
                    "br-int",
                    "int-br-ex",
                    "patch-tun",
                    "qg-3f2a1c4d-5e",
                    "qr-7b9e0d12-34",
                    "tap5c6d7e8f-90",
                },
                "br-tun": {"br-tun", "patch-int", "vxlan-c0a80a14", "vxlan-c0a80a15"},
            },
        ),
        (
            "ovs-ok",
            "compute2",
            {
                "br-int": {"br-int", "patch-tun"},
                "br-tun": {"br-tun", "patch-int", "vxlan-c0a80a0a", "vxlan-c0a80a14"},
            },
        ),
        (
            "ovn-ok",
            "controller",
            {
                "br-ex": {"br-ex", "eth0", "patch-provnet-0b1c2d3e-to-br-int"},
                "br-int": {"br-int", "ovn-5e8f1a-0", "patch-br-int-to-provnet-0b1c2d3e"},
            },
        ),
    ],
)
def test_parse_bridges_and_ports(layout: str, node: str, expected: dict[str, set[str]]) -> None:
    parsed = switch(layout, node)
    assert {name: set(b.ports) for name, b in parsed.bridges.items()} == expected


@pytest.mark.parametrize(
    ("layout", "node", "port", "kind", "options"),
    [
        (
            "ovs-ok",
            "controller",
            "vxlan-c0a80a14",
            "vxlan",
            {
                "df_default": "true",
                "egress_pkt_mark": "0",
                "in_key": "flow",
                "local_ip": "192.168.10.10",
                "out_key": "flow",
                "remote_ip": "192.168.10.20",
            },
        ),
        (
            "ovn-ok",
            "compute1",
            "ovn-9d7c6b-0",
            "geneve",
            {"csum": "true", "key": "flow", "remote_ip": "192.168.10.10"},
        ),
        ("ovs-ok", "controller", "patch-int", "patch", {"peer": "patch-tun"}),
        ("ovs-ok", "controller", "eth0", "", {}),
        ("ovs-ok", "controller", "br-ex", "internal", {}),
    ],
)
def test_parse_interfaces(
    layout: str, node: str, port: str, kind: str, options: dict[str, str]
) -> None:
    parsed = switch(layout, node)
    bridge = parsed.bridge_of(port)
    assert bridge is not None
    (iface,) = parsed.bridges[bridge].ports[port]
    assert (iface.name, iface.type, dict(iface.options)) == (port, kind, options)


@pytest.mark.parametrize(
    ("layout", "node", "bridge", "port", "expected"),
    [
        ("ovs-ok", "controller", "br-ex", "eth0", None),
        ("ovs-ok", "controller", "br-int", "patch-tun", None),
        ("ovn-ok", "controller", "br-ex", "eth0", None),
        (
            "ovs-broken",
            "controller",
            "br-ex",
            "eth0",
            "bridge br-ex is missing (bridges: br-int, br-tun)",
        ),
        (
            "ovs-ok",
            "compute1",
            "br-ex",
            "eth0",
            "bridge br-ex is missing (bridges: br-int, br-tun)",
        ),
        ("ovs-ok", "controller", "br-int", "eth0", "eth0 is a port of br-ex, not of br-int"),
        (
            "ovs-ok",
            "controller",
            "br-ex",
            "eth9",
            "br-ex has no port eth9 (ports: br-ex, eth0, phy-br-ex)",
        ),
    ],
)
def test_port_problem(layout: str, node: str, bridge: str, port: str, expected: str | None) -> None:
    assert ovs.port_problem(switch(layout, node), bridge, port) == expected


@pytest.mark.parametrize(
    ("layout", "node", "bridge", "expected"),
    [
        ("ovs-ok", "compute1", "br-int", None),
        ("ovs-ok", "compute1", "br-tun", None),
        ("ovn-ok", "compute1", "br-tun", "bridge br-tun is missing (bridges: br-int)"),
    ],
)
def test_bridge_problem(layout: str, node: str, bridge: str, expected: str | None) -> None:
    assert ovs.bridge_problem(switch(layout, node), bridge) == expected


@pytest.mark.parametrize(
    ("layout", "node", "backend", "peer", "local", "expected"),
    [
        ("ovs-ok", "controller", "ovs", "compute1", "controller", None),
        ("ovs-ok", "controller", "ovs", "compute2", "controller", None),
        ("ovs-ok", "compute1", "ovs", "controller", "compute1", None),
        ("ovs-ok", "compute2", "ovs", "compute1", "compute2", None),
        ("ovn-ok", "compute1", "ovn", "controller", "compute1", None),
        ("ovn-ok", "controller", "ovn", "compute1", "controller", None),
        (
            "ovs-broken",
            "compute2",
            "ovs",
            "compute1",
            "compute2",
            "br-tun has no vxlan port to compute1 (remote_ip=192.168.10.20); "
            "vxlan ports: vxlan-c0a80a0a -> 192.168.10.10, vxlan-c0a80a63 -> 192.168.10.99",
        ),
        (
            "ovs-ok",
            "compute1",
            "ovs",
            "controller",
            "compute2",
            "vxlan port vxlan-c0a80a0a to controller has local_ip=192.168.10.20, "
            "expected 192.168.10.21 (this node's tunnel address)",
        ),
        (
            "ovn-ok",
            "controller",
            "ovn",
            "compute2",
            "controller",
            "br-int has no geneve port to compute2 (remote_ip=192.168.10.21); "
            "geneve ports: ovn-5e8f1a-0 -> 192.168.10.20",
        ),
        (
            "ovn-ok",
            "compute1",
            "ovs",
            "controller",
            "compute1",
            "bridge br-tun is missing (bridges: br-int)",
        ),
    ],
)
def test_tunnel_problem(
    layout: str, node: str, backend: str, peer: str, local: str, expected: str | None
) -> None:
    problem = ovs.tunnel_problem(
        switch(layout, node),
        ovs.TUNNELS[backend],
        peer,
        IPv4Address(IP[peer]),
        IPv4Address(IP[local]),
    )
    assert problem == expected


@pytest.mark.parametrize(
    ("layout", "node", "peers", "expected"),
    [
        ("ovs-ok", "controller", ["compute1", "compute2"], None),
        (
            "ovs-broken",
            "compute2",
            ["controller", "compute1"],
            "br-tun has vxlan port(s) to no other lab node: vxlan-c0a80a63 -> 192.168.10.99",
        ),
        (
            "ovs-ok",
            "controller",
            ["compute1"],
            "br-tun has vxlan port(s) to no other lab node: vxlan-c0a80a15 -> 192.168.10.21",
        ),
    ],
)
def test_stray_tunnels_problem(
    layout: str, node: str, peers: list[str], expected: str | None
) -> None:
    peer_ips = [IPv4Address(IP[p]) for p in peers]
    assert ovs.stray_tunnels_problem(switch(layout, node), ovs.TUNNELS["ovs"], peer_ips) == expected


def test_two_ports_to_one_peer_are_named() -> None:
    """A second vxlan port to compute1 (a duplicate left behind) is reported with both names."""
    text = (OVS / "ovs-ok" / "controller" / "ovs-vsctl-list.json").read_text()
    doubled = text.replace('"remote_ip","192.168.10.21"', '"remote_ip","192.168.10.20"')
    problem = ovs.tunnel_problem(
        ovs.parse(doubled),
        ovs.TUNNELS["ovs"],
        "compute1",
        IPv4Address(IP["compute1"]),
        IPv4Address(IP["controller"]),
    )
    assert (
        problem
        == "br-tun has 2 vxlan ports to compute1 (remote_ip=192.168.10.20): vxlan-c0a80a14, vxlan-c0a80a15"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "expected 3 ovs-vsctl tables, got 0"),
        ('{"data":[],"headings":["name","ports"]}', "expected 3 ovs-vsctl tables, got 1"),
    ],
)
def test_parse_rejects_partial_output(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ovs.parse(text)


BOOT = FIXTURES / "verify" / "boot"
EXTERNAL = IPv4Interface("10.1.1.10/24")


def boot(name: str, drop: str = "") -> ovs.BootConfig:
    lines = (BOOT / name).read_text().splitlines()
    return ovs.parse_boot("\n".join(line for line in lines if not drop or line != drop))


def test_parse_boot() -> None:
    parsed = boot("after-takeover.txt")
    assert parsed.rc3 == ("S10network",)
    assert parsed.ifcfg["eth0"] == {
        "DEVICE": "eth0",
        "NAME": "eth0",
        "DEVICETYPE": "ovs",
        "TYPE": "OVSPort",
        "OVS_BRIDGE": "br-ex",
        "ONBOOT": "yes",
        "BOOTPROTO": "none",
    }
    assert parsed.ifcfg["br-ex"] is not None
    assert parsed.ifcfg["br-ex"]["OVS_EXTRA"] == "set bridge br-ex fail_mode=standalone"
    assert boot("before-takeover.txt").ifcfg["br-ex"] is None


@pytest.mark.parametrize(
    ("name", "drop", "address", "problem"),
    [
        ("after-takeover.txt", "", EXTERNAL, None),
        (
            "after-takeover.txt",
            "S10network",
            EXTERNAL,
            "the legacy network service is not enabled (no S*network in /etc/rc.d/rc3.d), so "
            "nothing brings br-ex up at boot: systemctl enable network",
        ),
        (
            "after-takeover.txt",
            "",
            IPv4Interface("10.1.1.11/24"),
            "ifcfg-br-ex gives 10.1.1.10/24, not the external address 10.1.1.11/24",
        ),
        (
            "after-takeover.txt",
            "ONBOOT=yes",
            EXTERNAL,
            "ifcfg-br-ex has ONBOOT=(unset): br-ex stays down after a reboot",
        ),
        (
            "after-takeover.txt",
            "OVS_BRIDGE=br-ex",
            EXTERNAL,
            "ifcfg-eth0 does not make eth0 a port of br-ex (TYPE=OVSPort, OVS_BRIDGE=(unset))",
        ),
        ("before-takeover.txt", "", EXTERNAL, "no ifcfg-br-ex: nothing brings br-ex back at boot"),
        (
            "dhcp-template.txt",
            "",
            EXTERNAL,
            "ifcfg-br-ex gives (none)/?, not the external address 10.1.1.10/24",
        ),
    ],
)
def test_boot_problem(name: str, drop: str, address: IPv4Interface, problem: str | None) -> None:
    assert ovs.boot_problem(boot(name, drop), "br-ex", "eth0", address) == problem
