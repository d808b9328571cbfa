"""Turn checked ``Settings`` plus what the host can do into a ``Lab``. Pure: no I/O."""

from __future__ import annotations

import re
from ipaddress import AddressValueError, IPv4Address

from labbuilder import names
from labbuilder.errors import ConfigError
from labbuilder.model import addressing as ad
from labbuilder.model import boxes
from labbuilder.model.lab import (
    NEUTRON_BACKENDS,
    RELEASES,
    REQUIRED_SERVICES,
    SERVICES,
    Lab,
    Network,
    Node,
    Role,
    Sizes,
)
from labbuilder.model.settings import DRIVERS, Settings

DNS_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
PASSWORD = re.compile(r"^[A-Za-z0-9@#%^*_+=.,:~!-]{8,64}$")
SIZE_KINDS = ("aio", "controller", "network", "compute")
MAX_VCPUS = 64
MAX_PORT = 65535
MAX_DISK_GIB = 4096


def prefix_for(lab_name: str) -> str:
    """Prefix of everything the lab owns in libvirt: domains, volumes, networks."""
    return f"labbuilder-{lab_name}-"


def network_names(lab_name: str) -> tuple[str, str]:
    prefix = prefix_for(lab_name)
    return f"{prefix}ext", f"{prefix}tun"


def check_lab_name(name: str) -> str:
    return names.check_lab(name)


def check_domain(domain: str) -> str:
    labels = domain.split(".")
    if len(domain) > 200 or not all(DNS_LABEL.fullmatch(label) for label in labels):
        raise ConfigError(
            f"domain {domain!r} is not a DNS name: use lowercase labels joined by dots, "
            "e.g. --domain poc.test"
        )
    return domain


def check_host(what: str, host: str) -> str:
    try:
        IPv4Address(host)
    except AddressValueError:
        if not all(DNS_LABEL.fullmatch(label) for label in host.lower().split(".")):
            raise ConfigError(
                f"{what} {host!r} is neither an IPv4 address nor a host name: "
                "e.g. --ntp-servers pool.ntp.org"
            ) from None
    return host


def check_password(password: str) -> str:
    if password and not PASSWORD.match(password):
        raise ConfigError(
            "password must be 8-64 characters of letters, digits and @#%^*_+=.,:~!- "
            "(no spaces, quotes, '$' or backslashes): pick another --password"
        )
    return password


def _services(settings: Settings) -> frozenset[str]:
    enabled = dict.fromkeys(SERVICES, True)
    for name, on in settings.services.items():
        if name not in enabled:
            raise ConfigError(f"unknown service {name!r}: choose from {', '.join(SERVICES)}")
        if not on and name in REQUIRED_SERVICES:
            raise ConfigError(f"service {name!r} cannot be turned off: Packstack needs it")
        enabled[name] = on
    return frozenset(name for name, on in enabled.items() if on)


def _sizes(
    settings: Settings, box_defaults: dict[str, Sizes], minimum: dict[str, int]
) -> dict[str, Sizes]:
    for flag, table in (
        ("memory", settings.memory),
        ("vcpus", settings.vcpus),
        ("disk", settings.disk),
    ):
        for kind, value in table.items():
            if kind not in SIZE_KINDS:
                raise ConfigError(
                    f"--{flag} {kind}=...: unknown node kind {kind!r}: "
                    f"use one of {', '.join(SIZE_KINDS)}"
                )
            if value < 1:
                raise ConfigError(f"--{flag} {kind}={value}: must be a positive number")
    out: dict[str, Sizes] = {}
    for kind in SIZE_KINDS:
        base = box_defaults[kind]
        size = Sizes(
            vcpus=settings.vcpus.get(kind, base.vcpus),
            memory_mib=settings.memory.get(kind, base.memory_mib),
            disk_gib=settings.disk.get(kind, base.disk_gib),
        )
        if size.memory_mib < minimum[kind]:
            raise ConfigError(
                f"--memory {kind}={size.memory_mib} is below the {minimum[kind]} MiB a {kind} "
                f"node needs: raise it to at least {minimum[kind]}"
            )
        if size.vcpus > MAX_VCPUS:
            raise ConfigError(f"--vcpus {kind}={size.vcpus}: at most {MAX_VCPUS} vCPUs per node")
        if size.disk_gib > MAX_DISK_GIB:
            raise ConfigError(f"--disk {kind}={size.disk_gib}: at most {MAX_DISK_GIB} GiB per node")
        out[kind] = size
    return out


STORAGE_NODE_REFUSED = (
    "--storage-node: Packstack 26 installs Cinder and Swift from the controller's manifest "
    "whatever CONFIG_STORAGE_HOST says, so a storage VM would get no service while the "
    "endpoints pointed at it: keep storage on the controller (drop --storage-node)"
)


def _layout(settings: Settings) -> list[tuple[str, frozenset[Role], str, int]]:
    """(name, roles, size kind, host offset) per node."""
    if settings.nodes < 1:
        raise ConfigError(f"--nodes {settings.nodes}: a lab needs at least 1 node (1 = all-in-one)")
    if settings.storage_node:
        raise ConfigError(STORAGE_NODE_REFUSED)
    if settings.nodes == 1:
        if settings.network_node:
            raise ConfigError(
                "--network-node needs its own VM: use --nodes 3 or more "
                "(controller, network node, at least one compute)"
            )
        return [("controller", frozenset(Role), "aio", ad.role_offset("controller"))]
    computes = settings.nodes - 1 - int(settings.network_node)
    if computes < 1:
        raise ConfigError(
            f"--nodes {settings.nodes} leaves no compute node next to the controller and "
            f"the network node: use --nodes {settings.nodes + 1}"
        )
    out = [
        (
            "controller",
            frozenset({Role.CONTROLLER, Role.STORAGE})
            | ({Role.NETWORK} if not settings.network_node else set()),
            "controller",
            ad.role_offset("controller"),
        )
    ]
    if settings.network_node:
        out.append(("network", frozenset({Role.NETWORK}), "network", ad.role_offset("network")))
    out += [
        (f"compute{i + 1}", frozenset({Role.COMPUTE}), "compute", ad.role_offset("compute", i))
        for i in range(computes)
    ]
    return out


def plan(settings: Settings, *, kvm: bool, nested: bool) -> Lab:
    """Build the lab. ``kvm``/``nested``: what the host can do (see ``hostfacts``)."""
    name = check_lab_name(settings.lab)
    domain = check_domain(settings.domain or f"{name}.test")
    if settings.release not in RELEASES:
        raise ConfigError(
            f"unknown release {settings.release!r}: choose one of {', '.join(RELEASES)} (RDO names)"
        )
    if settings.neutron_backend not in NEUTRON_BACKENDS:
        raise ConfigError(
            f"unknown Neutron backend {settings.neutron_backend!r}: use 'ovs' or 'ovn'"
        )
    if settings.driver not in DRIVERS:
        raise ConfigError(f"unknown driver {settings.driver!r}: use auto, kvm or qemu")
    names.check_box(settings.box)
    if not 1 <= settings.service_workers <= MAX_VCPUS:
        raise ConfigError(f"service_workers {settings.service_workers}: use 1 to {MAX_VCPUS}")
    if not (settings.horizon_port == 0 or 1024 <= settings.horizon_port <= MAX_PORT):
        raise ConfigError(
            f"horizon_port {settings.horizon_port}: use a free host port from 1024 to {MAX_PORT}, "
            "or 0 for no forward"
        )
    check_password(settings.password)
    if not settings.ntp_servers:
        raise ConfigError("no NTP servers given: set e.g. --ntp-servers pool.ntp.org")
    ntp = tuple(check_host("NTP server", s) for s in settings.ntp_servers)
    box = boxes.resolve(settings.box)
    services = _services(settings)
    sizes = _sizes(settings, boxes.default_sizes(box), boxes.min_memory(box))

    ext_net = ad.parse_subnet("--external-subnet", settings.external_subnet)
    tun_net = ad.parse_subnet("--tunnel-subnet", settings.tunnel_subnet)
    if ext_net.overlaps(tun_net):
        raise ConfigError(
            f"external subnet {ext_net} overlaps tunnel subnet {tun_net}: give them separate ranges"
        )
    dhcp = (
        ad.parse_range("--dhcp-range", settings.dhcp_range, ext_net)
        if settings.dhcp_range
        else ad.default_range(ext_net, ad.DHCP_OFFSETS)
    )
    fip = (
        ad.parse_range("--floating-range", settings.floating_range, ext_net)
        if settings.floating_range
        else ad.default_range(ext_net, ad.FLOATING_OFFSETS)
    )
    if ad.overlaps(dhcp, fip):
        raise ConfigError(
            f"floating-IP range {ad.fmt_range(fip)} overlaps the DHCP range {ad.fmt_range(dhcp)}: "
            "move one of them (--floating-range / --dhcp-range)"
        )
    gateway = ad.offset(ext_net, ad.GATEWAY_OFFSET)
    for label, rng in (("DHCP range", dhcp), ("floating-IP range", fip)):
        if ad.in_range(gateway, rng):
            raise ConfigError(
                f"the {label} {ad.fmt_range(rng)} holds the gateway {gateway}: start it higher"
            )

    use_kvm = settings.driver == "kvm" or (settings.driver == "auto" and kvm)
    nests = use_kvm and nested
    reserved = {"DHCP range": dhcp, "floating-IP range": fip}
    nodes = []
    for node_name, roles, kind, host_offset in _layout(settings):
        ext_ip = ad.offset(ext_net, host_offset)
        tun_ip = ad.offset(tun_net, host_offset)
        what = f"node {node_name}"
        ad.check_node_address(ext_ip, ext_net, what, reserved)
        ad.check_node_address(tun_ip, tun_net, what, {})
        nodes.append(
            Node(
                name=node_name,
                fqdn=f"{node_name}.{domain}",
                roles=roles,
                size_key=kind,
                sizes=sizes[kind],
                external_ip=ext_ip,
                tunnel_ip=tun_ip,
                mac=ad.mac_for(ext_ip),
                nested=nests and Role.COMPUTE in roles,
            )
        )
    prefix = prefix_for(name)
    ext_name, tun_name = network_names(name)
    return Lab(
        name=name,
        domain=domain,
        prefix=prefix,
        release=settings.release,
        box=box,
        driver="kvm" if use_kvm else "qemu",
        nested=nests,
        neutron_backend=settings.neutron_backend,
        services=services,
        external=Network(ext_name, ext_net, gateway, "nat", dhcp),
        tunnel=Network(tun_name, tun_net, ad.offset(tun_net, ad.GATEWAY_OFFSET), "none"),
        floating_range=fip,
        nodes=tuple(nodes),
        ntp_servers=ntp,
        service_workers=settings.service_workers,
        libvirt_uri=settings.libvirt_uri,
        horizon_port=settings.horizon_port,
    )
