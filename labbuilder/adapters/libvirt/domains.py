"""Domains as whole-lab snapshots and power control see them: snapshot, revert, pause, shut
down, start. Pure ``parse_domain`` plus ``Domains``, a thin wrapper over a ``Virt``; every
libvirt error becomes a ``ToolError``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import libvirt

from labbuilder.adapters.libvirt import Virt, _error, _parse
from labbuilder.model import snapshots as snapmodel

STATES = {
    libvirt.VIR_DOMAIN_RUNNING: "running",
    libvirt.VIR_DOMAIN_PAUSED: "paused",
    libvirt.VIR_DOMAIN_SHUTOFF: "shutoff",
}


def parse_domain(xml: str, state: str, snapshots: Sequence[str] = ()) -> snapmodel.Domain:
    """A domain's name, memory, top-level file disks (not their backing chain) and firmware."""
    root = _parse(xml)
    kib = int(root.findtext("memory") or 0)  # libvirt writes it in KiB
    disks = []
    for disk in root.findall("devices/disk"):
        source, target, driver = disk.find("source"), disk.find("target"), disk.find("driver")
        if disk.get("device", "disk") != "disk" or source is None or not source.get("file"):
            continue
        disks.append(
            snapmodel.Disk(
                target=target.get("dev", "") if target is not None else "",
                fmt=driver.get("type", "raw") if driver is not None else "raw",
                path=source.get("file", ""),
            )
        )
    os_el = root.find("os")
    uefi = os_el is not None and (
        os_el.get("firmware") == "efi" or os_el.find("loader") is not None
    )
    return snapmodel.Domain(
        name=root.findtext("name") or "",
        state=state,
        memory_mib=kib // 1024,
        disks=tuple(disks),
        uefi=uefi,
        snapshots=tuple(snapshots),
    )


class Domains:
    """Lab-wide operations on domains by name; every libvirt error becomes a ToolError."""

    def __init__(self, virt: Virt) -> None:
        self.conn = virt.conn

    def _dom(self, name: str) -> Any:
        try:
            return self.conn.lookupByName(name)
        except libvirt.libvirtError as err:
            raise _error(f"domain {name}", err) from None

    def describe(self, name: str) -> snapmodel.Domain | None:
        try:
            dom = self.conn.lookupByName(name)
        except libvirt.libvirtError:
            return None
        try:
            state = STATES.get(dom.state()[0], "other")
            snaps = sorted(s.getName() for s in dom.listAllSnapshots())
            return parse_domain(dom.XMLDesc(0), state, snaps)
        except libvirt.libvirtError as err:
            raise _error(f"domain {name}", err) from None

    def state(self, name: str) -> str:
        try:
            return STATES.get(self._dom(name).state()[0], "other")
        except libvirt.libvirtError as err:
            raise _error(f"domain {name}", err) from None

    def pool_free_mib(self, pool: str) -> int:
        try:
            p = self.conn.storagePoolLookupByName(pool)
            p.refresh(0)
            return int(p.info()[3]) // (1024 * 1024)
        except libvirt.libvirtError as err:
            raise _error(f"storage pool {pool}", err) from None

    def _call(self, name: str, what: str, method: str, *args: Any) -> Any:
        dom = self._dom(name)
        try:
            return getattr(dom, method)(*args)
        except libvirt.libvirtError as err:
            raise _error(f"{what} {name}", err) from None

    def suspend(self, name: str) -> None:
        if self.state(name) == "running":
            self._call(name, "pausing", "suspend")

    def resume(self, name: str) -> None:
        if self.state(name) == "paused":
            self._call(name, "resuming", "resume")

    def start(self, name: str) -> None:
        if self.state(name) == "shutoff":
            self._call(name, "starting", "create")

    def shutdown(self, name: str) -> None:
        """Ask the guest to power off (ACPI); ``state`` tells when it has."""
        if self.state(name) in ("running", "paused"):
            self.resume(name)
            self._call(name, "shutting down", "shutdown")

    def power_off(self, name: str) -> None:
        if self.state(name) != "shutoff":
            self._call(name, "powering off", "destroy")

    def snapshot(self, name: str, xml: str) -> None:
        self._call(name, "snapshot of", "snapshotCreateXML", xml, 0)

    def revert(self, name: str, snapshot: str, *, paused: bool) -> None:
        dom = self._dom(name)
        flags = libvirt.VIR_DOMAIN_SNAPSHOT_REVERT_PAUSED if paused else 0
        try:
            dom.revertToSnapshot(dom.snapshotLookupByName(snapshot, 0), flags)
        except libvirt.libvirtError as err:
            raise _error(f"reverting {name} to {snapshot}", err) from None

    def delete_snapshot(self, name: str, snapshot: str) -> bool:
        """Delete the snapshot (its data in the qcow2 too); False when there was none."""
        try:
            dom = self.conn.lookupByName(name)
            snap = dom.snapshotLookupByName(snapshot, 0)
        except libvirt.libvirtError:
            return False
        try:
            snap.delete(0)
        except libvirt.libvirtError as err:
            raise _error(f"deleting snapshot {snapshot} of {name}", err) from None
        return True
