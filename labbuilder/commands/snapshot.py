"""``invoke snapshot.save|restore|list|delete`` and ``invoke reset``: whole-lab snapshots.

Restore ends with a health gate: every node answers SSH with its clock within a second of the
host's, and on a deployed lab every endpoint of the Keystone catalog answers. The time from the
first revert to a healthy lab is reported.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from labbuilder.adapters.libvirt import connect
from labbuilder.commands.context import lab_dir, libvirt_uri
from labbuilder.errors import StateError, VerifyError
from labbuilder.labdir import LabDir
from labbuilder.model import snapshots as model
from labbuilder.render.cloudconfig import clouds_path
from labbuilder.reporter import Reporter
from labbuilder.stages import forward, snapshots
from labbuilder.verify import catalog, cloud
from labbuilder.verify.runner import cloud_name

API_TIMEOUT = 180.0


def reserve_mib(config: Mapping[str, Any]) -> int:
    return int(config.get("snapshot_reserve_mib", snapshots.DEFAULT_RESERVE_MIB))


@contextmanager
def target(
    config: Mapping[str, Any], lab: str | None, reporter: Reporter
) -> Iterator[snapshots.Target]:
    labdir = lab_dir(config, lab)
    if not labdir.inventory.is_file() or not labdir.state.is_file():
        raise StateError(f"lab {labdir.name} is not up: `invoke up --lab {labdir.name}` first")
    with connect(libvirt_uri(config)) as virt:
        yield snapshots.Target(labdir, virt, reporter, reserve_mib(config))


def save(
    config: Mapping[str, Any],
    lab: str | None,
    name: str,
    mode: str,
    reporter: Reporter | None = None,
) -> list[str]:
    with target(config, lab, reporter or Reporter()) as t:
        record = snapshots.save(t, name, mode)
    return [
        f"snapshot {record.name!r} of lab {record.lab} saved ({record.mode}, stage "
        f"{record.stage}, {len(record.domains)} VMs) in {record.seconds:.1f} s"
    ]


def api_problems(labdir: LabDir, timeout: float = API_TIMEOUT) -> list[str]:
    """Every endpoint of the deployed lab's catalog answers (retried until ``timeout``)."""
    path = clouds_path(labdir)
    env = {
        cloud.CONFIG_ENV: str(path),
        cloud.CLOUD_ENV: cloud_name(path.read_text(encoding="utf-8"), labdir.name, str(path)),
    }
    deadline = time.monotonic() + timeout
    while True:
        try:
            endpoints = catalog.parse_catalog(cloud.service_catalog(cloud.connect(env)))
            problems = [
                p for e in endpoints if (p := catalog.endpoint_problem(e, catalog.fetch(e.url)))
            ]
        except Exception as err:  # openstacksdk raises many kinds; any means "not yet"
            problems = [
                f"Keystone does not answer: {str(err).splitlines()[0] if str(err) else err}"
            ]
        if not problems or time.monotonic() > deadline:
            return problems
        time.sleep(5)


def restore(
    config: Mapping[str, Any], lab: str | None, name: str, reporter: Reporter | None = None
) -> list[str]:
    reporter = reporter or Reporter()
    with target(config, lab, reporter) as t:
        done = snapshots.restore(t, name)
    problems = done.problems
    if not problems and done.record.stage == "deploy" and clouds_path(t.labdir).is_file():
        problems = api_problems(t.labdir)
    healthy = done.healthy_s if not problems else None
    offsets = [h.offset for h in done.health if h.offset is not None]
    worst = max((abs(o) for o in offsets), default=0.0)
    lines = [
        f"lab {t.name} restored to snapshot {name!r} ({done.record.mode}, stage "
        f"{done.record.stage}): VMs back in {done.reverted_s:.1f} s",
        f"clocks stepped onto the host's (largest remaining offset {worst:.3f} s)",
    ]
    if healthy is None:
        for line in lines:
            reporter.say(line)
        raise VerifyError(f"lab {t.name} is not healthy after the restore: {'; '.join(problems)}")
    forward.ensure(t.labdir, reporter, anew=True)  # the reverted controller forgot the session
    return [*lines, f"healthy {healthy:.1f} s after the restore began"]


def reset(
    config: Mapping[str, Any], lab: str | None, reporter: Reporter | None = None
) -> list[str]:
    reporter = reporter or Reporter()
    with target(config, lab, reporter) as t:
        chosen = model.reset_target(t.name, snapshots.records(t))
    return restore(config, lab, chosen.name, reporter)


def list_snapshots(config: Mapping[str, Any], lab: str | None) -> list[str]:
    labdir = lab_dir(config, lab)
    with connect(libvirt_uri(config)) as virt:
        t = snapshots.Target(labdir, virt, Reporter(), reserve_mib(config))
        found = snapshots.records(t)
    if not found:
        return [f"lab {labdir.name} has no snapshots"]
    out = [f"{'name':<16}{'mode':<6}{'stage':<11}{'taken':<27}{'memory':>9}{'took':>8}"]
    for r in found:
        memory = f"{r.memory_mib} MiB" if r.memory_mib else "-"
        out.append(
            f"{r.name:<16}{r.mode:<6}{r.stage:<11}{r.created:<27}{memory:>9}{r.seconds:>7.1f}s"
        )
    return out


def delete(config: Mapping[str, Any], lab: str | None, name: str) -> list[str]:
    with target(config, lab, Reporter()) as t:
        removed = snapshots.delete(t, name)
    return [f"snapshot {name!r} of lab {t.name} deleted ({len(removed)} VMs)"]
