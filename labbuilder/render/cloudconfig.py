"""The host's way into a deployed lab: ``labs/<lab>/clouds.yaml`` and ``labs/<lab>/openrc``.

clouds.yaml holds two clouds: ``<lab>`` (admin in project admin) and ``<lab>-demo`` (user demo
in project demo, which ``ensure_demo`` creates, since the answer file leaves Packstack's own
demo provisioning off). Both files carry passwords and are written 0600.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

import yaml
from openstack.config.loader import OpenStackConfig
from openstack.connection import Connection
from openstack.exceptions import NotFoundException
from openstack.identity.v3._proxy import Proxy as IdentityV3

from labbuilder.labdir import PRIVATE, LabDir, write_atomic
from labbuilder.model import secrets
from labbuilder.model.lab import Lab

REGION = "RegionOne"
DOMAIN = "Default"
DEMO = "demo"
MEMBER_ROLE = "member"
T = TypeVar("T")


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


def connect(clouds_yaml: Path, cloud: str) -> Connection:
    """A connection to ``cloud`` of that clouds.yaml only (ignores the user's own files)."""
    region = OpenStackConfig(config_files=[str(clouds_yaml)]).get_one(cloud=cloud)
    return Connection(config=region)


def ensure_demo(conn: Connection, password: str) -> list[str]:
    """Project demo and user demo (member of it, with ``password``); what had to be done.

    Idempotent: what exists is kept, the password is set again and the role assignment (a PUT
    in Keystone) repeated.
    """
    identity = cast(IdentityV3, conn.identity)  # the clouds.yaml asks for Identity v3
    done: list[str] = []
    domain = identity.find_domain(DOMAIN, ignore_missing=False)
    project = _existing(identity.find_project, DEMO, domain_id=domain.id)
    if project is None:
        project = identity.create_project(
            name=DEMO, domain_id=domain.id, description="Demo project of the lab"
        )
        done.append("created project demo")
    user = _existing(identity.find_user, DEMO, domain_id=domain.id)
    if user is None:
        user = identity.create_user(
            name=DEMO, domain_id=domain.id, password=password, default_project_id=project.id
        )
        done.append("created user demo")
    else:
        identity.update_user(user, password=password)
    role = identity.find_role(MEMBER_ROLE, ignore_missing=False)
    if not identity.validate_user_has_project_role(project, user, role):
        identity.assign_project_role_to_user(project, user, role)
        done.append("gave user demo the member role in project demo")
    return done


def _existing(find: Callable[..., T], name: str, **query: str) -> T | None:
    try:
        return find(name, ignore_missing=False, **query)
    except NotFoundException:
        return None
