"""``invoke deploy``: run (or resume) Packstack on a provisioned lab."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from labbuilder import state
from labbuilder.adapters.libvirt import connect
from labbuilder.commands import timing
from labbuilder.commands.context import lab_dir, prepare
from labbuilder.commands.flags import Flags
from labbuilder.commands.up import run_for
from labbuilder.errors import StateError
from labbuilder.reporter import Reporter
from labbuilder.stages import runner


def deploy(
    config: Mapping[str, Any],
    lab_name: str | None,
    reporter: Reporter | None = None,
    *,
    force: bool,
) -> list[str]:
    if not lab_dir(config, lab_name).exists():
        name = lab_dir(config, lab_name).name
        raise StateError(
            f"there is no lab {name} on this host: build it with `invoke up --lab {name}`"
        )
    rendered, labdir = prepare(config, Flags(lab=lab_name))
    lab = rendered.lab
    st = state.load(labdir)
    if not st.done("provision"):
        raise StateError(
            f"lab {lab.name} is not provisioned (stage: {st.reached}): "
            f"run `invoke up --lab {lab.name} --until provision` first"
        )
    if st.done("deploy") and not force:
        return [
            f"lab {lab.name} is already deployed: "
            f"`invoke deploy --lab {lab.name} --force` runs Packstack again"
        ]
    reporter = reporter or Reporter()
    with connect(lab.libvirt_uri) as virt:
        run = run_for(config, lab, labdir, virt, reporter)
        timing.attach(reporter, labdir)
        runner.run_stage(run, st.reset_from("deploy"), "deploy")
    return [
        *timing.summary(reporter),
        f"lab {lab.name} deployed; check it with `invoke verify --lab {lab.name}`",
    ]
