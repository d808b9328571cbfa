"""Vagrant adapter: the only module that imports python-vagrant (``vagrant``).

``vagrant up`` runs through ``shell.run`` like every other process labbuilder starts, its
output streamed line by line and parsed here into plain events (a machine's step, an error
line) for the caller. python-vagrant runs the short read and destroy calls (status,
ssh-config, ssh, destroy, box and plugin lists): it raises ``CalledProcessError`` when vagrant
exits non-zero and ``RuntimeError`` when vagrant is not on PATH, and an empty or odd answer
is no error to it, so its results are checked here.
"""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import vagrant

from labbuilder.adapters import shell
from labbuilder.errors import ToolError

LINE = re.compile(r"^==> (?P<node>[A-Za-z0-9._-]+): (?P<message>.*)$")
ENV = {"VAGRANT_CHECKPOINT_DISABLE": "1", "VAGRANT_DEFAULT_PROVIDER": "libvirt"}
Failed = (subprocess.CalledProcessError, RuntimeError)
"""What python-vagrant raises: vagrant exited non-zero, or is not on PATH."""


@dataclass(frozen=True)
class Machine:
    name: str
    state: str


@dataclass(frozen=True)
class MachineStep:
    """One step vagrant reports for one machine while bringing it up."""

    node: str
    message: str


def parse_vagrant_line(line: str) -> MachineStep | None:
    """``==> compute1: Creating domain...`` -> MachineStep("compute1", "Creating domain...")."""
    m = LINE.match(line.strip())
    return MachineStep(m["node"], m["message"].strip()) if m else None


def is_error_line(line: str) -> bool:
    """A line of ``vagrant up`` output that reports an error (shown as it comes)."""
    return "rror" in line


def up_argv(names: list[str]) -> list[str]:
    return ["vagrant", "up", *names, "--provider", "libvirt", "--no-provision"]


def parse_version(text: str) -> str | None:
    """``Vagrant 2.3.4`` -> ``2.3.4``; None for anything else."""
    m = re.search(r"^Vagrant (\S+)$", text.strip(), re.M)
    return m[1] if m else None


#: Vagrant's home (boxes, its key) when ``VAGRANT_HOME`` is not set. Not root's ~/.vagrant.d:
#: QEMU runs as its own user and cannot traverse a 0700 /root to reach what a box ships
#: (the test box boots a kernel from its box directory).
HOME = Path("/var/lib/labbuilder/vagrant.d")


def home() -> Path:
    """The Vagrant home labbuilder runs Vagrant with: ``VAGRANT_HOME``, else ``HOME``."""
    return Path(os.environ.get("VAGRANT_HOME") or HOME)


def _escaped(box: str) -> str:
    """A box name as Vagrant writes it in its box directory (and vagrant-libvirt in volumes)."""
    return box.replace("/", "-VAGRANTSLASH-")


def box_volume_prefix(box: str) -> str:
    """How vagrant-libvirt's names of a box's base volumes begin, for every version and copy."""
    return _escaped(box) + "_vagrant_box_image"


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in re.split(r"[.-]", version))


def box_volumes(name: str, vagrant_home: Path | None = None) -> list[str] | None:
    """The pool volumes vagrant-libvirt makes from box ``name`` as installed in the Vagrant
    home (its highest version, which an unpinned Vagrantfile boots); None when it is not
    installed there or its metadata cannot be read.

    vagrant-libvirt 0.11 (``HandleBoxImage.get_volume_name``): ``<name with / as
    -VAGRANTSLASH->_vagrant_box_image_<version>_<disk>.img``, the version of an unversioned
    box (``0``) written ``0_<mtime of the image>``; disk ``box`` for a v1 box (``box.img``),
    else each of ``disks`` by its ``name``, or its ``path`` without the extension.
    """
    installed = (vagrant_home or home()) / "boxes" / _escaped(name)
    found = [
        (_version_key(d.name), d.name, meta.parent)
        for d in installed.glob("*")
        for meta in (*d.glob("libvirt/metadata.json"), *d.glob("*/libvirt/metadata.json"))
    ]
    if not found:
        return None
    _, version, box_dir = max(found)
    try:
        disks = json.loads((box_dir / "metadata.json").read_text()).get("disks") or []
        images = (
            [("box", box_dir / "box.img")]
            if not disks
            else [
                (d.get("name") or str(Path(d["path"]).with_suffix("")), box_dir / d["path"])
                for d in disks
            ]
        )
        stamps = [
            f"0_{int(path.stat().st_mtime)}" if version == "0" else version for _, path in images
        ]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return [
        f"{box_volume_prefix(name)}_{stamp}_{disk.replace('/', '-SLASH-')}.img"
        for (disk, _), stamp in zip(images, stamps, strict=True)
    ]


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


def _failure(what: str, err: Exception) -> ToolError:
    if not isinstance(err, subprocess.CalledProcessError):
        return ToolError(f"vagrant {what} failed ({err}): install Vagrant or put it on PATH")
    out = err.output.decode() if isinstance(err.output, bytes) else (err.output or "")
    return shell.failure(f"vagrant {what}", err.returncode, str(out))


class Vagrant:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.v = vagrant.Vagrant(root=str(root), env=_env(), quiet_stdout=True, quiet_stderr=True)

    def status(self) -> list[Machine]:
        try:
            found = self.v.status()
        except Failed as err:
            raise _failure("status", err) from None
        if not found:
            raise ToolError(
                f"vagrant status in {self.root} returned no machines: check the Vagrantfile"
            )
        return [Machine(s.name, s.state) for s in found]

    def up(
        self,
        names: list[str],
        on_step: Callable[[str, str], None],
        on_error: Callable[[str], None],
    ) -> None:
        """Bring up ``names`` (in parallel where the provider allows it). Each machine's step
        goes to ``on_step(node, message)`` and each error line to ``on_error`` as it comes;
        the rest of the output (download progress, settings) is dropped."""

        def on_line(line: str) -> None:
            step = parse_vagrant_line(line)
            if step is not None:
                on_step(step.node, step.message)
            elif is_error_line(line):
                on_error(line.strip())

        done = shell.run(up_argv(names), cwd=self.root, env=_env(), check=False, on_line=on_line)
        if done.rc != 0:
            raise shell.failure(f"vagrant up {' '.join(names)}", done.rc, done.output)

    def box_volumes(self, box: str) -> list[str] | None:
        """See the module's ``box_volumes``: the base volumes of ``box`` as installed."""
        return box_volumes(box)

    def destroy(self, name: str | None = None) -> None:
        try:
            self.v.destroy(vm_name=name)
        except Failed as err:
            raise _failure("destroy", err) from None

    def run(self, name: str, command: str) -> str | None:
        """Output of ``command`` on ``name`` over ``vagrant ssh``; None when it fails."""
        try:
            return str(self.v.ssh(vm_name=name, command=command))
        except Failed:
            return None

    def ssh_config(self, name: str) -> str:
        try:
            text = str(self.v.ssh_config(vm_name=name))
        except Failed as err:
            raise _failure(f"ssh-config {name}", err) from None
        if "HostName" not in text:
            raise ToolError(f"vagrant ssh-config {name} gave no address: is the VM running?")
        return text

    def ssh_configs(self, names: list[str]) -> str:
        """``vagrant ssh-config`` of every machine in one run (one Vagrant start, not one each)."""
        try:
            text = str(self.v.ssh_config())
        except Failed as err:
            raise _failure("ssh-config", err) from None
        hosts = {line.split()[1] for line in text.splitlines() if line.startswith("Host ")}
        missing = [n for n in names if n not in hosts]
        if missing or "HostName" not in text:
            raise ToolError(f"vagrant ssh-config gave no address for {', '.join(missing)}")
        return text


def boxes() -> dict[str, str]:
    """Installed boxes, name -> provider list (as vagrant reports them). Asked once per process
    and Vagrant home (each `vagrant` start costs seconds); ``box_add`` forgets the answer."""
    return dict(_boxes(os.environ.get("VAGRANT_HOME", "")))


@functools.cache
def _boxes(_vagrant_home: str) -> dict[str, str]:
    v = vagrant.Vagrant(env=_env(), quiet_stdout=True, quiet_stderr=True)
    try:
        return {b.name: str(b.provider) for b in v.box_list()}
    except Failed as err:
        raise _failure("box list", err) from None


def box_add(name: str, url: str) -> None:
    _boxes.cache_clear()
    v = vagrant.Vagrant(env=_env(), quiet_stdout=True, quiet_stderr=False)
    try:
        v.box_add(name, url, provider="libvirt", force=True)
    except Failed as err:
        raise _failure(f"box add {name}", err) from None


def version() -> str | None:
    """Vagrant's version; None when vagrant is missing or does not answer with one."""
    try:
        answer = shell.run(["vagrant", "--version"], env=_env(), check=False, timeout=60)
    except ToolError:
        return None
    return parse_version(answer.stdout) if answer.rc == 0 else None


def plugins() -> dict[str, str]:
    v = vagrant.Vagrant(env=_env(), quiet_stdout=True, quiet_stderr=True)
    try:
        return {p.name: str(p.version) for p in v.plugin_list()}
    except (OSError, *Failed):
        return {}
