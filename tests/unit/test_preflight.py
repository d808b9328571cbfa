from __future__ import annotations

import dataclasses
import shutil
import tempfile
from ipaddress import IPv4Network
from pathlib import Path

import pytest

from labbuilder.adapters.hostfacts import HostFacts, gather
from labbuilder.adapters.vagrant import closed_to_others
from labbuilder.stages.preflight import (
    Check,
    Needs,
    Tools,
    check_cpus,
    check_disk,
    check_libvirt,
    check_memory,
    check_nesting,
    check_subnets,
    check_vagrant,
    check_vagrant_home,
    check_vagrant_libvirt,
    check_virtualization,
    failed,
    format_checks,
    free_subnet,
    run_checks,
)
from tests.conftest import FIXTURES

HOSTS = FIXTURES / "host"
TOOLS_OK = Tools("9.0.0", "", "2.3.4", "0.11.2")
NETS = tuple(IPv4Network(net) for net in ("10.10.0.0/24", "10.20.0.0/24"))


def host(name: str, disk_free_gib: float = 200.0) -> HostFacts:
    facts = gather(HOSTS / name, disk_path=HOSTS)
    return dataclasses.replace(facts, disk_free_gib=disk_free_gib)


def nets(*names: str) -> tuple[IPv4Network, ...]:
    return tuple(IPv4Network(name) for name in names)


@pytest.mark.parametrize(
    ("host_name", "expected"),
    [
        (
            "pvm-debian12",
            {"virtualization": "WARN", "nesting": "OK", "memory": "OK", "cpus": "WARN"},
        ),
        (
            "intel-nested-y",
            {"virtualization": "OK", "nesting": "OK", "memory": "OK", "cpus": "OK"},
        ),
        (
            "amd-nested-1",
            {"virtualization": "OK", "nesting": "OK", "memory": "OK", "cpus": "OK"},
        ),
        (
            # 10.10/24 and 10.20/24 lie inside its VPN route 10.0.0.0/8
            "intel-nested-n",
            {
                "virtualization": "OK",
                "nesting": "WARN",
                "memory": "WARN",
                "cpus": "WARN",
                "subnets": "WARN",
            },
        ),
    ],
)
def test_run_checks_on_fixture_hosts(host_name: str, expected: dict[str, str]) -> None:
    needs = Needs(memory_mib=6400, vcpus=6, disk_gib=60, subnets=NETS, compute_nodes=1)
    checks = run_checks(
        host(host_name), needs, TOOLS_OK, {"default": IPv4Network("192.168.122.0/24")}
    )
    statuses = {check.name: check.status for check in checks}
    defaults = {"libvirt": "OK", "vagrant": "OK", "vagrant-libvirt": "OK", "disk": "OK"}
    assert statuses == {"subnets": "OK", **defaults, **expected}
    assert not failed(checks)


def test_pvm_host_warns_about_emulation() -> None:
    check = check_virtualization(host("pvm-debian12"))
    assert check.status == "WARN"
    assert check.value.startswith("no usable hardware virtualisation (no vmx/svm CPU flag;")
    assert "paravirtual" in check.value
    assert check.value.endswith("will be emulated (TCG), many times slower")


@pytest.mark.parametrize(
    ("host_name", "change", "status", "text"),
    [
        ("intel-nested-y", {}, "OK", "kvm (vmx, /dev/kvm, kvm_intel)"),
        ("amd-nested-1", {}, "OK", "kvm (svm, /dev/kvm, kvm_amd)"),
        ("intel-nested-y", {"dev_kvm": False}, "WARN", "(no /dev/kvm)"),
        ("intel-nested-y", {"kvm_modules": frozenset()}, "WARN", "(kvm_intel/kvm_amd not loaded)"),
    ],
)
def test_check_virtualization(
    host_name: str, change: dict[str, object], status: str, text: str
) -> None:
    check = check_virtualization(dataclasses.replace(host(host_name), **change))  # type: ignore[arg-type]
    assert (check.status, text in check.value) == (status, True)


@pytest.mark.parametrize(
    ("host_name", "computes", "status", "remedy"),
    [
        ("intel-nested-y", 2, "OK", ""),
        ("amd-nested-1", 1, "OK", ""),
        ("pvm-debian12", 2, "OK", ""),
        ("intel-nested-n", 0, "OK", ""),
        (
            "intel-nested-n",
            2,
            "WARN",
            'echo "options kvm_intel nested=1" > /etc/modprobe.d/kvm-nested.conf'
            " && modprobe -r kvm_intel && modprobe kvm_intel  (with all VMs stopped)",
        ),
    ],
)
def test_check_nesting(host_name: str, computes: int, status: str, remedy: str) -> None:
    check = check_nesting(host(host_name), computes)
    assert (check.status, check.remedy) == (status, remedy)


def test_nesting_remedy_for_amd() -> None:
    facts = dataclasses.replace(host("amd-nested-1"), nested="0")
    check = check_nesting(facts, 1)
    assert check.value.startswith("off (kvm_amd nested=0)")
    assert check.remedy.startswith('echo "options kvm_amd nested=1" > /etc/modprobe.d/')


@pytest.mark.parametrize(
    ("needed", "available", "force", "status"),
    [
        (4096, 8000, False, "OK"),
        (7600, 8000, False, "WARN"),
        (14336, 8000, False, "FAIL"),
        (14336, 8000, True, "WARN"),
        (8000, 8000, False, "WARN"),
    ],
)
def test_check_memory(needed: int, available: int, force: bool, status: str) -> None:
    check = check_memory(needed, available, force=force)
    assert check.status == status
    assert check.value.startswith(f"need {needed} MiB, available {available} MiB")


@pytest.mark.parametrize(
    ("vcpus", "host_cpus", "status"),
    [(2, 2, "OK"), (4, 2, "OK"), (5, 2, "WARN"), (64, 2, "WARN"), (16, 8, "OK")],
)
def test_check_cpus_never_fails(vcpus: int, host_cpus: int, status: str) -> None:
    assert check_cpus(vcpus, host_cpus).status == status


@pytest.mark.parametrize(
    ("needed", "free", "status"),
    [
        (120, 200.0, "OK"),
        (120, 120.0, "OK"),
        (120, 80.0, "WARN"),
        (120, 10.0, "WARN"),
        (120, 9.9, "FAIL"),
        (6, 6.5, "OK"),
        (6, 5.0, "FAIL"),
    ],
)
def test_check_disk(needed: int, free: float, status: str) -> None:
    assert check_disk(needed, free).status == status


@pytest.mark.parametrize(
    ("subnets", "others", "own", "status", "value", "hint"),
    [
        (
            nets("172.30.0.0/24", "192.168.200.0/24"),
            {},
            (),
            "OK",
            "172.30.0.0/24, 192.168.200.0/24",
            "",
        ),
        (
            nets("192.168.121.0/24"),
            {},
            (),
            "FAIL",
            "192.168.121.0/24 overlaps host route 192.168.121.0/24",
            "free here: 172.16.0.0/24",
        ),
        (nets("192.168.121.0/24"), {}, nets("192.168.121.0/24"), "OK", "192.168.121.0/24", ""),
        (
            nets("172.20.0.0/16"),
            {},
            (),
            "FAIL",
            "172.20.0.0/16 overlaps host route 172.20.4.0/22",
            "free here: 172.16.0.0/16",
        ),
        (
            nets("192.168.50.0/24", "192.168.122.0/25"),
            {"default": IPv4Network("192.168.122.0/24")},
            (),
            "FAIL",
            "192.168.122.0/25 overlaps libvirt network 'default' (192.168.122.0/24)",
            "free here: 172.16.0.0/25)",
        ),
        (
            nets("10.10.0.0/24"),
            {},
            (),
            "WARN",
            "10.10.0.0/24 lies inside host route 10.0.0.0/8",
            "free here: 172.16.0.0/24",
        ),
    ],
)
def test_check_subnets_on_a_host_with_vpn_and_vagrant_network(
    subnets: tuple[IPv4Network, ...],
    others: dict[str, IPv4Network],
    own: tuple[IPv4Network, ...],
    status: str,
    value: str,
    hint: str,
) -> None:
    check = check_subnets(subnets, host("intel-nested-n").routes, others, own_existing=own)
    assert check.status == status
    assert check.value.startswith(value)
    assert hint in check.remedy
    assert ("--external-subnet/--tunnel-subnet" in check.remedy) == (status != "OK")


@pytest.mark.parametrize(
    ("prefixlen", "taken", "expected"),
    [
        (24, (), "10.0.0.0/24"),
        (24, nets("10.0.0.0/24", "10.0.1.0/25"), "10.0.2.0/24"),
        (24, nets("10.0.0.0/8"), "172.16.0.0/24"),
        (16, nets("10.0.0.0/8", "172.16.0.0/12"), "192.168.0.0/16"),
        (4, (), None),
    ],
)
def test_free_subnet(prefixlen: int, taken: tuple[IPv4Network, ...], expected: str | None) -> None:
    found = free_subnet(prefixlen, taken)
    assert (str(found) if found else None) == expected


@pytest.mark.parametrize(
    ("check", "status"),
    [
        (check_libvirt("9.0.0"), "OK"),
        (
            check_libvirt(None, "Failed to connect socket to '/var/run/libvirt/libvirt-sock'"),
            "FAIL",
        ),
        (check_vagrant("2.3.4"), "OK"),
        (check_vagrant(None), "FAIL"),
        (check_vagrant_libvirt("0.11.2"), "OK"),
        (check_vagrant_libvirt(None), "FAIL"),
    ],
)
def test_tool_checks(check: Check, status: str) -> None:
    assert check.status == status
    assert bool(check.remedy) == (status == "FAIL")


@pytest.mark.parametrize(
    ("tool", "version", "status", "said"),
    [
        # recorded: `vagrant --version` / python-vagrant's version() on each host
        ("vagrant", "2.3.4", "OK", "2.3.4"),  # Debian 12
        ("vagrant", "2.4.1", "OK", "2.4.1"),  # HashiCorp's package
        ("vagrant", "Vagrant 2.2.19", "FAIL", "older than 2.3"),  # Ubuntu 22.04
        ("vagrant", "2.2.19+dfsg-1ubuntu1", "FAIL", "ssh-rsa (SHA-1)"),
        ("vagrant", "unknown", "WARN", "not understood"),
        # recorded: `vagrant plugin list` versions
        ("vagrant-libvirt", "0.11.2", "OK", "0.11.2"),  # Debian 12 (system)
        ("vagrant-libvirt", "0.12.2", "OK", "0.12.2"),
        ("vagrant-libvirt", "0.8.0", "OK", "0.8.0"),
        ("vagrant-libvirt", "0.7.0", "FAIL", "management_network_keep"),  # Ubuntu 22.04
        ("vagrant-libvirt", "0.7.0, system", "FAIL", "older than 0.8"),
    ],
)
def test_tool_versions(tool: str, version: str, status: str, said: str) -> None:
    check = (check_vagrant if tool == "vagrant" else check_vagrant_libvirt)(version)
    assert (check.name, check.status) == (tool, status)
    assert said in check.value
    if status == "OK":
        assert not check.remedy
    elif tool == "vagrant":
        assert "developer.hashicorp.com/vagrant/install" in check.remedy
    else:
        assert "vagrant plugin install vagrant-libvirt" in check.remedy


def test_libvirt_failure_names_the_error() -> None:
    check = check_libvirt(None, "Failed to connect socket")
    assert check.value == "qemu:///system not reachable: Failed to connect socket"
    assert "virsh -c qemu:///system version" in check.remedy


def test_format_checks() -> None:
    checks = [
        check_memory(14336, 8000),
        check_vagrant_libvirt("0.11.2"),
        check_cpus(2, 2),
    ]
    assert format_checks(checks) == [
        "FAIL memory          need 14336 MiB, available 8000 MiB"
        "  -> free memory or lower --memory (or --force to overcommit)",
        "OK   vagrant-libvirt 0.11.2",
        "OK   cpus            need 2 vCPUs, host has 2",
    ]


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [((), False), (("OK", "WARN"), False), (("OK", "FAIL", "WARN"), True)],
)
def test_failed(statuses: tuple[str, ...], expected: bool) -> None:
    checks = [Check(f"c{i}", status, "") for i, status in enumerate(statuses)]  # type: ignore[arg-type]
    assert failed(checks) is expected


def test_run_checks_fails_on_a_host_that_cannot_take_the_lab() -> None:
    needs = Needs(memory_mib=32768, vcpus=4, disk_gib=100, subnets=NETS, compute_nodes=1)
    facts = host("intel-nested-y", disk_free_gib=4.0)
    tools = Tools(None, "Failed to connect socket", None, None)
    checks = run_checks(facts, needs, tools, {"lab2-ext": IPv4Network("10.10.0.0/24")})
    assert [c.name for c in checks if c.status == "FAIL"] == [
        "libvirt",
        "vagrant",
        "vagrant-libvirt",
        "memory",
        "disk",
        "subnets",
    ]
    assert failed(checks)
    forced = run_checks(facts, needs, TOOLS_OK, {}, force=True)
    assert [c.name for c in forced if c.status == "FAIL"] == ["disk"]


@pytest.mark.parametrize(
    ("closed", "boots_kernel", "status"),
    [
        (None, True, "OK"),
        ("/root", False, "OK"),  # a box that boots from its own disk needs no traversal
        ("/root", True, "FAIL"),
    ],
)
def test_check_vagrant_home(closed: str | None, boots_kernel: bool, status: str) -> None:
    check = check_vagrant_home("/root/.vagrant.d", closed, boots_kernel)
    assert check.status == status
    if status == "FAIL":
        assert "QEMU cannot traverse /root" in check.value
        assert "unset VAGRANT_HOME" in check.remedy


def test_closed_to_others_names_the_first_closed_directory() -> None:
    top = Path(tempfile.mkdtemp(dir="/tmp"))  # made 0700
    try:
        deep = top / "x" / "y"
        deep.mkdir(parents=True)
        assert closed_to_others(deep) == top
        top.chmod(0o755)
        (top / "x").chmod(0o700)
        assert closed_to_others(deep) == top / "x"
        (top / "x").chmod(0o711)
        assert closed_to_others(deep) is None
        assert closed_to_others(deep / "not-made-yet") is None
    finally:
        shutil.rmtree(top)


def test_vagrant_runs_with_a_home_qemu_can_traverse_unless_one_is_set(monkeypatch, tmp_path):
    from labbuilder.adapters import vagrant

    monkeypatch.setattr(vagrant, "HOME", tmp_path / "lb" / "vagrant.d")
    monkeypatch.delenv("VAGRANT_HOME", raising=False)
    env = vagrant._env()
    assert env["VAGRANT_HOME"] == str(tmp_path / "lb" / "vagrant.d")
    assert (tmp_path / "lb" / "vagrant.d").stat().st_mode & 0o005 == 0o005
    assert vagrant.home() == tmp_path / "lb" / "vagrant.d"
    monkeypatch.setenv("VAGRANT_HOME", "/srv/vagrant")
    assert vagrant._env()["VAGRANT_HOME"] == "/srv/vagrant" and vagrant.home() == Path(
        "/srv/vagrant"
    )
