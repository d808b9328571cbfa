"""The lab's guests after a revert or a boot: wait for SSH, put each clock back on the host's,
and the fast node health gate (SSH answers, clock within a second of the host's).

Over SSH through the lab's stored ``ssh-config`` (not Vagrant's lease-based discovery). The test
box and the CentOS box carry no guest agent, so the clock is stepped over SSH: the offset is
measured from the guest's own ``date`` against the host time its line arrived, then the guest
moves its clock by that offset relative to its own now (SSH start-up time does not count).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from typing import TypeVar

from labbuilder.adapters.ssh import Remote, sharing
from labbuilder.errors import LabError, ToolError
from labbuilder.model.snapshots import clock_offset, clock_step_command

CLOCK_TOLERANCE = 1.0
RESUMED_RETRY = 0.5
"""Seconds before SSH is tried again on a guest just resumed: it answers within a second or two
(a lab bridge without spanning tree forwards a reverted VM's new port at once)."""
T = TypeVar("T")


def each(nodes: Sequence[str], fn: Callable[[str], T]) -> dict[str, T]:
    """``fn`` on every node at once (the guests are independent; SSH waits dominate)."""
    with ThreadPoolExecutor(max_workers=max(1, len(nodes))) as pool:
        return dict(zip(nodes, pool.map(fn, nodes), strict=True))


def on_every(
    names: Iterable[str], fn: Callable[[str], object], undo: Callable[[str], object] | None = None
) -> None:
    """``fn`` on every node or domain at once (SSH waits, or libvirt jobs that each take seconds
    of I/O). When one fails (or on Ctrl-C), the calls under way still end, ``undo`` runs on
    those that succeeded, and the first error is raised."""
    listed = list(names)
    interrupted: BaseException | None = None
    with ThreadPoolExecutor(max_workers=max(1, len(listed))) as pool:
        futures = {name: pool.submit(fn, name) for name in listed}
        try:
            wait(list(futures.values()))
        except BaseException as err:  # the pool's exit still waits for the calls under way
            interrupted = err
    errors = [e for f in futures.values() if (e := f.exception()) is not None]
    problem = interrupted or (errors[0] if errors else None)
    if problem is None:
        return
    if undo is not None:
        for name, future in futures.items():
            if future.exception() is None:
                with contextlib.suppress(LabError):
                    undo(name)
    raise problem


def offset(remote: Remote, node: str) -> float:
    """The node's clock minus the host's, in seconds (to a few milliseconds)."""
    seen: list[tuple[str, float]] = []

    def arrived(line: str) -> None:
        if line.strip():
            seen.append((line, time.time()))

    remote.run(node, "date +%s.%N", on_line=arrived, timeout=60)
    if not seen:
        raise ToolError(f"on {node}: `date` printed nothing")
    line, at = seen[-1]
    try:
        return clock_offset(line, at)
    except ValueError:
        raise ToolError(f"on {node}: `date +%s.%N` printed {line!r}") from None


def step_clock(remote: Remote, node: str) -> float:
    """Step the node's clock onto the host's; the offset it had."""
    found = offset(remote, node)
    if abs(found) > CLOCK_TOLERANCE / 10:
        remote.run(node, clock_step_command(found), sudo=True, timeout=60)
    return found


def wait_ssh(remote: Remote, node: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if remote.run(node, "true", check=False, timeout=30).rc == 0:
                return
        except LabError:
            pass
        if time.monotonic() > deadline:
            raise ToolError(f"{node} does not answer SSH within {timeout:.0f} s")
        time.sleep(2)


@dataclass(frozen=True)
class NodeHealth:
    node: str
    offset: float | None
    problem: str | None


def node_health(remote: Remote, node: str) -> NodeHealth:
    try:
        found = offset(remote, node)
    except LabError as err:
        return NodeHealth(node, None, f"{node}: SSH does not answer ({err.message})")
    if abs(found) > CLOCK_TOLERANCE:
        return NodeHealth(node, found, f"{node}: clock {found:+.2f} s off the host's")
    return NodeHealth(node, found, None)


def settle(
    remote: Remote, nodes: Sequence[str], timeout: float, *, booting: bool = True
) -> list[NodeHealth]:
    """Wait for SSH on every node (after a boot), step their clocks, and report the health
    gate. Resumed guests answer within seconds, so they skip the wait (``booting=False``) and
    are tried again sooner. One shared SSH connection per node carries the three calls."""
    tried = remote if booting else replace(remote, connect_delay=RESUMED_RETRY)
    with sharing(tried) as shared:

        def one(node: str) -> NodeHealth:
            if booting:
                wait_ssh(shared, node, timeout)
            step_clock(shared, node)
            return node_health(shared, node)

        return list(each(nodes, one).values())
