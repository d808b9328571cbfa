"""Commands and files on the lab's nodes over OpenSSH, using the lab's ``ssh-config``.

Everything goes through ``shell.run``; nodes are addressed by their name in that config.
"""

from __future__ import annotations

import shlex
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from labbuilder.adapters import shell
from labbuilder.errors import ToolError

SSH_OPTIONS = ("-o", "BatchMode=yes", "-o", "ConnectTimeout=15", "-o", "LogLevel=ERROR")
SSH_FAILED = 255
CONNECT_ATTEMPTS = 5
CONNECT_DELAY = 3.0
UNREACHABLE = (
    "Connection refused",
    "Connection timed out",
    "Connection reset",
    "No route to host",
    "Connection closed by remote host",
)


def unreachable(stderr: str) -> bool:
    """ssh could not reach the node at all (as opposed to the command failing)."""
    return any(text in stderr for text in UNREACHABLE)


@dataclass(frozen=True)
class Remote:
    ssh_config: Path
    connect_delay: float = CONNECT_DELAY
    """Seconds before the second try when the node could not be reached (then twice that...)."""

    def ssh_argv(self, node: str, command: str) -> list[str]:
        return ["ssh", "-F", str(self.ssh_config), *SSH_OPTIONS, node, command]

    def forward_argv(self, node: str, host_port: int, node_port: int) -> list[str]:
        """A tunnel from every address of this host, port ``host_port``, to ``node``'s own
        ``node_port``; it exits when it cannot listen or the node stops answering (45 s)."""
        keep = ["-o", "ExitOnForwardFailure=yes", "-o", "ServerAliveInterval=15"]
        keep += ["-o", "ServerAliveCountMax=3"]
        listen = f"0.0.0.0:{host_port}:127.0.0.1:{node_port}"
        return ["ssh", "-F", str(self.ssh_config), *SSH_OPTIONS, *keep, "-N", "-L", listen, node]

    def run(
        self,
        node: str,
        command: str,
        *,
        sudo: bool = False,
        check: bool = True,
        timeout: float = 600,
        input_text: str | None = None,
        on_line: Callable[[str], None] | None = None,
    ) -> shell.Result:
        remote = f"sudo -n bash -c {shlex.quote(command)}" if sudo else command
        for attempt in range(CONNECT_ATTEMPTS):
            try:
                result = shell.run(
                    self.ssh_argv(node, remote),
                    check=False,
                    timeout=timeout,
                    input_text=input_text,
                    on_line=on_line,
                )
            except ToolError as err:
                raise ToolError(f"on {node}: {err.message}") from None
            if not (result.rc == SSH_FAILED and unreachable(result.stderr)):
                break
            time.sleep(self.connect_delay * (attempt + 1))  # sshd reloading, or the NIC moving
        if check and result.rc != 0:
            raise shell.failure(f"on {node}: `{command[:60]}`", result.rc, result.output, "ssh")
        return result

    def script(
        self, node: str, path: str, args: Sequence[str], *, timeout: float = 1800
    ) -> shell.Result:
        """Run a provisioning script already copied to the node, as root."""
        return self.run(node, shlex.join(["bash", path, *args]), sudo=True, timeout=timeout)

    def put_dir(self, node: str, local: Path, remote: str) -> None:
        """Copy ``local`` to ``remote`` on the node (replacing it), owned by root."""
        staging = f".labbuilder-{local.name}"  # in the login user's home
        self.run(node, f"rm -rf {shlex.quote(staging)}")
        shell.run(
            [
                "scp",
                "-F",
                str(self.ssh_config),
                *SSH_OPTIONS,
                "-q",
                "-r",
                str(local),
                f"{node}:{staging}",
            ],
            timeout=300,
        )
        dest = shlex.quote(remote)
        self.run(
            node,
            f"rm -rf {dest} && mkdir -p $(dirname {dest}) && mv {shlex.quote(staging)} "
            f"{dest} && chown -R root:root {dest}",
            sudo=True,
        )

    def put_file(self, node: str, text: str, remote: str, mode: str = "0600") -> None:
        dest = shlex.quote(remote)
        self.run(
            node,
            f"umask 077; mkdir -p $(dirname {dest}); cat > {dest}.tmp && "
            f"chmod {mode} {dest}.tmp && mv {dest}.tmp {dest}",
            sudo=True,
            input_text=text,
        )

    def fetch_dir(self, node: str, remote: str, local: Path) -> None:
        """Copy the node's ``remote`` directory (read as root) into ``local``."""
        local.mkdir(parents=True, exist_ok=True)
        tar = self.run(
            node, f"tar -C {shlex.quote(remote)} -cf - . | base64 -w0", sudo=True, timeout=600
        )
        shell.run(
            ["bash", "-c", f"base64 -d | tar -C {shlex.quote(str(local))} -xf -"],
            input_text=tar.stdout,
        )


def shared_connections(ssh_config: Path, control_dir: Path) -> Path:
    """The lab's ssh-config with one shared connection per node (each command then costs no
    new handshake); the masters end by themselves once idle."""
    control_dir.mkdir(mode=0o700)
    path = control_dir / "ssh-config"
    path.write_text(
        f"Host *\n  ControlMaster auto\n  ControlPath {control_dir}/%C\n  ControlPersist 20s\n\n"
        + ssh_config.read_text(encoding="utf-8")
    )
    return path


@contextmanager
def sharing(remote: Remote) -> Iterator[Remote]:
    """``remote`` with one shared connection per node while the block runs (a fresh set of
    masters each time: none outlives a revert to talk to a guest that forgot it)."""
    with tempfile.TemporaryDirectory(prefix="labbuilder-ssh-") as tmp:
        yield replace(remote, ssh_config=shared_connections(remote.ssh_config, Path(tmp) / "mux"))


def new_keypair(path: Path, comment: str) -> str:
    """A fresh passphrase-less ed25519 key at ``path`` (any old one replaced); its public line."""
    path.unlink(missing_ok=True)
    path.with_suffix(".pub").unlink(missing_ok=True)
    shell.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)])
    return path.with_suffix(".pub").read_text(encoding="utf-8").strip()
