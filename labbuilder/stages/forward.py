"""The host port forward to the controller's dashboard (``horizon_port``): an SSH tunnel over
the lab's own ``ssh-config``, from every address of this host to the controller's port 80.

It runs in the background, beyond the command that started it; its PID, port and command line
are kept in ``labs/<lab>/horizon-forward.json``, so it is stopped by PID (never by name) and a
PID reused after a host reboot is not taken for it. ``up``, ``start`` and ``restart`` start it,
a snapshot restore starts it anew (the reverted controller no longer knows the old session),
``stop`` and ``down`` end it; ``status`` says whether it runs.
"""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass

from labbuilder.adapters import shell
from labbuilder.adapters.ssh import Remote
from labbuilder.errors import ToolError
from labbuilder.labdir import LabDir, write_atomic
from labbuilder.reporter import Reporter

RECORD = "horizon-forward.json"
LOG = "horizon-forward.log"
DASHBOARD_PORT = 80
READY_TIMEOUT = 30.0


@dataclass(frozen=True)
class Wanted:
    """What the lab's ``inventory.json`` asks for: the controller and the host port (0: none)."""

    lab: str
    controller: str
    port: int


def wanted(labdir: LabDir) -> Wanted:
    try:
        inv = json.loads(labdir.inventory.read_text(encoding="utf-8"))
        controller = next(n["name"] for n in inv["nodes"] if "controller" in n["roles"])
        return Wanted(str(inv["lab"]), str(controller), int(inv.get("horizon_port") or 0))
    except (OSError, ValueError, KeyError, TypeError, StopIteration):
        return Wanted(labdir.name, "", 0)


@dataclass(frozen=True)
class Forward:
    pid: int
    port: int
    argv: tuple[str, ...]

    @property
    def running(self) -> bool:
        return shell.is_running(self.pid, self.argv)


def recorded(labdir: LabDir) -> Forward | None:
    try:
        data = json.loads((labdir.root / RECORD).read_text())
        return Forward(int(data["pid"]), int(data["port"]), tuple(map(str, data["argv"])))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def url(port: int) -> str:
    return f"http://{socket.getfqdn()}:{port}/dashboard/"


def port_taken(port: int) -> bool:
    """Something on this host already listens on ``port`` (any address)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("0.0.0.0", port))  # noqa: S104 (a test bind: the forward listens there)
        except OSError:
            return True
    return False


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def stop(labdir: LabDir) -> bool:
    """End the lab's forward if it runs; True when it did. Its record goes either way."""
    forward = recorded(labdir)
    (labdir.root / RECORD).unlink(missing_ok=True)
    return forward is not None and shell.end(forward.pid, forward.argv)


def ensure(labdir: LabDir, reporter: Reporter, *, anew: bool = False) -> None:
    """The forward the lab's inventory asks for running (started anew with ``anew``); none
    when it asks for none. ToolError, with nothing left running, when the port is taken or
    the tunnel does not come up."""
    want = wanted(labdir)
    forward = recorded(labdir)
    if forward and forward.running and forward.port == want.port and not anew:
        return
    stop(labdir)
    if not want.port:
        return
    port = want.port
    if port_taken(port):
        raise ToolError(
            f"host port {port} for lab {want.lab}'s dashboard is taken by another program: "
            "choose another horizon_port (or free it) and run the command again"
        )
    argv = Remote(labdir.ssh_config).forward_argv(want.controller, port, DASHBOARD_PORT)
    log = labdir.root / LOG
    log.write_text("")
    pid = shell.spawn(argv, log)
    deadline = time.monotonic() + READY_TIMEOUT
    while shell.alive(pid) and not _listening(port):
        if time.monotonic() > deadline:
            shell.end(pid, argv)
            raise ToolError(
                f"the dashboard forward of lab {want.lab} did not listen on port {port} within "
                f"{READY_TIMEOUT:.0f} s: see {log}"
            )
        time.sleep(0.2)
    if not shell.alive(pid):
        shell.end(pid, argv)  # reaps it
        cause = shell.cause_line(log.read_text())
        raise ToolError(f"the dashboard forward of lab {want.lab} failed: {cause} (see {log})")
    write_atomic(
        labdir.root / RECORD, json.dumps({"pid": pid, "port": port, "argv": argv}, indent=1)
    )
    reporter.ok(f"dashboard of {want.controller} forwarded to {url(port)}")


def is_up(labdir: LabDir) -> bool:
    """The forward the lab asks for runs."""
    want, forward = wanted(labdir), recorded(labdir)
    return bool(want.port and forward and forward.running and forward.port == want.port)


def describe(labdir: LabDir) -> str | None:
    """One line for ``status``: where the dashboard is forwarded, or that it is not."""
    want = wanted(labdir)
    if not want.port:
        return None
    if is_up(labdir):
        return f"dashboard forwarded: {url(want.port)}"
    return (
        f"dashboard forward to port {want.port} not running: "
        f"`invoke start --lab {want.lab}` starts it"
    )
