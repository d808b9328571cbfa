"""``invoke plan``: the lab that would be built, shown and not written."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from labbuilder.commands.context import prepare
from labbuilder.commands.flags import Flags
from labbuilder.render import planview


def plan(config: Mapping[str, Any], flags: Flags) -> list[str]:
    rendered, _ = prepare(config, flags)
    return planview.lines(rendered.lab) + [f"warning: {w}" for w in rendered.warnings]
