"""How many labs of one shape fit on a host: RAM, vCPUs and disk against a policy. Pure.

- RAM is not overcommitted: labs still to start must fit in the host's available memory minus
  a headroom kept for the host (the larger of ``memory_headroom_mib`` and 10% of its RAM).
  Labs already running are in that figure already, so they are not counted again.
- vCPUs may be overcommitted ``vcpu_overcommit`` times the host's CPUs, counting every lab of
  the class (running or not): an overcommitted lab is slow, not broken.
- Disk: qcow2 disks are thin, so the virtual sizes of the labs to start may add up to
  ``disk_overcommit`` times the free space of the pool.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from labbuilder.model.lab import Sizes

HEADROOM_SHARE = 0.1


@dataclass(frozen=True)
class Policy:
    vcpu_overcommit: float = 4.0
    memory_headroom_mib: int = 2048
    disk_overcommit: float = 2.0


@dataclass(frozen=True)
class Host:
    cpus: int
    mem_total_mib: int
    mem_available_mib: int
    disk_free_gib: float


@dataclass(frozen=True)
class Limit:
    resource: str
    fits: int
    detail: str
    knob: str


@dataclass(frozen=True)
class Fit:
    per_lab: Sizes
    labs: int
    running: int
    limits: tuple[Limit, ...]

    @property
    def pending(self) -> int:
        return self.labs - self.running

    @property
    def fits(self) -> int:
        """How many of the labs still to start fit (at most ``pending``)."""
        return min([self.pending, *(lim.fits for lim in self.limits)])

    @property
    def binding(self) -> Limit:
        return min(self.limits, key=lambda lim: lim.fits)

    @property
    def ok(self) -> bool:
        return self.fits >= self.pending


def headroom(host: Host, policy: Policy) -> int:
    return max(policy.memory_headroom_mib, int(host.mem_total_mib * HEADROOM_SHARE))


def _count(budget: float, each: float) -> int:
    if each <= 0:
        return 1 << 30
    return max(0, math.floor(budget / each + 1e-9))


def fit(per_lab: Sizes, labs: int, running: int, host: Host, policy: Policy) -> Fit:
    """``labs`` labs of size ``per_lab`` of which ``running`` already run."""
    room = headroom(host, policy)
    mem_budget = host.mem_available_mib - room
    cpu_budget = host.cpus * policy.vcpu_overcommit - running * per_lab.vcpus
    disk_budget = host.disk_free_gib * policy.disk_overcommit
    limits = (
        Limit(
            "RAM",
            _count(mem_budget, per_lab.memory_mib),
            f"{host.mem_available_mib} MiB available - {room} MiB headroom, "
            f"{per_lab.memory_mib} MiB per lab",
            "capacity.memory_headroom_mib",
        ),
        Limit(
            "vCPUs",
            _count(cpu_budget, per_lab.vcpus),
            f"{host.cpus} CPUs x {policy.vcpu_overcommit:g} overcommit, "
            f"{running * per_lab.vcpus} in use by running labs, {per_lab.vcpus} per lab",
            "capacity.vcpu_overcommit",
        ),
        Limit(
            "disk",
            _count(disk_budget, per_lab.disk_gib),
            f"{host.disk_free_gib:.0f} GiB free x {policy.disk_overcommit:g} (thin qcow2), "
            f"{per_lab.disk_gib} GiB per lab",
            "capacity.disk_overcommit",
        ),
    )
    return Fit(per_lab, labs, running, limits)


def refusal(fit_: Fit, class_name: str) -> str:
    """One line: how many fit, what limits it, what to change."""
    lim = fit_.binding
    over = fit_.pending - fit_.fits
    return (
        f"class {class_name} does not fit this host: {fit_.fits} of the {fit_.pending} labs to "
        f"start fit ({lim.resource}: {lim.detail}): use fewer nodes or smaller "
        f"--memory/--vcpus/--disk, change {lim.knob} in the class file, or move {over} "
        "student(s) to another host"
    )


def lines(fit_: Fit) -> list[str]:
    s = fit_.per_lab
    out = [
        f"per lab: {s.memory_mib} MiB RAM, {s.vcpus} vCPUs, {s.disk_gib} GiB disk (virtual)",
        f"class: {fit_.labs} labs ({fit_.running} running): {fit_.labs * s.memory_mib} MiB RAM, "
        f"{fit_.labs * s.vcpus} vCPUs, {fit_.labs * s.disk_gib} GiB disk",
    ]
    out += [f"  {lim.resource:<6} room for {lim.fits:>4} more: {lim.detail}" for lim in fit_.limits]
    verdict = "fits" if fit_.ok else "does NOT fit"
    out.append(f"{fit_.pending} labs to start, {fit_.fits} fit: the class {verdict}")
    return out
