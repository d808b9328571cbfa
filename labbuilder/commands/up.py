"""``invoke up``: build the lab, resuming where it stopped."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from labbuilder import state
from labbuilder.adapters import vagrant as vagrantctl
from labbuilder.adapters.libvirt import Virt, connect
from labbuilder.adapters.ssh import Remote
from labbuilder.commands import timing
from labbuilder.commands.context import box_cache, locked_sha256, prepare
from labbuilder.commands.flags import Flags
from labbuilder.commands.preflight import run_checks
from labbuilder.errors import PreflightError, StateError
from labbuilder.labdir import LabDir
from labbuilder.model.lab import Lab
from labbuilder.render.inventory import to_data
from labbuilder.reporter import Reporter
from labbuilder.stages import forward, preflight, runner
from labbuilder.stages import render as render_stage


@dataclass(frozen=True)
class Options:
    until: str = "deploy"
    force: bool = False
    show_ignored: bool = False


def layout_changes(old: Mapping[str, Any], lab: Lab) -> list[str]:
    """Differences other than compute nodes between a built lab and a new plan."""
    new = to_data(lab)
    keys = ("external", "tunnel", "box", "domain")
    out = [f"{k}: {old.get(k)} -> {new[k]}" for k in keys if old.get(k) != new[k]]

    def fixed(data: Mapping[str, Any]) -> list[Any]:
        return [
            n for n in data.get("nodes", []) if "compute" not in n["roles"] or len(n["roles"]) > 1
        ]

    if fixed(old) != fixed(new):
        out.append("controller/network/storage nodes differ")
    return out


def run_for(
    config: Mapping[str, Any],
    lab: Lab,
    labdir: LabDir,
    virt: Virt,
    reporter: Reporter,
    box_sha256: str | None = None,
) -> runner.Run:
    """The stages' run with the real tools: libvirt, Vagrant in the lab's directory, SSH."""
    return runner.Run(
        lab,
        labdir,
        reporter,
        box_cache(config),
        virt=virt,
        vagrant=vagrantctl.Vagrant(labdir.root),
        boxes=vagrantctl,
        remote=Remote(labdir.ssh_config),
        box_sha256=box_sha256,
    )


def up(
    config: Mapping[str, Any], flags: Flags, options: Options, reporter: Reporter | None = None
) -> list[str]:
    reporter = reporter or Reporter()
    until = state.check_stage(options.until)
    rendered, labdir = prepare(config, flags)
    lab = rendered.lab
    st = state.load(labdir)
    if st.done("vms") and labdir.inventory.is_file():
        changes = layout_changes(json.loads(labdir.inventory.read_text()), lab)
        if changes:
            raise StateError(
                f"lab {lab.name} is built with another layout ({'; '.join(changes)}): "
                f"run `invoke down --lab {lab.name}` first, or keep its settings"
            )
    with connect(lab.libvirt_uri) as virt:
        checks = run_checks(lab, virt, "", force=options.force)
        for line in preflight.format_checks(checks):
            (reporter.warn if line.startswith("WARN") else reporter.say)(line)
        if preflight.failed(checks):
            raise PreflightError(
                "preflight failed (FAIL lines above): fix them and run `invoke up` again"
            )
        for line in rendered.ignored if options.show_ignored else ():
            reporter.say(f"ignored: {line}")
        for warning in rendered.warnings:
            reporter.warn(warning)
        run = run_for(config, lab, labdir, virt, reporter, locked_sha256(flags))
        if until != "networks" and not st.done("vms"):
            run.box()  # before anything is created: a box that cannot be had stops here
        render_stage.write(rendered, labdir)
        timing.attach(reporter, labdir)
        st = runner.run_until(run, runner.reconcile(run, st), until)
        if st.done("vms"):
            forward.ensure(labdir, reporter)
    return [
        *timing.summary(reporter),
        f"lab {lab.name} reached stage {st.reached}; `invoke status --lab {lab.name}` shows it",
        f"check it with `invoke verify --lab {lab.name}`",
    ]
