"""The Packstack answer file of a lab: keys computed from the model, user keys on top.

The notes' own keys (``CONFIG_NEUTRON_OVS_*``) only act when the L2 agent is Open vSwitch, so
the OVS backend sets the whole switch: agent, mechanism and type drivers, tenant network type.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from labbuilder.model import releases
from labbuilder.model.lab import Lab, Role
from labbuilder.render.engine import render

TEMPLATE = "answers/answers.txt.j2"
EXTERNAL_PHYSNET = "extnet"
EXTERNAL_BRIDGE = "br-ex"
EXTERNAL_NIC = "eth0"
TUNNEL_NIC = "eth1"


@dataclass(frozen=True)
class Section:
    title: str
    items: tuple[tuple[str, str], ...]


def _yn(on: bool) -> str:
    return "y" if on else "n"


def _ips(lab: Lab, role: Role) -> str:
    return ",".join(str(n.external_ip) for n in lab.with_role(role))


def _hosts(lab: Lab) -> list[tuple[str, str]]:
    controller = str(lab.controller.external_ip)
    items = [
        ("CONFIG_CONTROLLER_HOST", controller),
        ("CONFIG_COMPUTE_HOSTS", _ips(lab, Role.COMPUTE)),
        ("CONFIG_NETWORK_HOSTS", _ips(lab, Role.NETWORK)),
    ]
    # Storage (Cinder, Swift) stays on the controller: Packstack applies it in controller.pp.
    items += [("CONFIG_AMQP_HOST", controller), ("CONFIG_MARIADB_HOST", controller)]
    if "ceilometer" in lab.services:
        items.append(("CONFIG_REDIS_HOST", controller))
    return items


def _services(lab: Lab) -> list[tuple[str, str]]:
    on = lab.services
    heat_cfn = [("CONFIG_HEAT_CFN_INSTALL", "y")] if "heat" in on else []
    return [
        ("CONFIG_MARIADB_INSTALL", "y"),
        ("CONFIG_GLANCE_INSTALL", _yn("glance" in on)),
        ("CONFIG_CINDER_INSTALL", _yn("cinder" in on)),
        ("CONFIG_NOVA_INSTALL", _yn("nova" in on)),
        ("CONFIG_NEUTRON_INSTALL", "y"),
        ("CONFIG_HORIZON_INSTALL", _yn("horizon" in on)),
        ("CONFIG_SWIFT_INSTALL", _yn("swift" in on)),
        ("CONFIG_CEILOMETER_INSTALL", _yn("ceilometer" in on)),
        ("CONFIG_AODH_INSTALL", _yn("ceilometer" in on)),
        ("CONFIG_HEAT_INSTALL", _yn("heat" in on)),
        *heat_cfn,
        ("CONFIG_MANILA_INSTALL", "n"),
        ("CONFIG_MAGNUM_INSTALL", "n"),
        ("CONFIG_TROVE_INSTALL", "n"),
        ("CONFIG_IRONIC_INSTALL", "n"),
        ("CONFIG_CLIENT_INSTALL", "y"),
        ("CONFIG_PROVISION_DEMO", "n"),
    ]


def _neutron(lab: Lab) -> list[tuple[str, str]]:
    if lab.neutron_backend == "ovs":
        agent, tenant, flavor = "openvswitch", "vxlan", "OVS"
    else:
        agent, tenant, flavor = "ovn", "geneve", "OVN"
    key = f"CONFIG_NEUTRON_{flavor}"
    return [
        ("CONFIG_NEUTRON_L2_AGENT", agent),
        ("CONFIG_NEUTRON_ML2_MECHANISM_DRIVERS", agent),
        ("CONFIG_NEUTRON_ML2_TYPE_DRIVERS", f"{tenant},flat"),
        ("CONFIG_NEUTRON_ML2_TENANT_NETWORK_TYPES", tenant),
        ("CONFIG_NEUTRON_ML2_FLAT_NETWORKS", EXTERNAL_PHYSNET),
        (f"{key}_EXTERNAL_PHYSNET", EXTERNAL_PHYSNET),
        (f"{key}_BRIDGE_MAPPINGS", f"{EXTERNAL_PHYSNET}:{EXTERNAL_BRIDGE}"),
        (f"{key}_BRIDGE_IFACES", f"{EXTERNAL_BRIDGE}:{EXTERNAL_NIC}"),
        (f"{key}_TUNNEL_IF", TUNNEL_NIC),
        (f"{key}_TUNNEL_SUBNETS", str(lab.tunnel.subnet)),
    ]


def computed(lab: Lab, password: str) -> list[Section]:
    """The keys labbuilder sets, grouped as they appear in the file."""
    return [
        Section("Hosts (external addresses on eth0)", tuple(_hosts(lab))),
        Section("Time", (("CONFIG_NTP_SERVERS", ",".join(lab.ntp_servers)),)),
        Section("Services", tuple(_services(lab))),
        Section(f"Neutron ({lab.neutron_backend.upper()})", tuple(_neutron(lab))),
        Section(
            "Nova and workers",
            (
                ("CONFIG_NOVA_LIBVIRT_VIRT_TYPE", "kvm" if lab.nested else "qemu"),
                ("CONFIG_SERVICE_WORKERS", str(lab.service_workers)),
            ),
        ),
        Section(
            "Passwords (the lab's own, also in secrets.yaml)",
            (("CONFIG_DEFAULT_PASSWORD", password), ("CONFIG_KEYSTONE_ADMIN_PW", password)),
        ),
    ]


def implied(lab: Lab) -> Section:
    """Keys the lab relies on but does not write, because Packstack's default already holds.

    Storage (Cinder, Swift) stays on the controller: Packstack applies it in controller.pp
    and reads CONFIG_STORAGE_HOST only with CONFIG_UNSUPPORTED=y; it defaults to the address
    of the host Packstack runs on, the controller.
    """
    return Section("Implied", (("CONFIG_STORAGE_HOST", str(lab.controller.external_ip)),))


def merge(sections: list[Section], user: Mapping[str, str]) -> list[Section]:
    """User keys replace computed ones in place; new keys go into a last section."""
    known = {key for section in sections for key, _ in section.items}
    out = [Section(s.title, tuple((k, user.get(k, v)) for k, v in s.items)) for s in sections]
    extra = tuple((k, v) for k, v in user.items() if k not in known)
    if extra:
        out.append(Section("Set by the user (--set / answers file)", extra))
    return out


def as_dict(sections: list[Section]) -> dict[str, str]:
    return {key: value for section in sections for key, value in section.items}


def render_answers(lab: Lab, sections: list[Section], packstack_version: str) -> str:
    return render(
        TEMPLATE,
        {
            "lab": lab.name,
            "release": lab.release,
            "packstack_version": packstack_version,
            "release_packstack": releases.CATALOG[lab.release].packstack,
            "sections": [{"title": s.title, "items": s.items} for s in sections],
        },
    )
