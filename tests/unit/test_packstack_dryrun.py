"""What Packstack's own code makes of our rendered answer files (its real dry-run flow).

Packstack 26's plugins run for real on each golden lab's answer file and write the manifests
and hieradata they would apply; only the nodes are a stand-in (``recorder``: remote scripts
recorded, facter answered from the lab's plan). Every expectation is derived from the lab's own
inventory, so a change in the plan or the template that Packstack reads differently fails here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from labbuilder.adapters.packstack import dryrun
from tests.unit.test_render import CASES, render_case

pytestmark = pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare")

TUNNEL_PORT = {"openvswitch": "4789", "ovn": "6081"}
_RUNS: dict[str, tuple[dict[str, Any], dryrun.DryRun]] = {}


@pytest.fixture
def planned(request, tmp_path_factory) -> tuple[dict[str, Any], dryrun.DryRun]:
    """The case's inventory and Packstack's dry run of its answer file (once per case)."""
    case = request.param
    if case not in _RUNS:
        settings, kvm, nested = CASES[case]
        files = render_case(tmp_path_factory.mktemp(case), settings, kvm, nested).files
        inventory = json.loads(files["inventory.json"][0])
        _RUNS[case] = (inventory, dryrun.run(files["answers.txt"][0], inventory))
    return _RUNS[case]


def by_role(inventory: dict[str, Any], role: str) -> list[str]:
    return [n["external_ip"] for n in inventory["nodes"] if role in n["roles"]]


def expected_manifests(node: dict[str, Any]) -> tuple[str, ...]:
    kinds = set()
    if "controller" in node["roles"]:
        kinds |= {"controller", "controller_post"}
    if "network" in node["roles"]:
        kinds.add("network")
    if "compute" in node["roles"]:
        kinds.add("compute")
    return tuple(sorted(kinds))


ALL = pytest.mark.parametrize("planned", sorted(CASES), indirect=True)


@ALL
def test_each_node_gets_the_manifests_of_its_roles(planned):
    inventory, run = planned
    assert {host: tuple(sorted(kinds)) for host, kinds in run.manifests.items()} == {
        n["external_ip"]: expected_manifests(n) for n in inventory["nodes"]
    }


@ALL
def test_external_bridge_is_on_network_hosts_only(planned):
    inventory, run = planned
    hiera = run.hieradata
    assert hiera["CONFIG_NETWORK_HOSTS"] == ",".join(by_role(inventory, "network"))
    assert hiera["CONFIG_NEUTRON_OVS_BRIDGE_MAPPINGS"] == ["extnet:br-ex"]
    assert hiera["CONFIG_NEUTRON_OVS_BRIDGE_IFACES"] == ["br-ex:eth0"]
    assert hiera["CONFIG_NEUTRON_OVS_BRIDGE_IFACES_COMPUTE"] == []
    assert hiera["CONFIG_NEUTRON_OVS_BRIDGE_MAPPINGS_COMPUTE"] == []
    assert hiera["CONFIG_NEUTRON_ML2_FLAT_NETWORKS"] == ["extnet"]


@ALL
def test_tenant_networks_tunnel_over_eth1(planned):
    inventory, run = planned
    hiera = run.hieradata
    agent = "ovn" if inventory["neutron_backend"] == "ovn" else "openvswitch"
    tunnel = "geneve" if agent == "ovn" else "vxlan"
    assert hiera["CONFIG_NEUTRON_L2_AGENT"] == agent
    assert hiera["CONFIG_NEUTRON_ML2_MECHANISM_DRIVERS"] == [agent]
    assert hiera["CONFIG_NEUTRON_ML2_TENANT_NETWORK_TYPES"] == [tunnel]
    assert hiera["CONFIG_NEUTRON_ML2_TYPE_DRIVERS"] == [tunnel, "flat"]
    if agent == "openvswitch":
        assert hiera["CONFIG_NEUTRON_OVS_TUNNEL_TYPES"] == ["vxlan"]
        assert hiera["CONFIG_NEUTRON_OVS_TUNNEL_IF"] == "eth1"
    else:
        assert hiera["CONFIG_NEUTRON_OVN_TUNNEL_IF"] == "eth1"
        assert hiera["CONFIG_NEUTRON_OVN_BRIDGE_MAPPINGS"] == "extnet:br-ex"


@ALL
def test_tunnel_firewall_opens_the_tunnel_port_to_the_tunnel_subnet_on_every_node(planned):
    """Packstack opens it on every Neutron host (q_hosts: API, network and compute hosts):
    in a lab that is every node."""
    inventory, run = planned
    agent = run.hieradata["CONFIG_NEUTRON_L2_AGENT"]
    subnet = inventory["tunnel"]["subnet"]
    rules = {k: v for k, v in run.hieradata.items() if k.startswith("FIREWALL_NEUTRON_TUNNEL")}
    data_nodes = [n["external_ip"] for n in inventory["nodes"]]
    assert sorted(rules) == sorted(
        f"FIREWALL_NEUTRON_TUNNEL_RULES_{ip.replace('.', '_')}" for ip in data_nodes
    )
    for ip in data_nodes:
        (rule,) = rules[f"FIREWALL_NEUTRON_TUNNEL_RULES_{ip.replace('.', '_')}"].values()
        assert (rule["host"], rule["ports"], rule["proto"]) == (subnet, TUNNEL_PORT[agent], "udp")


@ALL
def test_virt_type_and_hosts_follow_the_plan(planned):
    inventory, run = planned
    hiera = run.hieradata
    assert hiera["CONFIG_NOVA_LIBVIRT_VIRT_TYPE"] in ("kvm", "qemu")
    expected = "kvm" if inventory["driver"] == "kvm" and inventory["nested"] else "qemu"
    assert hiera["CONFIG_NOVA_LIBVIRT_VIRT_TYPE"] == expected
    assert hiera["CONFIG_COMPUTE_HOSTS"] == ",".join(by_role(inventory, "compute"))
    assert hiera["CONFIG_CONTROLLER_HOST"] == by_role(inventory, "controller")[0]


@ALL
def test_every_node_is_prepared_and_checked_the_way_packstack_does_it(planned):
    inventory, run = planned
    for node in inventory["nodes"]:
        scripts = "\n".join(run.scripts_on(node["external_ip"]))
        assert "yum install -y puppet hiera openssh-clients tar nc rubygem-json" in scripts
        assert "facter -p" in scripts
        assert "systemctl is-active NetworkManager" in scripts
    assert {call.host for call in run.calls} == {"localhost"} | {
        n["external_ip"] for n in inventory["nodes"]
    }


def test_dry_run_of_a_broken_answer_file_names_packstack_error(tmp_path):
    settings, kvm, nested = CASES["three-node"]
    files = render_case(tmp_path, settings, kvm, nested).files
    inventory = json.loads(files["inventory.json"][0])
    broken = files["answers.txt"][0].replace("CONFIG_COMPUTE_HOSTS=", "CONFIG_COMPUTE_HOSTS=x")
    with pytest.raises(dryrun.ToolError, match=r"Packstack's dry run failed .*ERROR"):
        dryrun.run(broken, inventory)


def test_dry_run_leaves_nothing_under_var_tmp(tmp_path):
    before = set(Path("/var/tmp").iterdir())
    settings, kvm, nested = CASES["aio"]
    files = render_case(tmp_path, settings, kvm, nested).files
    keep = tmp_path / "kept"
    run = dryrun.run(files["answers.txt"][0], json.loads(files["inventory.json"][0]), keep=keep)
    assert set(Path("/var/tmp").iterdir()) == before
    assert sorted(p.name for p in (keep / "manifests").iterdir()) == [
        f"10.1.1.10_{kind}.pp" for kind in sorted(run.manifests["10.1.1.10"])
    ]


def puppet_validate(manifests: list[Path]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["puppet", "parser", "validate", *map(str, manifests)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HOME": str(manifests[0].parent)},
    )


@pytest.mark.skipif(
    shutil.which("puppet") is None and not os.environ.get("CI"),
    reason="Debian's puppet is not installed (hostsetup/setup.sh installs it)",
)
@pytest.mark.parametrize("case", ["five-node-network", "three-node-ovn-testbox"])
def test_puppet_parses_the_manifests_packstack_writes(tmp_path, case):
    settings, kvm, nested = CASES[case]
    files = render_case(tmp_path, settings, kvm, nested).files
    keep = tmp_path / "kept"
    dryrun.run(files["answers.txt"][0], json.loads(files["inventory.json"][0]), keep=keep)
    manifests = sorted((keep / "manifests").glob("*.pp"))
    assert len(manifests) >= 4
    out = puppet_validate(manifests)
    assert out.returncode == 0, out.stdout + out.stderr
    broken = tmp_path / "broken.pp"
    broken.write_text(manifests[0].read_text() + "\nclass {\n")
    assert puppet_validate([broken]).returncode != 0
