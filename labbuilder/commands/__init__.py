"""What each ``invoke`` task does, one verb per module; ``tasks.py`` imports only this package
and ``errors``. ``context`` holds what they share: where labs live and a lab's settings."""

from __future__ import annotations

from labbuilder.commands import (
    context,
    deploy,
    down,
    plan,
    preflight,
    render,
    ssh,
    status,
    testbox,
    up,
    verify,
)

__all__ = [
    "context",
    "deploy",
    "down",
    "plan",
    "preflight",
    "render",
    "ssh",
    "status",
    "testbox",
    "up",
    "verify",
]
