"""A class of three students with 1-node test-box labs, brought to stage vms (the VMs boot and
answer over SSH; provisioning adds nothing a class needs to prove): two labs come up; the third
fails because its subnet was taken by a libvirt network behind our back, without stopping the
others; status, isolation between the labs, handouts and ``class.down`` on real libvirt."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
import testinfra
import yaml

from tests.integration.conftest import invoke, leftovers, virsh

pytestmark = pytest.mark.vms

CLASS = os.environ.get("LABBUILDER_TEST_CLASS", "cl")
EXTERNAL_POOL = os.environ.get("LABBUILDER_TEST_CLASS_EXTERNAL", "10.80.0.0/16")
TUNNEL_POOL = os.environ.get("LABBUILDER_TEST_CLASS_TUNNEL", "192.168.180.0/22")
BLOCKER = f"{CLASS}-blocker"


def blocker_xml(subnet: str) -> str:
    gateway = subnet.rsplit(".", 1)[0] + ".1"
    return (
        f"<network><name>{BLOCKER}</name><bridge stp='on' delay='0'/>"
        f"<ip address='{gateway}' prefix='24'/></network>"
    )


@pytest.fixture(scope="module")
def klass(vm_env, tmp_path_factory):
    """Plan the class, take Carol's subnet with a network of our own, run ``class.up``."""
    root = tmp_path_factory.mktemp("class")
    file = root / f"{CLASS}.yaml"
    file.write_text(
        yaml.safe_dump(
            {
                "name": CLASS,
                "students": ["Alice", "Bob", "Carol"],
                "lab": {"box": "testbox", "nodes": 1},
                "pools": {"external": EXTERNAL_POOL, "tunnel": TUNNEL_POOL},
            }
        )
    )
    cdir = Path(vm_env["INVOKE_LABS_DIR"]) / ".classes" / CLASS
    invoke(vm_env, "class.plan", str(file))
    seats = {
        s["student"]: s for s in yaml.safe_load((cdir / "allocation.yaml").read_text())["seats"]
    }
    xml = root / "blocker.xml"
    xml.write_text(blocker_xml(seats["Carol"]["external"]))
    virsh("net-create", str(xml))  # transient: gone once destroyed
    started = time.monotonic()
    try:
        up = invoke(vm_env, "class.up", str(file), "--until", "vms", check=False, timeout=3000)
        yield {
            "env": vm_env,
            "file": file,
            "cdir": cdir,
            "seats": seats,
            "up": up,
            "seconds": time.monotonic() - started,
        }
    finally:
        subprocess.run(
            ["virsh", "-c", "qemu:///system", "net-destroy", BLOCKER], capture_output=True
        )
        invoke(vm_env, "class.down", str(file), "--purge", check=False)


def node(klass, student: str):
    cfg = klass["cdir"] / "handouts" / klass["seats"][student]["lab"] / "ssh-config"
    return testinfra.get_host("ssh://controller", ssh_config=str(cfg))


def controller_ip(klass, student: str, network: str = "external") -> str:
    return klass["seats"][student][network].rsplit(".", 1)[0] + ".10"


def test_one_failing_lab_does_not_stop_the_others(klass):
    up = klass["up"]
    print(f"class.up of 3 labs (one failing) took {klass['seconds']:.0f} s")
    assert up.returncode == 10, up.stdout + up.stderr
    lines = up.stdout.splitlines()
    ok = [line.split()[1] for line in lines if line.startswith("ok ")]
    assert ok == [f"{CLASS}-alice", f"{CLASS}-bob"], up.stdout
    failed = next(line for line in lines if line.startswith("FAILED "))
    assert failed.split()[1] == f"{CLASS}-carol"
    assert "preflight failed" in failed
    retry = lines[lines.index(failed) + 1].strip()
    assert retry == f"retry: invoke class.up {klass['file']} --student Carol --until vms"
    assert f"up: 2 of 3 labs ok; failed: {CLASS}-carol" in up.stdout
    log = (klass["cdir"] / "logs" / f"{CLASS}-carol.log").read_text()
    assert f"overlaps libvirt network '{BLOCKER}'" in log


def test_status_shows_both_labs_healthy_and_the_failure(klass):
    out = invoke(klass["env"], "class.status", str(klass["file"]), "--json")
    rows = {r["lab"]: r for r in json.loads(out.stdout)}
    for student in ("alice", "bob"):
        row = rows[f"{CLASS}-{student}"]
        assert (row["stage"], row["health"], row["vms"]) == ("vms", "healthy", "1/1"), row
        assert row["memory_mib"] == 512 and row["vcpus"] == 1 and row["last_error"] == ""
    carol = rows[f"{CLASS}-carol"]
    assert carol["health"] == "down" and "preflight failed" in carol["last_error"]
    table = invoke(klass["env"], "class.status", str(klass["file"])).stdout
    assert f"class {CLASS}: 2 of 3 labs healthy" in table


@pytest.mark.parametrize(("me", "other"), [("Alice", "Bob"), ("Bob", "Alice")])
def test_labs_cannot_reach_each_other(klass, me, other):
    host = node(klass, me)
    for own in (controller_ip(klass, me), controller_ip(klass, me, "tunnel")):
        assert host.run(f"ping -c1 -W3 {own}").rc == 0
    gateway = klass["seats"][me]["external"].rsplit(".", 1)[0] + ".1"
    assert host.run(f"ping -c1 -W3 {gateway}").rc == 0
    theirs = controller_ip(klass, other)
    assert node(klass, other).check_output("hostname")  # alive, as seen from the host
    for address in (theirs, controller_ip(klass, other, "tunnel")):
        assert host.run(f"ping -c1 -W3 {address}").rc != 0, f"{me} pings {other} at {address}"
        tcp = host.run(f"timeout 5 bash -c 'echo > /dev/tcp/{address}/22'")
        assert tcp.rc != 0, f"{me} reaches {other}'s SSH at {address}"


@pytest.mark.parametrize("student", ["Alice", "Bob"])
def test_handouts_exist_private_with_a_working_ssh_config(klass, student):
    lab = klass["seats"][student]["lab"]
    root = klass["cdir"] / "handouts" / lab
    for name in ("handout.md", "handout.html", "ssh-config"):
        assert (root / name).stat().st_mode & 0o777 == 0o600
    md = (root / "handout.md").read_text()
    assert f"# Lab {lab} for {student}" in md
    assert f"| controller | controller.{lab}.test |" in md
    assert f"invoke class.reset {klass['file']} --student {student}" in md
    ssh = subprocess.run(
        ["ssh", "-F", str(root / "ssh-config"), "-o", "BatchMode=yes", "controller", "hostname"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ssh.returncode == 0, ssh.stderr
    assert ssh.stdout.strip() == "controller"


def test_down_leaves_nothing_in_libvirt(klass):
    subprocess.run(["virsh", "-c", "qemu:///system", "net-destroy", BLOCKER], capture_output=True)
    down = invoke(klass["env"], "class.down", str(klass["file"]), "--purge")
    assert "down: 3 of 3 labs ok" in down.stdout
    assert leftovers(f"labbuilder-{CLASS}-") == {"domains": [], "networks": [], "volumes": []}
    assert not klass["cdir"].exists()
