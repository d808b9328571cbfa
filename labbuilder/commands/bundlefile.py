"""A bundle tarball's layout, and reading a lab's lock and settings back out of one."""

from __future__ import annotations

import tarfile
from pathlib import Path, PurePosixPath

import yaml

from labbuilder.errors import ConfigError
from labbuilder.model import redaction

LAB_DIR = "lab"
MANIFEST = "MANIFEST.txt"


def is_bundle(path: Path) -> bool:
    return path.is_file() and tarfile.is_tarfile(path)


def _member(tar: tarfile.TarFile, name: str) -> str | None:
    for member in tar.getmembers():
        parts = PurePosixPath(member.name).parts
        if member.isfile() and parts[1:] == (LAB_DIR, name):
            handle = tar.extractfile(member)
            return handle.read().decode("utf-8") if handle else None
    return None


def _unredacted(value: object) -> object:
    """Settings whose value was a secret come back as "not set" (the rebuilt lab makes its own)."""
    if isinstance(value, dict):
        return {k: _unredacted(v) for k, v in value.items() if v != redaction.MARKER}
    return value


def read(path: Path) -> tuple[str, dict[str, object] | None]:
    """The lab.lock text and the lab.yaml settings inside a bundle."""
    try:
        with tarfile.open(path) as tar:
            lock, settings = _member(tar, "lab.lock"), _member(tar, "lab.yaml")
    except (OSError, tarfile.TarError) as err:
        raise ConfigError(f"cannot read bundle {path} ({err}): check --from") from None
    if lock is None:
        raise ConfigError(
            f"bundle {path} has no lab.lock (the lab was never deployed): it cannot be rebuilt"
        )
    data = yaml.safe_load(settings) if settings else None
    layer = _unredacted(data) if isinstance(data, dict) else None
    return lock, layer if isinstance(layer, dict) else None
