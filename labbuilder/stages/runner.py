"""The stages of ``invoke up`` in order, each skipped when the lab's state says it is done.

Before the stages run, ``reconcile`` brings a built lab back in line with its record: networks
restarted, stopped VMs started, vanished VMs or a changed node set sending the lab back to
stage ``vms``.

The outside tools (libvirt, Vagrant, its box store, SSH) are fields of ``Run``: the commands
pass the real adapters, unit tests pass in-memory fakes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from labbuilder import state
from labbuilder.adapters.libvirt import Virt
from labbuilder.adapters.ssh import Remote
from labbuilder.adapters.vagrant import Vagrant
from labbuilder.labdir import LabDir
from labbuilder.model.lab import Lab
from labbuilder.reporter import Reporter
from labbuilder.stages import box as boxfetch
from labbuilder.stages import deploy, networks, provision, record, snapshots, vms


@dataclass(frozen=True)
class Run:
    """What one ``up`` works with: the lab, and the tools it drives."""

    lab: Lab
    labdir: LabDir
    reporter: Reporter
    box_cache: Path
    virt: Virt
    vagrant: Vagrant
    boxes: boxfetch.BoxStore
    remote: Remote
    box_sha256: str | None = None
    done: set[str] = field(default_factory=set, compare=False)  # steps not to repeat in this run

    def networks(self) -> None:
        for message in networks.ensure(self.lab, self.virt):
            self.reporter.ok(message)

    def box(self) -> None:
        if "box" not in self.done:
            said = boxfetch.progress(self.reporter.say)
            self.reporter.say(
                boxfetch.ensure(self.lab.box, self.box_cache, self.boxes, self.box_sha256, said)
            )
            self.done.add("box")

    def vms(self) -> None:
        self.box()
        vms.up(self.lab, self.labdir, self.virt, self.vagrant, self.reporter)

    def provision(self) -> None:
        provision.provision(self.lab, self.remote, self.reporter)

    def deploy(self) -> None:
        """Packstack, then the record of the deployed lab (clouds.yaml, openrc, lock, demo)."""
        deploy.deploy(self.lab, self.labdir, self.remote, self.reporter)
        digest = self.box_sha256 or boxfetch.cached_sha256(self.lab.box, self.box_cache)
        record.record(self.lab, self.labdir, self.remote, self.reporter, digest)

    def step(self, name: str) -> Callable[[], None]:
        steps: dict[str, Callable[[], None]] = {
            "networks": self.networks,
            "vms": self.vms,
            "provision": self.provision,
            "deploy": self.deploy,
        }
        return steps[name]


def reconcile(run: Run, st: state.LabState) -> state.LabState:
    lab, reporter = run.lab, run.reporter
    if st.done("vms") and tuple(n.name for n in lab.nodes) != st.nodes:
        reporter.say("node set changed: bringing VMs in line and provisioning again")
        st = st.reset_from("vms")
    if st.done("networks"):
        run.networks()  # inactive after a host restart, or reservations changed
    if st.done("vms"):
        domains = run.virt.domains(lab.prefix)
        wanted = {f"{lab.prefix}{n.name}" for n in lab.nodes}
        if not wanted <= set(domains):
            reporter.warn("VMs of this lab are gone: creating them and provisioning again")
            st = st.reset_from("vms")
        elif not all(domains[d] for d in wanted):
            reporter.say("starting the lab's stopped VMs")
            vms.up(lab, run.labdir, run.virt, run.vagrant, reporter)
    return st


def run_stage(run: Run, st: state.LabState, name: str) -> state.LabState:
    start = time.monotonic()
    run.reporter.say(f"stage {name} ...")
    with run.reporter.staged(name):
        run.step(name)()
    st = st.finish(name, time.monotonic() - start)
    if name == "vms":
        st = replace(st, nodes=tuple(n.name for n in run.lab.nodes))
    state.save(run.labdir, st)
    run.reporter.ok(f"stage {name} done in {st.stages[name].seconds:.0f} s")
    snapshots.stage_snapshot(snapshots.Target(run.labdir, run.virt, run.reporter), name)
    return st


def run_until(run: Run, st: state.LabState, until: str) -> state.LabState:
    for name in state.STAGES[: state.STAGES.index(until) + 1]:
        if st.done(name):
            run.reporter.say(f"stage {name}: already done")
        else:
            st = run_stage(run, st, name)
    return st
