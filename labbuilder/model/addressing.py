"""Pure address arithmetic for a lab's networks: node addresses, DHCP and floating-IP ranges, MACs.

Host numbering follows the source notes inside each subnet: gateway .1, controller .10,
network node .11, computes .20 upwards; DHCP .100-.149 and floating IPs
.150-.250 unless given explicitly.
"""

from __future__ import annotations

from ipaddress import AddressValueError, IPv4Address, IPv4Network, NetmaskValueError

from labbuilder.errors import ConfigError

GATEWAY_OFFSET = 1
ROLE_OFFSETS = {"controller": 10, "network": 11}
COMPUTE_OFFSET = 20
DHCP_OFFSETS = (100, 149)
FLOATING_OFFSETS = (150, 250)
MAX_PREFIX = 24

Range = tuple[IPv4Address, IPv4Address]


def parse_subnet(flag: str, text: str) -> IPv4Network:
    try:
        net = IPv4Network(text.strip(), strict=True)
    except (AddressValueError, NetmaskValueError, ValueError) as err:
        raise ConfigError(
            f"{flag} {text!r} is not an IPv4 subnet ({err}): use a network address like 10.1.1.0/24"
        ) from None
    if net.prefixlen > MAX_PREFIX:
        raise ConfigError(f"{flag} {net} is too small for a lab: use a /{MAX_PREFIX} or larger")
    return net


def offset(net: IPv4Network, n: int) -> IPv4Address:
    return net.network_address + n


def role_offset(kind: str, index: int = 0) -> int:
    return COMPUTE_OFFSET + index if kind == "compute" else ROLE_OFFSETS[kind]


def mac_for(ip: IPv4Address) -> str:
    """A stable, readable MAC in QEMU's 52:54:00 range from the last three bytes of ``ip``."""
    tail = ip.packed[1:]
    return "52:54:00:" + ":".join(f"{b:02x}" for b in tail)


def parse_range(flag: str, text: str, net: IPv4Network) -> Range:
    start_text, sep, end_text = text.partition("-")
    try:
        if not sep:
            raise ValueError("missing '-'")
        start, end = IPv4Address(start_text.strip()), IPv4Address(end_text.strip())
    except ValueError:
        raise ConfigError(
            f"{flag} {text!r} is not a range: write FIRST-LAST, e.g. "
            f"{offset(net, 150)}-{offset(net, 250)}"
        ) from None
    if start > end:
        raise ConfigError(f"{flag} {text!r} runs backwards: put the lower address first")
    usable = (net.network_address + 1, net.broadcast_address - 1)
    if start < usable[0] or end > usable[1]:
        raise ConfigError(f"{flag} {text!r} is not inside {net}: pick addresses from that subnet")
    return start, end


def default_range(net: IPv4Network, offsets: tuple[int, int]) -> Range:
    return offset(net, offsets[0]), offset(net, offsets[1])


def in_range(ip: IPv4Address, rng: Range) -> bool:
    return rng[0] <= ip <= rng[1]


def overlaps(a: Range, b: Range) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def fmt_range(rng: Range) -> str:
    return f"{rng[0]}-{rng[1]}"


def check_node_address(
    ip: IPv4Address, net: IPv4Network, what: str, reserved: dict[str, Range]
) -> None:
    """Raise when a planned node address falls outside ``net`` or into a reserved range."""
    if ip not in net or ip in (net.network_address, net.broadcast_address):
        raise ConfigError(
            f"{what} address {ip} does not fit in {net}: use fewer nodes or a larger subnet"
        )
    for name, rng in reserved.items():
        if in_range(ip, rng):
            raise ConfigError(
                f"{what} address {ip} falls into the {name} {fmt_range(rng)}: "
                f"use fewer nodes or move the {name}"
            )
