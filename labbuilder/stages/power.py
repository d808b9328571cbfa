"""Stop and start a lab's VMs through libvirt and the lab's stored ``ssh-config``.

Vagrant finds a machine's address from its DHCP lease, which breaks once the controller's eth0
has gone static (Packstack moves it into br-ex); the lab's own records do not: domain names come
from ``inventory.json`` and addresses from the DHCP reservations behind ``ssh-config``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from labbuilder.adapters.libvirt.domains import Domains
from labbuilder.errors import ToolError
from labbuilder.reporter import Reporter

SHUTDOWN_TIMEOUT = 300.0
POLL = 1.0


def stop(dom: Domains, names: Sequence[str], reporter: Reporter) -> None:
    """Shut every VM down cleanly (ACPI, all at once); the ones still up after the timeout are
    powered off with a warning."""
    running = [n for n in names if dom.state(n) != "shutoff"]
    for name in running:
        dom.shutdown(name)
    if running:
        reporter.say(f"shutting down {len(running)} VMs")
    deadline = time.monotonic() + SHUTDOWN_TIMEOUT
    while running and time.monotonic() < deadline:
        time.sleep(POLL)
        running = [n for n in running if dom.state(n) != "shutoff"]
    for name in running:
        reporter.warn(f"{name} did not shut down within {SHUTDOWN_TIMEOUT:.0f} s: powering off")
        dom.power_off(name)


def start(dom: Domains, names: Sequence[str], reporter: Reporter) -> None:
    """Start (or resume) every VM; SSH readiness is ``guests.wait_ssh``'s business."""
    for name in names:
        state = dom.state(name)
        if state == "shutoff":
            dom.start(name)
        elif state == "paused":
            dom.resume(name)
    down = [n for n in names if dom.state(n) != "running"]
    if down:
        raise ToolError(f"VMs not running after start: {', '.join(down)}")
    reporter.say(f"{len(names)} VMs running")
