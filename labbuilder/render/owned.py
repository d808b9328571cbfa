"""Answer-file keys the lab itself owns, and what changes each of them.

``answers.computed`` derives these keys from the lab model; the Vagrantfile, the inventory
and the verify suites describe the same model. A fragment (``--answers-file``, ``--set``) that
sets one of them to another value would make Packstack build a different cloud from the one
everything else expects, so it must agree with the model. The table says, per key, which
flag changes the model instead (or why no flag does); the model's values are never computed
here, only read from ``answers.computed``.

Some values Packstack passes on unchecked are refused by the service that reads them:
``rejected`` names those.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from labbuilder.model.lab import SERVICES
from labbuilder.render.answers import Section


@dataclass(frozen=True)
class Owner:
    """What changes a lab-owned key: a flag, or (``flag`` empty) why no flag does."""

    flag: str = ""
    why: str = ""
    secret: bool = False


def _switch(service: str) -> Owner:
    return Owner(flag=f"--enable/--disable {service}")


_ON_CONTROLLER = Owner(why="labbuilder runs it on the controller")
_LAYOUT = Owner(why="fixed by the lab's layout: eth0 external in br-ex, eth1 tunnel")
_NOT_OFFERED = Owner(why="labbuilder neither builds nor verifies that service")

#: Every key ``answers.computed`` may set, exactly (``{flavor}`` = OVS or OVN).
TABLE: Mapping[str, Owner] = {
    "CONFIG_CONTROLLER_HOST": Owner(flag="--external-subnet"),
    "CONFIG_COMPUTE_HOSTS": Owner(flag="--nodes"),
    "CONFIG_NETWORK_HOSTS": Owner(flag="--network-node"),
    "CONFIG_STORAGE_HOST": Owner(why="storage stays on the controller (see --storage-node)"),
    "CONFIG_AMQP_HOST": _ON_CONTROLLER,
    "CONFIG_MARIADB_HOST": _ON_CONTROLLER,
    "CONFIG_REDIS_HOST": _ON_CONTROLLER,
    "CONFIG_NTP_SERVERS": Owner(flag="--ntp-servers"),
    **{f"CONFIG_{s.upper()}_INSTALL": _switch(s) for s in SERVICES if s != "keystone"},
    "CONFIG_NEUTRON_INSTALL": Owner(why="Neutron is required"),
    "CONFIG_MARIADB_INSTALL": Owner(why="every service keeps its database in MariaDB"),
    "CONFIG_AODH_INSTALL": _switch("ceilometer"),
    "CONFIG_HEAT_CFN_INSTALL": Owner(why="the verify suites expect Heat's CFN API on port 8000"),
    "CONFIG_MANILA_INSTALL": _NOT_OFFERED,
    "CONFIG_MAGNUM_INSTALL": _NOT_OFFERED,
    "CONFIG_TROVE_INSTALL": _NOT_OFFERED,
    "CONFIG_IRONIC_INSTALL": _NOT_OFFERED,
    "CONFIG_CLIENT_INSTALL": Owner(why="labbuilder uses the clients on the controller"),
    "CONFIG_PROVISION_DEMO": Owner(why="labbuilder makes its own demo user and networks"),
    "CONFIG_NEUTRON_L2_AGENT": Owner(flag="--neutron-backend"),
    "CONFIG_NEUTRON_ML2_MECHANISM_DRIVERS": Owner(flag="--neutron-backend"),
    "CONFIG_NEUTRON_ML2_TYPE_DRIVERS": Owner(flag="--neutron-backend"),
    "CONFIG_NEUTRON_ML2_TENANT_NETWORK_TYPES": Owner(flag="--neutron-backend"),
    "CONFIG_NEUTRON_ML2_FLAT_NETWORKS": _LAYOUT,
    **{
        f"CONFIG_NEUTRON_{flavor}_{key}": _LAYOUT
        for flavor in ("OVS", "OVN")
        for key in ("EXTERNAL_PHYSNET", "BRIDGE_MAPPINGS", "BRIDGE_IFACES", "TUNNEL_IF")
    },
    "CONFIG_NEUTRON_OVS_TUNNEL_SUBNETS": Owner(flag="--tunnel-subnet"),
    "CONFIG_NEUTRON_OVN_TUNNEL_SUBNETS": Owner(flag="--tunnel-subnet"),
    "CONFIG_NOVA_LIBVIRT_VIRT_TYPE": Owner(flag="--driver (kvm needs nesting on the host)"),
    "CONFIG_SERVICE_WORKERS": Owner(flag="--service-workers"),
    "CONFIG_DEFAULT_PASSWORD": Owner(flag="--password", secret=True),
    "CONFIG_KEYSTONE_ADMIN_PW": Owner(flag="--password", secret=True),
}
MASK = "********"
VIRT_TYPES = ("kvm", "qemu")
VNI_MAX = 2**24 - 1
_RANGE = re.compile(r"(\d+):(\d+)")
_BOOL = {"yes": "y", "true": "y", "no": "n", "false": "n"}


@dataclass(frozen=True)
class Finding:
    """One refused key: ``message`` is the whole line the user sees."""

    key: str
    message: str


def _same(ours: str, given: str, *, secret: bool) -> bool:
    """Equal as Packstack reads them: yes/true = y, lists in any order; secrets exactly."""
    if secret:
        return ours == given

    def norm(value: str) -> list[str]:
        items = [item.strip() for item in value.split(",") if item.strip()]
        return sorted(
            _BOOL.get(item.lower(), item.lower() if item.lower() in ("y", "n") else item)
            for item in items
        )

    return norm(ours) == norm(given)


def contradictions(sections: list[Section], user: Mapping[str, str]) -> list[Finding]:
    """Fragment keys that disagree with the lab, in the fragment's order."""
    ours = {key: value for section in sections for key, value in section.items}
    out = []
    for key, given in user.items():
        if key not in ours:
            continue
        owner = TABLE[key]
        if _same(ours[key], given, secret=owner.secret):
            continue
        shown_ours, shown_given = (MASK, MASK) if owner.secret else (ours[key], given)
        head = f"{key}={shown_given} contradicts the lab ({shown_ours or 'empty'})"
        if owner.flag:
            out.append(Finding(key, f"{head}: change {owner.flag}, not the answer file"))
        else:
            out.append(Finding(key, f"{head}: {owner.why}; remove the key"))
    return out


def _ranges_error(value: str) -> str | None:
    for item in (i.strip() for i in value.split(",") if i.strip()):
        m = _RANGE.fullmatch(item)
        if not m or not 1 <= int(m[1]) <= int(m[2]) <= VNI_MAX:
            return f"{item!r} is not MIN:MAX with 1 <= MIN <= MAX <= {VNI_MAX}"
    return None


def _ratio_error(value: str) -> str | None:
    try:
        ok = float(value) >= 0
    except ValueError:
        return None  # Packstack's own validate_float names it
    return None if ok else "is negative"


def _virt_type_error(value: str) -> str | None:
    return None if value in VIRT_TYPES else "is not kvm or qemu"


#: key -> (check, which service refuses it). Packstack passes these values on unchecked.
REJECTED: Mapping[str, tuple[Callable[[str], str | None], str]] = {
    "CONFIG_NOVA_LIBVIRT_VIRT_TYPE": (
        _virt_type_error,
        "Nova on CentOS Stream 9 runs only kvm or qemu guests",
    ),
    "CONFIG_NEUTRON_ML2_VNI_RANGES": (
        _ranges_error,
        "neutron-server refuses to start on a VXLAN VNI outside 1..2^24-1",
    ),
    "CONFIG_NOVA_SCHED_CPU_ALLOC_RATIO": (_ratio_error, "nova-compute refuses ratios below 0"),
    "CONFIG_NOVA_SCHED_RAM_ALLOC_RATIO": (_ratio_error, "nova-compute refuses ratios below 0"),
}


def rejected(answers: Mapping[str, str]) -> list[Finding]:
    """Values Packstack would write that the deployed service then refuses."""
    out = []
    for key, value in answers.items():
        if key not in REJECTED:
            continue
        check, who = REJECTED[key]
        if value.strip().startswith("%{::"):
            continue  # a Puppet fact, resolved on the host (Packstack's own default)
        problem = check(value.strip())
        if problem:
            out.append(Finding(key, f"{key}={value} {problem}: {who} - fix the value"))
    return out
