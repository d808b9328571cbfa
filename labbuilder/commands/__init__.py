"""What each ``invoke`` task does, one verb per module; ``tasks.py`` imports only this package
and ``errors``. ``flags`` is what the command line gives, ``context`` what the verbs share
(where labs live, a lab's settings, the lab prepared in memory).

A verb module is imported when first used (``commands.up``), so ``invoke --list`` and
``invoke --help`` load none of them.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from labbuilder.commands import (
        bundle,
        classroom,
        context,
        deploy,
        down,
        flags,
        plan,
        preflight,
        render,
        report,
        restart,
        snapshot,
        ssh,
        status,
        testbox,
        testcloud,
        up,
        verify,
    )

__all__ = [
    "bundle",
    "classroom",
    "context",
    "deploy",
    "down",
    "flags",
    "plan",
    "preflight",
    "render",
    "report",
    "restart",
    "snapshot",
    "ssh",
    "status",
    "testbox",
    "testcloud",
    "up",
    "verify",
]


def __getattr__(name: str) -> ModuleType:
    if name in __all__:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
