"""labbuilder's command line: ``invoke --list``; ``invoke --help TASK`` for a task's flags.

Every setting under ``lab`` below can be set in ``invoke.yaml`` or as ``INVOKE_LAB_<NAME>``;
a lab file (``--lab-file``) overrides those, and flags override both.
"""

from __future__ import annotations

import functools
import inspect
import shlex
import sys
from collections.abc import Callable, Mapping
from typing import Any, cast

from invoke.collection import Collection
from invoke.context import Context
from invoke.exceptions import Exit
from invoke.tasks import task

from labbuilder import commands
from labbuilder.errors import AnswerFileError, LabError

FLAGS = commands.flags.FLAGS
#: Each lab flag as the task parameter it is: name -> (default, help).
LAB_FLAGS: dict[str, tuple[Any, str]] = {
    f.option: (False if f.form == "switch" else None, f.help) for f in FLAGS
}
ITERABLE = [f.option for f in FLAGS if f.repeatable]


def exit_for(err: LabError) -> Exit:
    """The one place a LabError becomes output and an exit code."""
    if isinstance(err, AnswerFileError) and len(err.problems) > 1:
        for problem in err.problems:
            print(f"  {problem}", file=sys.stderr)
    return Exit(f"error: {err.message}", code=err.exit_code)


def _flags(kwargs: dict[str, Any]) -> commands.flags.Flags:
    values = {f.name: kwargs.pop(f.option) for f in FLAGS}
    for f in FLAGS:
        if f.repeatable:
            values[f.name] = tuple(values[f.name] or ())
    return commands.flags.Flags(**values)


def lab_task(**extra: tuple[Any, str]) -> Callable[[Callable[..., Any]], Any]:
    """A task taking every lab flag (as ``flags``) plus ``extra`` ones; LabError -> exit."""

    def decorate(fn: Callable[..., Any]) -> Any:
        @functools.wraps(fn)
        def body(c: Context, **kwargs: Any) -> Any:
            try:
                return fn(c, _flags(kwargs), **kwargs)
            except LabError as err:
                raise exit_for(err) from err

        params = [inspect.Parameter("c", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        params += [
            inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default)
            for name, (default, _) in {**LAB_FLAGS, **extra}.items()
        ]
        body.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        helps = {
            name.strip("_").replace("_", "-"): text
            for name, (_, text) in {**LAB_FLAGS, **extra}.items()
        }
        return task(help=helps, iterable=ITERABLE)(body)

    return decorate


def cfg(c: Context) -> Mapping[str, Any]:
    """invoke's config (a DataProxy) read as the mapping the package expects."""
    return cast(Mapping[str, Any], c.config)


def echo(lines: list[str]) -> None:
    for line in lines:
        print(line)


def plain_task(fn: Callable[..., Any]) -> Any:
    """``fn`` with LabError turned into a one-line error and its exit code."""

    @functools.wraps(fn)
    def body(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except LabError as err:
            raise exit_for(err) from err

    return body


LAB = {"lab": LAB_FLAGS["lab"][1]}


@lab_task()
def plan(c: Context, flags: commands.flags.Flags) -> None:
    """Print the lab that would be built: nodes, roles, addresses, sizes, host totals."""
    echo(commands.plan.plan(cfg(c), flags))


SHOW_IGNORED = (False, "list every answer-file key Packstack would ignore (else a count)")


@lab_task(show_ignored=SHOW_IGNORED)
def render(c: Context, flags: commands.flags.Flags, show_ignored: bool) -> None:
    """Write labs/<lab>/: Vagrantfile, answers.txt (validated), lab.yaml, secrets.yaml."""
    echo(commands.render.render(cfg(c), flags, show_ignored=show_ignored))


@lab_task(force=(False, "only warn where the host lacks memory (overcommit)"))
def preflight(c: Context, flags: commands.flags.Flags, force: bool) -> None:
    """Check the host can run the lab: tools, KVM, nesting, memory, disk, subnets, box."""
    lines, failed = commands.preflight.check(cfg(c), flags, force=force)
    echo(lines)
    if failed:
        raise Exit("error: preflight failed: fix the FAIL lines above", code=5)


@lab_task(
    until=("deploy", "last stage to run: networks, vms, provision or deploy"),
    force=(False, "start even where preflight only fails on memory (overcommit)"),
    show_ignored=SHOW_IGNORED,
)
def up(
    c: Context, flags: commands.flags.Flags, until: str, force: bool, show_ignored: bool
) -> None:
    """Build the lab, resuming where it stopped: preflight, networks, vms, provision, deploy."""
    options = commands.up.Options(until=until, force=force, show_ignored=show_ignored)
    echo(commands.up.up(cfg(c), flags, options))


@task(help={**LAB, "purge": "also delete labs/<lab>/ (settings, answers, secrets, logs)"})
@plain_task
def down(c: Context, lab: str | None = None, purge: bool = False) -> None:
    """Destroy the lab's VMs, disks, networks and runtime state (works on half-built labs)."""
    echo(commands.down.down(cfg(c), lab, purge=purge))


@task(help=LAB)
@plain_task
def status(c: Context, lab: str | None = None) -> None:
    """Show the lab's nodes, their state and addresses, and the stage reached."""
    echo(commands.status.status(cfg(c), lab))


@task(name="list")
@plain_task
def list_(c: Context) -> None:
    """List every lab on this host with its stage and running VMs."""
    echo(commands.status.list_labs(cfg(c)))


@task(
    help={
        **LAB,
        "node": "node name, e.g. controller or compute1",
        "command": "run this instead of a shell",
    }
)
@plain_task
def ssh(c: Context, node: str, lab: str | None = None, command: str = "") -> None:
    """Open a shell (or run a command) on a node of the lab."""
    argv = commands.ssh.argv(cfg(c), lab, node, command)
    c.run(" ".join(shlex.quote(a) for a in argv), pty=not command)


@task(name="ssh-config", help=LAB)
@plain_task
def ssh_config(c: Context, lab: str | None = None) -> None:
    """Print the lab's OpenSSH config (what testinfra and ssh -F use)."""
    print(commands.ssh.config_path(cfg(c), lab).read_text(), end="")


@task(help={**LAB, "force": "run Packstack again on a lab that is already deployed"})
@plain_task
def deploy(c: Context, lab: str | None = None, force: bool = False) -> None:
    """Run Packstack on the provisioned lab (resumes after a failure; logs in labs/<lab>/logs)."""
    echo(commands.deploy.deploy(cfg(c), lab, force=force))


@task(
    help={
        **LAB,
        "only": "run one suite: nodes, services, sockets, endpoints, ovs, openstack, e2e",
        "junit": "JUnit XML path (default labs/<lab>/verify/junit.xml)",
        "report": "Markdown report path (default labs/<lab>/verify/report.md)",
    }
)
@plain_task
def verify(
    c: Context,
    lab: str | None = None,
    only: str | None = None,
    junit: str | None = None,
    report: str | None = None,
) -> None:
    """Check the lab with testinfra: nodes, services, endpoints, OVS, an instance end to end."""
    echo(commands.verify.verify(cfg(c), lab, only=only, junit=junit, report=report, on_line=print))


@task(
    iterable=["compare"],
    help={
        **LAB,
        "compare": "two run ids (`--compare A --compare B`): which steps got slower",
        "runs": "list the runs in the lab's timeline",
    },
)
@plain_task
def report(
    c: Context, lab: str | None = None, compare: list[str] | None = None, runs: bool = False
) -> None:
    """Write labs/<lab>/report/index.html (topology, timeline, verify results) and report.md."""
    if runs:
        echo(commands.report.list_runs(cfg(c), lab))
    elif compare:
        echo(commands.report.compare(cfg(c), lab, compare))
    else:
        echo(commands.report.report(cfg(c), lab))


@task(help={**LAB, "output": "tarball path (default labs/<lab>/bundle-<time>.tar.gz)"})
@plain_task
def bundle(c: Context, lab: str | None = None, output: str | None = None) -> None:
    """One redacted tarball to rebuild the lab and read its logs (`invoke up --from BUNDLE`)."""
    echo(commands.bundle.bundle(cfg(c), lab, output, on_line=print))


@task(name="test-box")
@plain_task
def test_box(c: Context) -> None:
    """Build the small Debian test box (no download; reused while unchanged) and add it."""
    echo(commands.testbox.test_box(cfg(c)))


@task(
    name="test-cloud",
    help={
        "down": "remove the test cloud: nothing left mounted, running or listening",
        "image": "only build (or reuse) the guest image and print its path (LABBUILDER_E2E_IMAGE)",
    },
)
@plain_task
def test_cloud(c: Context, down: bool = False, image: bool = False) -> None:
    """A real all-in-one OpenStack (Debian 13 packages, Epoxy) in namespaces: lab testcloud."""
    if image:
        print(commands.testcloud.image(cfg(c), on_line=print))
        return
    echo(commands.testcloud.down(cfg(c)) if down else commands.testcloud.up(cfg(c), on_line=print))


@task(
    help={
        "fast": "skip the tests that bring up VMs or the test cloud",
        "k": "only tests matching this expression",
    }
)
def test(c: Context, fast: bool = False, k: str = "") -> None:
    """Lint (ruff, mypy, shellcheck, shfmt) and run the project's tests (unit + real VMs)."""
    py = f"{sys.prefix}/bin"
    c.run(f"{py}/ruff check labbuilder tests bench tasks.py", echo=True)
    c.run(f"{py}/ruff format --check labbuilder tests bench tasks.py", echo=True)
    c.run(f"{py}/mypy", echo=True)
    c.run(
        "shellcheck -x provision/lib.bash provision/*/*.sh hostsetup/*.sh "
        "hostsetup/testcloud/*.sh .ci/run",
        echo=True,
    )
    c.run("shfmt -d -i 0 provision", echo=True)  # one style: tabs, shfmt defaults
    # pyproject's addopts leave the vms- and cloud-marked tests out of a plain `pytest`
    selection = ["-m", "'not vms and not cloud'" if fast else "'vms or not vms'"]
    if k:
        selection += ["-k", shlex.quote(k)]
    c.run(f"{py}/pytest {' '.join(selection)}", echo=True, pty=False)


SNAP = {**LAB, "name": "snapshot name (letters, digits, . _ -)"}


@task(help={**SNAP, "mode": "warm (default: memory too, VMs paused together) or cold (shut down)"})
@plain_task
def save(c: Context, name: str, lab: str | None = None, mode: str = "warm") -> None:
    """Snapshot every VM of the lab at once (refused before anything changes if it cannot work)."""
    echo(commands.snapshot.save(cfg(c), lab, name, mode))


@task(help=SNAP)
@plain_task
def restore(c: Context, name: str, lab: str | None = None) -> None:
    """Put every VM of the lab back to a snapshot, step the clocks, and wait until healthy."""
    echo(commands.snapshot.restore(cfg(c), lab, name))


@task(name="list", help=LAB)
@plain_task
def list_snapshots(c: Context, lab: str | None = None) -> None:
    """List the lab's snapshots: mode, stage, when, memory image size, time taken."""
    echo(commands.snapshot.list_snapshots(cfg(c), lab))


@task(help=SNAP)
@plain_task
def delete(c: Context, name: str, lab: str | None = None) -> None:
    """Delete a snapshot from every VM of the lab and its record."""
    echo(commands.snapshot.delete(cfg(c), lab, name))


@task(help=LAB)
@plain_task
def reset(c: Context, lab: str | None = None) -> None:
    """Restore the lab's `deployed` snapshot (or the latest stage snapshot) in one word."""
    echo(commands.snapshot.reset(cfg(c), lab))


@task(help=LAB)
@plain_task
def stop(c: Context, lab: str | None = None) -> None:
    """Shut the lab's VMs down cleanly (libvirt; nothing is deleted)."""
    echo(commands.restart.stop(cfg(c), lab))


@task(help=LAB)
@plain_task
def start(c: Context, lab: str | None = None) -> None:
    """Start a stopped lab (also after a host reboot) and wait until every node answers."""
    echo(commands.restart.start(cfg(c), lab))


@task(help=LAB)
@plain_task
def restart(c: Context, lab: str | None = None) -> None:
    """Stop and start the lab's VMs through its own records (not Vagrant's lease lookup)."""
    echo(commands.restart.restart(cfg(c), lab))


snapshot = Collection("snapshot", save, restore, list_snapshots, delete)


CLASS_FILE = {
    "file": "class file (YAML: name, students, lab, pools, capacity) or roster CSV (name column)"
}
STUDENT = {"student": "only this student's lab (name as in the class file, or lab name)"}
CONCURRENCY = {"concurrency": "labs worked on at once (default: class file, else host CPUs / 2)"}


def class_task(**extra: tuple[Any, str]) -> Callable[[Callable[..., Any]], Any]:
    """A ``class.*`` task: positional FILE, every lab flag (applied to every lab), ``extra``."""

    def decorate(fn: Callable[..., Any]) -> Any:
        wrapped = lab_task(**extra)(fn).body
        params = list(inspect.signature(wrapped).parameters.values())
        file = inspect.Parameter("file", inspect.Parameter.POSITIONAL_OR_KEYWORD)
        wrapped.__signature__ = inspect.Signature([params[0], file, *params[1:]])
        helps = {**CLASS_FILE, **{k: v[1] for k, v in extra.items()}}
        helps |= {n.strip("_").replace("_", "-"): t for n, (_, t) in LAB_FLAGS.items()}
        return task(help=helps, iterable=ITERABLE, positional=["file"])(wrapped)

    return decorate


def echo_batch(result: tuple[list[str], bool], verb: str) -> None:
    echo(result[0])
    if result[1]:
        raise Exit(f"error: class.{verb}: some labs failed (named above with their retry)", code=10)


@class_task()
def class_plan(c: Context, flags: commands.flags.Flags, file: str) -> None:
    """Seats (stable IDs, lab names, subnets) and the capacity plan; refuses what does not fit."""
    echo(commands.classroom.plan(cfg(c), file, flags))


@class_task(
    until=("deploy", "last stage for every lab: networks, vms, provision or deploy"),
    force=(False, "start even where the capacity plan or preflight refuse (overcommit)"),
    **{k: (None, v) for k, v in {**STUDENT, **CONCURRENCY}.items()},
)
def class_up(
    c: Context,
    flags: commands.flags.Flags,
    file: str,
    until: str,
    force: bool,
    student: str | None,
    concurrency: int | None,
) -> None:
    """Build every student's lab (or one), resuming each where it stopped; handouts at the end."""
    options = commands.up.Options(until=until, force=force)
    result = commands.classroom.run_batch(
        cfg(c),
        file,
        flags,
        options,
        verb="up",
        student=student,
        concurrency=int(concurrency) if concurrency else None,
    )
    echo_batch(result, "up")


@class_task(
    until=("deploy", "last stage to rebuild to"),
    **{k: (None, v) for k, v in {**STUDENT, **CONCURRENCY}.items()},
)
def class_reset(
    c: Context,
    flags: commands.flags.Flags,
    file: str,
    until: str,
    student: str | None,
    concurrency: int | None,
) -> None:
    """Put students' labs back: their snapshot restored (invoke reset), else rebuilt."""
    options = commands.up.Options(until=until)
    result = commands.classroom.run_batch(
        cfg(c),
        file,
        flags,
        options,
        verb="reset",
        student=student,
        concurrency=int(concurrency) if concurrency else None,
    )
    echo_batch(result, "reset")


@task(name="status", positional=["file"], help={**CLASS_FILE, "json": "print JSON for scripts"})
@plain_task
def class_status(c: Context, file: str, json: bool = False) -> None:
    """Every lab of the class: stage, health (VMs running, SSH answers), use, last error."""
    echo(commands.classroom.status(cfg(c), file, json_out=json))


@task(
    name="down",
    positional=["file"],
    help={**CLASS_FILE, **STUDENT, "purge": "also delete lab dirs, seats, accounts, handouts"},
)
@plain_task
def class_down(c: Context, file: str, student: str | None = None, purge: bool = False) -> None:
    """Remove the class's labs (VMs, disks, networks), or one student's."""
    echo_batch(commands.classroom.down(cfg(c), file, student=student, purge=purge), "down")


@task(name="handouts", positional=["file"], help=CLASS_FILE)
@plain_task
def class_handouts(c: Context, file: str) -> None:
    """Write each student's handout (Markdown, HTML, ssh-config, clouds.yaml; 0600)."""
    echo(commands.classroom.handouts(cfg(c), file))


class_tasks = Collection("class")
for _name, _task in (("plan", class_plan), ("up", class_up), ("reset", class_reset)):
    class_tasks.add_task(_task, name=_name)
for _task in (class_status, class_down, class_handouts):
    class_tasks.add_task(_task)

ns = Collection(
    plan,
    render,
    preflight,
    up,
    deploy,
    verify,
    report,
    bundle,
    down,
    status,
    list_,
    ssh,
    ssh_config,
    test_box,
    test_cloud,
    test,
    snapshot,
    reset,
    stop,
    start,
    restart,
)
ns.add_collection(class_tasks)
ns.configure(commands.flags.CONFIG_DEFAULTS)
