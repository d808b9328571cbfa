"""Benchmark: labbuilder's own overhead on `up`, measured fairly.

Times `invoke up --until vms` of a test-box lab against plain `vagrant up` of the very same
rendered Vagrantfile (in a copy of the lab directory), each followed by an untimed teardown.
Fair: the box is in the storage pool before the first timed run (an untimed warm-up imports it
when it is not), the order alternates each round, and min and median of each are printed with
their ratios. Needs libvirtd and the test box (`invoke test-box`); cleans up after itself.

Usage: VAGRANT_HOME=... .venv/bin/python bench/up_overhead.py [--lab bench] [--nodes 2] [--rounds 3] [--net 91]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from labbuilder.adapters.libvirt import connect
from labbuilder.adapters.vagrant import Vagrant
from labbuilder.model.boxes import TEST_BOX_NAME
from labbuilder.stages.vms import box_imported

ROOT = Path(__file__).resolve().parent.parent
INVOKE = str(Path(sys.prefix) / "bin" / "invoke")
VIRSH = ["virsh", "-c", "qemu:///system"]


def flags(net: int) -> list[str]:
    return [
        "--box",
        "testbox",
        "--external-subnet",
        f"10.{net}.1.0/24",
        "--tunnel-subnet",
        f"192.168.{net + 100}.0/24",
    ]


def run(argv: list[str], cwd: Path, env: dict[str, str], *, check: bool = True) -> float:
    start = time.monotonic()
    subprocess.run(argv, cwd=cwd, env=env, check=check, stdout=subprocess.DEVNULL)
    return time.monotonic() - start


def box_in_pool() -> bool:
    """The pool holds the base volumes of the box as installed (what `up` itself asks)."""
    with connect(VIRSH[2]) as virt:
        return box_imported(TEST_BOX_NAME, virt, Vagrant(ROOT))


class Bench:
    def __init__(self, labs: Path, lab: str, nodes: str, net: int) -> None:
        self.labs = labs
        self.lab = lab
        self.nodes = nodes
        self.env = {**os.environ, "INVOKE_LABS_DIR": str(labs)}
        self.lab_args = ["--lab", lab, "--nodes", nodes, *flags(net)]
        self.up_argv = [INVOKE, "up", *self.lab_args, "--until", "vms"]
        self.plain = labs / "plain"

    def ours(self) -> float:
        try:
            return run(self.up_argv, ROOT, self.env)
        finally:
            run([INVOKE, "down", "--lab", self.lab], ROOT, self.env, check=False)

    def vagrant(self) -> float:
        if not self.plain.is_dir():
            run([INVOKE, "render", *self.lab_args], ROOT, self.env)
            self.plain.mkdir()
            shutil.copy(self.labs / self.lab / "Vagrantfile", self.plain / "Vagrantfile")
        try:
            return run(
                ["vagrant", "up", "--provider", "libvirt", "--no-provision"], self.plain, self.env
            )
        finally:
            run(["vagrant", "destroy", "-f"], self.plain, self.env, check=False)
            for net in (f"labbuilder-{self.lab}-ext", f"labbuilder-{self.lab}-tun"):
                subprocess.run([*VIRSH, "net-destroy", net], check=False, capture_output=True)
                subprocess.run([*VIRSH, "net-undefine", net], check=False, capture_output=True)


def summary(name: str, times: list[float]) -> str:
    listed = ", ".join(f"{t:.0f}" for t in times)
    return (
        f"{name:<38} min {min(times):6.1f} s  median {statistics.median(times):6.1f} s  ({listed})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", default="bench")
    parser.add_argument("--nodes", default="2")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--net", type=int, default=91, help="10.N.1.0/24 and 192.168.N+100.0/24")
    args = parser.parse_args()
    times: dict[str, list[float]] = {"ours": [], "plain": []}
    with tempfile.TemporaryDirectory() as name:
        bench = Bench(Path(name), args.lab, args.nodes, args.net)
        if not box_in_pool():
            print("warm-up (untimed): importing the box into the storage pool")
            bench.vagrant()
        for i in range(args.rounds):
            order = ["ours", "plain"] if i % 2 == 0 else ["plain", "ours"]
            for who in order:
                seconds = bench.ours() if who == "ours" else bench.vagrant()
                times[who].append(seconds)
                print(f"round {i + 1}: {who:<5} {seconds:6.1f} s", flush=True)
    print(summary(f"invoke up --until vms, {args.nodes} nodes:", times["ours"]))
    print(summary("plain vagrant up, same Vagrantfile:", times["plain"]))
    ratio_min = min(times["ours"]) / min(times["plain"])
    ratio_median = statistics.median(times["ours"]) / statistics.median(times["plain"])
    print(f"ratio ours/plain: min {ratio_min:.2f}, median {ratio_median:.2f} (target <= 1.10)")


if __name__ == "__main__":
    main()
