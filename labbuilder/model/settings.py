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
from labbuilder.model import releases
from labbuilder.model.boxes import DEFAULT_BOX

DRIVERS = ("auto", "kvm", "qemu")


@dataclass(frozen=True)
class Flag:
    """A command-line flag of the lab tasks, ``--name`` with dashes for underscores.

    ``form`` says how its value becomes a setting: ``value`` as given, ``switch`` true when
    given, ``pairs`` repeatable NAME=VALUE, ``enable``/``disable`` repeatable service names,
    ``assign`` repeatable CONFIG_KEY=VALUE. ``setting`` is the field it feeds; empty for flags the
    commands read themselves (where the settings come from). ``param`` is the task's parameter
    name when ``name`` cannot be one.
    """

    name: str
    help: str
    setting: str = ""
    form: str = "value"
    param: str = ""

    @property
    def repeatable(self) -> bool:
        return self.form in {"pairs", "enable", "disable", "assign"}

    @property
    def option(self) -> str:
        """The task parameter: ``--from`` is ``from_``, since ``from`` is a Python keyword."""
        return self.param or self.name


def setting(default: Any = None, help: str = "", *, factory: Any = None, flags: Any = ()) -> Any:
    """A Settings field with its command-line flag: ``help`` makes ``--<field>``; ``flags``
    declares other flags that feed it instead (e.g. ``--enable``/``--disable`` for services).
    A field with neither is set only in invoke.yaml or a lab file."""
    metadata = {"help": help, "flags": tuple(flags)}
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class Settings:
    """A lab's settings, each declared once: its default, type, and command-line flag help."""

    lab: str = setting("poc", "lab name; labs live in labs/<lab>/")
    nodes: int = setting(
        1, "VMs: 1 = all-in-one; N = controller + computes (+ network/storage nodes)"
    )
    network_node: bool = setting(False, "put Neutron's network role on its own VM")
    storage_node: bool = setting(
        False, "refused with the reason: Packstack 26 keeps Cinder/Swift on the controller"
    )
    release: str = setting("epoxy", releases.help_text())
    box: str = setting(
        DEFAULT_BOX, "Vagrant box: centos-stream-9 (default, pinned build), testbox, or a name"
    )
    domain: str = setting("", "DNS domain of the nodes (default <lab>.test)")
    external_subnet: str = setting("10.1.1.0/24", "eth0 network, NAT to the outside")
    tunnel_subnet: str = setting("192.168.10.0/24", "eth1 network, isolated")
    dhcp_range: str = setting(
        "", "DHCP range on the external network, FIRST-LAST (default .100-.149)"
    )
    floating_range: str = setting("", "floating-IP pool, FIRST-LAST (default .150-.250)")
    neutron_backend: str = setting("ovs", "ovs (default: br-ex, br-int, br-tun) or ovn")
    services: Mapping[str, bool] = setting(
        factory=dict,
        flags=(
            Flag(
                "enable",
                "turn a service on (repeatable): nova neutron keystone glance cinder "
                "swift horizon ceilometer heat",
                "services",
                "enable",
            ),
            Flag("disable", "turn a service off (repeatable)", "services", "disable"),
        ),
    )
    memory: Mapping[str, int] = setting(
        factory=dict, help="KIND=MiB (repeatable); kinds: aio controller network compute"
    )
    vcpus: Mapping[str, int] = setting(factory=dict, help="KIND=N vCPUs per node kind (repeatable)")
    disk: Mapping[str, int] = setting(
        factory=dict, help="KIND=GiB root disk per node kind (repeatable)"
    )
    ntp_servers: tuple[str, ...] = setting(("pool.ntp.org",), "comma-separated NTP servers")
    password: str = setting(
        "", "one fixed password for all services (default: random, secrets.yaml)"
    )
    service_workers: int = setting(2, "Packstack worker processes per service")
    driver: str = setting("auto", "libvirt driver: auto (default: kvm when usable), kvm or qemu")
    answers: Mapping[str, str] = setting(
        factory=dict,
        flags=(
            Flag(
                "set",
                "extra answer-file key CONFIG_X=Y (repeatable), checked against Packstack",
                "answers",
                "assign",
            ),
        ),
    )
    answers_file: str = setting(
        "", "answer-file fragment with extra keys, checked against Packstack"
    )
    horizon_port: int = setting(
        0, "host TCP port forwarded to the controller's dashboard (port 80); 0: none"
    )
    libvirt_uri: str = setting("qemu:///system")


KEYS = tuple(f.name for f in fields(Settings))
#: Where a lab's settings come from, read by the commands before the settings themselves.
SOURCE_FLAGS = (
    Flag("lab_file", "YAML file of lab settings (flags override it)"),
    Flag(
        "from_lock",
        "lab.lock or `invoke bundle` tarball of a built lab: rebuild it (same release, box)",
        param="from_",
    ),
)


def _with_default(help: str, default: Any) -> str:
    if "default" in help or default in ("", (), False) or isinstance(default, Mapping):
        return help
    shown = ",".join(default) if isinstance(default, tuple) else default
    return f"{help} (default {shown})"


def _declared_flags() -> tuple[Flag, ...]:
    out: list[Flag] = []
    defaults = Settings()
    for f in fields(Settings):
        out += f.metadata["flags"]
        if f.metadata["help"]:
            default = getattr(defaults, f.name)
            form = "switch" if isinstance(default, bool) else "value"
            form = "pairs" if isinstance(default, Mapping) else form
            out.append(Flag(f.name, _with_default(f.metadata["help"], default), f.name, form))
    return (out[0], SOURCE_FLAGS[0], *out[1:], SOURCE_FLAGS[1])


#: Every flag of the lab tasks (``invoke --help up``), in the order they are listed.
FLAGS = _declared_flags()
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


def _assignments(items: Iterable[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"--set {item!r}: expected CONFIG_KEY=VALUE")
        out[key.strip()] = value
    return out


def flag_layer(given: Mapping[str, Any]) -> dict[str, Any]:
    """Flag values by flag name as a layer for ``resolve``; a flag not given (missing, None,
    false or empty) sets nothing."""
    out: dict[str, Any] = {}
    for flag in FLAGS:
        if not flag.setting:
            continue
        value = given.get(flag.name)
        part: Any
        if flag.form == "switch":
            part = True if value else None
        elif flag.form == "pairs":
            part = parse_pairs(flag.name, value or ())
        elif flag.form in {"enable", "disable"}:
            part = dict.fromkeys(value or (), flag.form == "enable")
        elif flag.form == "assign":
            part = _assignments(value or ())
        else:
            part = value
        if isinstance(part, dict):
            part = {**(out.get(flag.setting) or {}), **part} or None
        out[flag.setting] = part
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
