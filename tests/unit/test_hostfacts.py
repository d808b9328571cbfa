from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from ipaddress import IPv4Network
from pathlib import Path

import pytest

from labbuilder.adapters.hostfacts import (
    gather,
    kvm_vendor_module,
    nesting,
    parse_cpuinfo,
    parse_meminfo,
    parse_modules,
    parse_routes,
    virtualization,
)
from labbuilder.errors import PreflightError
from tests.conftest import FIXTURES

HOSTS = FIXTURES / "host"


@pytest.mark.parametrize(
    ("host", "virt", "nested_ok", "cpus", "modules", "nested", "mem_total", "mem_available"),
    [
        ("pvm-debian12", "qemu", False, 2, frozenset(), None, 24105, 23701),
        ("intel-nested-y", "kvm", True, 4, frozenset({"kvm_intel"}), "Y", 15921, 13172),
        ("amd-nested-1", "kvm", True, 4, frozenset({"kvm_amd"}), "1", 31839, 29992),
        ("intel-nested-n", "kvm", False, 2, frozenset({"kvm_intel"}), "N", 7841, 6848),
    ],
)
def test_gather_fixture_hosts(
    host: str,
    virt: str,
    nested_ok: bool,
    cpus: int,
    modules: frozenset[str],
    nested: str | None,
    mem_total: int,
    mem_available: int,
    tmp_path: Path,
) -> None:
    facts = gather(HOSTS / host, disk_path=tmp_path)
    assert (virtualization(facts), nesting(facts)) == (virt, nested_ok)
    assert (facts.cpus, facts.kvm_modules, facts.nested) == (cpus, modules, nested)
    assert (facts.mem_total_mib, facts.mem_available_mib) == (mem_total, mem_available)
    assert facts.dev_kvm


@pytest.mark.parametrize(
    ("host", "routes"),
    [
        ("pvm-debian12", ["192.0.2.0/24"]),
        ("intel-nested-y", ["172.17.0.0/16", "192.168.1.0/24", "192.168.122.0/24"]),
        ("amd-nested-1", ["10.0.0.0/22", "169.254.169.254/32"]),
        (
            "intel-nested-n",
            ["10.0.0.0/8", "10.8.0.0/24", "172.20.4.0/22", "192.168.121.0/24"],
        ),
    ],
)
def test_fixture_routes(host: str, routes: list[str]) -> None:
    text = (HOSTS / host / "proc/net/route").read_text()
    assert parse_routes(text) == tuple(IPv4Network(net) for net in routes)


@pytest.mark.parametrize(
    ("host", "has", "lacks"),
    [
        ("pvm-debian12", {"avx2", "hypervisor", "lm"}, {"vmx", "svm"}),
        ("intel-nested-y", {"vmx", "ept"}, {"svm", "preemption_timer"}),
        ("amd-nested-1", {"svm", "npt", "hypervisor"}, {"vmx"}),
        ("intel-nested-n", {"vmx", "avx512f"}, {"svm", "shadow_vmcs"}),
    ],
)
def test_cpu_flags_come_from_the_flags_line_only(host: str, has: set[str], lacks: set[str]) -> None:
    flags, _ = parse_cpuinfo((HOSTS / host / "proc/cpuinfo").read_text())
    assert has <= flags
    assert not lacks & flags


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ()),
        ("Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT", ()),
        # default route, a /24, a host route, a route that is not up, the same /24 again
        (
            "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
            "eth0\t00000000\t0101A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
            "eth0\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
            "eth0\tFEA9FEA9\t0101A8C0\t0007\t0\t0\t0\tFFFFFFFF\t0\t0\t0\n"
            "eth1\t0000000A\t00000000\t0000\t0\t0\t0\t000000FF\t0\t0\t0\n"
            "eth2\t0001A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n",
            ("192.168.1.0/24", "169.254.169.254/32"),
        ),
    ],
)
def test_parse_routes(text: str, expected: tuple[str, ...]) -> None:
    assert parse_routes(text) == tuple(IPv4Network(net) for net in expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kvm_intel 380928 0 - Live 0x0000000000000000", {"kvm_intel"}),
        ("kvm_amd 155648 0 - Loading 0x0000000000000000", set()),
        ("kvm_amd 155648 0 - Unloading 0x0000000000000000", set()),
        (
            "vboxdrv 696320 2 vboxnetadp,vboxnetflt, Live 0x0000000000000000 (OE)\n"
            "kvm 1142784 1 kvm_intel, Live 0x0000000000000000\n",
            {"vboxdrv", "kvm"},
        ),
        ("", set()),
    ],
)
def test_parse_modules(text: str, expected: set[str]) -> None:
    assert parse_modules(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MemTotal:  2048 kB\nMemFree: 100 kB\nMemAvailable:  1536 kB\n", (2, 1)),
        ("MemTotal:  2047 kB\nMemAvailable:  1023 kB\nHugePages_Total:       0\n", (1, 0)),
    ],
)
def test_parse_meminfo(text: str, expected: tuple[int, int]) -> None:
    assert parse_meminfo(text) == expected


@pytest.mark.parametrize(
    ("parse", "text", "message"),
    [
        (parse_meminfo, "MemTotal:  2048 kB\nMemFree: 100 kB\n", "no MemAvailable"),
        (parse_meminfo, "", "no MemTotal or MemAvailable"),
        (parse_cpuinfo, "", "no 'processor' entry"),
    ],
)
def test_parse_errors(parse: Callable[[str], object], text: str, message: str) -> None:
    with pytest.raises(PreflightError, match=message):
        parse(text)


def _copy_host(host: str, dest: Path, *remove: str) -> Path:
    root = dest / host
    shutil.copytree(HOSTS / host, root)
    for rel in remove:
        target = root / rel
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink()
    return root


@pytest.mark.parametrize(
    ("host", "remove", "virt", "modules"),
    [
        ("intel-nested-y", ["dev/kvm"], "qemu", {"kvm_intel"}),
        ("intel-nested-y", ["proc/modules", "sys/module/kvm_intel"], "qemu", set()),
        # kvm_intel built into the kernel: no /proc/modules line, but /sys/module has it
        ("intel-nested-y", ["proc/modules"], "kvm", {"kvm_intel"}),
        ("amd-nested-1", ["sys/module"], "kvm", {"kvm_amd"}),
    ],
)
def test_gather_variants(
    host: str, remove: list[str], virt: str, modules: set[str], tmp_path: Path
) -> None:
    facts = gather(_copy_host(host, tmp_path, *remove), disk_path=tmp_path)
    assert (virtualization(facts), set(facts.kvm_modules)) == (virt, modules)


@pytest.mark.parametrize(
    ("host", "module"),
    [
        ("pvm-debian12", "kvm_intel"),
        ("intel-nested-y", "kvm_intel"),
        ("amd-nested-1", "kvm_amd"),
    ],
)
def test_kvm_vendor_module(host: str, module: str, tmp_path: Path) -> None:
    assert kvm_vendor_module(gather(HOSTS / host, disk_path=tmp_path)) == module


def test_gather_measures_the_nearest_existing_directory(tmp_path: Path) -> None:
    facts = gather(HOSTS / "pvm-debian12", disk_path=tmp_path / "pool" / "not-yet")
    expected = shutil.disk_usage(tmp_path).free / 2**30
    assert facts.disk_free_gib == pytest.approx(expected, abs=0.5)


def test_gather_names_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PreflightError, match=r"cannot read .*proc/cpuinfo"):
        gather(tmp_path, disk_path=tmp_path)


def test_gather_on_this_host() -> None:
    facts = gather(disk_path=Path("/var/lib/libvirt/images"))
    assert facts.cpus >= 1
    assert facts.cpus == os.cpu_count()
    assert facts.mem_total_mib >= facts.mem_available_mib > 0
    assert facts.disk_free_gib > 0
    assert IPv4Network("0.0.0.0/0") not in facts.routes
