"""Reaching an instance from the host: a throwaway SSH key, ping, SSH, and its disks.

``Guest`` is what the end-to-end walk needs; ``ShellGuest`` does it with ssh-keygen, ping
and ssh through ``labbuilder.shell``. The cirros image is a local file or fetched from a URL
into a cache once, so an offline classroom can point at a copy it already has.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from labbuilder.adapters import http
from labbuilder.adapters.shell import run
from labbuilder.adapters.ssh import new_keypair
from labbuilder.errors import ConfigError, ToolError

SSH_OPTIONS = (
    "-o", "BatchMode=yes",
    "-o", "StrictHostKeyChecking=no",
    "-o", "UserKnownHostsFile=/dev/null",
    "-o", "ConnectTimeout=10",
    "-o", "LogLevel=ERROR",
)  # fmt: skip
DEFAULT_IMAGE = "http://download.cirros-cloud.net/0.6.2/cirros-0.6.2-x86_64-disk.img"


class Guest(Protocol):
    def keygen(self) -> str: ...

    def ping(self, address: str) -> bool: ...

    def ssh(self, address: str, user: str, command: str) -> str | None:
        """``command``'s output, or None when the login or the command failed."""


@dataclass(frozen=True)
class ShellGuest:
    workdir: Path

    @property
    def key(self) -> Path:
        return self.workdir / "id_ed25519"

    def keygen(self) -> str:
        return new_keypair(self.key, "labbuilder-verify")

    def ping(self, address: str) -> bool:
        return run(["ping", "-c", "1", "-W", "2", address], check=False, timeout=10).rc == 0

    def ssh(self, address: str, user: str, command: str) -> str | None:
        argv = ["ssh", *SSH_OPTIONS, "-i", str(self.key), f"{user}@{address}", command]
        try:
            result = run(argv, check=False, timeout=60)
        except ToolError:
            return None
        return result.stdout if result.rc == 0 else None


def parse_partitions(text: str) -> tuple[str, ...]:
    """``/proc/partitions`` -> whole disks (vda, vdb, sda...), partitions left out."""
    names = [line.split()[-1] for line in text.splitlines()[1:] if len(line.split()) == 4]
    return tuple(n for n in names if not any(n != d and n.startswith(d) for d in names))


def new_disks(before: Sequence[str], after: Sequence[str]) -> tuple[str, ...]:
    return tuple(d for d in after if d not in before)


def local_image(source: str, cache: Path) -> Path:
    """``source`` as a local file: a path as is, a URL downloaded into ``cache`` once."""
    if not source.startswith(("http://", "https://")):
        path = Path(source).expanduser()
        if not path.is_file():
            raise ConfigError(f"image {path} not found: set LABBUILDER_E2E_IMAGE to a file or URL")
        return path
    target = cache / source.rstrip("/").rsplit("/", 1)[-1]
    if target.is_file():
        return target
    try:
        http.download(source, target)
    except ToolError as err:
        raise ToolError(
            f"{err.message}: put a cirros image on disk and set LABBUILDER_E2E_IMAGE to its path"
        ) from None
    return target
