"""What the suites expect of a lab: hosts per role, units, ports, catalog entries, agents,
read from inventory.json files written by labbuilder's own planner; plus check naming.
"""

from __future__ import annotations

from ipaddress import IPv4Interface
from pathlib import Path

import pytest

from labbuilder.errors import StateError
from labbuilder.model import planner
from labbuilder.model.settings import resolve
from labbuilder.render import inventory
from labbuilder.verify import expected, labinfo, naming
from tests.conftest import FIXTURES

VERIFY_FIXTURES = FIXTURES / "verify"
POC = labinfo.load(VERIFY_FIXTURES / "inventory-poc-3nodes.json")
AIO = labinfo.load(VERIFY_FIXTURES / "inventory-aio-ovn.json")
KS = labinfo.load(VERIFY_FIXTURES / "inventory-ks-keystone-only.json")


def test_inventory_read_back() -> None:
    controller = POC.node("controller.poc.test")
    assert controller is not None
    assert (POC.name, POC.neutron_backend, POC.os_family, AIO.os_family) == (
        "poc",
        "ovs",
        "el9",
        "debian",
    )
    assert (controller.name, controller.external, controller.tunnel) == (
        "controller",
        IPv4Interface("10.1.1.10/24"),
        IPv4Interface("192.168.10.10/24"),
    )
    assert [str(a) for a in POC.floating] == ["10.1.1.150", "10.1.1.250"]


@pytest.mark.parametrize(
    ("lab", "roles", "hosts"),
    [
        (POC, (), ["ssh://controller", "ssh://compute1", "ssh://compute2"]),
        (POC, ("controller",), ["ssh://controller"]),
        (POC, ("network", "compute"), ["ssh://controller", "ssh://compute1", "ssh://compute2"]),
        (POC, ("storage",), ["ssh://controller"]),
        (AIO, ("compute",), ["ssh://controller"]),
    ],
)
def test_hosts(lab: labinfo.LabInfo, roles: tuple[str, ...], hosts: list[str]) -> None:
    assert lab.hosts(*roles) == hosts


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("{", "is damaged: run `invoke render` for this lab again"),
        ('{"lab": "x"}', "is damaged: run `invoke render` for this lab again"),
    ],
)
def test_damaged_inventory(tmp_path: Path, data: str, message: str) -> None:
    path = tmp_path / "inventory.json"
    path.write_text(data)
    with pytest.raises(StateError, match=message):
        labinfo.load(path)


def test_missing_inventory_and_env(tmp_path: Path) -> None:
    with pytest.raises(StateError, match="not found: run `invoke up` for this lab first"):
        labinfo.load(tmp_path / "nope.json")
    with pytest.raises(StateError, match="LABBUILDER_INVENTORY is not set"):
        labinfo.from_env({})


@pytest.mark.parametrize(
    ("stage", "reason"),
    [
        ("deploy", None),
        (
            "provision",
            "OpenStack is not deployed on lab poc (recorded stage: provision): run `invoke up` to deploy it",
        ),
    ],
)
def test_not_deployed_reason(stage: str, reason: str | None) -> None:
    assert labinfo.not_deployed_reason("poc", stage) == reason


def units_on(lab: labinfo.LabInfo, node: str) -> list[str]:
    found = lab.node(node)
    assert found is not None
    return [u.label for u in expected.units(lab) if u.applies_to(found)]


@pytest.mark.parametrize(
    ("lab", "node", "labels"),
    [
        (
            POC,
            "compute1",
            ["nova-compute", "libvirt", "openvswitch", "ovs-agent", "ceilometer-compute"],
        ),
        (KS, "controller", ["mariadb", "rabbitmq", "memcached", "httpd", "neutron-server", "openvswitch", "ovs-agent", "l3-agent", "dhcp-agent", "metadata-agent"]),
        (
            AIO,
            "controller",
            [
                "mariadb", "rabbitmq", "memcached", "httpd", "nova-scheduler", "nova-conductor",
                "nova-novncproxy", "nova-compute", "libvirt", "neutron-server", "openvswitch",
                "ovn-northd", "ovn-controller", "ovn-metadata-agent", "cinder-scheduler",
                "cinder-volume", "cinder-backup", "swift-proxy", "swift-account",
                "swift-container", "swift-object", "heat-engine", "ceilometer-notification",
                "ceilometer-central", "ceilometer-compute", "gnocchi-metricd", "aodh-evaluator",
                "aodh-notifier", "aodh-listener", "redis",
            ],
        ),
    ],
)  # fmt: skip
def test_units_per_node(lab: labinfo.LabInfo, node: str, labels: list[str]) -> None:
    assert units_on(lab, node) == labels


@pytest.mark.parametrize(
    ("lab", "ports"),
    [
        (KS, [5000, 3306, 5672, 9696]),
        (
            POC,
            [
                5000,
                3306,
                5672,
                9292,
                8774,
                8775,
                8778,
                6080,
                9696,
                8776,
                8080,
                8004,
                8000,
                80,
                8041,
                8042,
            ],
        ),
        (
            AIO,
            [
                5000,
                3306,
                5672,
                9292,
                8774,
                8775,
                8778,
                6080,
                9696,
                6641,
                6642,
                8776,
                8080,
                8004,
                8000,
                80,
                8041,
                8042,
            ],
        ),
    ],
)
def test_controller_ports(lab: labinfo.LabInfo, ports: list[int]) -> None:
    assert [p.port for p in expected.controller_ports(lab)] == ports


def test_catalog_services() -> None:
    assert [str(c) for c in expected.catalog_services(KS)] == ["keystone", "neutron"]
    assert len(expected.catalog_services(POC)) == len(expected.CATALOG)


@pytest.mark.parametrize(
    ("lab", "pairs"),
    [
        (
            POC,
            [
                ("ovs-agent", "controller"), ("ovs-agent", "compute1"), ("ovs-agent", "compute2"),
                ("l3-agent", "controller"), ("dhcp-agent", "controller"), ("metadata-agent", "controller"),
            ],
        ),
        (AIO, [("ovn-controller", "controller"), ("ovn-metadata", "controller")]),
    ],
)  # fmt: skip
def test_agents(lab: labinfo.LabInfo, pairs: list[tuple[str, str]]) -> None:
    assert [(a.label, n.name) for n, a in expected.agents(lab)] == pairs


@pytest.mark.parametrize(
    ("module", "suite"),
    [
        ("labbuilder.verify.suites.test_nodes", "nodes"),
        ("test_ovs", "ovs"),
        ("labbuilder/suites/test_e2e.py", "e2e"),
    ],
)
def test_suite_of(module: str, suite: str) -> None:
    assert naming.suite_of(module) == suite


@pytest.mark.parametrize(
    ("name", "host_id", "label"),
    [
        ("test_hostname_is_fqdn[ssh://controller]", "ssh://controller", "test_hostname_is_fqdn"),
        (
            "test_unit_active[ssh://compute1-nova-compute]",
            "ssh://compute1",
            "test_unit_active[nova-compute]",
        ),
        (
            "test_tunnel_to_peer[compute2-ssh://compute1]",
            "ssh://compute1",
            "test_tunnel_to_peer[compute2]",
        ),
        ("test_x[a-ssh://compute1-b]", "ssh://compute1", "test_x[a-b]"),
        ("test_endpoint_answers[identity-public]", "", "test_endpoint_answers[identity-public]"),
    ],
)
def test_check_label(name: str, host_id: str, label: str) -> None:
    assert naming.check_label(name, host_id) == label


@pytest.mark.parametrize(
    ("fixture", "settings"),
    [
        ("inventory-poc-3nodes.json", {"lab": "poc", "nodes": 3}),
        (
            "inventory-aio-ovn.json",
            {"lab": "aio", "nodes": 1, "neutron_backend": "ovn", "box": "testbox"},
        ),
    ],
)
def test_inventory_fixtures_are_planner_output(fixture: str, settings: dict[str, object]) -> None:
    """The suites read what labbuilder writes: a changed inventory format shows up here."""
    lab = planner.plan(resolve(("test", settings)), kvm=False, nested=False)
    assert inventory.dumps(lab) == (VERIFY_FIXTURES / fixture).read_text()


@pytest.mark.parametrize(
    ("lab", "node", "peers"),
    [
        (POC, "controller", ["192.168.10.20", "192.168.10.21"]),
        (POC, "compute2", ["192.168.10.10", "192.168.10.20"]),
        (AIO, "controller", []),
    ],
)
def test_tunnel_peers(lab: labinfo.LabInfo, node: str, peers: list[str]) -> None:
    found = lab.node(node)
    assert found is not None
    assert [str(ip) for ip in lab.tunnel_peers(found)] == peers
