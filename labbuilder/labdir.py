"""Where a lab lives on the host (``labs/<lab>/``) and how its files are written.

Files are written whole or not at all (temporary file + rename), so an interrupted or failed
command never leaves a half-written Vagrantfile or answer file behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from labbuilder import names

PRIVATE = 0o600
PUBLIC = 0o644


@dataclass(frozen=True)
class LabDir:
    root: Path

    @classmethod
    def of(cls, labs_dir: Path, lab: str) -> LabDir:
        """The directory of lab ``lab``; ConfigError for a name no path may be built from."""
        return cls(labs_dir / names.check_lab(lab))

    @property
    def name(self) -> str:
        return self.root.name

    @property
    def vagrantfile(self) -> Path:
        return self.root / "Vagrantfile"

    @property
    def answers(self) -> Path:
        return self.root / "answers.txt"

    @property
    def settings(self) -> Path:
        return self.root / "lab.yaml"

    @property
    def secrets(self) -> Path:
        return self.root / "secrets.yaml"

    @property
    def state(self) -> Path:
        return self.root / "state.json"

    @property
    def inventory(self) -> Path:
        return self.root / "inventory.json"

    @property
    def ssh_config(self) -> Path:
        return self.root / "ssh-config"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def exists(self) -> bool:
        return self.settings.is_file()


def write_atomic(path: Path, text: str, mode: int = PUBLIC) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            os.fchmod(out.fileno(), mode)
            out.write(text)
        Path(tmp).replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(tmp).unlink()
        raise


def write_files(root: Path, files: Mapping[str, tuple[str, int]]) -> list[Path]:
    """Write ``{name: (text, mode)}`` under ``root``; a new ``root`` is removed again on failure."""
    created = not root.exists()
    root.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    try:
        for name, (text, mode) in files.items():
            path = root / name
            write_atomic(path, text, mode)
            written.append(path)
    except BaseException:
        if created:
            for path in written:
                path.unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                root.rmdir()
        raise
    return written
