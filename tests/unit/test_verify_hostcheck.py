"""Node checks (addresses, names, units, sockets) fed output recorded from real tools:
``ip -j -4 addr`` from the OVS recordings' namespaces, ``ss -Htln`` and ``getent`` from a
Debian 12 host (tests/fixtures/verify/host/).
"""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface

import pytest

from labbuilder.verify import hostcheck, labinfo
from tests.conftest import FIXTURES

VERIFY_FIXTURES = FIXTURES / "verify"
LAB = labinfo.load(VERIFY_FIXTURES / "inventory-poc-3nodes.json")


def addrs(layout: str, node: str) -> dict[str, tuple[IPv4Interface, ...]]:
    return hostcheck.parse_ip_addr(
        (VERIFY_FIXTURES / "ovs" / layout / node / "ip-addr.json").read_text()
    )


@pytest.mark.parametrize(
    ("layout", "node", "expected"),
    [
        (
            "ovs-ok",
            "controller",
            {
                "lo": (IPv4Interface("127.0.0.1/8"),),
                "eth1": (IPv4Interface("192.168.10.10/24"),),
                "br-ex": (IPv4Interface("10.1.1.10/24"),),
            },
        ),
        (
            "ovs-ok",
            "compute1",
            {
                "lo": (IPv4Interface("127.0.0.1/8"),),
                "eth0": (IPv4Interface("10.1.1.20/24"),),
                "eth1": (IPv4Interface("192.168.10.20/24"),),
            },
        ),
    ],
)
def test_parse_ip_addr(
    layout: str, node: str, expected: dict[str, tuple[IPv4Interface, ...]]
) -> None:
    assert addrs(layout, node) == expected


@pytest.mark.parametrize(
    ("layout", "node", "deployed", "expected"),
    [
        ("ovs-ok", "controller", True, None),
        ("ovs-ok", "compute1", True, None),
        ("ovs-ok", "compute1", False, None),
        ("ovs-ok", "controller", False, "10.1.1.10/24 is on br-ex, not on eth0"),
        ("ovs-broken", "controller", True, "10.1.1.10/24 is on eth0, not on br-ex"),
    ],
)
def test_external_address(layout: str, node: str, deployed: bool, expected: str | None) -> None:
    lab_node = LAB.node(node)
    assert lab_node is not None
    device = hostcheck.external_device(lab_node, deployed)
    assert hostcheck.address_problem(addrs(layout, node), device, lab_node.external) == expected


@pytest.mark.parametrize(
    ("device", "wanted", "expected"),
    [
        ("eth1", "192.168.10.20/24", None),
        (
            "eth1",
            "192.168.10.20/16",
            "eth1 has 192.168.10.20/24, expected 192.168.10.20/16 (wrong prefix length)",
        ),
        ("eth1", "192.168.10.99/24", "eth1 has 192.168.10.20/24, expected 192.168.10.99/24"),
        ("eth2", "192.168.10.99/24", "eth2 has no IPv4 address, expected 192.168.10.99/24"),
    ],
)
def test_address_problem(device: str, wanted: str, expected: str | None) -> None:
    assert (
        hostcheck.address_problem(addrs("ovs-ok", "compute1"), device, IPv4Interface(wanted))
        == expected
    )


def test_parse_getent_keeps_resolver_order_once() -> None:
    text = (VERIFY_FIXTURES / "host" / "getent-ahostsv4-localhost.txt").read_text()
    assert hostcheck.parse_getent(text) == (IPv4Address("127.0.0.1"),)


@pytest.mark.parametrize(
    ("found", "expected"),
    [
        ([IPv4Address("10.1.1.20")], None),
        ([], "compute1.poc.test does not resolve, expected 10.1.1.20"),
        (
            [IPv4Address("127.0.1.1"), IPv4Address("10.1.1.20")],
            "compute1.poc.test resolves to 127.0.1.1, expected 10.1.1.20",
        ),
    ],
)
def test_resolve_problem(found: list[IPv4Address], expected: str | None) -> None:
    assert (
        hostcheck.resolve_problem("compute1.poc.test", found, IPv4Address("10.1.1.20")) == expected
    )


@pytest.mark.parametrize(
    ("reported", "expected"),
    [
        ("controller.poc.test\n", None),
        ("controller\n", "hostname is 'controller', expected 'controller.poc.test'"),
        ("", "hostname is '(empty)', expected 'controller.poc.test'"),
    ],
)
def test_hostname_problem(reported: str, expected: str | None) -> None:
    assert hostcheck.hostname_problem(reported, "controller.poc.test") == expected


def test_parse_listening() -> None:
    text = (VERIFY_FIXTURES / "host" / "ss-Htln.txt").read_text()
    listening = hostcheck.parse_listening(text)
    assert listening[3306] == ("0.0.0.0",)
    assert listening[5000] == ("127.0.0.1",)
    assert listening[9292] == ("*",)
    assert listening[53] == ("192.168.131.1", "10.31.1.1", "10.77.2.1", "10.77.1.1")


@pytest.mark.parametrize(
    ("label", "port", "expected"),
    [
        ("glance", 9292, None),
        ("mariadb", 3306, None),
        ("keystone", 5000, "TCP 5000 (keystone) listens only on loopback (127.0.0.1)"),
        (
            "neutron",
            9696,
            "nothing listens on TCP 9696 (neutron); listening ports: 53, 2024, 3306, 5000, 9292",
        ),
    ],
)
def test_socket_problem(label: str, port: int, expected: str | None) -> None:
    listening = hostcheck.parse_listening((VERIFY_FIXTURES / "host" / "ss-Htln.txt").read_text())
    assert hostcheck.socket_problem(label, port, listening) == expected


@pytest.mark.parametrize(
    ("label", "units", "text", "expected"),
    [
        ("time sync", ("chronyd",), "active\n", None),
        ("libvirt", ("libvirtd", "virtqemud"), "inactive\nactive\n", None),
        (
            "libvirt",
            ("libvirtd", "virtqemud"),
            "inactive\nfailed\n",
            "libvirt is not running: libvirtd is inactive, virtqemud is failed",
        ),
        ("libvirt", ("libvirtd",), "", "libvirt is not running: libvirtd is unknown"),
    ],
)
def test_unit_problem(label: str, units: tuple[str, ...], text: str, expected: str | None) -> None:
    assert hostcheck.unit_problem(label, hostcheck.parse_unit_states(units, text)) == expected


TESTBOX = VERIFY_FIXTURES / "testbox"
TESTBOX_LAB = labinfo.load(TESTBOX / "inventory.json")


@pytest.mark.parametrize(("node", "device"), [("controller", "eth0"), ("controller", "eth1")])
def test_testbox_addresses_match_the_plan(node: str, device: str) -> None:
    planned = TESTBOX_LAB.node(node)
    assert planned is not None
    wanted = planned.external if device == "eth0" else planned.tunnel
    found = hostcheck.parse_ip_addr((TESTBOX / "ip-addr.json").read_text())
    assert hostcheck.address_problem(found, device, wanted) is None


def test_testbox_names() -> None:
    assert (
        hostcheck.hostname_problem((TESTBOX / "hostname.txt").read_text(), "controller.itest.test")
        is None
    )
    found = hostcheck.parse_getent((TESTBOX / "getent-ahostsv4-compute1.txt").read_text())
    assert (
        hostcheck.resolve_problem("compute1.itest.test", found, IPv4Address("10.61.1.20")) is None
    )


@pytest.mark.parametrize(
    ("fixture", "units"),
    [
        ("systemctl-failed.txt", ()),
        (
            "systemctl-running.txt",
            (
                "chrony.service", "dbus.service", "getty@tty1.service", "labbuilder-packstack-3.service",
                "ovs-vswitchd.service", "ovsdb-server.service", "serial-getty@ttyS0.service",
                "ssh.service", "systemd-journald.service", "systemd-logind.service",
                "systemd-networkd.service", "systemd-resolved.service", "systemd-udevd.service",
            ),
        ),
    ],
)  # fmt: skip
def test_parse_failed_units(fixture: str, units: tuple[str, ...]) -> None:
    """``systemctl list-units --plain --no-legend`` from the test box (failed: none; running)."""
    assert hostcheck.parse_failed_units((TESTBOX / fixture).read_text()) == units


@pytest.mark.parametrize(
    ("units", "expected"),
    [
        ((), None),
        (
            ("a.service", "b.mount"),
            "2 failed unit(s): a.service, b.mount (see `systemctl status UNIT`)",
        ),
    ],
)
def test_failed_units_problem(units: tuple[str, ...], expected: str | None) -> None:
    assert hostcheck.failed_units_problem(units) == expected


@pytest.mark.parametrize(
    ("fixture", "units", "expected"),
    [
        ("systemctl-is-active-chrony.txt", ("chrony", "chronyd"), None),
        (
            "systemctl-is-active-missing.txt",
            ("openstack-nova-compute", "libvirtd"),
            "nova is not running: openstack-nova-compute is inactive, libvirtd is inactive",
        ),
    ],
)
def test_testbox_unit_states(fixture: str, units: tuple[str, ...], expected: str | None) -> None:
    states = hostcheck.parse_unit_states(units, (TESTBOX / fixture).read_text())
    assert hostcheck.unit_problem("nova", states) == expected


def test_testbox_listening() -> None:
    listening = hostcheck.parse_listening((TESTBOX / "ss-Htln.txt").read_text())
    assert listening == {
        53: ("127.0.0.54", "127.0.0.53"),
        5355: ("0.0.0.0", "[::]"),
        22: ("0.0.0.0", "[::]"),
    }
    assert (
        hostcheck.socket_problem("dns", 53, listening)
        == "TCP 53 (dns) listens only on loopback (127.0.0.54, 127.0.0.53)"
    )
    assert hostcheck.socket_problem("ssh", 22, listening) is None
