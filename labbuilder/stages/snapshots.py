"""Whole-lab snapshots: save, restore, list and delete every VM of a lab at once.

Warm: every domain paused, one internal snapshot with memory each, then all resumed together, so
the nodes' TCP, AMQP and database state agree. Restore reverts all paused, resumes them together
and steps the guests' clocks. Cold: every VM shut down cleanly, disk snapshots, started again.
Every refusal is decided (``model.snapshots``) before any domain is touched; a save that fails
half-way deletes what it had taken, so no partial snapshot is ever left.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from labbuilder import state
from labbuilder.adapters.libvirt import Virt
from labbuilder.adapters.libvirt.domains import Domains
from labbuilder.adapters.ssh import Remote
from labbuilder.errors import LabError, StateError
from labbuilder.labdir import LabDir, write_atomic
from labbuilder.model import snapshots as model
from labbuilder.reporter import Reporter
from labbuilder.stages import guests, power
from labbuilder.stages.vms import POOL

DEFAULT_RESERVE_MIB = 1024
BOOT_TIMEOUT = 600.0
RECORD = "snapshot.json"


@dataclass(frozen=True)
class Target:
    """One lab as snapshots see it: its directory, libvirt, and how much disk to keep free."""

    labdir: LabDir
    virt: Virt
    reporter: Reporter
    reserve_mib: int = DEFAULT_RESERVE_MIB

    @property
    def name(self) -> str:
        return self.labdir.name

    @property
    def folder(self) -> Path:
        return self.labdir.root / "snapshots"

    @property
    def dom(self) -> Domains:
        return Domains(self.virt)

    @property
    def remote(self) -> Remote:
        return Remote(self.labdir.ssh_config)

    def inventory(self) -> dict[str, Any]:
        if not self.labdir.inventory.is_file():
            raise StateError(f"lab {self.name} has not been built: `invoke up --lab {self.name}`")
        data: dict[str, Any] = json.loads(self.labdir.inventory.read_text(encoding="utf-8"))
        return data

    def nodes(self) -> dict[str, str]:
        """node name -> libvirt domain, in the lab's order."""
        return {n["name"]: n["domain"] for n in self.inventory()["nodes"]}

    def domains(self, names: list[str]) -> list[model.Domain]:
        return [d for d in (self.dom.describe(n) for n in names) if d is not None]

    def host(self) -> model.Host:
        return model.Host(
            libvirt_version=model.parse_version(self.virt.version()),
            free_mib=self.dom.pool_free_mib(POOL),
            reserve_mib=self.reserve_mib,
        )


def _read(folder: Path) -> list[model.Record]:
    out = [
        model.loads(path.read_text(encoding="utf-8"), str(path))
        for path in sorted(folder.glob(f"*/{RECORD}"))
    ]
    return sorted(out, key=lambda r: r.created)


def resettable(labdir: LabDir) -> bool:
    """Whether ``invoke reset`` has a snapshot to go back to: a stage snapshot, taken by ``up``
    (read from disk; libvirt is not asked). Snapshots saved by hand do not count."""
    try:
        model.reset_target(labdir.name, _read(labdir.root / "snapshots"))
    except StateError:
        return False
    return True


def records(target: Target) -> list[model.Record]:
    return _read(target.folder)


def find(target: Target, name: str) -> model.Record:
    found = {r.name: r for r in records(target)}
    if name not in found:
        raise model.unknown(target.name, name, sorted(found))
    return found[name]


def _write(target: Target, record: model.Record) -> None:
    folder = target.folder / record.name
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(folder / "inventory.json", target.labdir.inventory.read_text(encoding="utf-8"))
    write_atomic(folder / "state.json", target.labdir.state.read_text(encoding="utf-8"))
    lock = target.labdir.root / "lab.lock"
    if lock.is_file():
        write_atomic(folder / "lab.lock", lock.read_text(encoding="utf-8"))
    write_atomic(folder / RECORD, model.dumps(record))


def save(target: Target, name: str, mode: str = "warm", *, auto: bool = False) -> model.Record:
    nodes = target.nodes()
    names = list(nodes.values())
    domains = target.domains(names)
    existing = [r.name for r in records(target)]
    model.plan_save(target.name, name, mode, target.host(), names, domains, existing)
    stage = state.loads(target.labdir.state.read_text(encoding="utf-8"), "state.json").reached
    started = time.monotonic()
    description = f"labbuilder {mode} snapshot of lab {target.name} at stage {stage}"
    xml = model.snapshot_xml(name, description, memory=mode == "warm")
    if mode == "warm":
        _take_paused(target, names, name, xml)
    else:
        _take_cold(target, nodes, name, xml)
    record = model.Record(
        name=name,
        lab=target.name,
        mode=mode,
        stage=stage,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        domains=tuple(names),
        memory_mib=sum(d.memory_mib for d in domains) if mode == "warm" else 0,
        seconds=round(time.monotonic() - started, 1),
        auto=auto,
    )
    _write(target, record)
    return record


def _take(target: Target, names: list[str], snapshot: str, xml: str) -> None:
    """One snapshot per domain, all at once; on any failure the ones taken are deleted again."""
    guests.on_every(
        names,
        lambda domain: target.dom.snapshot(domain, xml),
        undo=lambda domain: target.dom.delete_snapshot(domain, snapshot),
    )


def _take_paused(target: Target, names: list[str], snapshot: str, xml: str) -> None:
    paused: list[str] = []
    try:
        for domain in names:
            target.dom.suspend(domain)
            paused.append(domain)
        target.reporter.say(f"all {len(names)} VMs paused: taking snapshot {snapshot!r}")
        _take(target, names, snapshot, xml)
    finally:
        for domain in paused:
            target.dom.resume(domain)


def _take_cold(target: Target, nodes: dict[str, str], snapshot: str, xml: str) -> None:
    names = list(nodes.values())
    try:
        power.stop(target.dom, names, target.reporter)
        _take(target, names, snapshot, xml)
    finally:
        power.start(target.dom, names, target.reporter)
    guests.each(list(nodes), lambda n: guests.wait_ssh(target.remote, n, BOOT_TIMEOUT))


@dataclass(frozen=True)
class Restored:
    record: model.Record
    reverted_s: float
    healthy_s: float
    health: list[guests.NodeHealth]

    @property
    def problems(self) -> list[str]:
        return [h.problem for h in self.health if h.problem]


def restore(target: Target, name: str) -> Restored:
    model.check_name(name)
    record = find(target, name)
    recorded = json.loads((target.folder / name / "inventory.json").read_text(encoding="utf-8"))
    names = list(record.domains)
    domains = target.domains(names)
    model.plan_restore(target.name, record, recorded, target.inventory(), domains, target.host())
    started = time.monotonic()
    if record.mode == "warm":
        guests.on_every(names, lambda domain: target.dom.revert(domain, name, paused=True))
        for domain in names:
            target.dom.resume(domain)
    else:

        def back(domain: str) -> None:
            target.dom.power_off(domain)
            target.dom.revert(domain, name, paused=False)

        guests.on_every(names, back)
        power.start(target.dom, names, target.reporter)
    reverted = time.monotonic() - started
    target.reporter.say(f"{len(names)} VMs back at snapshot {name!r} in {reverted:.1f} s")
    health = guests.settle(
        target.remote, list(target.nodes()), BOOT_TIMEOUT, booting=record.mode == "cold"
    )
    _restore_stage(target, record)
    return Restored(record, reverted, time.monotonic() - started, health)


def _restore_stage(target: Target, record: model.Record) -> None:
    """The lab's recorded stages are back where they were when the snapshot was taken."""
    saved = target.folder / record.name / "state.json"
    if saved.is_file():
        text = saved.read_text(encoding="utf-8")
        state.loads(text, str(saved))  # refuse a damaged copy rather than install it
        write_atomic(target.labdir.state, text)


def delete(target: Target, name: str) -> list[str]:
    """Delete the snapshot from every domain and its record; the domains it was removed from."""
    model.check_name(name)
    known = {r.name for r in records(target)}
    names = list(target.nodes().values())
    in_libvirt = [d.name for d in target.domains(names) if name in d.snapshots]
    if name not in known and not in_libvirt:
        raise model.unknown(target.name, name, sorted(known))
    removed = [d for d in in_libvirt if target.dom.delete_snapshot(d, name)]
    shutil.rmtree(target.folder / name, ignore_errors=True)
    return removed


def stage_snapshot(target: Target, stage: str) -> model.Record | None:
    """The automatic snapshot at the end of ``stage`` (replacing an older one of that name);
    a refusal is a warning: the lab itself is fine."""
    name = model.STAGE_SNAPSHOTS.get(stage)
    if name is None:
        return None
    try:
        with contextlib.suppress(StateError):
            delete(target, name)
        record = save(target, name, "warm", auto=True)
    except LabError as err:
        target.reporter.warn(f"no {name!r} snapshot taken: {err.message}")
        return None
    target.reporter.ok(f"snapshot {name!r} taken in {record.seconds:.0f} s (`invoke reset`)")
    return record
