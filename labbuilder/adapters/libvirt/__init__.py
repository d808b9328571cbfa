"""libvirt adapter: with ``domains.py``, the only code that imports ``libvirt``.

Pure ``network_xml``/``parse_*`` builders plus ``Virt``, a thin wrapper over one connection.
Every libvirt error is re-raised as ``ToolError``, except where "not there" is an answer: a
network or domain to remove that does not exist, a pool that cannot be listed (no volumes).
"""

from __future__ import annotations

import contextlib
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Interface, IPv4Network
from pathlib import Path
from typing import Any

import libvirt

from labbuilder.errors import ToolError
from labbuilder.model.lab import Lab, Network
from labbuilder.model.topology import LiveNetwork, LiveNic

LEASE_DIR = Path("/var/lib/libvirt/dnsmasq")


def _parse(xml: str) -> ET.Element:
    """Parse XML that libvirt produced (or we built): trusted input, not user data."""
    return ET.fromstring(xml)  # noqa: S314


@dataclass(frozen=True)
class Usage:
    """What a running domain takes: memory and vCPUs it has, disk its volumes hold."""

    memory_mib: int
    vcpus: int
    disk_mib: int


@dataclass(frozen=True)
class Reservation:
    mac: str
    ip: str
    name: str


def network_xml(
    net: Network, reservations: Sequence[Reservation] = (), domain: str | None = None
) -> str:
    """A libvirt network: NAT with DHCP reservations (external) or isolated (tunnel).

    With ``domain``, libvirt's dnsmasq answers for ``<node>.<domain>`` inside the lab.
    """
    root = ET.Element("network")
    ET.SubElement(root, "name").text = net.name
    if net.forward == "nat":
        fwd = ET.SubElement(root, "forward", mode="nat")
        ET.SubElement(ET.SubElement(fwd, "nat"), "port", start="1024", end="65535")
    # No spanning tree: a lab's bridge holds only its VMs' ports, so there is no loop to break,
    # and with STP on a new port (every QEMU a revert starts) forwards nothing for its first
    # 2-4 s (the kernel's minimum forward delay), which a resumed guest spends deaf.
    ET.SubElement(root, "bridge", stp="off", delay="0")
    if domain:
        ET.SubElement(root, "domain", name=domain, localOnly="yes")
    ip = ET.SubElement(root, "ip", address=str(net.host_ip), prefix=str(net.prefixlen))
    if net.dhcp is not None:
        dhcp = ET.SubElement(ip, "dhcp")
        ET.SubElement(dhcp, "range", start=str(net.dhcp[0]), end=str(net.dhcp[1]))
        for r in reservations:
            ET.SubElement(dhcp, "host", mac=r.mac, name=r.name, ip=r.ip)
    return ET.tostring(root, encoding="unicode")


def lab_networks(lab: Lab) -> list[tuple[Network, list[Reservation]]]:
    ext = [Reservation(n.mac, str(n.external_ip), n.name) for n in lab.nodes]
    return [(lab.external, ext), (lab.tunnel, [])]


def parse_subnets(xml: str) -> list[IPv4Network]:
    """IPv4 subnets a network's XML declares (``<ip address= prefix=|netmask=>``)."""
    out = []
    for ip in _parse(xml).findall("ip"):
        address = ip.get("address")
        if address is None or ":" in address or ip.get("family") == "ipv6":
            continue
        mask = ip.get("prefix") or ip.get("netmask") or "24"
        out.append(IPv4Interface(f"{address}/{mask}").network)
    return out


def parse_reservations(xml: str) -> list[Reservation]:
    return [
        Reservation(h.get("mac", ""), h.get("ip", ""), h.get("name", ""))
        for h in _parse(xml).iter("host")
    ]


def parse_network(xml: str, active: bool = True) -> LiveNetwork:
    """A network's name, Linux bridge and first IPv4 subnet from its XML."""
    root = _parse(xml)
    bridge = root.find("bridge")
    subnets = parse_subnets(xml)
    return LiveNetwork(
        name=root.findtext("name") or "",
        bridge=bridge.get("name", "") if bridge is not None else "",
        subnet=str(subnets[0]) if subnets else "",
        active=active,
    )


def parse_disk_files(xml: str) -> list[str]:
    """The files of a domain's own disks: not their backing chain (the box's base volume, which
    other labs boot from too)."""
    root = _parse(xml)
    return [s.get("file", "") for s in root.findall("./devices/disk/source") if s.get("file")]


def parse_domain_nics(xml: str) -> list[LiveNic]:
    """A domain's network interfaces in XML order (the guest's eth0, eth1...)."""
    out = []
    for iface in _parse(xml).findall("devices/interface"):
        source, mac = iface.find("source"), iface.find("mac")
        target, model = iface.find("target"), iface.find("model")
        out.append(
            LiveNic(
                network=(source.get("network") or source.get("bridge") or "")
                if source is not None
                else "",
                mac=mac.get("address", "") if mac is not None else "",
                device=target.get("dev", "") if target is not None else "",
                model=model.get("type", "") if model is not None else "",
            )
        )
    return out


def _bridge_name(net: Any) -> str:
    bridge = _parse(net.XMLDesc(0)).find("bridge")
    return bridge.get("name", "") if bridge is not None else ""


def _error(what: str, err: libvirt.libvirtError) -> ToolError:
    return ToolError(f"libvirt: {what}: {err.get_error_message()}")


@contextlib.contextmanager
def _calling(what: str) -> Iterator[None]:
    """libvirt's errors inside the block, as ``ToolError`` naming ``what`` was being done."""
    try:
        yield
    except libvirt.libvirtError as err:
        raise _error(what, err) from None


def _quiet(_ctx: object, _err: object) -> None:
    """libvirt prints every error to stderr by default; ours are raised, and lookups of what
    does not exist yet are expected."""


class Virt:
    def __init__(self, uri: str) -> None:
        self.uri = uri
        libvirt.registerErrorHandler(_quiet, None)
        try:
            self.conn: Any = libvirt.open(uri)
        except libvirt.libvirtError as err:
            raise ToolError(
                f"cannot reach libvirt at {uri} ({err.get_error_message()}): start libvirtd "
                "(hostsetup/libvirtd.sh start) and check you may use it"
            ) from None

    def close(self) -> None:
        with contextlib.suppress(libvirt.libvirtError):
            self.conn.close()

    def version(self) -> str:
        with _calling("reading the version"):
            v = int(self.conn.getLibVersion())
        return f"{v // 1_000_000}.{v // 1000 % 1000}.{v % 1000}"

    def network_subnets(self) -> dict[str, list[IPv4Network]]:
        with _calling("listing networks"):
            return {n.name(): parse_subnets(n.XMLDesc(0)) for n in self.conn.listAllNetworks()}

    def network_names(self, prefix: str = "") -> list[str]:
        with _calling("listing networks"):
            names = [n.name() for n in self.conn.listAllNetworks()]
        return sorted(name for name in names if name.startswith(prefix))

    def ensure_network(self, xml: str) -> bool:
        """Define and start the network; True when something changed. An existing network
        with different XML is redefined only while no domain uses it."""
        name = _parse(xml).findtext("name") or ""
        try:
            try:
                net = self.conn.networkLookupByName(name)
            except libvirt.libvirtError:
                net = self.conn.networkDefineXML(xml)
                net.setAutostart(True)
                net.create()
                return True
            changed = False
            if parse_reservations(net.XMLDesc(0)) != parse_reservations(xml):
                self._update_reservations(net, xml)
                changed = True
            if not net.isActive():
                net.create()
                changed = True
            return changed
        except libvirt.libvirtError as err:
            raise _error(f"network {name}", err) from None

    def _update_reservations(self, net: Any, xml: str) -> None:
        """Make the live and persistent DHCP hosts match ``xml`` without a restart."""
        want = {r.mac: r for r in parse_reservations(xml)}
        have = {r.mac: r for r in parse_reservations(net.XMLDesc(0))}
        flags = libvirt.VIR_NETWORK_UPDATE_AFFECT_CONFIG
        if net.isActive():
            flags |= libvirt.VIR_NETWORK_UPDATE_AFFECT_LIVE
        changes = [
            (libvirt.VIR_NETWORK_UPDATE_COMMAND_DELETE, r)
            for mac, r in have.items()
            if want.get(mac) != r
        ] + [
            (libvirt.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST, r)
            for mac, r in want.items()
            if have.get(mac) != r
        ]
        for command, r in changes:
            host = f"<host mac='{r.mac}' name='{r.name}' ip='{r.ip}'/>"
            net.update(command, libvirt.VIR_NETWORK_SECTION_IP_DHCP_HOST, -1, host, flags)

    def remove_network(self, name: str) -> bool:
        """Stop and undefine a network, and drop the DHCP lease files dnsmasq kept for it."""
        try:
            net = self.conn.networkLookupByName(name)
        except libvirt.libvirtError:
            return False
        try:
            bridge = _bridge_name(net)
            if net.isActive():
                net.destroy()
            net.undefine()
        except libvirt.libvirtError as err:
            raise _error(f"removing network {name}", err) from None
        if bridge:
            for suffix in (".status", ".macs"):
                (LEASE_DIR / f"{bridge}{suffix}").unlink(missing_ok=True)
        return True

    def domains(self, prefix: str) -> dict[str, bool]:
        """name -> running, for domains whose name starts with ``prefix``. A domain removed
        while this looks (another lab going down) is left out."""
        out = {}
        with _calling("listing domains"):
            found = self.conn.listAllDomains()
        for d in found:
            try:
                if d.name().startswith(prefix):
                    out[d.name()] = bool(d.isActive())
            except libvirt.libvirtError:
                continue
        return out

    def network_xml(self, name: str) -> tuple[str, bool]:
        """A network's XML and whether it is active."""
        try:
            net = self.conn.networkLookupByName(name)
            return str(net.XMLDesc(0)), bool(net.isActive())
        except libvirt.libvirtError as err:
            raise _error(f"network {name}", err) from None

    def domain_xml(self, name: str) -> str:
        try:
            return str(self.conn.lookupByName(name).XMLDesc(0))
        except libvirt.libvirtError as err:
            raise _error(f"domain {name}", err) from None

    def domain_addresses(self, name: str) -> dict[str, tuple[str, ...]]:
        """MAC -> IPv4 addresses libvirt's DHCP leases give a running domain's NICs."""
        try:
            dom = self.conn.lookupByName(name)
            if not dom.isActive():
                return {}
            found = dom.interfaceAddresses(libvirt.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE, 0)
        except libvirt.libvirtError:
            return {}  # no lease yet, or a network without DHCP
        return {
            str(info.get("hwaddr", "")).lower(): tuple(
                str(a["addr"]) for a in info.get("addrs") or [] if a.get("type") == 0
            )
            for info in found.values()
        }

    def domain_disks(self, name: str) -> list[str]:
        with _calling(f"reading domain {name}"):
            xml = self.conn.lookupByName(name).XMLDesc(0)
        return parse_disk_files(xml)

    def usage(self, name: str) -> Usage:
        """Memory and vCPUs of a domain (0 when it is stopped) and its disks' allocation."""
        try:
            dom = self.conn.lookupByName(name)
            _state, _max_kib, mem_kib, vcpus, _cpu = dom.info()
            active = bool(dom.isActive())
            disk = 0
            for path in self.domain_disks(name):
                with contextlib.suppress(libvirt.libvirtError):
                    disk += int(self.conn.storageVolLookupByPath(path).info()[2])
        except libvirt.libvirtError as err:
            raise _error(f"domain {name}", err) from None
        return Usage(
            int(mem_kib) // 1024 if active else 0, int(vcpus) if active else 0, disk // 2**20
        )

    def remove_domain(self, name: str) -> list[str]:
        """Stop and undefine a domain, delete its disks and snapshots; the removed disk paths."""
        try:
            dom = self.conn.lookupByName(name)
        except libvirt.libvirtError:
            return []
        try:
            disks = self.domain_disks(name)
            if dom.isActive():
                dom.destroy()
            for snap in dom.listAllSnapshots():
                snap.delete(libvirt.VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY)
            flags = libvirt.VIR_DOMAIN_UNDEFINE_NVRAM | libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
            dom.undefineFlags(flags)
        except libvirt.libvirtError as err:
            raise _error(f"removing domain {name}", err) from None
        removed = []
        for path in disks:
            if self._delete_volume_path(path):
                removed.append(path)
        return removed

    def _delete_volume_path(self, path: str) -> bool:
        try:
            self.conn.storageVolLookupByPath(path).delete(0)
        except libvirt.libvirtError:
            return False
        return True

    def volumes(self, pool: str, prefix: str) -> list[str]:
        try:
            p = self.conn.storagePoolLookupByName(pool)
            p.refresh(0)
            return sorted(v for v in p.listVolumes() if v.startswith(prefix))
        except libvirt.libvirtError:
            return []

    def remove_volumes(self, pool: str, prefix: str) -> list[str]:
        removed = []
        for name in self.volumes(pool, prefix):
            try:
                self.conn.storagePoolLookupByName(pool).storageVolLookupByName(name).delete(0)
                removed.append(name)
            except libvirt.libvirtError as err:
                raise _error(f"removing volume {name}", err) from None
        return removed


@contextlib.contextmanager
def connect(uri: str) -> Iterator[Virt]:
    virt = Virt(uri)
    try:
        yield virt
    finally:
        virt.close()
