"""The test cloud as a lab (``labbuilder.model.testcloud``), the Debian service names the
suites use for it, and the init-agnostic unit probe (run for real with /bin/sh on this host).
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from labbuilder import state
from labbuilder.commands import testcloud as commands_testcloud
from labbuilder.model import testcloud
from labbuilder.render import inventory
from labbuilder.verify import expected, hostcheck, labinfo

LAB = testcloud.plan()


def test_one_node_with_every_role_on_its_own_subnets() -> None:
    (node,) = LAB.nodes
    assert (node.name, node.fqdn, sorted(r.value for r in node.roles)) == (
        "controller",
        "controller.testcloud.test",
        ["compute", "controller", "network", "storage"],
    )
    assert (str(node.external_ip), str(node.tunnel_ip), str(LAB.external.host_ip)) == (
        "10.199.1.10",
        "192.168.199.10",
        "10.199.1.1",
    )
    assert sorted(LAB.services) == ["glance", "keystone", "neutron", "nova"]
    assert (LAB.release, LAB.neutron_backend) == ("epoxy", "ovs")


def test_environment_of_the_bring_up() -> None:
    env = testcloud.Cloud(LAB, "pw", "ssh-ed25519 AAAA key").environment()
    assert env == {
        "TC_FQDN": "controller.testcloud.test",
        "TC_IP": "10.199.1.10",
        "TC_PREFIX": "24",
        "TC_GATEWAY": "10.199.1.1",
        "TC_TUNNEL_IP": "192.168.199.10",
        "TC_TUNNEL_PREFIX": "24",
        "TC_PASSWORD": "pw",
        "TC_HOST_LINK": "lb-testcloud",
        "TC_AUTHORIZED_KEY": "ssh-ed25519 AAAA key",
    }


def test_ssh_config_names_the_node_both_ways() -> None:
    text = testcloud.ssh_config(LAB, Path("/labs/testcloud/id_ed25519"))
    assert text.splitlines()[:4] == [
        "Host controller controller.testcloud.test",
        "  HostName 10.199.1.10",
        "  User root",
        "  IdentityFile /labs/testcloud/id_ed25519",
    ]


def test_state_says_deployed() -> None:
    now = datetime(2026, 1, 2, tzinfo=UTC)
    st = state.loads(state.dumps(commands_testcloud.deployed_state(LAB, 123.4, now)), "state.json")
    assert (st.reached, st.nodes, st.stages["deploy"].seconds) == ("deploy", ("controller",), 123.4)


def test_cache_key_changes_with_any_part() -> None:
    keys = {testcloud.cache_key(p) for p in ([b"a", b"b"], [b"ab"], [b"a", b"c"], [b"b", b"a"])}
    assert len(keys) == 4
    assert testcloud.cache_key([b"a", b"b"]) == testcloud.cache_key([b"a", b"b"])


def lab_info(packaging: str | None) -> labinfo.LabInfo:
    data = inventory.to_data(LAB)
    if packaging is not None:
        data["packaging"] = packaging
    return labinfo.parse(json.loads(json.dumps(data)))


@pytest.mark.parametrize(
    ("packaging", "units"),
    [
        (
            None,
            {
                "mariadb": ("mariadb",), "httpd": ("httpd",),
                "nova-compute": ("openstack-nova-compute",),
                "libvirt": ("libvirtd", "virtqemud"), "neutron-server": ("neutron-server",),
                "openvswitch": ("openvswitch",), "l3-agent": ("neutron-l3-agent",),
            },
        ),
        (
            "debian",
            {
                "mariadb": ("mariadb",), "nova-compute": ("nova-compute",),
                "libvirt": ("libvirtd", "virtqemud"), "neutron-server": ("neutron-api",),
                "openvswitch": ("openvswitch-switch",), "l3-agent": ("neutron-l3-agent",),
                "keystone": ("keystone",), "neutron-rpc-server": ("neutron-rpc-server",),
                "nova-metadata": ("nova-api-metadata",),
            },
        ),
    ],
)  # fmt: skip
def test_unit_names_follow_the_packaging(
    packaging: str | None, units: dict[str, tuple[str, ...]]
) -> None:
    found = {u.label: u.units for u in expected.units(lab_info(packaging))}
    assert {label: found.get(label) for label in units} == units
    assert ("httpd" in found) is (packaging is None)


def test_unit_probe_without_systemd_reports_each_unit() -> None:
    """On this host (no systemd): no init script and no such process -> inactive."""
    command = hostcheck.unit_states_command(["no-such-unit-a", "no such unit b"])
    out = subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True).stdout
    if Path("/run/systemd/system").is_dir():
        pytest.skip("this host runs systemd: the probe asks systemctl")
    assert hostcheck.parse_unit_states(["a", "b"], out) == {"a": "inactive", "b": "inactive"}
