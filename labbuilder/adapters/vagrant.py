"""Vagrant adapter: the only module that imports python-vagrant (``vagrant``).

python-vagrant raises on a failed ``up``/``destroy`` but only logs failures of ``status``,
``ssh_config`` and friends, so their results are checked here.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import vagrant

from labbuilder.adapters import shell
from labbuilder.errors import ToolError

LINE = re.compile(r"^==> (?P<node>[A-Za-z0-9._-]+): (?P<message>.*)$")
ENV = {"VAGRANT_CHECKPOINT_DISABLE": "1", "VAGRANT_DEFAULT_PROVIDER": "libvirt"}


@dataclass(frozen=True)
class Machine:
    name: str
    state: str


@dataclass(frozen=True)
class Step:
    node: str
    message: str


def parse_line(line: str) -> Step | None:
    """``==> compute1: Creating domain...`` -> Step("compute1", "Creating domain...")."""
    m = LINE.match(line.strip())
    return Step(m["node"], m["message"].strip()) if m else None


#: Vagrant's home (boxes, its key) when ``VAGRANT_HOME`` is not set. Not root's ~/.vagrant.d:
#: QEMU runs as its own user and cannot traverse a 0700 /root to reach what a box ships
#: (the test box boots a kernel from its box directory).
HOME = Path("/var/lib/labbuilder/vagrant.d")


def home() -> Path:
    """The Vagrant home labbuilder runs Vagrant with: ``VAGRANT_HOME``, else ``HOME``."""
    return Path(os.environ.get("VAGRANT_HOME") or HOME)


def closed_to_others(path: Path) -> Path | None:
    """The first directory on the way to ``path`` that other users cannot traverse, if any."""
    for part in [*reversed(path.parents), path]:
        try:
            mode = part.stat().st_mode
        except OSError:
            return None  # not made yet: labbuilder makes it 0755
        if not mode & 0o001:
            return part
    return None


def _env() -> dict[str, str]:
    env = {**os.environ, **ENV}
    if not env.get("VAGRANT_HOME"):
        try:
            HOME.mkdir(mode=0o755, parents=True, exist_ok=True)
        except OSError as err:
            raise ToolError(
                f"cannot create Vagrant's home {HOME} ({err.strerror}): run as root, or set "
                "VAGRANT_HOME to a directory the QEMU user can traverse"
            ) from None
        env["VAGRANT_HOME"] = str(HOME)
    return env


def _failure(what: str, err: subprocess.CalledProcessError) -> ToolError:
    out = err.output.decode() if isinstance(err.output, bytes) else (err.output or "")
    return shell.failure(f"vagrant {what}", err.returncode, str(out))


class Vagrant:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.v = vagrant.Vagrant(root=str(root), env=_env(), quiet_stdout=True, quiet_stderr=True)

    def status(self) -> list[Machine]:
        try:
            found = self.v.status()
        except subprocess.CalledProcessError as err:
            raise _failure("status", err) from None
        if not found:
            raise ToolError(
                f"vagrant status in {self.root} returned no machines: check the Vagrantfile"
            )
        return [Machine(s.name, s.state) for s in found]

    def up(self, names: list[str], on_line: Callable[[str], None]) -> None:
        """Bring up ``names`` (in parallel where the provider allows it), streaming output."""
        try:
            lines: Iterator[str] = self._up_stream(names)
            for line in lines:
                on_line(line.rstrip("\n"))
        except subprocess.CalledProcessError as err:
            raise _failure("up", err) from None

    def _up_stream(self, names: list[str]) -> Iterator[str]:
        cmd = self.v._make_vagrant_command(
            ["up", *names, "--provider", "libvirt", "--no-provision"]
        )
        proc = subprocess.Popen(
            cmd,
            cwd=self.root,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            bufsize=1,
        )
        assert proc.stdout is not None
        tail: list[str] = []
        with proc:
            for line in proc.stdout:
                tail.append(line)
                yield line
        if proc.returncode != 0:
            raise subprocess.CalledProcessError(proc.returncode, cmd, output="".join(tail))

    def destroy(self, name: str | None = None) -> None:
        try:
            self.v.destroy(vm_name=name)
        except subprocess.CalledProcessError as err:
            raise _failure("destroy", err) from None

    def run(self, name: str, command: str) -> str | None:
        """Output of ``command`` on ``name`` over ``vagrant ssh``; None when it fails."""
        try:
            return str(self.v.ssh(vm_name=name, command=command))
        except subprocess.CalledProcessError:
            return None

    def ssh_config(self, name: str) -> str:
        try:
            text = str(self.v.ssh_config(vm_name=name))
        except subprocess.CalledProcessError as err:
            raise _failure(f"ssh-config {name}", err) from None
        if "HostName" not in text:
            raise ToolError(f"vagrant ssh-config {name} gave no address: is the VM running?")
        return text

    def validate(self) -> None:
        try:
            self.v.validate(str(self.root))
        except subprocess.CalledProcessError as err:
            raise _failure("validate", err) from None


def boxes() -> dict[str, str]:
    """Installed boxes, name -> provider list (as vagrant reports them)."""
    v = vagrant.Vagrant(env=_env(), quiet_stdout=True, quiet_stderr=True)
    try:
        return {b.name: str(b.provider) for b in v.box_list()}
    except subprocess.CalledProcessError as err:
        raise _failure("box list", err) from None


def box_add(name: str, url: str) -> None:
    v = vagrant.Vagrant(env=_env(), quiet_stdout=True, quiet_stderr=False)
    try:
        v.box_add(name, url, provider="libvirt", force=True)
    except subprocess.CalledProcessError as err:
        raise _failure(f"box add {name}", err) from None


def version() -> str | None:
    try:
        return str(vagrant.Vagrant(env=_env()).version())
    except (OSError, subprocess.CalledProcessError):
        return None


def plugins() -> dict[str, str]:
    v = vagrant.Vagrant(env=_env(), quiet_stdout=True, quiet_stderr=True)
    try:
        return {p.name: str(p.version) for p in v.plugin_list()}
    except (OSError, subprocess.CalledProcessError):
        return {}
