"""Settings of a lab: defaults, lab file (YAML) and command-line flags, merged in that order.

``resolve`` is pure: it takes the three layers as mappings and returns one checked ``Settings``.
Every unknown key or badly typed value is a ``ConfigError`` that names the key.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from labbuilder.errors import ConfigError
from labbuilder.model.boxes import DEFAULT_BOX

DRIVERS = ("auto", "kvm", "qemu")


@dataclass(frozen=True)
class Settings:
    lab: str = "poc"
    nodes: int = 1
    network_node: bool = False
    storage_node: bool = False
    release: str = "epoxy"
    box: str = DEFAULT_BOX
    domain: str = ""
    external_subnet: str = "10.1.1.0/24"
    tunnel_subnet: str = "192.168.10.0/24"
    dhcp_range: str = ""
    floating_range: str = ""
    neutron_backend: str = "ovs"
    services: Mapping[str, bool] = field(default_factory=dict)
    memory: Mapping[str, int] = field(default_factory=dict)
    vcpus: Mapping[str, int] = field(default_factory=dict)
    disk: Mapping[str, int] = field(default_factory=dict)
    ntp_servers: tuple[str, ...] = ("pool.ntp.org",)
    password: str = ""
    service_workers: int = 2
    driver: str = "auto"
    answers: Mapping[str, str] = field(default_factory=dict)
    answers_file: str = ""
    libvirt_uri: str = "qemu:///system"


KEYS = tuple(f.name for f in fields(Settings))
_MAPPINGS = {"services": bool, "memory": int, "vcpus": int, "disk": int, "answers": str}


def _fail_key(key: str, where: str) -> ConfigError:
    near = difflib.get_close_matches(key, KEYS, n=1)
    hint = f"did you mean '{near[0]}'?" if near else f"known settings: {', '.join(KEYS)}"
    return ConfigError(f"{where}: unknown setting '{key}': {hint}")


def _as_int(key: str, value: Any, where: str) -> int:
    if isinstance(value, bool):
        raise ConfigError(f"{where}: '{key}' must be a whole number, not {value!r}")
    try:
        return int(str(value).strip())
    except ValueError:
        raise ConfigError(f"{where}: '{key}' must be a whole number, not {value!r}") from None


def _as_bool(key: str, value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"y", "yes", "true", "on", "1"}:
        return True
    if text in {"n", "no", "false", "off", "0"}:
        return False
    raise ConfigError(f"{where}: '{key}' must be true or false, not {value!r}")


def _coerce_mapping(key: str, value: Any, kind: type, where: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: '{key}' must be a mapping like {{name: value}}")
    out: dict[str, Any] = {}
    for name, item in value.items():
        label = f"{key}.{name}"
        if kind is bool:
            out[str(name)] = _as_bool(label, item, where)
        elif kind is int:
            out[str(name)] = _as_int(label, item, where)
        else:
            out[str(name)] = str(item)
    return out


def _coerce(key: str, value: Any, default: Any, where: str) -> Any:
    if key in _MAPPINGS:
        return _coerce_mapping(key, value, _MAPPINGS[key], where)
    if isinstance(default, bool):
        return _as_bool(key, value, where)
    if isinstance(default, int):
        return _as_int(key, value, where)
    if isinstance(default, tuple):
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, Iterable):
            raise ConfigError(f"{where}: '{key}' must be a list")
        return tuple(str(i).strip() for i in items if str(i).strip())
    if isinstance(value, (dict, list)):
        raise ConfigError(f"{where}: '{key}' must be a single value, not {type(value).__name__}")
    return str(value)


def resolve(*layers: tuple[str, Mapping[str, Any] | None]) -> Settings:
    """Merge ``(where, mapping)`` layers, later ones winning; mappings merge key by key.

    ``None`` values in a layer mean "not given" (an unset command-line flag).
    """
    defaults = Settings()
    merged: dict[str, Any] = {}
    for where, layer in layers:
        for key, value in (layer or {}).items():
            if key not in KEYS:
                raise _fail_key(key, where)
            if value is None:
                continue
            coerced = _coerce(key, value, getattr(defaults, key), where)
            if key in _MAPPINGS:
                merged[key] = {**merged.get(key, {}), **coerced}
            else:
                merged[key] = coerced
    return Settings(**merged)


def parse_pairs(flag: str, items: Iterable[str]) -> dict[str, str]:
    """``["compute=4096", "controller=8192"]`` -> dict; for repeatable ``--memory`` style flags."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise ConfigError(f"--{flag} {item!r}: expected NAME=VALUE, e.g. --{flag} compute=4096")
        out[name.strip()] = value.strip()
    return out


def to_mapping(settings: Settings) -> dict[str, Any]:
    """Plain data for ``lab.yaml`` (round-trips through ``resolve``)."""
    out: dict[str, Any] = {}
    for f in fields(Settings):
        value = getattr(settings, f.name)
        if isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, Mapping):
            value = dict(value)
        out[f.name] = value
    return out
