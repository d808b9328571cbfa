"""The lab's lock file: exactly what a lab was built from, so it can be rebuilt the same way."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import yaml

from labbuilder.errors import ConfigError

HEADER = (
    "# labbuilder lock file: what this lab was built from (box, Packstack, kernel).\n"
    "# Written by labbuilder after a successful build; keep it with the lab definition.\n"
)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_OTHER = frozenset({"box_version", "box_sha256", "created"})  # not plain required strings


@dataclass(frozen=True)
class LabLock:
    """``box_version`` and ``box_sha256`` are ``None`` when unknown (a box built locally)."""

    lab: str
    release: str
    box_name: str
    box_version: str | None
    box_sha256: str | None
    packstack_version: str
    kernel: str
    created: datetime


_KEYS = tuple(f.name for f in fields(LabLock))


def dump(lock: LabLock) -> str:
    """The lock as YAML: a comment header, then the keys in the order of ``LabLock``."""
    data: dict[str, str | None] = {}
    for key in _KEYS:
        value = getattr(lock, key)
        data[key] = value.isoformat() if isinstance(value, datetime) else value
    body = yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True)
    return HEADER + body


def load(text: str, source: str) -> LabLock:
    """Read a lock written by ``dump``; ``source`` names the file in error messages."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ConfigError(
            f"{source}: not valid YAML ({_first_line(err)}): fix it or delete it and rebuild"
        ) from err
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of lock keys: delete it and rebuild")
    unknown = sorted(str(key) for key in data if key not in _KEYS)
    if unknown:
        raise ConfigError(f"{source}: unknown key '{unknown[0]}': remove it (known: {_known()})")
    missing = [key for key in _KEYS if key not in data]
    if missing:
        raise ConfigError(f"{source}: missing key '{missing[0]}': add it or delete the file")
    values = {key: _string(data[key], key, source) for key in _KEYS if key not in _OTHER}
    digest = _optional(data["box_sha256"], "box_sha256", source)
    if digest is not None and not _SHA256.match(digest):
        raise ConfigError(
            f"{source}: box_sha256 '{digest}' is not a SHA-256 digest: "
            "write the 64 lowercase hex digits of the box file, or null if unknown"
        )
    return LabLock(
        **values,
        box_version=_optional(data["box_version"], "box_version", source),
        box_sha256=digest,
        created=_created(data["created"], source),
    )


def _optional(value: Any, key: str, source: str) -> str | None:
    return None if value is None else _string(value, key, source)


def _string(value: Any, key: str, source: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(
            f"{source}: {key} must be a string, not {type(value).__name__} "
            f"{value!r}: quote the value"
        )
    if not value.strip():
        raise ConfigError(f"{source}: {key} is empty: give it a value")
    return value


def _created(value: Any, source: str) -> datetime:
    if isinstance(value, datetime):
        created = value
    else:
        text = _string(value, "created", source)
        try:
            created = datetime.fromisoformat(text)
        except ValueError as err:
            raise ConfigError(
                f"{source}: created '{text}' is not an ISO 8601 time: "
                "write it like 2025-01-01T12:00:00+00:00"
            ) from err
    if created.tzinfo is None:
        raise ConfigError(
            f"{source}: created '{value}' has no time zone: add one, e.g. +00:00 for UTC"
        )
    return created


def _known() -> str:
    return ", ".join(_KEYS)


def _first_line(err: yaml.YAMLError) -> str:
    return str(err).splitlines()[0] if str(err) else type(err).__name__
