"""``invoke ssh`` and ``invoke ssh-config``: reach the lab's nodes with OpenSSH."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from labbuilder import names
from labbuilder.commands.context import lab_dir
from labbuilder.errors import StateError


def config_path(config: Mapping[str, Any], lab: str | None) -> Path:
    """The lab's OpenSSH config, written when its VMs came up."""
    labdir = lab_dir(config, lab)
    if not labdir.ssh_config.is_file():
        raise StateError(
            f"lab {labdir.name} has no VMs up: run `invoke up --lab {labdir.name}` first"
        )
    return labdir.ssh_config


def argv(config: Mapping[str, Any], lab: str | None, node: str, command: str = "") -> list[str]:
    """The ``ssh`` command line that opens a shell on (or runs ``command`` on) ``node``."""
    names.check_node(node)
    path = config_path(config, lab)
    labdir = lab_dir(config, lab)
    inv = json.loads(labdir.inventory.read_text())
    nodes = [n["name"] for n in inv["nodes"]]
    if node not in nodes:
        raise StateError(
            f"lab {labdir.name} has no node {node!r}: choose one of {', '.join(nodes)}"
        )
    return ["ssh", "-F", str(path), node, *([command] if command else [])]
