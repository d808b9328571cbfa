"""Whole-lab snapshots as data: what a snapshot records, what libvirt is asked for, and every
reason to refuse a save or a restore before anything is touched.

A snapshot is one internal qcow2 snapshot per domain, all with the same name, plus a record in
``labs/<lab>/snapshots/<name>/``: ``snapshot.json`` and copies of the lab's ``state.json``,
``inventory.json`` and ``lab.lock``. Warm snapshots carry each guest's memory (taken while every
domain of the lab is paused); cold ones are disk-only, taken with every VM shut down.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from labbuilder import names
from labbuilder.errors import ConfigError, PreflightError, StateError

MODES = ("warm", "cold")
STAGE_SNAPSHOTS = {"provision": "provisioned", "deploy": "deployed"}
RESET_ORDER = ("deployed", "provisioned")
MIB = 1024 * 1024
# libvirt reverts external snapshots with memory only from 9.9.0, so labs use internal ones;
# internal snapshots of UEFI (pflash) guests are created from 10.9.0 and reverted from 10.10.0.
EXTERNAL_REVERT = (9, 9, 0)
UEFI_INTERNAL = (10, 10, 0)


@dataclass(frozen=True)
class Disk:
    target: str
    fmt: str
    path: str


@dataclass(frozen=True)
class Domain:
    """One VM as libvirt describes it, as far as snapshots care."""

    name: str
    state: str  # running, paused, shutoff, other
    memory_mib: int
    disks: tuple[Disk, ...] = ()
    uefi: bool = False
    snapshots: tuple[str, ...] = ()


@dataclass(frozen=True)
class Host:
    libvirt_version: tuple[int, int, int]
    free_mib: int
    reserve_mib: int = 0


@dataclass(frozen=True)
class Record:
    """``snapshot.json``: what was taken, of which lab layout, and how long it took."""

    name: str
    lab: str
    mode: str
    stage: str
    created: str
    domains: tuple[str, ...]
    memory_mib: int
    seconds: float = 0.0
    auto: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def dumps(record: Record) -> str:
    return json.dumps(asdict(record), indent=2) + "\n"


def loads(text: str, source: str) -> Record:
    try:
        data: Any = json.loads(text)
        return Record(
            name=str(data["name"]),
            lab=str(data["lab"]),
            mode=str(data["mode"]),
            stage=str(data["stage"]),
            created=str(data["created"]),
            domains=tuple(str(d) for d in data["domains"]),
            memory_mib=int(data["memory_mib"]),
            seconds=float(data.get("seconds", 0.0)),
            auto=bool(data.get("auto", False)),
            extra=dict(data.get("extra", {})),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        raise StateError(
            f"{source} is damaged: delete that snapshot (`invoke snapshot.delete`)"
        ) from None


def check_name(name: str) -> str:
    return names.check_snapshot(name)


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ConfigError(f"snapshot mode {mode!r} is not known: use warm or cold")
    return mode


def snapshot_xml(name: str, description: str, *, memory: bool) -> str:
    """An internal snapshot: with the guest's memory (domain paused) or disks only (shut off)."""
    kind = "internal" if memory else "no"
    return (
        f"<domainsnapshot><name>{escape(name)}</name>"
        f"<description>{escape(description)}</description>"
        f"<memory snapshot='{kind}'/></domainsnapshot>"
    )


def version_text(version: Sequence[int]) -> str:
    return ".".join(str(v) for v in version)


def feature_problem(host: Host, domains: Sequence[Domain]) -> str | None:
    """Why this host cannot take internal snapshots of these domains, or None."""
    uefi = [d.name for d in domains if d.uefi]
    if uefi and host.libvirt_version < UEFI_INTERNAL:
        return (
            f"{', '.join(uefi)} boot UEFI firmware: libvirt {version_text(host.libvirt_version)} "
            f"cannot revert their snapshots (needs {version_text(UEFI_INTERNAL)}); "
            "use a BIOS box for labs you snapshot"
        )
    for d in domains:
        if not d.disks:
            return f"{d.name} has no file-backed disk to snapshot"
        raw = [disk.target for disk in d.disks if disk.fmt != "qcow2"]
        if raw:
            return (
                f"{d.name} disk {', '.join(raw)} is not qcow2: internal snapshots need qcow2 "
                f"(external ones with memory need libvirt >= {version_text(EXTERNAL_REVERT)} "
                f"to revert; this host has {version_text(host.libvirt_version)})"
            )
    return None


def disk_problem(host: Host, mode: str, domains: Sequence[Domain]) -> str | None:
    need = (sum(d.memory_mib for d in domains) if mode == "warm" else 0) + host.reserve_mib
    if host.free_mib < need:
        return (
            f"not enough free disk for a {mode} snapshot: {host.free_mib} MiB free in the "
            f"storage pool, {need} MiB needed (guests' memory + {host.reserve_mib} MiB reserve): "
            "free some space, delete old snapshots (`invoke snapshot.delete`) or save with "
            "--mode cold"
        )
    return None


def plan_save(
    lab: str,
    name: str,
    mode: str,
    host: Host,
    expected: Sequence[str],
    domains: Sequence[Domain],
    existing: Sequence[str],
) -> None:
    """Raise (one line, nothing touched yet) when a save of ``expected`` domains cannot work."""
    check_name(name)
    check_mode(mode)
    if name in existing or any(name in d.snapshots for d in domains):
        raise StateError(
            f"lab {lab} already has a snapshot {name!r}: pick another name or "
            f"`invoke snapshot.delete {name} --lab {lab}` first"
        )
    found = {d.name for d in domains}
    missing = [d for d in expected if d not in found]
    if missing:
        raise StateError(
            f"lab {lab} has no VM {', '.join(missing)}: bring it up with `invoke up --lab {lab}`"
        )
    if mode == "warm":
        stopped = [d.name for d in domains if d.state not in ("running", "paused")]
        if stopped:
            raise StateError(
                f"a warm snapshot needs every VM running ({', '.join(stopped)} is not): "
                f"`invoke start --lab {lab}` first, or save with --mode cold"
            )
    problem = feature_problem(host, domains) or disk_problem(host, mode, domains)
    if problem:
        raise PreflightError(problem)


#: Inventory keys not compared whole: the nodes (compared one by one) and the host's side of
#: the lab, which a restore does not touch (the dashboard's host port).
NOT_COMPARED = frozenset({"nodes", "horizon_port"})


def layout_changes(recorded: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """What differs between the inventory a snapshot recorded and the lab's inventory now."""
    out = [
        f"{key} differs"
        for key in sorted(set(recorded) | set(current))
        if key not in NOT_COMPARED and recorded.get(key) != current.get(key)
    ]
    old = {n["name"]: n for n in recorded.get("nodes", [])}
    new = {n["name"]: n for n in current.get("nodes", [])}
    if set(old) != set(new):
        out.append(f"nodes {', '.join(sorted(old))} -> {', '.join(sorted(new))}")
    else:
        out += [f"node {n} differs" for n in sorted(old) if old[n] != new[n]]
    return out


def plan_restore(
    lab: str,
    record: Record,
    recorded_inventory: Mapping[str, Any],
    current_inventory: Mapping[str, Any],
    domains: Sequence[Domain],
    host: Host,
) -> None:
    """Raise (one line, nothing touched yet) when ``record`` cannot be restored as it is."""
    changes = layout_changes(recorded_inventory, current_inventory)
    if changes:
        raise StateError(
            f"lab {lab} changed since snapshot {record.name!r} ({'; '.join(changes)}): "
            "a snapshot restores only the layout it was taken of; rebuild instead"
        )
    by_name = {d.name: d for d in domains}
    missing = [d for d in record.domains if d not in by_name]
    if missing:
        raise StateError(
            f"snapshot {record.name!r} of lab {lab} needs VM {', '.join(missing)}, which is "
            "gone: rebuild with `invoke up`"
        )
    lacking = [d for d in record.domains if record.name not in by_name[d].snapshots]
    if lacking:
        raise StateError(
            f"libvirt holds no snapshot {record.name!r} for {', '.join(lacking)}: the snapshot "
            f"is incomplete; `invoke snapshot.delete {record.name} --lab {lab}`"
        )
    problem = feature_problem(host, [by_name[d] for d in record.domains])
    if problem:
        raise PreflightError(problem)


def unknown(lab: str, name: str, names: Sequence[str]) -> StateError:
    listed = ", ".join(names) if names else "none yet"
    return StateError(f"lab {lab} has no snapshot {name!r} (it has: {listed})")


def reset_target(lab: str, records: Sequence[Record]) -> Record:
    """``deployed``, else ``provisioned``, else the newest stage snapshot."""
    by_name = {r.name: r for r in records}
    for name in RESET_ORDER:
        if name in by_name:
            return by_name[name]
    auto = sorted((r for r in records if r.auto), key=lambda r: r.created)
    if not auto:
        raise StateError(
            f"lab {lab} has no stage snapshot to reset to: `invoke up --lab {lab} "
            "--until provision` takes one"
        )
    return auto[-1]


def parse_version(text: str) -> tuple[int, int, int]:
    parts = [int(p) for p in text.split(".")[:3]]
    parts += [0] * (3 - len(parts))
    return (parts[0], parts[1], parts[2])


def clock_step_command(offset: float) -> str:
    """Shell that moves the guest's clock by ``-offset`` seconds relative to its own now, so the
    step does not depend on how long SSH took to start the command."""
    return (
        'now=$(date +%s.%N); date -s "@$(awk -v n="$now" '
        f'\'BEGIN {{ printf "%.6f", n - ({offset:.6f}) }}\')" >/dev/null'
    )


def clock_offset(guest_epoch_line: str, host_epoch_at_line: float) -> float:
    """Guest minus host, from the guest's ``date +%s.%N`` and the host time it arrived."""
    return float(guest_epoch_line.strip()) - host_epoch_at_line
