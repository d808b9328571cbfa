"""The lab's passwords: random per lab unless the user fixes one; kept in a 0600 file."""

from __future__ import annotations

import secrets as _random
from typing import Any

import yaml

from labbuilder.errors import ConfigError

PASSWORD_BYTES = 18


def new_password() -> str:
    # token_urlsafe uses only letters, digits, '-' and '_': safe in INI, YAML and Puppet.
    return _random.token_urlsafe(PASSWORD_BYTES)


def choose(requested: str, stored: str | None) -> str:
    """A requested fixed password wins; else the stored one; else a fresh random one."""
    return requested or stored or new_password()


def parse(text: str, source: str) -> str | None:
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ConfigError(f"{source} is not valid YAML ({err}): fix or delete it") from None
    if not isinstance(data, dict) or not isinstance(data.get("password"), str):
        raise ConfigError(f"{source} has no 'password' entry: fix or delete it")
    return str(data["password"])


def dump(password: str) -> str:
    return "# The lab's OpenStack password (admin and every service). Keep this file private.\n" + (
        yaml.safe_dump({"password": password}, default_flow_style=False)
    )
