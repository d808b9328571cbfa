"""A class of three students with 1-node test-box labs, brought to stage vms (the VMs boot and
answer over SSH): two labs come up; the third fails because its subnet was taken by a libvirt
network behind our back, without stopping the others; status, isolation between the labs,
handouts, each student's dashboard forward (a web server on the controller's port 80 stands in
for Horizon, which a test box does not run), ``class.reset`` both ways (Alice's lab restored
from the snapshot its provisioning took, Bob's rebuilt) and ``class.down`` on real libvirt."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import time
import urllib.request
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
HORIZON_PORTS = int(os.environ.get("LABBUILDER_TEST_CLASS_HORIZON_PORTS", "18100"))


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
                "horizon_ports": HORIZON_PORTS,
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


def dashboard_port(klass, student: str) -> int:
    return HORIZON_PORTS + int(klass["seats"][student]["id"])


def through_forward(klass, student: str) -> str:
    url = f"http://127.0.0.1:{dashboard_port(klass, student)}/dashboard/"
    with urllib.request.urlopen(url, timeout=30) as page:
        return str(page.read().decode())


@pytest.mark.parametrize("student", ["Alice", "Bob"])
def test_each_dashboard_is_forwarded_from_its_own_host_port(klass, student):
    lab = klass["seats"][student]["lab"]
    serve = (
        f"mkdir -p /srv/www/dashboard && echo 'dashboard of {lab}' > /srv/www/dashboard/index.html"
        " && cd /srv/www && (setsid python3 -m http.server 80 >/dev/null 2>&1 < /dev/null &)"
    )
    node(klass, student).run(f"sudo sh -c {shlex.quote(serve)}")
    deadline = time.monotonic() + 30
    while True:
        try:
            assert through_forward(klass, student).strip() == f"dashboard of {lab}"
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)
    url = f":{dashboard_port(klass, student)}/dashboard/"
    assert url in (klass["cdir"] / "handouts" / lab / "handout.md").read_text()
    rows = json.loads(invoke(klass["env"], "class.status", str(klass["file"]), "--json").stdout)
    row = next(r for r in rows if r["lab"] == lab)
    assert row["dashboard"].endswith(url) and row["health"] == "healthy", row


def outcome(stdout: str, lab: str) -> str:
    """What the summary line of an ok ``lab`` says it did (``ok LAB STUDENT N s DETAIL``)."""
    line = next(line for line in stdout.splitlines() if line.split()[:2] == ["ok", lab])
    return line.split(" s  ", 1)[1]


def test_class_reset_restores_a_provisioned_lab_from_its_snapshot(klass):
    env, file = klass["env"], str(klass["file"])
    invoke(env, "class.up", file, "--student", "Alice", "--until", "provision", timeout=1500)
    alice = node(klass, "Alice")
    alice.run("sudo touch /root/broken")
    started = time.monotonic()
    reset = invoke(env, "class.reset", file, "--student", "Alice", timeout=900)
    print(
        f"class.reset of a provisioned 1-node lab (restore) took {time.monotonic() - started:.0f} s"
    )
    assert outcome(reset.stdout, f"{CLASS}-alice").startswith("restored:"), reset.stdout
    assert node(klass, "Alice").run("sudo test -e /root/broken").rc == 1
    lab = klass["seats"]["Alice"]["lab"]
    assert through_forward(klass, "Alice").strip() == f"dashboard of {lab}"  # started anew


def test_class_reset_rebuilds_a_lab_without_a_snapshot(klass):
    env, file = klass["env"], str(klass["file"])
    node(klass, "Bob").run("sudo touch /root/broken")
    started = time.monotonic()
    reset = invoke(env, "class.reset", file, "--student", "Bob", "--until", "vms", timeout=1500)
    print(
        f"class.reset of a 1-node lab at stage vms (rebuild) took {time.monotonic() - started:.0f} s"
    )
    assert outcome(reset.stdout, f"{CLASS}-bob").startswith("rebuilt:"), reset.stdout
    bob = node(klass, "Bob")
    assert bob.run("sudo test -e /root/broken").rc == 1
    assert bob.check_output("hostname") == "controller"


def test_down_leaves_nothing_in_libvirt(klass):
    subprocess.run(["virsh", "-c", "qemu:///system", "net-destroy", BLOCKER], capture_output=True)
    down = invoke(klass["env"], "class.down", str(klass["file"]), "--purge")
    assert "down: 3 of 3 labs ok" in down.stdout
    assert leftovers(f"labbuilder-{CLASS}-") == {"domains": [], "networks": [], "volumes": []}
    assert not klass["cdir"].exists()
    for student in ("Alice", "Bob"):
        with pytest.raises(OSError):
            through_forward(klass, student)  # the forwards ended with their labs
