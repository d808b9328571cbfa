"""Can this host run the lab as planned? Each check turns facts into an OK, WARN or FAIL line.

Everything here is pure: the facts, tool versions and other libvirt networks come in as data.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network
from typing import Literal

from packaging.version import InvalidVersion, Version

from labbuilder.adapters.hostfacts import HostFacts, kvm_vendor_module, nesting, virtualization
from labbuilder.model import releases

Status = Literal["OK", "WARN", "FAIL"]

CPU_OVERCOMMIT_WARN = 2
"""WARN when the lab asks for more than this many vCPUs per host CPU."""
MEMORY_HEADROOM = 0.9
"""WARN when the lab takes more than this share of the available memory."""
DISK_FLOOR_GIB = 10
"""Free space a lab needs at least: the box image plus what a Packstack run writes."""
PRIVATE_POOLS = tuple(IPv4Network(net) for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
SUBNET_FLAGS = "--external-subnet/--tunnel-subnet"


@dataclass(frozen=True)
class Needs:
    """What the lab asks of the host (sums over all its VMs)."""

    memory_mib: int
    vcpus: int
    disk_gib: int
    """Sum of the virtual sizes of the lab's disks."""
    subnets: tuple[IPv4Network, ...]
    compute_nodes: int


@dataclass(frozen=True)
class Tools:
    """What the outside tools answered; None where a tool is missing."""

    libvirt_version: str | None
    libvirt_error: str
    vagrant_version: str | None
    vagrant_libvirt_version: str | None


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    value: str
    remedy: str = ""


def check_libvirt(version: str | None, error: str = "") -> Check:
    if version:
        return Check("libvirt", "OK", version)
    return Check(
        "libvirt",
        "FAIL",
        f"qemu:///system not reachable: {error or 'no answer'}",
        "start libvirtd (`systemctl start libvirtd`, or `virtlogd -d; libvirtd -d` without "
        "systemd) and check `virsh -c qemu:///system version`",
    )


VAGRANT_MIN = Version("2.3")
"""Vagrant 2.3.0 signs with rsa-sha2; CentOS Stream 9 refuses the ssh-rsa (SHA-1) of older ones."""
VAGRANT_LIBVIRT_MIN = Version("0.8")
"""vagrant-libvirt 0.8.0 added ``management_network_keep``, which the lab's Vagrantfile sets."""
VAGRANT_REMEDY = (
    "install Vagrant >= 2.3 from HashiCorp's packages "
    "(https://developer.hashicorp.com/vagrant/install) or a distribution that ships it (Debian 12)"
)
VAGRANT_LIBVIRT_REMEDY = (
    "`vagrant plugin install vagrant-libvirt` (>= 0.8), or `apt install vagrant-libvirt` "
    "where the distribution ships >= 0.8 (Debian 12: 0.11.2)"
)


def parse_version(text: str) -> Version | None:
    """``2.3.4``, ``Vagrant 2.2.19``, ``2.2.19+dfsg-1ubuntu1``, ``0.11.2, system`` -> Version."""
    m = re.search(r"\d+(?:\.\d+)*", text)
    if m is None:
        return None
    try:
        return Version(m[0])
    except InvalidVersion:
        return None


def _tool(name: str, version: str, minimum: Version, why: str, remedy: str) -> Check:
    parsed = parse_version(version)
    if parsed is None:
        return Check(name, "WARN", f"{version} (version not understood; need >= {minimum})", remedy)
    if parsed < minimum:
        return Check(name, "FAIL", f"{version} is older than {minimum}: {why}", remedy)
    return Check(name, "OK", version)


def check_vagrant(version: str | None) -> Check:
    if not version:
        return Check("vagrant", "FAIL", "not found", VAGRANT_REMEDY)
    why = "CentOS Stream 9 refuses the ssh-rsa (SHA-1) signatures it makes"
    return _tool("vagrant", version, VAGRANT_MIN, why, VAGRANT_REMEDY)


def check_vagrant_libvirt(version: str | None) -> Check:
    if not version:
        return Check("vagrant-libvirt", "FAIL", "plugin not installed", VAGRANT_LIBVIRT_REMEDY)
    why = "it has no management_network_keep, which the lab's Vagrantfile sets"
    return _tool("vagrant-libvirt", version, VAGRANT_LIBVIRT_MIN, why, VAGRANT_LIBVIRT_REMEDY)


def check_vagrant_home(home: str, closed: str | None, boots_box_kernel: bool) -> Check:
    """The box boots a kernel from its box directory under Vagrant's home: QEMU, running as
    its own user, must be able to traverse every directory on the way."""
    if not boots_box_kernel or closed is None:
        return Check("vagrant home", "OK", home)
    return Check(
        "vagrant home",
        "FAIL",
        f"{home}: QEMU cannot traverse {closed}, so it cannot read the box's kernel",
        "unset VAGRANT_HOME (labbuilder then uses /var/lib/labbuilder/vagrant.d), "
        "or point it at a directory others can traverse",
    )


def check_release(name: str, today: datetime.date) -> Check:
    """WARN for a release no longer maintained upstream (RDO stops updating it)."""
    status, said = releases.status_check(name, today)
    if status == "OK":
        return Check("release", "OK", said)
    if releases.CATALOG[name].maintained:
        remedy = "nothing to change: no newer RDO release ships Packstack for CentOS Stream 9"
    else:
        remedy = "use --release epoxy unless you must reproduce this one"
    return Check("release", "WARN", said, remedy)


def check_virtualization(facts: HostFacts) -> Check:
    """Never FAIL: without KVM the lab still runs, emulated."""
    if virtualization(facts) == "kvm":
        flag = ", ".join(sorted(facts.cpu_flags & {"vmx", "svm"}))
        modules = ", ".join(sorted(facts.kvm_modules))
        return Check("virtualization", "OK", f"kvm ({flag}, /dev/kvm, {modules})")
    has_flag = bool(facts.cpu_flags & {"vmx", "svm"})
    reasons = []
    if not has_flag:
        reasons.append("no vmx/svm CPU flag")
    if not facts.dev_kvm:
        reasons.append("no /dev/kvm")
    elif not has_flag:
        reasons.append("/dev/kvm without them is paravirtual KVM (e.g. PVM), unusable for guests")
    if not facts.kvm_modules:
        reasons.append("kvm_intel/kvm_amd not loaded")
    if has_flag and facts.dev_kvm:
        remedy = f"`modprobe {kvm_vendor_module(facts)}`, then run preflight again"
    elif has_flag:
        remedy = f"`modprobe {kvm_vendor_module(facts)}` and check that /dev/kvm appears"
    else:
        remedy = (
            "enable VT-x/AMD-V in the firmware, or nested virtualisation on the hypervisor "
            "running this host; otherwise expect long runs"
        )
    return Check(
        "virtualization",
        "WARN",
        f"no usable hardware virtualisation ({'; '.join(reasons)}): VMs and OpenStack "
        "instances will be emulated (TCG), many times slower",
        remedy,
    )


def nested_remedy(module: str) -> str:
    """The command that turns nesting on for ``module`` (kvm_intel or kvm_amd) for good."""
    return (
        f'echo "options {module} nested=1" > /etc/modprobe.d/kvm-nested.conf '
        f"&& modprobe -r {module} && modprobe {module}  (with all VMs stopped)"
    )


def check_nesting(facts: HostFacts, compute_nodes: int) -> Check:
    if compute_nodes == 0:
        return Check("nesting", "OK", "not needed: the lab has no compute nodes")
    if virtualization(facts) == "qemu":
        return Check("nesting", "OK", "not applicable: no KVM, instances run emulated (qemu)")
    if nesting(facts):
        return Check("nesting", "OK", f"on (nested={facts.nested}): instances can use KVM")
    module = kvm_vendor_module(facts)
    return Check(
        "nesting",
        "WARN",
        f"off ({module} nested={facts.nested or 'unknown'}): OpenStack instances on the "
        f"{compute_nodes} compute node(s) will be emulated (qemu)",
        nested_remedy(module),
    )


def check_memory(needed_mib: int, available_mib: int, *, force: bool = False) -> Check:
    value = f"need {needed_mib} MiB, available {available_mib} MiB"
    if needed_mib > available_mib:
        if force:
            return Check(
                "memory",
                "WARN",
                f"{value} (overcommitted with --force)",
                "guests may swap or be stopped by the OOM killer",
            )
        return Check(
            "memory", "FAIL", value, "free memory or lower --memory (or --force to overcommit)"
        )
    if needed_mib > available_mib * MEMORY_HEADROOM:
        return Check(
            "memory",
            "WARN",
            f"{value} (less than {100 - MEMORY_HEADROOM * 100:.0f}% left for the host)",
            "free memory or lower --memory",
        )
    return Check("memory", "OK", value)


def check_cpus(vcpus: int, host_cpus: int) -> Check:
    """Never FAIL: overcommitted vCPUs only make the lab slower."""
    value = f"need {vcpus} vCPUs, host has {host_cpus}"
    if vcpus > CPU_OVERCOMMIT_WARN * host_cpus:
        return Check(
            "cpus",
            "WARN",
            f"{value} ({vcpus / host_cpus:.1f}x overcommit: the lab will be slow)",
            "lower --vcpus or the number of nodes",
        )
    return Check("cpus", "OK", value)


def check_disk(needed_gib: int, free_gib: float) -> Check:
    """Compare free space with the lab's disks, knowing they are thin (qcow2).

    The disks start nearly empty and grow as the guests write, so the sum of their virtual
    sizes is an upper bound, not what the lab takes. Free space at or above it: OK, the lab
    can never fill the disk. Below it: WARN, the lab starts but can fill the disk if the
    guests write a lot (images, volumes). FAIL only below what any lab needs to come up at all:
    ``DISK_FLOOR_GIB`` (box image plus one Packstack run), or the whole virtual size when that
    is smaller (a small test lab).
    """
    value = f"need up to {needed_gib} GiB (thin qcow2), free {free_gib:.1f} GiB"
    floor = min(DISK_FLOOR_GIB, needed_gib)
    if free_gib < floor:
        return Check(
            "disk", "FAIL", f"{value}; below the {floor} GiB minimum", "free space on the pool"
        )
    if free_gib < needed_gib:
        return Check(
            "disk",
            "WARN",
            f"{value}; enough to start, the guests can fill it",
            "free space on the pool or give the nodes smaller disks",
        )
    return Check("disk", "OK", value)


def free_subnet(prefixlen: int, taken: Iterable[IPv4Network]) -> IPv4Network | None:
    """The first private subnet of this size that overlaps nothing in ``taken``."""
    taken = tuple(taken)
    for pool in PRIVATE_POOLS:
        if prefixlen < pool.prefixlen or any(pool.subnet_of(net) for net in taken):
            continue
        for candidate in pool.subnets(new_prefix=prefixlen):
            if not any(candidate.overlaps(net) for net in taken):
                return candidate
    return None


def check_subnets(
    subnets: Sequence[IPv4Network],
    routes: Iterable[IPv4Network],
    others: Mapping[str, IPv4Network],
    *,
    own_existing: Iterable[IPv4Network] = (),
) -> Check:
    """FAIL when a lab subnet clashes with a host route or another libvirt network.

    A route that equals or lies inside a lab subnet is a clash (libvirt refuses the network,
    or part of the lab is unreachable). A lab subnet inside a broader route (a VPN's
    10.0.0.0/8) works, since the narrower route wins, but hides those addresses: WARN.
    ``own_existing``: subnets of the lab's own libvirt networks that already exist (a
    repeated ``up``); their bridges' routes are not clashes.
    """
    own = frozenset(own_existing)
    routes = tuple(route for route in routes if route not in own)
    clashes: list[str] = []
    shadows: list[str] = []
    troubled: list[IPv4Network] = []
    for net in subnets:
        found = len(clashes) + len(shadows)
        for route in routes:
            if route.subnet_of(net):
                clashes.append(f"{net} overlaps host route {route}")
            elif net.subnet_of(route):
                shadows.append(f"{net} lies inside host route {route}")
        clashes.extend(
            f"{net} overlaps libvirt network '{name}' ({other})"
            for name, other in sorted(others.items())
            if net.overlaps(other)
        )
        if len(clashes) + len(shadows) > found:
            troubled.append(net)
    if not troubled:
        return Check("subnets", "OK", ", ".join(str(net) for net in subnets) or "none")
    taken = [*routes, *others.values(), *subnets]
    suggestions = []
    for net in troubled:
        free = free_subnet(net.prefixlen, taken)
        if free is not None:
            suggestions.append(str(free))
            taken.append(free)
    hint = f" (free here: {', '.join(suggestions)})" if suggestions else ""
    if clashes:
        return Check(
            "subnets", "FAIL", "; ".join(clashes + shadows), f"choose {SUBNET_FLAGS}{hint}"
        )
    return Check(
        "subnets",
        "WARN",
        "; ".join(shadows) + ": the host cannot reach those addresses through that route",
        f"if you need them, choose {SUBNET_FLAGS}{hint}",
    )


def run_checks(
    facts: HostFacts,
    needs: Needs,
    tools: Tools,
    others: Mapping[str, IPv4Network],
    *,
    own_existing: Iterable[IPv4Network] = (),
    force: bool = False,
) -> list[Check]:
    """All checks in display order. ``others``: the other libvirt networks, name -> subnet."""
    return [
        check_libvirt(tools.libvirt_version, tools.libvirt_error),
        check_vagrant(tools.vagrant_version),
        check_vagrant_libvirt(tools.vagrant_libvirt_version),
        check_virtualization(facts),
        check_nesting(facts, needs.compute_nodes),
        check_memory(needs.memory_mib, facts.mem_available_mib, force=force),
        check_cpus(needs.vcpus, facts.cpus),
        check_disk(needs.disk_gib, facts.disk_free_gib),
        check_subnets(needs.subnets, facts.routes, others, own_existing=own_existing),
    ]


def failed(checks: Iterable[Check]) -> bool:
    return any(check.status == "FAIL" for check in checks)


def format_checks(checks: Iterable[Check]) -> list[str]:
    """One plain line per check: status, name, value and, if any, ``-> remedy``."""
    lines = []
    for check in checks:
        line = f"{check.status:<4} {check.name:<15} {check.value}"
        if check.remedy:
            line += f"  -> {check.remedy}"
        lines.append(line)
    return lines
