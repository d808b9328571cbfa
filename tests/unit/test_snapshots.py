"""Whole-lab snapshots, pure parts: refusals planned before anything is touched, the snapshot
XML libvirt is given, the record's round trip, reset's choice, the clock step, and the domain
facts parsed from a real vagrant-libvirt domain's XML (tests/fixtures/libvirt)."""

from __future__ import annotations

import subprocess
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import pytest

from labbuilder.adapters.libvirt.domains import parse_domain
from labbuilder.errors import ConfigError, PreflightError, StateError, ToolError
from labbuilder.model import snapshots as snap
from labbuilder.stages import guests, snapshots

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "libvirt"
DOMAIN_XML = (FIXTURES / "domain-testbox.xml").read_text()
QCOW = (snap.Disk("vda", "qcow2", "/var/lib/libvirt/images/x.img"),)
HOST = snap.Host(libvirt_version=(9, 0, 0), free_mib=10_000, reserve_mib=1024)


def dom(name="d1", state="running", memory=512, disks=QCOW, uefi=False, snapshots=()):
    return snap.Domain(name, state, memory, disks, uefi, tuple(snapshots))


def record(name="s1", **kw):
    base = {
        "name": name,
        "lab": "lab",
        "mode": "warm",
        "stage": "provision",
        "created": "2026-01-01T00:00:00+00:00",
        "domains": ("d1", "d2"),
        "memory_mib": 1024,
    }
    return snap.Record(**{**base, **kw})


def test_parse_domain_of_a_real_vagrant_libvirt_domain():
    d = parse_domain(DOMAIN_XML, "running", ["provisioned"])
    assert d.name == "labbuilder-tf-controller"
    assert d.memory_mib == 512
    # the overlay only, not the box's base volume in its backing chain
    assert d.disks == (
        snap.Disk("vda", "qcow2", "/var/lib/libvirt/images/labbuilder-tf-controller.img"),
    )
    assert d.uefi is False and d.snapshots == ("provisioned",)


def test_parse_domain_sees_uefi_firmware():
    xml = DOMAIN_XML.replace(
        "</os>", "<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader></os>"
    )
    assert parse_domain(xml, "running").uefi is True


@pytest.mark.parametrize(
    ("memory", "kind"), [(True, "internal"), (False, "no")], ids=["warm", "cold"]
)
def test_snapshot_xml(memory, kind):
    root = ET.fromstring(snap.snapshot_xml("s<1>", "lab & co", memory=memory))
    assert root.tag == "domainsnapshot"
    assert root.findtext("name") == "s<1>" and root.findtext("description") == "lab & co"
    assert root.find("memory").get("snapshot") == kind
    assert root.find("disks") is None  # libvirt picks internal for every qcow2 disk


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"name": "bad name"}, ConfigError, "not valid"),
        ({"mode": "hot"}, ConfigError, "use warm or cold"),
        ({"existing": ["s1"]}, StateError, "already has a snapshot 's1'"),
        ({"domains": [dom(snapshots=["s1"]), dom("d2")]}, StateError, "already has a snapshot"),
        ({"domains": [dom()]}, StateError, "has no VM d2"),
        ({"domains": [dom(), dom("d2", state="shutoff")]}, StateError, "d2 is not"),
        (
            {"domains": [dom(uefi=True), dom("d2")]},
            PreflightError,
            "d1 boot UEFI firmware: libvirt 9.0.0 cannot revert",
        ),
        (
            {"domains": [dom(), dom("d2", disks=(snap.Disk("vdb", "raw", "/x"),))]},
            PreflightError,
            "d2 disk vdb is not qcow2",
        ),
        ({"domains": [dom(), dom("d2", disks=())]}, PreflightError, "no file-backed disk"),
        (
            {"host": snap.Host((9, 0, 0), free_mib=2000, reserve_mib=1024)},
            PreflightError,
            "2000 MiB free in the storage pool, 2048 MiB needed",
        ),
    ],
    ids=[
        "name",
        "mode",
        "recorded",
        "in-libvirt",
        "missing-vm",
        "stopped-warm",
        "uefi",
        "raw-disk",
        "no-disk",
        "disk-space",
    ],
)
def test_plan_save_refuses(kwargs, error, words):
    args = {
        "name": "s1",
        "mode": "warm",
        "host": HOST,
        "domains": [dom(), dom("d2")],
        "existing": [],
        **kwargs,
    }
    with pytest.raises(error) as caught:
        snap.plan_save("lab", args["name"], args["mode"], args["host"], ["d1", "d2"],
                       args["domains"], args["existing"])  # fmt: skip
    assert words in caught.value.message
    assert "\n" not in caught.value.message


@pytest.mark.parametrize(
    ("mode", "domains", "host"),
    [
        ("warm", [dom(), dom("d2", state="paused")], HOST),
        ("cold", [dom(), dom("d2", state="shutoff")], snap.Host((9, 0, 0), 1024, 1024)),
        ("warm", [dom(uefi=True), dom("d2")], snap.Host((10, 10, 0), 10_000, 0)),
    ],
    ids=["warm", "cold-needs-no-memory-space", "uefi-on-new-libvirt"],
)
def test_plan_save_accepts(mode, domains, host):
    assert snap.plan_save("lab", "s1", mode, host, ["d1", "d2"], domains, []) is None


INV = {"lab": "lab", "box": {"name": "b"}, "nodes": [{"name": "c", "mac": "1"}]}


@pytest.mark.parametrize(
    ("current", "domains", "words"),
    [
        ({**INV, "box": {"name": "other"}}, None, "changed since snapshot 's1' (box differs)"),
        ({**INV, "nodes": [{"name": "c", "mac": "2"}]}, None, "node c differs"),
        ({**INV, "nodes": []}, None, "nodes c -> "),
        (INV, [dom(snapshots=["s1"])], "needs VM d2, which is gone"),
        (INV, [dom(snapshots=["s1"]), dom("d2")], "no snapshot 's1' for d2"),
    ],
    ids=["box", "node", "node-set", "vm-gone", "incomplete"],
)
def test_plan_restore_refuses(current, domains, words):
    domains = domains or [dom(snapshots=["s1"]), dom("d2", snapshots=["s1"])]
    with pytest.raises(StateError) as caught:
        snap.plan_restore("lab", record(), INV, current, domains, HOST)
    assert words in caught.value.message


def test_plan_restore_accepts_the_same_layout():
    domains = [dom(snapshots=["s1"]), dom("d2", state="shutoff", snapshots=["s1"])]
    assert snap.plan_restore("lab", record(), INV, dict(INV), domains, HOST) is None


def test_record_round_trips_and_a_damaged_one_is_named():
    r = record(seconds=3.5, auto=True)
    assert snap.loads(snap.dumps(r), "x") == r
    with pytest.raises(StateError, match=r"x/snapshot\.json is damaged"):
        snap.loads("{}", "x/snapshot.json")


@pytest.mark.parametrize(
    ("records", "chosen"),
    [
        ([record("provisioned", auto=True), record("deployed", auto=True)], "deployed"),
        ([record("mine"), record("provisioned", auto=True)], "provisioned"),
        ([record("a", auto=True, created="1"), record("b", auto=True, created="2")], "b"),
    ],
    ids=["deployed-first", "then-provisioned", "else-newest-stage"],
)
def test_reset_target(records, chosen):
    assert snap.reset_target("lab", records).name == chosen


def test_reset_without_stage_snapshot_is_refused():
    with pytest.raises(StateError, match="no stage snapshot"):
        snap.reset_target("lab", [record("mine")])


def test_unknown_name_lists_what_there_is():
    assert "has no snapshot 'x' (it has: a, b)" in snap.unknown("lab", "x", ["a", "b"]).message


@pytest.mark.parametrize("offset", [3600.25, -2.5, 0.0])
def test_clock_step_command_moves_the_clock_relative_to_its_own_now(offset, tmp_path):
    """The step command runs for real, with a ``date`` stand-in (a fake: setting the host's clock
    is not an option) that prints a fixed now and records what it is asked to set."""
    fake = tmp_path / "date"
    fake.write_text(
        '#!/bin/sh\nif [ "$1" = "-s" ]; then echo "$2" > "$(dirname "$0")/set"; '
        "else echo 1000000000.500000000; fi\n"
    )
    fake.chmod(0o755)
    env = {"PATH": f"{tmp_path}:/usr/bin:/bin"}
    subprocess.run(["sh", "-c", snap.clock_step_command(offset)], env=env, check=True)
    assert float((tmp_path / "set").read_text().strip().lstrip("@")) == pytest.approx(
        1000000000.5 - offset, abs=1e-6
    )


def test_clock_offset_and_version():
    assert snap.clock_offset("105.25\n", 100.0) == pytest.approx(5.25)
    assert snap.parse_version("9.0.0") == (9, 0, 0) and snap.parse_version("10.10") == (10, 10, 0)


class FakeDomains:
    """libvirt's snapshot calls at the API edge: ``fail`` names the domains whose snapshot
    fails; every call waits at a barrier, so calls made one after another would break it."""

    def __init__(self, names: list[str], fail: set[str]) -> None:
        self.barrier = threading.Barrier(len(names), timeout=5)
        self.fail = fail
        self.taken: set[str] = set()
        self.deleted: list[str] = []

    def snapshot(self, name: str, xml: str) -> None:
        self.barrier.wait()  # BrokenBarrierError unless every domain's call is under way
        if name in self.fail:
            raise ToolError(f"snapshot of {name}: disk full")
        self.taken.add(name)

    def delete_snapshot(self, name: str, snapshot: str) -> bool:
        self.deleted.append(name)
        self.taken.discard(name)
        return True


@pytest.mark.parametrize(
    ("fail", "taken", "error"),
    [
        (set(), {"a", "b", "c"}, None),
        ({"b"}, set(), "snapshot of b: disk full"),
        ({"a", "c"}, set(), "snapshot of a: disk full"),
    ],
    ids=["all-taken", "one-fails", "two-fail"],
)
def test_snapshots_are_taken_at_once_and_a_failure_leaves_none(fail, taken, error):
    names = ["a", "b", "c"]
    dom = FakeDomains(names, fail)
    target = SimpleNamespace(dom=dom)
    if error is None:
        snapshots._take(target, names, "s", "<domainsnapshot/>")
    else:
        with pytest.raises(ToolError, match=error):
            snapshots._take(target, names, "s", "<domainsnapshot/>")
    assert dom.taken == taken
    assert sorted(dom.deleted) == (sorted(set(names) - fail) if fail else [])


def test_guests_on_every_raises_the_first_error_after_every_call_ended():
    ended: list[str] = []

    def slow_or_failing(name: str) -> None:
        if name == "a":
            raise ToolError("reverting a failed")
        time.sleep(0.2)
        ended.append(name)

    with pytest.raises(ToolError, match="reverting a failed"):
        guests.on_every(["a", "b", "c"], slow_or_failing)
    assert sorted(ended) == ["b", "c"]
