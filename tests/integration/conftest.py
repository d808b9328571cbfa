"""Real libvirt, Vagrant and VMs (under emulation where KVM is not usable).

The test box is built from Debian's mirror by `invoke test-box` (reused while unchanged) and
added to a Vagrant home of the tests' own; it and its base volume are removed at the end.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import INVOKE, ROOT

# One Vagrant home per test run (QEMU must be able to traverse it: not under a 0700 /tmp dir),
# so that runs sharing a host never remove each other's box.
VAGRANT_HOME = (
    Path(os.environ.get("LABBUILDER_TEST_VAGRANT_HOME", "/var/lib/labbuilder/test-vagrant.d"))
    / f"run-{os.getpid()}"
)
TESTBOX_DIR = os.environ.get("LABBUILDER_TESTBOX_DIR", "/var/lib/labbuilder/testbox")
URI = "qemu:///system"
# Several runs may share a host: LABBUILDER_TEST_LAB / LABBUILDER_TEST_NET pick other names and
# subnets (10.N.1.0/24 and 192.168.(N+100).0/24; the second lab takes N+1).
LAB = os.environ.get("LABBUILDER_TEST_LAB", "itest")
SIDE = f"{LAB}2"
NET = int(os.environ.get("LABBUILDER_TEST_NET", "61"))


def subnet_flags(net: int) -> list[str]:
    return [
        "--box",
        "testbox",
        "--external-subnet",
        f"10.{net}.1.0/24",
        "--tunnel-subnet",
        f"192.168.{net + 100}.0/24",
    ]


FLAGS = subnet_flags(NET)
SIDE_FLAGS = subnet_flags(NET + 1)
NODES = ["controller", "compute1", "compute2"]


def virsh(*args: str) -> list[str]:
    out = subprocess.run(["virsh", "-c", URI, *args], capture_output=True, text=True, check=True)
    return [line.strip() for line in out.stdout.splitlines() if line.strip()]


def leftovers(prefix: str) -> dict[str, list[str]]:
    """Everything libvirt still holds whose name starts with ``prefix``."""
    vols = [line.split()[0] for line in virsh("vol-list", "default")[2:]]
    return {
        "domains": [d for d in virsh("list", "--all", "--name") if d.startswith(prefix)],
        "networks": [n for n in virsh("net-list", "--all", "--name") if n.startswith(prefix)],
        "volumes": [v for v in vols if v.startswith(prefix)],
    }


def _libvirt_up() -> bool:
    if shutil.which("virsh") is None or shutil.which("vagrant") is None:
        return False
    return subprocess.run(["virsh", "-c", URI, "version"], capture_output=True).returncode == 0


@pytest.fixture(scope="session")
def vm_env(tmp_path_factory) -> Iterator[dict[str, str]]:
    if not _libvirt_up():
        if os.environ.get("CI"):
            pytest.fail(
                "libvirtd/vagrant not available in CI: hostsetup/setup.sh should have started it"
            )
        pytest.skip("libvirtd or vagrant not available: run hostsetup/setup.sh")
    VAGRANT_HOME.mkdir(parents=True, exist_ok=True)
    for parent in [VAGRANT_HOME, *VAGRANT_HOME.parents]:
        if parent == Path("/"):
            break
        parent.chmod(parent.stat().st_mode | 0o011)  # QEMU reads the box's kernel from here
    labs = tmp_path_factory.mktemp("labs")
    env = {
        **os.environ,
        "VAGRANT_HOME": str(VAGRANT_HOME),
        "INVOKE_LABS_DIR": str(labs),
        "INVOKE_TESTBOX_DIR": TESTBOX_DIR,
    }
    built = subprocess.run([INVOKE, "test-box"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert built.returncode == 0, built.stdout + built.stderr
    yield env
    subprocess.run(
        ["vagrant", "box", "remove", "-f", "--all", "labbuilder/testbox"],
        env=env,
        capture_output=True,
    )
    shutil.rmtree(VAGRANT_HOME, ignore_errors=True)
    if any(d.startswith("labbuilder-") for d in virsh("list", "--all", "--name")):
        return  # another run's lab still boots from the base volume: leave it to that run
    for vol in [line.split()[0] for line in virsh("vol-list", "default")[2:]]:
        if vol.startswith("labbuilder-VAGRANTSLASH-testbox_"):
            virsh("vol-delete", "--pool", "default", vol)


def invoke(
    env: dict[str, str], *args: str, check: bool = True, timeout: float = 1500
) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(
        [INVOKE, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if check:
        assert out.returncode == 0, f"invoke {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}"
    return out


def inventory(env: dict[str, str], lab: str) -> dict:
    return json.loads((Path(env["INVOKE_LABS_DIR"]) / lab / "inventory.json").read_text())


@pytest.fixture(scope="session")
def lab(vm_env):
    """The shared 3-node test-box lab, brought up to stage vms once; later modules take it
    further (provision, deploy with a stand-in Packstack, verify) and the last one takes it
    down. Whatever happens, it is taken down at the end of the session."""
    started = time.monotonic()
    try:
        out = invoke(vm_env, "up", "--lab", LAB, "--nodes", "3", "--until", "vms", *FLAGS)
        seconds = time.monotonic() - started
        yield {
            "env": vm_env,
            "up": out,
            "seconds": seconds,
            "labdir": Path(vm_env["INVOKE_LABS_DIR"]) / LAB,
        }
    finally:  # also when `up` itself failed: nothing of the lab stays in libvirt
        invoke(vm_env, "down", "--lab", LAB, "--purge", check=False)
        invoke(vm_env, "down", "--lab", SIDE, "--purge", check=False)


from .cloudlab import cloudlab  # noqa: E402, F401  (the session's test cloud, marker `cloud`)
