"""Provision the lab's VMs with the static scripts in ``provision/`` (run as root over SSH).

What runs where is ``model.provisioning.plan``: on every node the FQDN hostname, /etc/hosts and
time sync; on CentOS Stream 9 boxes the RDO preparation and the grown root disk, on network-role
nodes what the br-ex takeover needs (checked by a guard), Packstack on the controller. Last,
the controller's root key is authorised on every node, and proven by logging in as root.

A failing script is reported by its own last message (the one line naming the missing piece
and the fix), not by its whole output.
"""

from __future__ import annotations

import shlex
from pathlib import PurePosixPath

from labbuilder import PROJECT_ROOT
from labbuilder.adapters.ssh import Remote
from labbuilder.errors import ToolError
from labbuilder.model.lab import Lab
from labbuilder.model.provisioning import ROOT_KEY, Phase, Step, plan
from labbuilder.reporter import Reporter
from labbuilder.stages import guests

SOURCE_DIR = PROJECT_ROOT / "provision"
"""Uploaded whole to every node: the scripts and the library they source (``lib.bash``)."""
REMOTE_DIR = "/opt/labbuilder/provision"


def failure_line(script: str, stderr: str, stdout: str) -> str:
    """The line that says why ``script`` failed: its own last message on standard error (every
    script's ``die`` writes "NAME.sh: problem: fix"), else the last line of error output, else
    of the output."""
    prefix = f"{PurePosixPath(script).name}: "
    errors = [line.strip() for line in stderr.splitlines() if line.strip()]
    own = [line for line in errors if line.startswith(prefix)]
    output = [line.strip() for line in stdout.splitlines() if line.strip()]
    return (own or errors or output or [f"{prefix}failed with no output"])[-1]


def run_step(remote: Remote, step: Step, values: dict[str, str]) -> str:
    """Run one planned script as root; its standard output, or the ToolError naming why not."""
    args = [values.get(arg, arg) for arg in step.args]
    command = shlex.join(["bash", f"{REMOTE_DIR}/{step.script}", *args])
    got = remote.run(step.node, command, sudo=True, check=False, timeout=step.timeout)
    if got.rc != 0:
        raise ToolError(
            f"provisioning {step.node} stopped at {step.script} (exit {got.rc}): "
            f"{failure_line(step.script, got.stderr, got.stdout)}"
        )
    return got.stdout


def run_phase(remote: Remote, reporter: Reporter, phase: Phase, values: dict[str, str]) -> None:
    def node_steps(node: str) -> None:
        for step in phase.of(node):
            out = run_step(remote, step, values)
            if step.script == "common/rootkey.sh":
                values[ROOT_KEY] = (out.strip().splitlines() or [""])[-1]
            if step.done:
                reporter.node(node, step.done)

    guests.on_every(phase.nodes(), node_steps)


def check_root_logins(lab: Lab, remote: Remote, reporter: Reporter) -> None:
    ctl = lab.controller.name
    for node in lab.nodes:
        got = remote.run(
            ctl,
            f"ssh -o BatchMode=yes -o ConnectTimeout=10 root@{node.fqdn} hostname -f",
            sudo=True,
            check=False,
        )
        if got.rc != 0 or got.stdout.strip() != node.fqdn:
            why = got.stderr.strip() or got.stdout.strip()
            raise ToolError(
                f"root SSH from {ctl} to {node.fqdn} failed ({why}): check sshd on {node.name}, "
                f"then run `invoke up --lab {lab.name} --until provision` again"
            )
        reporter.node(ctl, f"ssh root@{node.fqdn} works without a password")


def provision(lab: Lab, remote: Remote, reporter: Reporter) -> None:
    guests.on_every(
        (n.name for n in lab.nodes), lambda n: remote.put_dir(n, SOURCE_DIR, REMOTE_DIR)
    )
    if lab.box.os_family != "el9":
        reporter.warn(
            f"box {lab.box.name} is not CentOS Stream 9: the EL9 steps (SELinux, RDO "
            "repositories, root disk, br-ex preparation, Packstack install) are skipped"
        )
    values: dict[str, str] = {}
    for phase in plan(lab):
        run_phase(remote, reporter, phase, values)
    check_root_logins(lab, remote, reporter)
