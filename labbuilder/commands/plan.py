"""``invoke plan``: the lab that would be built, shown and not written.

Planned only, nothing rendered: Packstack's schema and the templates are not loaded
(``render`` and ``up`` check the answer-file keys).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from labbuilder.commands.context import host_virt, settings_for
from labbuilder.commands.flags import Flags
from labbuilder.model import planner
from labbuilder.render import planview


def plan(config: Mapping[str, Any], flags: Flags) -> list[str]:
    settings, _ = settings_for(config, flags)
    kvm, nested = host_virt()
    return planview.lines(planner.plan(settings, kvm=kvm, nested=nested))
