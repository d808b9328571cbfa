"""The host's way into a deployed lab: ``labs/<lab>/clouds.yaml`` and ``labs/<lab>/openrc``.

clouds.yaml holds two clouds: ``<lab>`` (admin in project admin) and ``<lab>-demo`` (user demo
in project demo, which the record stage creates through ``adapters.openstack.ensure_demo``,
since the answer file leaves Packstack's own demo provisioning off). Both files carry
passwords and are written 0600.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from labbuilder.labdir import PRIVATE, LabDir, write_atomic
from labbuilder.model import secrets
from labbuilder.model.cloud import DEMO, DOMAIN
from labbuilder.model.lab import Lab

REGION = "RegionOne"


@dataclass(frozen=True)
class Account:
    user: str
    project: str
    password: str


def auth_url(lab: Lab) -> str:
    """Keystone's public endpoint: Packstack puts it on the controller's external address."""
    return f"http://{lab.controller.external_ip}:5000/v3"


def demo_cloud(lab_name: str) -> str:
    return f"{lab_name}-demo"


def clouds_path(labdir: LabDir) -> Path:
    return labdir.root / "clouds.yaml"


def openrc_path(labdir: LabDir) -> Path:
    return labdir.root / "openrc"


def _cloud(url: str, account: Account) -> dict[str, Any]:
    return {
        "auth": {
            "auth_url": url,
            "username": account.user,
            "password": account.password,
            "project_name": account.project,
            "user_domain_name": DOMAIN,
            "project_domain_name": DOMAIN,
        },
        "region_name": REGION,
        "interface": "public",
        "identity_api_version": 3,
    }


def build_clouds_yaml(lab_name: str, url: str, admin: Account, demo: Account) -> str:
    clouds = {lab_name: _cloud(url, admin), demo_cloud(lab_name): _cloud(url, demo)}
    header = (
        f"# OpenStack clouds of lab {lab_name}, written by labbuilder after its deploy.\n"
        f"# Use: OS_CLIENT_CONFIG_FILE=<this file> openstack --os-cloud {lab_name} ...\n"
    )
    return header + yaml.safe_dump({"clouds": clouds}, sort_keys=False, default_flow_style=False)


def build_member_clouds_yaml(cloud: str, url: str, account: Account) -> str:
    """A clouds.yaml with one cloud: a member user in their own project (no admin rights)."""
    header = f"# OpenStack cloud {cloud} (user {account.user}, project {account.project}).\n"
    return header + yaml.safe_dump(
        {"clouds": {cloud: _cloud(url, account)}}, sort_keys=False, default_flow_style=False
    )


def build_openrc(lab_name: str, url: str, admin: Account) -> str:
    """Like Packstack's ``keystonerc_admin``, for the host; values quoted for the shell."""
    values = {
        "OS_USERNAME": admin.user,
        "OS_PASSWORD": admin.password,
        "OS_PROJECT_NAME": admin.project,
        "OS_USER_DOMAIN_NAME": DOMAIN,
        "OS_PROJECT_DOMAIN_NAME": DOMAIN,
        "OS_AUTH_URL": url,
        "OS_IDENTITY_API_VERSION": "3",
        "OS_REGION_NAME": REGION,
    }
    lines = [f"# OpenStack admin credentials of lab {lab_name}: source this file."]
    lines.append("unset OS_CLOUD")
    lines += [f"export {key}={shlex.quote(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


def accounts(labdir: LabDir, answers: Mapping[str, str]) -> tuple[Account, Account]:
    """Admin (the Keystone admin password of ``answers``, the lab's answer file as parsed) and
    demo (the lab's password)."""
    password = secrets.parse(labdir.secrets.read_text(encoding="utf-8"), str(labdir.secrets))
    lab_password = password or ""
    admin_password = answers.get("CONFIG_KEYSTONE_ADMIN_PW") or lab_password
    return Account("admin", "admin", admin_password), Account(DEMO, DEMO, lab_password)


def write(lab: Lab, labdir: LabDir, answers: Mapping[str, str]) -> tuple[Path, Path]:
    """Write clouds.yaml and openrc (0600) for ``lab``; their paths."""
    admin, demo = accounts(labdir, answers)
    url = auth_url(lab)
    clouds, openrc = clouds_path(labdir), openrc_path(labdir)
    write_atomic(clouds, build_clouds_yaml(lab.name, url, admin, demo), PRIVATE)
    write_atomic(openrc, build_openrc(lab.name, url, admin), PRIVATE)
    return clouds, openrc
