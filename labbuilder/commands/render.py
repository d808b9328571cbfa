"""``invoke render``: write the lab's files (Vagrantfile, answers.txt, lab.yaml, secrets.yaml,
inventory.json) into ``labs/<lab>/``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from labbuilder.commands.context import prepare
from labbuilder.commands.flags import Flags
from labbuilder.stages import render as render_stage


def render(config: Mapping[str, Any], flags: Flags, *, show_ignored: bool = False) -> list[str]:
    rendered, labdir = prepare(config, flags)
    paths = render_stage.write(rendered, labdir)
    ignored = [f"ignored: {line}" for line in rendered.ignored] if show_ignored else []
    return (
        ignored
        + [f"warning: {w}" for w in rendered.warnings]
        + [
            f"lab {rendered.lab.name} rendered in {labdir.root}: "
            + ", ".join(p.name for p in paths)
        ]
    )
