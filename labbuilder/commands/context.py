"""What every command starts from: the labs directory, the lab's settings (invoke config < lab
file < lock pins < flags) and, for commands that build, the lab prepared in memory."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from labbuilder import PROJECT_ROOT
from labbuilder.adapters import hostfacts
from labbuilder.commands import bundlefile
from labbuilder.commands.flags import CONFIG_DEFAULTS, Flags
from labbuilder.errors import ConfigError
from labbuilder.labdir import LabDir
from labbuilder.model import lockfile
from labbuilder.model.settings import Settings, resolve
from labbuilder.stages import render as render_stage


def labs_dir(config: Mapping[str, Any]) -> Path:
    return (PROJECT_ROOT / str(config.get("labs_dir", CONFIG_DEFAULTS["labs_dir"]))).resolve()


def box_cache(config: Mapping[str, Any]) -> Path:
    return Path(str(config.get("box_cache", CONFIG_DEFAULTS["box_cache"])))


def testbox_dir(config: Mapping[str, Any]) -> Path:
    return Path(str(config.get("testbox_dir", CONFIG_DEFAULTS["testbox_dir"])))


def libvirt_uri(config: Mapping[str, Any]) -> str:
    """The libvirt URI of commands that name only a lab (down, list, test-box)."""
    return str((config.get("lab") or {}).get("libvirt_uri") or Settings().libvirt_uri)


def lab_dir(config: Mapping[str, Any], lab: str | None) -> LabDir:
    """The directory of ``lab`` (default: the configured lab) for commands without lab flags."""
    name = lab or str((config.get("lab") or {}).get("lab") or Settings().lab)
    return LabDir.of(labs_dir(config), name)


def read_yaml(path: Path, what: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"cannot read {what} {path} ({err.strerror}): check the path") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(f"{where}: not valid YAML: fix the {what}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a {what} must be a mapping of settings")
    return data


def read_lock(path: Path) -> tuple[lockfile.LabLock, dict[str, Any] | None]:
    """The lock of ``--from`` (a lab.lock, or a bundle holding one) and, from a bundle, its
    settings."""
    if bundlefile.is_bundle(path):
        text, settings = bundlefile.read(path)
        return lockfile.load(text, f"{path}:lab.lock"), settings
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"cannot read lock file {path} ({err.strerror}): check --from") from None
    return lockfile.load(text, str(path)), None


def lock_layer(path: Path) -> tuple[dict[str, Any], Path | dict[str, Any] | None]:
    """Settings pinned by a lock file, and the lab file saved beside it (a bundle's settings)."""
    lock, settings = read_lock(path)
    beside = path.with_name("lab.yaml")
    pins = {"lab": lock.lab, "release": lock.release, "box": lock.box_name}
    if settings is not None:
        return pins, settings
    return pins, (beside if beside.is_file() else None)


def locked_sha256(flags: Flags) -> str | None:
    """The box file digest a ``--from`` lock file (or bundle) pins, if any."""
    if not flags.from_lock:
        return None
    return read_lock(Path(flags.from_lock))[0].box_sha256


def settings_for(config: Mapping[str, Any], flags: Flags) -> tuple[Settings, LabDir]:
    """Defaults (invoke config ``lab``) < lab file (``--lab-file``, the lab file beside a
    ``--from`` lock, or the lab's saved ``lab.yaml``) < lock file pins < flags."""
    defaults = dict(config.get("lab") or {})
    cli = flags.layer()
    pins: dict[str, Any] = {}
    lab_file = flags.lab_file
    bundled: dict[str, Any] | None = None
    if flags.from_lock:
        pins, beside = lock_layer(Path(flags.from_lock))
        if isinstance(beside, dict):
            bundled = beside if not lab_file else None
        else:
            lab_file = lab_file or (str(beside) if beside else None)
        if flags.lab:
            pins["lab"] = flags.lab
    name = flags.lab or str(pins.get("lab") or defaults.get("lab") or Settings().lab)
    if bundled is not None:
        file_layer = dict(bundled)
        name = flags.lab or str(pins.get("lab") or file_layer.get("lab") or name)
        file_layer["lab"] = name
        source = f"{flags.from_lock}:lab.yaml"
    elif lab_file:
        file_layer = read_yaml(Path(lab_file), "lab file")
        name = flags.lab or str(pins.get("lab") or file_layer.get("lab") or name)
        file_layer["lab"] = name
        source = lab_file
    else:
        saved = LabDir.of(labs_dir(config), name).settings
        file_layer = read_yaml(saved, "lab file") if saved.is_file() else {}
        source = str(saved)
    settings = resolve(
        ("invoke config 'lab'", defaults),
        (source, file_layer),
        (str(flags.from_lock), pins),
        ("flags", cli),
    )
    return settings, LabDir.of(labs_dir(config), settings.lab)


def host_virt() -> tuple[bool, bool]:
    facts = hostfacts.gather(disk_path=Path("/var/lib/libvirt/images"))
    return hostfacts.virtualization(facts) == "kvm", hostfacts.nesting(facts)


def prepare(config: Mapping[str, Any], flags: Flags) -> tuple[render_stage.Rendered, LabDir]:
    """The lab these settings describe on this host, planned, rendered in memory and validated;
    nothing is written. Every command that builds or shows a lab starts here."""
    settings, labdir = settings_for(config, flags)
    kvm, nested = host_virt()
    rendered = render_stage.render(settings, labdir, kvm=kvm, nested=nested, base=Path.cwd())
    return rendered, labdir
