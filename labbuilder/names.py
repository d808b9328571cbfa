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


RULES: dict[str, tuple[re.Pattern[str], str]] = {
    "lab": (
        LAB,
        "is not usable: use 1-20 lowercase ASCII letters, digits or '-', starting with a letter "
        "(e.g. --lab class1)",
    ),
    "node": (
        NODE,
        "is not usable: nodes are named like controller, network, compute1 (see `invoke status`)",
    ),
    "box": (
        BOX,
        "is not usable: up to 128 ASCII letters, digits and ._/- without '..' "
        "(e.g. --box centos-stream-9 or --box labbuilder/testbox)",
    ),
    "snapshot": (
        SNAPSHOT,
        "is not valid: use letters, digits, '.', '_' or '-' (at most 64, starting with a letter "
        "or digit)",
    ),
}
"""Each kind of name: the pattern it must match whole, and the rest of the error line."""


def check(kind: str, name: str, extra_ok: bool = True) -> str:
    pattern, remedy = RULES[kind]
    if not (pattern.fullmatch(name) and extra_ok):
        raise ConfigError(f"{kind} name {shown(name)} {remedy}")
    return name


def check_lab(name: str) -> str:
    return check("lab", name)


def check_node(name: str) -> str:
    return check("node", name)


def check_box(name: str) -> str:
    return check("box", name, ".." not in name and "//" not in name and not name.endswith("/"))


def check_snapshot(name: str) -> str:
    return check("snapshot", name)
