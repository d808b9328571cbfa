"""Names the user gives that end up in paths and libvirt object names: a lab, a box, a node.

Each is checked here, before any path is built from it: a name that is too long, non-ASCII or
holds ``/`` or ``..`` would otherwise reach the file system first (``File name too long``, a
lab directory outside ``labs/``). Errors show at most ``SHOWN`` characters of the bad name.
"""

from __future__ import annotations

import re

from labbuilder.errors import ConfigError

LAB = re.compile(r"[a-z](?:[a-z0-9-]{0,18}[a-z0-9])?")
NODE = re.compile(r"[a-z][a-z0-9-]{0,30}")
BOX = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,127}")
SNAPSHOT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
SHOWN = 24


def shown(name: str) -> str:
    """``name`` quoted for an error line, cut short when it is long."""
    if len(name) <= SHOWN:
        return repr(name)
    return f"{name[:SHOWN]!r}... ({len(name)} characters)"


def check_lab(name: str) -> str:
    if not LAB.fullmatch(name):
        raise ConfigError(
            f"lab name {shown(name)} is not usable: use 1-20 lowercase ASCII letters, digits "
            "or '-', starting with a letter (e.g. --lab class1)"
        )
    return name


def check_node(name: str) -> str:
    if not NODE.fullmatch(name):
        raise ConfigError(
            f"node name {shown(name)} is not usable: nodes are named like controller, "
            "network, compute1 (see `invoke status`)"
        )
    return name


def check_box(name: str) -> str:
    if not BOX.fullmatch(name) or ".." in name or "//" in name or name.endswith("/"):
        raise ConfigError(
            f"box name {shown(name)} is not usable: up to 128 ASCII letters, digits and ._/- "
            "without '..' (e.g. --box centos-stream-9 or --box labbuilder/testbox)"
        )
    return name


def check_snapshot(name: str) -> str:
    if not SNAPSHOT.fullmatch(name):
        raise ConfigError(
            f"snapshot name {shown(name)} is not valid: use letters, digits, '.', '_' or '-' "
            "(at most 64, starting with a letter or digit)"
        )
    return name
