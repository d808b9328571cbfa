"""Whole-lab snapshots, stop/start and reset on the shared 3-node test-box lab at stage provision
(after test_2_provision, before test_3_deploy; the lab is left as found: running, provisioned,
with its automatic `provisioned` snapshot).

Warm: save, change a file on every node and stop a service on one, stop and start the lab,
restore: files and service back, clocks within a second of the host's. Cold likewise. The
refusals change nothing and leave no partial snapshot. `reset` goes back to `provisioned`.
"""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

from labbuilder.adapters.ssh import Remote
from labbuilder.stages import guests

from .conftest import FLAGS, LAB, NODES, URI, invoke

pytestmark = pytest.mark.vms

MARK = "/etc/labbuilder-snapshot-test"
SERVICE = "chrony"
DOMAINS = [f"labbuilder-{LAB}-{n}" for n in NODES]


def libvirt_snapshots() -> dict[str, list[str]]:
    out = {}
    for domain in DOMAINS:
        listed = subprocess.run(
            ["virsh", "-c", URI, "snapshot-list", domain, "--name"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        out[domain] = sorted(line.strip() for line in listed.splitlines() if line.strip())
    return out


def change_lab(remote: Remote) -> None:
    """A file on every node; the service stopped and disabled on one (so a reboot, as by
    stop/start, does not bring it back by itself)."""
    guests.each(NODES, lambda n: remote.run(n, f"echo changed > {MARK}", sudo=True))
    remote.run("compute1", f"systemctl disable --now {SERVICE}", sudo=True)


def tidy_lab(remote: Remote) -> None:
    """The lab as the module found it, whatever an earlier test left (each test stands alone)."""
    guests.each(NODES, lambda n: remote.run(n, f"rm -f {MARK}", sudo=True))
    remote.run("compute1", f"systemctl enable --now {SERVICE}", sudo=True)


def lab_facts(remote: Remote) -> dict[str, tuple[bool, str, float]]:
    """node -> (marker file exists, state of the service, clock offset to the host)."""

    def facts(node: str) -> tuple[bool, str, float]:
        marked = remote.run(node, f"test -e {MARK}", check=False).rc == 0
        active = remote.run(node, f"systemctl is-active {SERVICE}", check=False).stdout.strip()
        return marked, active, guests.offset(remote, node)

    return guests.each(NODES, facts)


def assert_back(facts: dict[str, tuple[bool, str, float]]) -> None:
    for node, (marked, active, offset) in facts.items():
        assert not marked, f"{node} still has {MARK}"
        assert active == "active", f"{SERVICE} on {node} is {active}"
        assert abs(offset) < 1.0, f"{node} clock {offset:+.3f} s off"


@pytest.fixture(scope="module")
def lab3(lab):
    invoke(lab["env"], "up", "--lab", LAB, "--nodes", "3", "--until", "provision", *FLAGS)
    started = time.monotonic()
    yield {**lab, "remote": Remote(lab["labdir"] / "ssh-config")}
    print(f"snapshot tests took {time.monotonic() - started:.0f} s")


def test_provision_took_a_stage_snapshot(lab3):
    listed = invoke(lab3["env"], "snapshot.list", "--lab", LAB).stdout
    assert "provisioned" in listed and "warm" in listed
    assert all(snaps == ["provisioned"] for snaps in libvirt_snapshots().values())


def test_warm_restore_after_stop_and_start(lab3):
    env, remote = lab3["env"], lab3["remote"]
    tidy_lab(remote)
    saved = invoke(env, "snapshot.save", "w", "--lab", LAB)
    assert "snapshot 'w' of lab" in saved.stdout and "warm" in saved.stdout
    change_lab(remote)
    assert invoke(env, "stop", "--lab", LAB).returncode == 0
    out = subprocess.run(
        ["virsh", "-c", URI, "domstate", DOMAINS[0]], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "shut off"
    assert "is up (3 VMs)" in invoke(env, "start", "--lab", LAB).stdout
    assert lab_facts(remote)["compute1"][:2] == (True, "inactive")  # the change survived
    restored = invoke(env, "snapshot.restore", "w", "--lab", LAB)
    assert "healthy" in restored.stdout, restored.stdout
    assert_back(lab_facts(remote))


def test_cold_restore(lab3):
    env, remote = lab3["env"], lab3["remote"]
    tidy_lab(remote)
    assert "cold" in invoke(env, "snapshot.save", "c", "--lab", LAB, "--mode", "cold").stdout
    change_lab(remote)
    restored = invoke(env, "snapshot.restore", "c", "--lab", LAB)
    assert "healthy" in restored.stdout, restored.stdout
    assert_back(lab_facts(remote))


@pytest.mark.parametrize(
    ("args", "env_extra", "words"),
    [
        (("snapshot.restore", "nope"), {}, "has no snapshot 'nope' (it has: "),
        (("snapshot.save", "w"), {}, "already has a snapshot 'w'"),
        (("snapshot.save", "big"), {"INVOKE_SNAPSHOT_RESERVE_MIB": "99999999"}, "free disk"),
    ],
    ids=["unknown", "existing", "disk-threshold"],
)
def test_refusals_change_nothing(lab3, args, env_extra, words):
    before = libvirt_snapshots()
    out = invoke({**lab3["env"], **env_extra}, *args, "--lab", LAB, check=False)
    assert out.returncode != 0
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], out.stderr
    assert libvirt_snapshots() == before
    assert not (lab3["labdir"] / "snapshots" / "big").exists()


def test_restore_into_a_changed_layout_is_refused(lab3):
    env = lab3["env"]
    before = libvirt_snapshots()
    invoke(env, "render", "--lab", LAB, "--nodes", "2", *FLAGS)
    try:
        out = invoke(env, "snapshot.restore", "w", "--lab", LAB, check=False)
    finally:
        invoke(env, "render", "--lab", LAB, "--nodes", "3", *FLAGS)
    assert out.returncode != 0
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "changed since snapshot 'w'" in lines[0], out.stderr
    assert libvirt_snapshots() == before


def test_reset_goes_back_to_provisioned_and_delete_leaves_it_alone(lab3):
    env, remote = lab3["env"], lab3["remote"]
    change_lab(remote)
    out = invoke(env, "reset", "--lab", LAB)
    assert "snapshot 'provisioned'" in out.stdout and "healthy" in out.stdout
    assert_back(lab_facts(remote))
    for name in ("w", "c"):
        invoke(env, "snapshot.delete", name, "--lab", LAB)
    assert all(snaps == ["provisioned"] for snaps in libvirt_snapshots().values())
    state = json.loads((lab3["labdir"] / "state.json").read_text())
    assert "provision" in state["stages"] and "deploy" not in state["stages"]
    assert os.path.isdir(lab3["labdir"] / "snapshots" / "provisioned")
