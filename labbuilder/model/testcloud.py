"""The test cloud as a lab: a one-node all-in-one (controller, network and compute roles) on
Debian's OpenStack packages, reached from the host over a veth pair (``invoke test-cloud``).

Pure: the lab plan, the names and addresses the bring-up script needs, and the files that
describe the cloud to the verify suites (ssh-config).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from labbuilder.model import planner
from labbuilder.model.lab import SERVICES as ALL_SERVICES
from labbuilder.model.lab import Lab
from labbuilder.model.settings import Settings

NAME = "testcloud"
EXTERNAL_SUBNET = "10.199.1.0/24"
TUNNEL_SUBNET = "192.168.199.0/24"
HOST_LINK = "lb-testcloud"
"""The host's end of the veth pair; it holds the external network's gateway address."""
SERVICES = ("nova", "neutron", "keystone", "glance")
"""What the packaged all-in-one runs; the others are off in its lab description."""
PACKAGING = "debian"
"""Whose packages run the services (the verify suites map service names by it)."""
RELEASE = "epoxy"
"""Debian 13 (trixie) packages OpenStack 2025.1 Epoxy."""


def settings(
    external_subnet: str = EXTERNAL_SUBNET, tunnel_subnet: str = TUNNEL_SUBNET
) -> Settings:
    return Settings(
        lab=NAME,
        nodes=1,
        release=RELEASE,
        box="testbox",
        external_subnet=external_subnet,
        tunnel_subnet=tunnel_subnet,
        services={name: name in SERVICES for name in ALL_SERVICES},
        driver="qemu",
    )


def plan(external_subnet: str = EXTERNAL_SUBNET, tunnel_subnet: str = TUNNEL_SUBNET) -> Lab:
    return planner.plan(settings(external_subnet, tunnel_subnet), kvm=False, nested=False)


@dataclass(frozen=True)
class Cloud:
    """What ``up.sh`` needs to build the cloud of ``lab``."""

    lab: Lab
    password: str
    authorized_key: str

    def environment(self) -> dict[str, str]:
        node = self.lab.controller
        return {
            "TC_FQDN": node.fqdn,
            "TC_IP": str(node.external_ip),
            "TC_PREFIX": str(self.lab.external.subnet.prefixlen),
            "TC_GATEWAY": str(self.lab.external.host_ip),
            "TC_TUNNEL_IP": str(node.tunnel_ip),
            "TC_TUNNEL_PREFIX": str(self.lab.tunnel.subnet.prefixlen),
            "TC_PASSWORD": self.password,
            "TC_HOST_LINK": HOST_LINK,
            "TC_AUTHORIZED_KEY": self.authorized_key,
        }


def ssh_config(lab: Lab, identity: Path) -> str:
    """OpenSSH config for the suites: the node as root with the cloud's own key."""
    node = lab.controller
    return (
        f"Host {node.name} {node.fqdn}\n"
        f"  HostName {node.external_ip}\n"
        "  User root\n"
        f"  IdentityFile {identity}\n"
        "  IdentitiesOnly yes\n"
        "  StrictHostKeyChecking no\n"
        "  UserKnownHostsFile /dev/null\n"
        "  LogLevel ERROR\n"
    )


def cache_key(parts: Iterable[bytes]) -> str:
    """A short hash of what a cached build is made from (file contents, names)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()[:16]
