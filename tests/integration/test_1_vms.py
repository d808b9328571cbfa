"""`invoke up --until vms` on real libvirt with the test box: the shared 3-node lab checked over
SSH with testinfra, re-run without changes, a second lab beside it (interrupted, recovered and
taken down)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

import pytest
import testinfra

from .conftest import (
    FLAGS,
    INVOKE,
    LAB,
    NET,
    NODES,
    ROOT,
    SIDE,
    SIDE_FLAGS,
    inventory,
    invoke,
    leftovers,
    virsh,
)

pytestmark = pytest.mark.vms


def host(lab, name):
    cfg = Path(lab["env"]["INVOKE_LABS_DIR"]) / LAB / "ssh-config"
    return testinfra.get_host(f"ssh://{name}", ssh_config=str(cfg))


def planned(lab, name):
    return next(n for n in inventory(lab["env"], LAB)["nodes"] if n["name"] == name)


def test_up_reports_stages(lab):
    text = lab["up"].stdout
    assert "stage networks done" in text
    assert "stage vms done" in text
    assert re.search(r"^\[[ 0-9:]+\] (WARNING: WARN|OK  ) virtualization ", text, re.M), text
    print(f"up --nodes 3 --until vms took {lab['seconds']:.0f} s")


@pytest.mark.parametrize("name", NODES)
def test_eth0_has_planned_external_address(lab, name):
    assert planned(lab, name)["external_ip"] in host(lab, name).interface("eth0").addresses


@pytest.mark.parametrize("name", NODES)
def test_eth1_has_planned_tunnel_address(lab, name):
    assert planned(lab, name)["tunnel_ip"] in host(lab, name).interface("eth1").addresses


@pytest.mark.parametrize("name", NODES)
def test_hostname_is_planned_fqdn(lab, name):
    assert host(lab, name).check_output("hostname -f") == planned(lab, name)["fqdn"]


@pytest.mark.parametrize(
    ("name", "peer"),
    [("controller", "compute1"), ("compute1", "compute2"), ("compute2", "controller")],
)
def test_nodes_reach_each_other_over_the_tunnel(lab, name, peer):
    result = host(lab, name).run("ping -c1 -W5 -I eth1 %s", planned(lab, peer)["tunnel_ip"])
    assert result.rc == 0, result.stdout + result.stderr


def test_status_and_list(lab):
    status = invoke(lab["env"], "status", "--lab", LAB).stdout
    assert "stage vms" in status
    assert status.count("running") == 3
    listing = invoke(lab["env"], "list").stdout
    assert f"{LAB} " in listing and "VMs 3/3 running" in listing


def test_second_up_changes_nothing(lab):
    before = {
        d: virsh("domuuid", d)[0]
        for d in virsh("list", "--name")
        if d.startswith(f"labbuilder-{LAB}-")
    }
    out = invoke(lab["env"], "up", "--lab", LAB, "--nodes", "3", "--until", "vms", *FLAGS)
    after = {
        d: virsh("domuuid", d)[0]
        for d in virsh("list", "--name")
        if d.startswith(f"labbuilder-{LAB}-")
    }
    assert before == after and len(after) == 3
    assert "stage networks: already done" in out.stdout
    assert "stage vms: already done" in out.stdout


def test_removing_and_adding_a_compute(lab):
    env = lab["env"]
    out = invoke(env, "up", "--lab", LAB, "--nodes", "2", "--until", "vms", *FLAGS)
    assert "node set changed" in out.stdout
    left = leftovers(f"labbuilder-{LAB}-")
    assert sorted(left["domains"]) == [f"labbuilder-{LAB}-compute1", f"labbuilder-{LAB}-controller"]
    assert not [v for v in left["volumes"] if "compute2" in v]
    assert "compute2" not in (lab["labdir"] / "ssh-config").read_text()
    out = invoke(env, "up", "--lab", LAB, "--nodes", "3", "--until", "vms", *FLAGS)
    assert "node set changed" in out.stdout
    assert (
        planned(lab, "compute2")["tunnel_ip"] in host(lab, "compute2").interface("eth1").addresses
    )
    assert host(lab, "compute1").check_output("hostname -f") == planned(lab, "compute1")["fqdn"]


def test_layout_change_of_a_built_lab_is_refused(lab):
    out = invoke(
        lab["env"],
        "up",
        "--lab",
        LAB,
        "--nodes",
        "3",
        "--until",
        "vms",
        *FLAGS[:2],
        "--external-subnet",
        f"10.{NET + 2}.1.0/24",
        "--tunnel-subnet",
        f"192.168.{NET + 100}.0/24",
        check=False,
    )
    assert out.returncode != 0
    assert "built with another layout" in out.stderr
    assert leftovers(f"labbuilder-{LAB}-")["networks"] == [
        f"labbuilder-{LAB}-ext",
        f"labbuilder-{LAB}-tun",
    ]


def test_interrupted_second_lab_recovers_beside_the_first(lab):
    """Kill `invoke up` of a second lab while its VMs are being created, run it again."""
    env = lab["env"]
    proc = subprocess.Popen(
        [INVOKE, "up", "--lab", SIDE, "--nodes", "1", "--until", "vms", *SIDE_FLAGS],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    seen = []
    assert proc.stdout is not None
    for line in proc.stdout:
        seen.append(line)
        if "Starting domain" in line:
            break
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert any("Starting domain" in line for line in seen), "".join(seen)
    out = invoke(env, "up", "--lab", SIDE, "--nodes", "1", "--until", "vms", *SIDE_FLAGS)
    assert "stage vms done" in out.stdout
    cfg = Path(env["INVOKE_LABS_DIR"]) / SIDE / "ssh-config"
    node = testinfra.get_host("ssh://controller", ssh_config=str(cfg))
    assert f"192.168.{NET + 101}.10" in node.interface("eth1").addresses
    assert node.check_output("hostname -f") == f"controller.{SIDE}.test"
    running = [
        d
        for d in virsh("list", "--name")
        if d.startswith((f"labbuilder-{LAB}-", f"labbuilder-{SIDE}-"))
    ]
    assert sorted(running) == sorted(
        [f"labbuilder-{LAB}-{n}" for n in NODES] + [f"labbuilder-{SIDE}-controller"]
    )
    invoke(env, "down", "--lab", SIDE)
    assert leftovers(f"labbuilder-{SIDE}-") == {"domains": [], "networks": [], "volumes": []}
    assert len([d for d in virsh("list", "--name") if d.startswith(f"labbuilder-{LAB}-")]) == 3
