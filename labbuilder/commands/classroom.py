"""``invoke class.*``: one lab per student of a class file or roster, planned, built, checked,
reset and removed together. Each lab goes through the same code as ``invoke up``/``down``;
this module only decides the settings of each lab and runs them in a batch.

Isolation between students' labs needs no rules of our own: libvirt's NAT networks accept new
connections into a bridge only from that bridge (``LIBVIRT_FWI``: ESTABLISHED/RELATED, then
REJECT), and tunnel networks are isolated; the classroom integration test proves it.
"""

from __future__ import annotations

import functools
import shlex
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console

from labbuilder import state
from labbuilder.adapters import hostfacts
from labbuilder.adapters.libvirt import Virt, connect
from labbuilder.classdir import ClassDir
from labbuilder.commands import classdesk
from labbuilder.commands import down as down_cmd
from labbuilder.commands import snapshot as snapshot_cmd
from labbuilder.commands import up as up_cmd
from labbuilder.commands.context import labs_dir, libvirt_uri
from labbuilder.commands.flags import Flags
from labbuilder.errors import ConfigError, PreflightError, StateError
from labbuilder.labdir import PRIVATE, LabDir, write_atomic
from labbuilder.model import capacity, classfile, classroom
from labbuilder.model.classroom import Allocation, ClassSpec, Seat
from labbuilder.model.lab import Lab
from labbuilder.model.planner import plan as plan_lab
from labbuilder.model.settings import Settings, resolve, to_mapping
from labbuilder.reporter import Reporter
from labbuilder.stages import batch
from labbuilder.stages import snapshots as stage_snapshots

PER_LAB_FLAGS = (
    "lab",
    "lab_file",
    "external_subnet",
    "tunnel_subnet",
    "from_lock",
    "horizon_port",
)
DISK_PATH = Path("/var/lib/libvirt/images")


@dataclass(frozen=True)
class Class:
    """A class file read and its seats allocated on this host (not yet recorded)."""

    file: str
    spec: ClassSpec
    cdir: ClassDir
    allocation: Allocation


def read_spec(file: str) -> ClassSpec:
    path = Path(file)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(
            f"cannot read class file {file} ({err.strerror}): check the path"
        ) from None
    return classfile.parse_class_file(text, file, classfile.default_class_name(path.stem))


def load_allocation(cdir: ClassDir) -> Allocation | None:
    if not cdir.allocation.is_file():
        return None
    return classroom.loads(cdir.allocation.read_text(encoding="utf-8"), str(cdir.allocation))


def taken_subnets(virt: Virt, routes: Sequence[IPv4Network]) -> list[IPv4Network]:
    """Every subnet the host already uses: its routes and every libvirt network's."""
    nets = [net for subnets in virt.network_subnets().values() for net in subnets]
    return [*routes, *nets]


def open_class(config: Mapping[str, Any], file: str, virt: Virt) -> Class:
    """The class with every student seated; ConfigError when a student cannot be."""
    spec = read_spec(file)
    cdir = ClassDir.of(labs_dir(config), spec.name)
    facts = hostfacts.gather(disk_path=DISK_PATH)
    allocation = classroom.allocate(spec, load_allocation(cdir), taken_subnets(virt, facts.routes))
    return Class(file, spec, cdir, allocation)


def check_flags(flags: Flags) -> None:
    for name in PER_LAB_FLAGS:
        if flags.given.get(name):
            flag = "--" + ("from" if name == "from_lock" else name.replace("_", "-"))
            raise ConfigError(
                f"{flag} is set per student by the class: drop it (subnets come from the "
                "class file's 'pools', dashboard ports from its 'horizon_ports')"
            )


def seat_settings(config: Mapping[str, Any], klass: Class, flags: Flags, seat: Seat) -> Settings:
    """invoke config < the class file's ``lab`` settings < flags < the seat (name, subnets)."""
    check_flags(flags)
    return resolve(
        ("invoke config 'lab'", dict(config.get("lab") or {})),
        (f"{klass.file}: lab", klass.spec.settings),
        ("flags", flags.layer()),
        (
            f"seat of {seat.student}",
            {
                "lab": seat.lab,
                "external_subnet": str(seat.external),
                "tunnel_subnet": str(seat.tunnel),
                "horizon_port": klass.spec.horizon_ports + seat.id
                if klass.spec.horizon_ports
                else 0,
            },
        ),
    )


def planned(
    config: Mapping[str, Any], klass: Class, flags: Flags, seats: Sequence[Seat]
) -> list[tuple[Seat, Settings, Lab]]:
    kvm, nested = hostfacts_virt()
    out = []
    for seat in seats:
        settings = seat_settings(config, klass, flags, seat)
        out.append((seat, settings, plan_lab(settings, kvm=kvm, nested=nested)))
    return out


def hostfacts_virt() -> tuple[bool, bool]:
    facts = hostfacts.gather(disk_path=DISK_PATH)
    return hostfacts.virtualization(facts) == "kvm", hostfacts.nesting(facts)


def running(virt: Virt, lab: Lab) -> bool:
    domains = virt.domains(lab.prefix)
    return bool(domains) and all(domains.values())


def capacity_fit(virt: Virt, klass: Class, labs: Sequence[Lab]) -> capacity.Fit:
    facts = hostfacts.gather(disk_path=DISK_PATH)
    host = capacity.Host(
        facts.cpus, facts.mem_total_mib, facts.mem_available_mib, facts.disk_free_gib
    )
    per_lab = max((lab.totals for lab in labs), key=lambda s: s.memory_mib)
    up_now = sum(1 for lab in labs if running(virt, lab))
    return capacity.fit(per_lab, len(labs), up_now, host, klass.spec.policy)


def select(klass: Class, student: str | None) -> tuple[Seat, ...]:
    if student is None:
        return klass.allocation.present
    seat = klass.allocation.seat(student)
    if seat is None:
        names = ", ".join(s.student for s in klass.allocation.seats)
        raise ConfigError(
            f"class {klass.spec.name} has no student {student!r}: choose one of {names}"
        )
    return (seat,)


def record_allocation(klass: Class) -> None:
    klass.cdir.root.mkdir(parents=True, exist_ok=True)
    write_atomic(klass.cdir.allocation, classroom.dumps(klass.allocation))


def plan(config: Mapping[str, Any], file: str, flags: Flags) -> list[str]:
    """Seats, labs and the capacity verdict; records the seats when the class fits."""
    read_spec(file)  # a bad class file is refused before libvirt is asked anything
    check_flags(flags)
    with connect(libvirt_uri(config)) as virt:
        klass = open_class(config, file, virt)
        labs = planned(config, klass, flags, klass.allocation.present)
        fit = capacity_fit(virt, klass, [lab for _, _, lab in labs])
    out = [f"class {klass.spec.name}: {len(labs)} students, seats in {klass.cdir.allocation}"]
    out += [
        f"  {seat.id:>3}  {seat.lab:<21}{seat.student:<24}{seat.external!s:<18}{seat.tunnel!s:<18}"
        f"{len(lab.nodes)} node(s)"
        for seat, _, lab in labs
    ]
    out += [
        f"  departed: {s.lab} ({s.student}) keeps its seat until `invoke class.down`"
        for s in klass.allocation.seats
        if s.departed
    ]
    out += capacity.lines(fit)
    if not fit.ok:
        raise PreflightError(capacity.refusal(fit, klass.spec.name))
    record_allocation(klass)
    return out


def lab_reporter(cdir: ClassDir, lab: str) -> tuple[Reporter, Any]:
    path = cdir.log(lab)
    path.parent.mkdir(parents=True, exist_ok=True)
    stream = path.open("a", encoding="utf-8")
    return Reporter(Console(file=stream, highlight=False, width=160)), stream


@dataclass(frozen=True)
class Batch:
    config: Mapping[str, Any]
    klass: Class
    flags: Flags
    options: up_cmd.Options
    passwords: Mapping[str, str]

    def retry(self, verb: str, seat: Seat) -> str:
        extra = (
            []
            if self.options.until == "deploy" or verb != "up"
            else ["--until", self.options.until]
        )
        argv = ["invoke", f"class.{verb}", self.klass.file, "--student", seat.student]
        return shlex.join([*argv, *extra, *classdesk.flag_args(self.flags)])

    def up_one(self, seat: Seat, settings: Settings) -> str:
        """Build (or resume) one student's lab, then their account and handout."""
        path = self.klass.cdir.settings(seat.lab)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, yaml.safe_dump(to_mapping(settings), sort_keys=False), PRIVATE)
        reporter, stream = lab_reporter(self.klass.cdir, seat.lab)
        with stream:
            up_cmd.up(self.config, Flags(lab=seat.lab, lab_file=str(path)), self.options, reporter)
            labdir = LabDir.of(labs_dir(self.config), seat.lab)
            note = classdesk.ensure_account(labdir, seat, self.passwords[seat.lab], reporter)
            classdesk.write_handout(
                self.klass.cdir,
                labdir,
                self.klass.spec.name,
                seat,
                self.passwords.get(seat.lab),
                reset_command(self.klass.file, seat),
            )
        reached = state.load(labdir).reached
        return f"reached stage {reached}" + (f"; {note}" if note else "")

    def reset_one(self, seat: Seat, settings: Settings) -> str:
        """Put one lab back to new: restore its whole-lab snapshot (``invoke reset``: `deployed`,
        else the latest stage snapshot) when it has one, in seconds; otherwise (none, or only
        snapshots saved by hand) rebuild it (down, then up)."""
        labdir = LabDir.of(labs_dir(self.config), seat.lab)
        reporter, stream = lab_reporter(self.klass.cdir, seat.lab)
        with stream:
            if stage_snapshots.resettable(labdir):
                lines = snapshot_cmd.reset(self.config, seat.lab, reporter)
                return "restored: " + (lines[-1] if lines else "done")
            down_cmd.down(self.config, seat.lab, reporter, purge=False)
        return "rebuilt: " + self.up_one(seat, settings)


def run_batch(
    config: Mapping[str, Any],
    file: str,
    flags: Flags,
    options: up_cmd.Options,
    *,
    verb: str,
    student: str | None,
    concurrency: int | None,
    on_line: Callable[[str], None] = print,
) -> tuple[list[str], bool]:
    """``class.up`` / ``class.reset``: check everything, then one job per lab."""
    read_spec(file)  # a bad class file is refused before libvirt is asked anything
    check_flags(flags)
    with connect(libvirt_uri(config)) as virt:
        klass = open_class(config, file, virt)
        every = planned(config, klass, flags, klass.allocation.present)
        chosen = select(klass, student)
        wanted = {seat.lab for seat in chosen}
        fit = capacity_fit(
            virt, klass, [lab for _, _, lab in every if lab.name in wanted or running(virt, lab)]
        )
        if not fit.ok and not options.force:
            raise PreflightError(capacity.refusal(fit, klass.spec.name))
    by_lab = {seat.lab: settings for seat, settings, _ in every}
    if any(seat.lab not in by_lab for seat in chosen):
        raise StateError(
            f"{chosen[0].student} has left the class: `invoke class.down` removes their lab"
        )
    record_allocation(klass)
    work = Batch(config, klass, flags, options, classdesk.passwords(klass.cdir, list(by_lab)))
    results = classdesk.Results(klass.cdir.results)
    cpus = hostfacts.gather(disk_path=DISK_PATH).cpus
    limit = concurrency or klass.spec.concurrency or batch.default_limit(cpus)
    step = work.up_one if verb == "up" else work.reset_one
    jobs = [batch.Job(seat.lab, functools.partial(step, seat, by_lab[seat.lab])) for seat in chosen]
    on_line(
        f"class {klass.spec.name}: {verb} {len(jobs)} lab(s), {limit} at a time; "
        f"progress in {klass.cdir.root / 'logs'}"
    )

    def done(outcome: batch.Outcome) -> None:
        results.put(outcome.name, verb, outcome)
        on_line(f"  {outcome.name}: {'ok' if outcome.ok else 'FAILED'} ({outcome.seconds:.0f} s)")

    # The first lab alone: it imports the box into the storage pool, which two labs must not
    # do at once; the others then start from the imported volume, ``limit`` at a time.
    outcomes = batch.run(jobs[:1], 1, done) + batch.run(jobs[1:], limit, done)
    return classdesk.summary(verb, outcomes, {s.lab: s for s in chosen}, work.retry)


def down(
    config: Mapping[str, Any], file: str, *, student: str | None, purge: bool
) -> tuple[list[str], bool]:
    """Remove the labs (one student's, or all including departed ones)."""
    spec = read_spec(file)
    if load_allocation(ClassDir.of(labs_dir(config), spec.name)) is None:
        return [f"class {spec.name} has no labs on this host: nothing to remove"], False
    klass = existing_class(config, file)
    cdir, allocation = klass.cdir, klass.allocation
    chosen = select(klass, student) if student else allocation.seats
    results = classdesk.Results(cdir.results)

    def down_one(seat: Seat) -> str:
        reporter, stream = lab_reporter(cdir, seat.lab)
        with stream:
            return down_cmd.down(config, seat.lab, reporter, purge=purge)[0]

    jobs = [batch.Job(s.lab, functools.partial(down_one, s)) for s in chosen]
    outcomes = batch.run(jobs, len(jobs) or 1, lambda o: results.put(o.name, "down", o))
    gone = [o.name for o in outcomes if o.ok]
    if purge and not student and len(gone) == len(chosen):
        shutil.rmtree(cdir.root)  # every lab is gone: the seats, accounts and handouts too
    else:
        write_atomic(cdir.allocation, classroom.dumps(classroom.without(allocation, gone)))

    def retry(verb: str, seat: Seat) -> str:
        purging = ["--purge"] if purge else []
        return shlex.join(["invoke", f"class.{verb}", file, "--student", seat.student, *purging])

    return classdesk.summary("down", outcomes, {s.lab: s for s in chosen}, retry)


def reset_command(file: str, seat: Seat) -> str:
    return shlex.join(["invoke", "class.reset", file, "--student", seat.student])


def existing_class(config: Mapping[str, Any], file: str) -> Class:
    spec = read_spec(file)
    cdir = ClassDir.of(labs_dir(config), spec.name)
    allocation = load_allocation(cdir)
    if allocation is None:
        raise StateError(
            f"class {spec.name} has no labs on this host: run `invoke class.up {file}` first"
        )
    return Class(file, spec, cdir, allocation)


def status(config: Mapping[str, Any], file: str, *, json_out: bool) -> list[str]:
    """Every lab of the class: stage, health (VMs running, SSH answers), use, last error."""
    klass = existing_class(config, file)
    last = classdesk.Results(klass.cdir.results).read()
    with connect(libvirt_uri(config)) as virt:
        rows = [
            classdesk.row(virt, LabDir.of(labs_dir(config), s.lab), s, last.get(s.lab, {}))
            for s in klass.allocation.seats
        ]
    if json_out:
        return [classdesk.as_json(rows)]
    healthy = sum(1 for r in rows if r.health == "healthy")
    return [
        *classdesk.table(rows),
        f"class {klass.spec.name}: {healthy} of {len(rows)} labs healthy",
    ]


def handouts(config: Mapping[str, Any], file: str) -> list[str]:
    """(Re)write every built lab's handout; name the labs that are not built."""
    klass = existing_class(config, file)
    pw = classdesk.passwords(klass.cdir, [s.lab for s in klass.allocation.present])
    out = []
    for seat in klass.allocation.present:
        labdir = LabDir.of(labs_dir(config), seat.lab)
        if not labdir.inventory.is_file():
            out.append(f"{seat.lab}: not built, no handout (`invoke class.up {file}`)")
            continue
        paths = classdesk.write_handout(
            klass.cdir, labdir, klass.spec.name, seat, pw.get(seat.lab), reset_command(file, seat)
        )
        out.append(f"{seat.lab}: {paths[0].parent} ({', '.join(p.name for p in paths)})")
    return out
