"""The lab model: layouts, addressing and every kind of bad input (table-driven)."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from labbuilder.errors import ConfigError
from labbuilder.model.lab import Role
from labbuilder.model.settings import resolve
from tests.conftest import lab_of


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (
            {"nodes": 1},
            [
                (
                    "controller",
                    "10.1.1.10",
                    "192.168.10.10",
                    {"controller", "network", "storage", "compute"},
                )
            ],
        ),
        (
            {"nodes": 3},
            [
                ("controller", "10.1.1.10", "192.168.10.10", {"controller", "network", "storage"}),
                ("compute1", "10.1.1.20", "192.168.10.20", {"compute"}),
                ("compute2", "10.1.1.21", "192.168.10.21", {"compute"}),
            ],
        ),
        (
            {"nodes": 5, "network_node": True},
            [
                ("controller", "10.1.1.10", "192.168.10.10", {"controller", "storage"}),
                ("network", "10.1.1.11", "192.168.10.11", {"network"}),
                ("compute1", "10.1.1.20", "192.168.10.20", {"compute"}),
                ("compute2", "10.1.1.21", "192.168.10.21", {"compute"}),
                ("compute3", "10.1.1.22", "192.168.10.22", {"compute"}),
            ],
        ),
        (
            {"nodes": 2, "external_subnet": "10.9.0.0/24", "tunnel_subnet": "172.30.0.0/24"},
            [
                ("controller", "10.9.0.10", "172.30.0.10", {"controller", "network", "storage"}),
                ("compute1", "10.9.0.20", "172.30.0.20", {"compute"}),
            ],
        ),
    ],
)
def test_layout(settings, expected):
    lab = lab_of(**settings)
    got = [
        (n.name, str(n.external_ip), str(n.tunnel_ip), {r.value for r in n.roles})
        for n in lab.nodes
    ]
    assert got == expected


def test_defaults_follow_the_notes():
    lab = lab_of(nodes=3)
    assert lab.external.host_ip == IPv4Address("10.1.1.1")
    assert lab.external.dhcp == (IPv4Address("10.1.1.100"), IPv4Address("10.1.1.149"))
    assert lab.floating_range == (IPv4Address("10.1.1.150"), IPv4Address("10.1.1.250"))
    assert lab.release == "epoxy"
    assert lab.neutron_backend == "ovs"
    assert lab.controller.fqdn == "controller.poc.test"
    assert [n.mac for n in lab.nodes] == [
        "52:54:00:01:01:0a",
        "52:54:00:01:01:14",
        "52:54:00:01:01:15",
    ]
    assert (lab.external.name, lab.tunnel.name) == ("labbuilder-poc-ext", "labbuilder-poc-tun")


@pytest.mark.parametrize(
    ("kvm", "nested", "driver", "driver_out", "nested_computes"),
    [
        (True, True, "auto", "kvm", True),
        (True, False, "auto", "kvm", False),
        (False, False, "auto", "qemu", False),
        (True, True, "qemu", "qemu", False),
    ],
)
def test_driver_and_nesting(kvm, nested, driver, driver_out, nested_computes):
    lab = lab_of(kvm=kvm, nested=nested, nodes=3, driver=driver)
    assert lab.driver == driver_out
    assert [n.nested for n in lab.computes] == [nested_computes] * 2
    assert lab.controller.nested is False


def test_sizes_per_kind_and_overrides():
    lab = lab_of(nodes=3, memory={"compute": 6144}, vcpus={"controller": 8})
    assert lab.controller.sizes.vcpus == 8
    assert lab.controller.sizes.memory_mib == 12288
    assert {n.sizes.memory_mib for n in lab.computes} == {6144}
    assert lab.totals.memory_mib == 12288 + 2 * 6144
    aio = lab_of(nodes=1)
    assert (aio.controller.size_key, aio.controller.sizes.memory_mib) == ("aio", 16384)


def test_test_box_is_small_and_debian():
    lab = lab_of(nodes=3, box="testbox")
    assert lab.box.name == "labbuilder/testbox"
    assert lab.box.os_family == "debian"
    assert {n.sizes.memory_mib for n in lab.nodes} == {512}


def test_services_switch():
    lab = lab_of(services={"heat": False, "swift": False})
    assert "heat" not in lab.services and "swift" not in lab.services
    assert {"nova", "keystone", "neutron"} <= lab.services


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"nodes": 0}, "at least 1 node"),
        ({"nodes": -2}, "at least 1 node"),
        (
            {
                "nodes": 300,
                "dhcp_range": "10.1.1.2-10.1.1.5",
                "floating_range": "10.1.1.6-10.1.1.9",
            },
            "does not fit",
        ),
        ({"nodes": 82}, "falls into the DHCP range"),
        ({"nodes": 1, "network_node": True}, "needs its own VM"),
        ({"nodes": 2, "network_node": True}, "leaves no compute.*use --nodes 3"),
        ({"nodes": 5, "storage_node": True}, "Packstack 26 installs Cinder and Swift"),
        ({"external_subnet": "10.1.1.0/33"}, "not an IPv4 subnet"),
        ({"external_subnet": "10.1.1.5/24"}, "not an IPv4 subnet"),
        ({"external_subnet": "banana"}, "not an IPv4 subnet"),
        ({"external_subnet": "10.1.1.0/25"}, "too small"),
        ({"tunnel_subnet": "10.1.1.0/24"}, "overlaps tunnel subnet"),
        ({"external_subnet": "10.0.0.0/16", "tunnel_subnet": "10.0.5.0/24"}, "overlaps"),
        ({"dhcp_range": "10.1.1.100"}, "not a range"),
        ({"dhcp_range": "10.1.1.149-10.1.1.100"}, "backwards"),
        ({"dhcp_range": "10.1.2.100-10.1.2.149"}, "not inside"),
        ({"floating_range": "10.1.1.120-10.1.1.200"}, "overlaps the DHCP range"),
        ({"floating_range": "10.1.1.15-10.1.1.30", "nodes": 2}, "falls into the floating-IP range"),
        ({"dhcp_range": "10.1.1.1-10.1.1.9"}, "holds the gateway"),
        ({"lab": "Bad_Name"}, "lab name"),
        ({"lab": "a" * 21}, "lab name"),
        ({"lab": 'x"; system("rm -rf /")'}, "lab name"),
        ({"lab": "lab\nname"}, "lab name"),
        ({"domain": "poc..test"}, "not a DNS name"),
        ({"domain": 'poc.test"'}, "not a DNS name"),
        ({"release": "zed"}, "unknown release"),
        ({"neutron_backend": "linuxbridge"}, "unknown Neutron backend"),
        ({"services": {"octavia": True}}, "unknown service"),
        ({"services": {"keystone": False}}, "cannot be turned off"),
        ({"memory": {"controller": 2048}}, "below the 8192 MiB"),
        ({"memory": {"aio": 4096}}, "below the 8192 MiB"),
        ({"memory": {"gpu": 4096}}, "unknown node kind"),
        ({"vcpus": {"compute": 0}}, "positive"),
        ({"box": 'evil"box'}, "box name"),
        ({"password": "short"}, "password must be"),
        ({"password": "has space in it"}, "password must be"),
        ({"password": "quote'inside"}, "password must be"),
        ({"ntp_servers": ["pool.ntp.org", "bad host!"]}, "NTP server"),
        ({"driver": "xen"}, "unknown driver"),
        ({"service_workers": 0}, "service_workers"),
    ],
)
def test_bad_input_names_problem_and_fix(settings, message):
    with pytest.raises(ConfigError, match=message) as info:
        lab_of(**settings)
    assert "\n" not in str(info.value)
    assert ":" in str(info.value)  # problem: fix


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        ([("lab.yaml", {"nodez": 3})], "unknown setting 'nodez': did you mean 'nodes'"),
        ([("lab.yaml", {"nodes": "three"})], "'nodes' must be a whole number"),
        ([("lab.yaml", {"nodes": True})], "'nodes' must be a whole number"),
        ([("lab.yaml", {"storage_node": "maybe"})], "true or false"),
        ([("lab.yaml", {"memory": [1, 2]})], "must be a mapping"),
        ([("lab.yaml", {"memory": {"compute": "lots"}})], "memory.compute"),
        ([("lab.yaml", {"release": ["epoxy"]})], "single value"),
    ],
)
def test_bad_settings_files(layers, message):
    with pytest.raises(ConfigError, match=message):
        resolve(*layers)


def test_layers_later_wins_and_mappings_merge():
    s = resolve(
        ("defaults", {"nodes": 1, "memory": {"compute": 4096}}),
        ("file", {"nodes": 3, "memory": {"controller": 9000}}),
        ("flags", {"nodes": None, "memory": {"compute": 5000}}),
    )
    assert s.nodes == 3
    assert dict(s.memory) == {"compute": 5000, "controller": 9000}


def test_roles_query():
    lab = lab_of(nodes=4, network_node=True)
    assert [n.name for n in lab.with_role(Role.NETWORK)] == ["network"]
    assert [n.name for n in lab.with_role(Role.STORAGE)] == ["controller"]
