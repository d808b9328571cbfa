"""A student's handout (Markdown and HTML) from their lab's inventory, ssh-config and account.

Every value is computed here; the templates only substitute and loop. The handouts carry the
student's OpenStack password, so they are written 0600 for the instructor to hand out.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labbuilder.render import cloudconfig
from labbuilder.render.engine import render

TEMPLATES = Path(__file__).parent / "templates"
HORIZON_LOCAL_PORT = 8080


@dataclass(frozen=True)
class Sheet:
    class_name: str
    student: str
    lab: str
    stage: str
    inventory: Mapping[str, Any]
    ssh_config: str
    account: cloudconfig.Account | None
    """The student's OpenStack member account; None until the lab is deployed."""
    reset: str
    """The one command that resets this student's lab."""
    forwarded_url: str = ""
    """The dashboard as the lab host forwards it (``horizon_port``); empty: no forward."""


def clouds_yaml(sheet: Sheet) -> str:
    if sheet.account is None:
        return ""
    url = f"http://{controller_ip(sheet.inventory)}:5000/v3"
    return cloudconfig.build_member_clouds_yaml(sheet.lab, url, sheet.account)


def controller_ip(inventory: Mapping[str, Any]) -> str:
    node = next(n for n in inventory["nodes"] if "controller" in n["roles"])
    return str(node["external_ip"])


def context(sheet: Sheet) -> dict[str, Any]:
    ctl = controller_ip(sheet.inventory)
    account = sheet.account
    if account is None:
        credentials = [
            f"Your OpenStack user and project are created when the lab is deployed "
            f"(it is at stage {sheet.stage})."
        ]
    else:
        credentials = [
            f"user: {account.user}",
            f"project: {account.project}",
            f"password: {account.password}",
            "role: member of your project (not admin)",
        ]
    return {
        "class_name": sheet.class_name,
        "student": sheet.student,
        "lab": sheet.lab,
        "stage": sheet.stage,
        "domain": sheet.inventory["domain"],
        "external_subnet": sheet.inventory["external"]["subnet"],
        "tunnel_subnet": sheet.inventory["tunnel"]["subnet"],
        "nodes": [
            {
                "name": n["name"],
                "fqdn": n["fqdn"],
                "roles": ", ".join(n["roles"]),
                "external_ip": n["external_ip"],
                "tunnel_ip": n["tunnel_ip"],
            }
            for n in sheet.inventory["nodes"]
        ],
        "ssh_command": "ssh -F ssh-config controller",
        "horizon_url": f"http://{ctl}/dashboard",
        "keystone_url": f"http://{ctl}:5000/v3",
        "remote_intro": (
            "From your own machine, forwarded by the lab host:"
            if sheet.forwarded_url
            else "From your own machine, through the lab host:"
        ),
        "remote_access": sheet.forwarded_url
        or (
            f"ssh -L {HORIZON_LOCAL_PORT}:{ctl}:80 YOU@THIS-HOST  "
            f"# then open http://localhost:{HORIZON_LOCAL_PORT}/dashboard"
        ),
        "credentials": credentials,
        "openstack_command": f"OS_CLIENT_CONFIG_FILE=clouds.yaml openstack --os-cloud "
        f"{shlex.quote(sheet.lab)} server list",
        "clouds_yaml": clouds_yaml(sheet) or "(written once the lab is deployed)",
        "ssh_config": sheet.ssh_config,
        "reset": sheet.reset,
    }


def markdown(sheet: Sheet) -> str:
    return render("handout.md.j2", context(sheet), root=TEMPLATES)


def html(sheet: Sheet) -> str:
    return render("handout.html.j2", context(sheet), root=TEMPLATES)
