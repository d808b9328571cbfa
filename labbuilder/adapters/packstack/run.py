"""How a detached Packstack run on the controller is started, found again and polled: the
shell it runs and the parsing of what comes back. Pure; ``stages.deploy`` does the I/O."""

from __future__ import annotations

import base64
import binascii
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass

from labbuilder.errors import ConfigError, ToolError

UNIT_PREFIX = "labbuilder-packstack-"
BASE_ENV = {"TERM": "dumb", "PYTHONUNBUFFERED": "1", "HOME": "/root"}
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_STATUS = re.compile(r"^status alive=(?P<alive>[01]) rc=(?P<rc>-?\d*) size=(?P<size>\d+)$")
_HANDLE = re.compile(r"^(?P<number>\d+) (?P<kind>unit|pid) (?P<value>[\w.@-]+)$")


@dataclass(frozen=True)
class RunFiles:
    """Where a run lives on the controller."""

    work: str = "/root/labbuilder"

    @property
    def answers(self) -> str:
        return f"{self.work}/answers.txt"

    @property
    def output(self) -> str:
        return f"{self.work}/packstack.out"

    @property
    def exit_code(self) -> str:
        return f"{self.work}/packstack.rc"

    @property
    def handle(self) -> str:
        return f"{self.work}/packstack.run"


FILES = RunFiles()


@dataclass(frozen=True)
class Handle:
    """A started run: its number and its systemd unit or (without systemd) its process id."""

    number: int
    kind: str
    value: str

    def describe(self) -> str:
        return f"unit {self.value}" if self.kind == "unit" else f"pid {self.value}"


@dataclass(frozen=True)
class Poll:
    """One look at the run: is it alive, its exit code once written, output from the offset."""

    alive: bool
    rc: int | None
    data: bytes


def packstack_command(env: Mapping[str, str], files: RunFiles = FILES) -> str:
    merged = {**BASE_ENV, **env}
    bad = [name for name in merged if not _ENV_NAME.match(name)]
    if bad:
        raise ConfigError(f"environment name {bad[0]!r} is not valid: use letters, digits and _")
    pairs = [f"{name}={shlex.quote(value)}" for name, value in merged.items()]
    return f"env {' '.join(pairs)} packstack --answer-file={shlex.quote(files.answers)}"


def start_script(number: int, env: Mapping[str, str], files: RunFiles = FILES) -> str:
    """Start Packstack detached (as root); prints the run's handle line."""
    out, rc = shlex.quote(files.output), shlex.quote(files.exit_code)
    wrapper = shlex.quote(
        f"{packstack_command(env, files)} >{out} 2>&1; echo $? >{rc}.tmp && mv {rc}.tmp {rc}"
    )
    unit = f"{UNIT_PREFIX}{number}"
    run = shlex.quote(files.handle)
    return "\n".join(
        [
            "set -eu",
            f"cd {shlex.quote(files.work)}",
            f"rm -f {rc} && : >{out}",
            "if [ -d /run/systemd/system ] && command -v systemd-run >/dev/null; then",
            f"  systemd-run --quiet --collect --unit={unit} -- bash -c {wrapper}",
            f'  echo "{number} unit {unit}" >{run}',
            "else",
            f"  setsid nohup bash -c {wrapper} </dev/null >/dev/null 2>&1 &",
            f'  echo "{number} pid $!" >{run}',
            "fi",
            f"cat {run}",
        ]
    )


def status_script(handle: Handle, offset: int | None, files: RunFiles = FILES) -> str:
    """Alive first, then the exit code (a run that is gone and left none was killed), then
    the output from byte ``offset`` on, base64 (none for ``offset=None``).

    A run that looks gone is asked again a second later: while the detached process execs
    (setsid, nohup, bash) its ``/proc/PID/cmdline`` reads empty for an instant."""
    if handle.kind == "unit":
        alive = f"systemctl is-active --quiet {shlex.quote(handle.value)}"
    else:
        alive = f"grep -qs packstack /proc/{int(handle.value)}/cmdline"
    out = shlex.quote(files.output)
    lines = [
        f"if {alive} || {{ sleep 1; {alive}; }}; then alive=1; else alive=0; fi",
        f"rc=$(cat {shlex.quote(files.exit_code)} 2>/dev/null || true)",
        f"size=$(stat -c %s {out} 2>/dev/null || echo 0)",
        'echo "status alive=$alive rc=$rc size=$size"',
    ]
    if offset is not None:
        lines += [
            f'if [ "$size" -gt {offset} ]; then',
            f"  tail -c +{offset + 1} {out} | head -c $((size - {offset})) | base64 -w0",
            "fi",
        ]
    return "\n".join([*lines, "echo"])


def parse_handle(text: str) -> Handle | None:
    lines = text.strip().splitlines()
    match = _HANDLE.match(lines[-1].strip()) if lines else None
    return Handle(int(match["number"]), match["kind"], match["value"]) if match else None


def parse_poll(text: str) -> Poll:
    """Read ``status_script``'s answer; an unreadable one counts as a failed SSH call."""
    head, _, body = text.partition("\n")
    match = _STATUS.match(head.strip())
    try:
        data = base64.b64decode(body.strip(), validate=True)
    except binascii.Error:
        match = None
    if match is None:
        raise ToolError(f"unexpected answer to the status poll: {head.strip()[:80]!r}")
    rc = int(match["rc"]) if match["rc"] else None
    return Poll(match["alive"] == "1", rc, data)
