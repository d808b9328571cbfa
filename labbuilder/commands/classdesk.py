"""The instructor's side of a class: each lab's health and resource use, the students'
OpenStack accounts, and their handouts."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from labbuilder import state
from labbuilder.adapters import openstack, shell
from labbuilder.adapters.libvirt import Virt
from labbuilder.adapters.ssh import Remote
from labbuilder.classdir import ClassDir
from labbuilder.commands.flags import FLAGS, Flags
from labbuilder.errors import StateError
from labbuilder.labdir import PRIVATE, LabDir, write_atomic
from labbuilder.model import secrets
from labbuilder.model.classroom import Seat
from labbuilder.model.planner import prefix_for
from labbuilder.render import cloudconfig, handout
from labbuilder.reporter import Reporter
from labbuilder.stages import batch, forward

SSH_CHECK_TIMEOUT = 30.0


@dataclass(frozen=True)
class Row:
    id: int
    student: str
    lab: str
    stage: str
    health: str
    vms: str
    memory_mib: int
    vcpus: int
    disk_mib: int
    last_action: str
    last_error: str
    dashboard: str = ""
    """The forwarded dashboard's URL, "not forwarded" when its forward is down; "" if none."""


def answers_ssh(ssh_config: Path, node: str) -> bool:
    """One quick ``ssh node true``: does the node answer over the lab's ssh-config?"""
    argv = Remote(ssh_config).ssh_argv(node, "true")
    argv[argv.index("ConnectTimeout=15")] = "ConnectTimeout=5"
    return shell.run(argv, timeout=SSH_CHECK_TIMEOUT, check=False).rc == 0


def health(virt: Virt, labdir: LabDir, nodes: list[str]) -> tuple[str, str]:
    """(health, "running/planned VMs"): healthy when every VM runs and answers over SSH."""
    domains = virt.domains(prefix_for(labdir.name))
    up = sum(1 for name in nodes if domains.get(f"{prefix_for(labdir.name)}{name}"))
    vms = f"{up}/{len(nodes)}"
    if not domains:
        return "down", vms
    if up < len(nodes):
        return "degraded: VMs not running", vms
    if not labdir.ssh_config.is_file():
        return "degraded: no ssh-config", vms
    silent = [n for n in nodes if not answers_ssh(labdir.ssh_config, n)]
    if silent:
        return f"degraded: no SSH answer from {', '.join(silent)}", vms
    return "healthy", vms


def row(virt: Virt, labdir: LabDir, seat: Seat, last: dict[str, Any]) -> Row:
    nodes: list[str] = []
    stage = "not built"
    if labdir.inventory.is_file():
        nodes = [n["name"] for n in json.loads(labdir.inventory.read_text())["nodes"]]
        stage = state.load(labdir).reached
    condition, vms = health(virt, labdir, nodes) if nodes else ("down", "0/0")
    dashboard = ""
    port = forward.wanted(labdir).port if nodes else 0
    if port:
        dashboard = forward.url(port) if forward.is_up(labdir) else "not forwarded"
        if condition == "healthy" and dashboard == "not forwarded":
            condition = "degraded: dashboard forward down (`invoke class.up` restarts it)"
    mem = cpus = disk = 0
    for domain in virt.domains(prefix_for(seat.lab)):
        use = virt.usage(domain)
        mem, cpus, disk = mem + use.memory_mib, cpus + use.vcpus, disk + use.disk_mib
    return Row(
        id=seat.id,
        student=seat.student + (" (departed)" if seat.departed else ""),
        lab=seat.lab,
        stage=stage,
        health=condition,
        vms=vms,
        memory_mib=mem,
        vcpus=cpus,
        disk_mib=disk,
        last_action=str(last.get("action", "")),
        last_error="" if last.get("ok", True) else str(last.get("detail", "")),
        dashboard=dashboard,
    )


def table(rows: list[Row]) -> list[str]:
    out = [
        f"{'id':>3}  {'lab':<20} {'student':<22} {'stage':<10} {'VMs':<5} {'RAM MiB':>8} "
        f"{'vCPU':>4} {'disk MiB':>8}  health / last error"
    ]
    for r in rows:
        tail = r.health + (f"; last {r.last_action} failed: {r.last_error}" if r.last_error else "")
        out.append(
            f"{r.id:>3}  {r.lab:<20} {r.student:<22} {r.stage:<10} {r.vms:<5} {r.memory_mib:>8} "
            f"{r.vcpus:>4} {r.disk_mib:>8}  {tail}"
        )
    return out


def as_json(rows: list[Row]) -> str:
    return json.dumps([asdict(r) for r in rows], indent=2)


def account(labdir: LabDir, seat: Seat, password: str | None) -> cloudconfig.Account | None:
    """The student's member account, once their lab runs a deployed OpenStack."""
    if password is None or not labdir.inventory.is_file():
        return None
    inv = json.loads(labdir.inventory.read_text())
    if inv["box"]["os_family"] != "el9" or not state.load(labdir).done("deploy"):
        return None
    return cloudconfig.Account(seat.lab, seat.lab, password)


def ensure_account(labdir: LabDir, seat: Seat, password: str, reporter: Reporter) -> str:
    """Create the student's project and member user in their deployed lab (admin's clouds.yaml);
    what was done, or why nothing was."""
    if not state.load(labdir).done("deploy"):
        return ""
    mine = account(labdir, seat, password)
    if mine is None:
        return "no OpenStack account: this box runs no Keystone"
    with contextlib.closing(openstack.connect(cloudconfig.clouds_path(labdir), seat.lab)) as conn:
        done = openstack.ensure_member(
            conn, mine.user, mine.project, mine.password, f"Project of {seat.student}"
        )
    reporter.ok("; ".join(done) or f"user {mine.user} already there")
    return f"OpenStack user {mine.user} in project {mine.project}"


def write_handout(
    cdir: ClassDir, labdir: LabDir, class_name: str, seat: Seat, password: str | None, reset: str
) -> list[Path]:
    """handout.md, handout.html, ssh-config and (once deployed) clouds.yaml, all 0600."""
    if not labdir.inventory.is_file():
        raise StateError(f"lab {seat.lab} is not built: run `invoke class.up` first")
    ssh_config = (
        labdir.ssh_config.read_text(encoding="utf-8")
        if labdir.ssh_config.is_file()
        else "(written once the lab's VMs are up)"
    )
    sheet = handout.Sheet(
        class_name=class_name,
        student=seat.student,
        lab=seat.lab,
        stage=state.load(labdir).reached,
        inventory=json.loads(labdir.inventory.read_text()),
        ssh_config=ssh_config,
        account=account(labdir, seat, password),
        reset=reset,
        forwarded_url=forward.url(seat_port) if (seat_port := forward.wanted(labdir).port) else "",
    )
    files = {
        "handout.md": handout.markdown(sheet),
        "handout.html": handout.html(sheet),
        "ssh-config": ssh_config,
    }
    clouds = handout.clouds_yaml(sheet)
    if clouds:
        files["clouds.yaml"] = clouds
    root = cdir.handouts(seat.lab)
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o700)
    for name, text in files.items():
        write_atomic(root / name, text, PRIVATE)
    return [root / name for name in files]


def flag_args(flags: Flags) -> list[str]:
    """The command-line flags that give ``flags`` (to print a retry command)."""
    out: list[str] = []
    for f in FLAGS:
        value = flags.given.get(f.name)
        flag = "--" + f.option.strip("_").replace("_", "-")
        if value is None or value is False or value == ():
            continue
        if value is True:
            out.append(flag)
        elif isinstance(value, (str, int)):
            out += [flag, str(value)]
        else:
            for item in value:
                out += [flag, str(item)]
    return out


class Results:
    """``results.json``: the last action and outcome per lab (written as each lab ends)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.Lock()

    def read(self) -> dict[str, Any]:
        if not self.path.is_file():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def put(self, lab: str, action: str, outcome: batch.Outcome) -> None:
        with self.lock:
            data = self.read()
            data[lab] = {
                "action": action,
                "ok": outcome.ok,
                "detail": outcome.detail,
                "seconds": outcome.seconds,
                "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            }
            write_atomic(self.path, json.dumps(data, indent=2) + "\n")


def passwords(cdir: ClassDir, labs: Sequence[str]) -> dict[str, str]:
    """Each student's OpenStack password (made once, kept 0600)."""
    stored: dict[str, str] = {}
    if cdir.accounts.is_file():
        data = yaml.safe_load(cdir.accounts.read_text(encoding="utf-8")) or {}
        stored = {str(k): str(v) for k, v in dict(data).items()}
    missing = [lab for lab in labs if lab not in stored]
    if missing:
        stored |= {lab: secrets.new_password() for lab in missing}
        header = "# OpenStack passwords of the students' member users. Instructor only.\n"
        write_atomic(cdir.accounts, header + yaml.safe_dump(stored), PRIVATE)
    return stored


def summary(
    verb: str,
    outcomes: Sequence[batch.Outcome],
    seats: Mapping[str, Seat],
    retry: Callable[[str, Seat], str],
) -> tuple[list[str], bool]:
    out = []
    failed = [o for o in outcomes if not o.ok]
    for o in outcomes:
        seat = seats[o.name]
        head = f"{'ok' if o.ok else 'FAILED':<7}{o.name:<21}{seat.student:<24}{o.seconds:>6.0f} s  "
        out.append(head + o.detail)
        if not o.ok:
            out.append(f"        retry: {retry(verb, seat)}")
    out.append(
        f"{verb}: {len(outcomes) - len(failed)} of {len(outcomes)} labs ok"
        + (f"; failed: {', '.join(o.name for o in failed)}" if failed else "")
    )
    return out, bool(failed)
