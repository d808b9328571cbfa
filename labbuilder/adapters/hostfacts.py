"""What the host offers a lab: CPUs, memory, disk, KVM and its routes.

The ``parse_*`` functions turn the kernel's text files into data; ``gather`` only reads them.
"""

from __future__ import annotations

import shutil
import socket
import struct
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Literal

from labbuilder.errors import PreflightError

KVM_VENDOR_MODULES = ("kvm_intel", "kvm_amd")
HARDWARE_VIRT_FLAGS = frozenset({"vmx", "svm"})
NESTED_ON = frozenset({"Y", "y", "1"})
RTF_UP = 0x1


@dataclass(frozen=True)
class HostFacts:
    cpu_flags: frozenset[str]
    cpus: int
    dev_kvm: bool
    kvm_modules: frozenset[str]
    nested: str | None
    """Raw value of ``/sys/module/kvm_{intel,amd}/parameters/nested``; None if absent."""
    mem_total_mib: int
    mem_available_mib: int
    disk_free_gib: float
    routes: tuple[IPv4Network, ...]
    """Every up IPv4 route of the main table except the default route."""


def parse_cpuinfo(text: str) -> tuple[frozenset[str], int]:
    """Return (flags of the first processor, number of processors) from /proc/cpuinfo."""
    flags: frozenset[str] | None = None
    count = 0
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "processor":
            count += 1
        elif key == "flags" and flags is None:
            flags = frozenset(value.split())
    if count == 0:
        raise PreflightError(
            "no 'processor' entry in /proc/cpuinfo; "
            "run labbuilder on a Linux host with /proc mounted"
        )
    return flags or frozenset(), count


def parse_meminfo(text: str) -> tuple[int, int]:
    """Return (MemTotal, MemAvailable) in MiB from /proc/meminfo."""
    kib: dict[str, int] = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields = value.split()
        if fields and fields[0].isdigit():
            kib[key.strip()] = int(fields[0])
    missing = [key for key in ("MemTotal", "MemAvailable") if key not in kib]
    if missing:
        raise PreflightError(
            f"no {' or '.join(missing)} in /proc/meminfo; labbuilder needs Linux 3.14 or newer"
        )
    return kib["MemTotal"] // 1024, kib["MemAvailable"] // 1024


def parse_modules(text: str) -> frozenset[str]:
    """Return the names of the live modules in /proc/modules."""
    names = set()
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 5 and fields[4] == "Live":
            names.add(fields[0])
    return frozenset(names)


def _hex_le_address(field: str) -> IPv4Address:
    return IPv4Address(socket.inet_ntoa(struct.pack("<I", int(field, 16))))


def parse_routes(text: str) -> tuple[IPv4Network, ...]:
    """Return the up routes of /proc/net/route (hex, little-endian) without the default route.

    Duplicates (the same subnet on two metrics or devices) appear once, in file order.
    """
    routes: dict[IPv4Network, None] = {}
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 8 or not int(fields[3], 16) & RTF_UP:
            continue
        destination, mask = _hex_le_address(fields[1]), _hex_le_address(fields[7])
        if int(mask) == 0:
            continue
        routes[IPv4Network(f"{destination}/{mask}", strict=False)] = None
    return tuple(routes)


def virtualization(facts: HostFacts) -> Literal["kvm", "qemu"]:
    """``kvm`` only when the CPU flag, /dev/kvm and a vendor KVM module are all there.

    /dev/kvm alone is not enough: a paravirtualised KVM (PVM) provides it without vmx/svm,
    and ordinary guests hang on it.
    """
    if facts.cpu_flags & HARDWARE_VIRT_FLAGS and facts.dev_kvm and facts.kvm_modules:
        return "kvm"
    return "qemu"


def nesting(facts: HostFacts) -> bool:
    """True when guests can run KVM guests of their own (nested virtualisation)."""
    return facts.nested in NESTED_ON and virtualization(facts) == "kvm"


def kvm_vendor_module(facts: HostFacts) -> str:
    """The vendor module this CPU uses (or would use): ``kvm_amd`` on svm, else ``kvm_intel``."""
    loaded = sorted(facts.kvm_modules)
    if loaded:
        return loaded[0]
    return "kvm_amd" if "svm" in facts.cpu_flags else "kvm_intel"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as err:
        raise PreflightError(
            f"cannot read {path}: {err.strerror}; run labbuilder on a Linux host with /proc mounted"
        ) from err


def _read_optional(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def _existing_ancestor(path: Path) -> Path:
    """``path`` or its nearest existing parent: where a directory yet to be made would live."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return path


def gather(root: Path = Path("/"), *, disk_path: Path) -> HostFacts:
    """Read the host's facts from the files under ``root`` and the free space at ``disk_path``.

    A vendor KVM module counts as loaded when /proc/modules lists it or /sys/module has it;
    the second covers kernels with KVM built in (they may have no /proc/modules at all).
    """
    flags, cpus = parse_cpuinfo(_read(root / "proc/cpuinfo"))
    mem_total, mem_available = parse_meminfo(_read(root / "proc/meminfo"))
    modules = parse_modules(_read_optional(root / "proc/modules") or "")
    sys_module = root / "sys/module"
    kvm_modules = frozenset(
        name for name in KVM_VENDOR_MODULES if name in modules or (sys_module / name).is_dir()
    )
    nested = None
    for name in KVM_VENDOR_MODULES:
        value = _read_optional(sys_module / name / "parameters/nested")
        if value is not None:
            nested = value.strip()
            break
    usage = shutil.disk_usage(_existing_ancestor(disk_path))
    return HostFacts(
        cpu_flags=flags,
        cpus=cpus,
        dev_kvm=(root / "dev/kvm").exists(),
        kvm_modules=kvm_modules,
        nested=nested,
        mem_total_mib=mem_total,
        mem_available_mib=mem_available,
        disk_free_gib=usage.free / 2**30,
        routes=parse_routes(_read_optional(root / "proc/net/route") or ""),
    )
