"""Benchmark: labbuilder's own overhead on `up`.

Times `invoke up --until vms` of a test-box lab, then plain `vagrant up` of the very same rendered
Vagrantfile (in a copy of the lab directory, after `invoke down`), and prints both and the ratio.
Needs libvirtd and the test box (`invoke test-box`); cleans up after itself.
Usage: VAGRANT_HOME=/var/lib/labbuilder/vagrant.d .venv/bin/python bench/up_overhead.py [nodes]
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INVOKE = str(Path(sys.prefix) / "bin" / "invoke")
LAB = "bench"
FLAGS = [
    "--box",
    "testbox",
    "--external-subnet",
    "10.91.1.0/24",
    "--tunnel-subnet",
    "192.168.191.0/24",
]


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.monotonic()
    subprocess.run(argv, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - start


def main() -> None:
    nodes = sys.argv[1] if len(sys.argv) > 1 else "2"
    with tempfile.TemporaryDirectory() as name:
        labs = Path(name)
        env = {**os.environ, "INVOKE_LABS_DIR": str(labs)}
        try:
            ours = timed(
                [INVOKE, "up", "--lab", LAB, "--nodes", nodes, "--until", "vms", *FLAGS], ROOT, env
            )
        finally:
            subprocess.run(
                [INVOKE, "down", "--lab", LAB],
                cwd=ROOT,
                env=env,
                check=False,
                stdout=subprocess.DEVNULL,
            )
        plain_dir = labs / "plain"
        plain_dir.mkdir()
        shutil.copy(labs / LAB / "Vagrantfile", plain_dir / "Vagrantfile")
        try:
            plain = timed(
                ["vagrant", "up", "--provider", "libvirt", "--no-provision"], plain_dir, env
            )
        finally:
            subprocess.run(
                ["vagrant", "destroy", "-f"],
                cwd=plain_dir,
                env=env,
                check=False,
                stdout=subprocess.DEVNULL,
            )
            for net in (f"labbuilder-{LAB}-ext", f"labbuilder-{LAB}-tun"):
                subprocess.run(
                    ["virsh", "-c", "qemu:///system", "net-destroy", net],
                    check=False,
                    capture_output=True,
                )
                subprocess.run(
                    ["virsh", "-c", "qemu:///system", "net-undefine", net],
                    check=False,
                    capture_output=True,
                )
    print(f"invoke up --until vms, {nodes} nodes: {ours:.0f} s")
    print(f"plain vagrant up, same Vagrantfile:  {plain:.0f} s")
    print(
        f"ratio: {ours / plain:.2f} (labbuilder's overhead: preflight, networks, box-import lock, checks)"
    )


if __name__ == "__main__":
    main()
