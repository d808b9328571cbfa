"""Benchmark: labbuilder's own overhead on `up`, measured fairly.

Times `invoke up --until vms` of a test-box lab against plain `vagrant up` of the very same
rendered Vagrantfile (in a copy of the lab directory), each followed by an untimed teardown.
A third contender runs that plain `vagrant up` on the networks labbuilder defines (created
untimed first) instead of the ones vagrant-libvirt makes, which splits the ratio into
labbuilder's own work and the effect of its network definition on Vagrant and the guests.
Fair: the box is in the storage pool before the first timed run (an untimed warm-up imports it
when it is not), the order rotates each round, and min and median of each are printed with
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
from collections.abc import Callable
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

    def vagrant(self, *, lab_networks: bool = False) -> float:
        if not self.plain.is_dir():
            run([INVOKE, "render", *self.lab_args], ROOT, self.env)
            self.plain.mkdir()
            shutil.copy(self.labs / self.lab / "Vagrantfile", self.plain / "Vagrantfile")
        if lab_networks:
            run([INVOKE, "up", *self.lab_args, "--until", "networks"], ROOT, self.env)
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
    times: dict[str, list[float]] = {"ours": [], "plain": [], "plain-labnet": []}
    with tempfile.TemporaryDirectory() as name:
        bench = Bench(Path(name), args.lab, args.nodes, args.net)
        runs: dict[str, Callable[[], float]] = {
            "ours": bench.ours,
            "plain": bench.vagrant,
            "plain-labnet": lambda: bench.vagrant(lab_networks=True),
        }
        if not box_in_pool():
            print("warm-up (untimed): importing the box into the storage pool")
            bench.vagrant()
        for i in range(args.rounds):
            order = list(runs)[i % 3 :] + list(runs)[: i % 3]
            for who in order:
                seconds = runs[who]()
                times[who].append(seconds)
                print(f"round {i + 1}: {who:<12} {seconds:6.1f} s", flush=True)
    print(summary(f"invoke up --until vms, {args.nodes} nodes:", times["ours"]))
    print(summary("plain vagrant up, same Vagrantfile:", times["plain"]))
    print(summary("  the same on labbuilder's networks:", times["plain-labnet"]))
    print(ratios("ours/plain", times["ours"], times["plain"]) + " (target <= 1.10)")
    print(ratios("ours/plain on labbuilder's networks", times["ours"], times["plain-labnet"]))
    print(ratios("labbuilder's networks/vagrant's", times["plain-labnet"], times["plain"]))


def ratios(name: str, a: list[float], b: list[float]) -> str:
    by_min, by_median = min(a) / min(b), statistics.median(a) / statistics.median(b)
    return f"ratio {name}: min {by_min:.2f}, median {by_median:.2f}"


if __name__ == "__main__":
    main()
