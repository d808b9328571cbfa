"""What a bug bundle takes from each node, over the lab's ssh-config, each command bounded in
time. ``COMMANDS`` is plain data; ``collect`` runs them and says what it could not get."""

from __future__ import annotations

import base64
import io
import shlex
import tarfile
from dataclasses import dataclass
from pathlib import Path

from labbuilder.adapters import shell
from labbuilder.adapters.ssh import Remote
from labbuilder.errors import ToolError

SERVICES = (
    *("nova", "neutron", "keystone", "glance", "cinder", "swift", "heat", "ceilometer"),
    *("gnocchi", "aodh", "placement", "openvswitch", "httpd", "rabbitmq", "mariadb", "my.cnf.d"),
)
FILES = (
    *(f"/etc/{s}" for s in SERVICES),
    *(f"/var/log/{s}" for s in SERVICES),
    "/var/tmp/packstack",  # noqa: S108 - on the node: Packstack's run directories: manifests, logs, hieradata
)
PROBE_TIMEOUT = 30.0


@dataclass(frozen=True)
class Command:
    file: str
    command: str
    timeout: float = 60.0


COMMANDS = (
    Command("packages.txt", "(rpm -qa || dpkg-query -W) 2>/dev/null | sort"),
    Command("journal.txt", "journalctl --no-pager -b -n 50000 2>&1", 120.0),
    Command("units.txt", "systemctl list-units --all --no-pager --plain 2>&1"),
    Command("ovs-show.txt", "ovs-vsctl show 2>&1"),
    Command(
        "ovs-flows.txt",
        'for b in $(ovs-vsctl list-br 2>/dev/null); do echo "== $b"; ovs-ofctl dump-flows $b; done',
    ),
    Command("ip-addr.txt", "ip addr 2>&1"),
    Command("ip-route.txt", "ip route 2>&1; ip -6 route 2>&1"),
    Command(
        "netns.txt",
        "for ns in $(ip netns list | cut -d' ' -f1); do echo \"== $ns\";"
        " ip netns exec $ns ip addr; ip netns exec $ns ip route; done 2>&1",
    ),
    Command("sockets.txt", "ss -tulpn 2>&1"),
    Command("disk-memory.txt", "df -h 2>&1; echo; free -m 2>&1; echo; uptime 2>&1"),
)


def files_command(paths: tuple[str, ...] = FILES) -> str:
    """A gzipped tar of those of ``paths`` that exist, base64 on one line (empty if none)."""
    listed = " ".join(shlex.quote(p) for p in paths)
    return (
        f"set -- $(ls -d {listed} 2>/dev/null); [ $# -eq 0 ] && exit 0; "
        'tar --warning=no-file-changed -czf - "$@" 2>/dev/null | base64 -w0'
    )


def reachable(remote: Remote, node: str) -> str | None:
    """None when the node answers SSH, else why not (one try, no retries)."""
    try:
        out = shell.run(remote.ssh_argv(node, "true"), check=False, timeout=PROBE_TIMEOUT)
    except ToolError as err:
        return err.message
    if out.rc == 0:
        return None
    return (out.stderr.strip().splitlines() or [f"ssh exit {out.rc}"])[-1]


def unpack(encoded: str, dest: Path) -> int:
    """Extract a ``files_command`` answer under ``dest``; the number of files."""
    if not encoded.strip():
        return 0
    data = base64.b64decode(encoded.strip())
    root = dest.resolve()
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        members = [m for m in tar.getmembers() if m.isfile() or m.isdir()]
        for member in members:
            target = (root / member.name).resolve()
            if target != root and root not in target.parents:
                raise tarfile.TarError(f"{member.name} would land outside {dest}")
        if hasattr(tarfile, "data_filter"):
            tar.extractall(dest, members=members, filter="data")
        else:  # Python before 3.11.4 (Debian 12's own 3.11.2) has no extraction filters
            for member in members:
                member.mode &= 0o755  # what the data filter does to files and directories
            tar.extractall(dest, members=members)  # noqa: S202 (paths checked above)
    return sum(1 for m in members if m.isfile())


def collect(remote: Remote, node: str, dest: Path) -> list[str]:
    """Everything of ``COMMANDS`` and ``FILES`` into ``dest``; what could not be collected."""
    why = reachable(remote, node)
    if why is not None:
        return [f"{node}: nothing collected: SSH failed ({why})"]
    dest.mkdir(parents=True, exist_ok=True)
    missing = []
    for cmd in COMMANDS:
        try:
            out = remote.run(node, cmd.command, sudo=True, check=False, timeout=cmd.timeout)
        except ToolError as err:
            missing.append(f"{node}: {cmd.file}: {err.message}")
            continue
        (dest / cmd.file).write_text(out.stdout, encoding="utf-8")
        if out.rc != 0 and not out.stdout.strip():
            missing.append(f"{node}: {cmd.file}: exit {out.rc}")
    try:
        out = remote.run(node, files_command(), sudo=True, check=False, timeout=600)
        count = unpack(out.stdout, dest / "files")
        if count == 0:
            missing.append(f"{node}: no OpenStack /etc, /var/log or Packstack files found")
    except (ToolError, tarfile.TarError, ValueError) as err:
        missing.append(f"{node}: service files: {err}")
    return missing
