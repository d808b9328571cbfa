"""``run``: how labbuilder starts a local process (ssh, scp, ``vagrant up``, ``vagrant
--version``, scripts, pytest for ``invoke verify``), captured, or streamed line by line.

Processes that libraries start for us do not come through here: python-vagrant's own calls
(status, ssh-config, ssh, destroy, box and plugin lists, in ``adapters/vagrant.py``),
testinfra's SSH sessions in the verify suites, and invoke's ``c.run`` in ``tasks.py``.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from labbuilder.errors import ToolError


@dataclass(frozen=True)
class Result:
    argv: tuple[str, ...]
    rc: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        """stdout then stderr (once, when they were streamed merged)."""
        return self.stdout if self.stdout == self.stderr else self.stdout + self.stderr


#: A Ruby backtrace frame (``\tfrom /path/x.rb:12:in `m'``) or a Python traceback line.
_FRAME = re.compile(r"^\s*(from \S+:\d+:in |File \"[^\"]+\", line \d+|Traceback \(most recent)")
#: The head of an uncaught Ruby exception: ``/path/x.rb:7:in `m': MESSAGE (Class)``.
_RUBY_RAISE = re.compile(r"^\S+\.rb:\d+:in `[^']*': (?P<message>.+?)(?: \([A-Z][\w:]*\))?$")
_CAUSE = re.compile(
    r"error|fail|denied|cannot|can't|could not|unable|not found|no such|refused|invalid|"
    r"timed out|not permitted|permission",
    re.IGNORECASE,
)
SHOWN_CAUSE = 300


def cause_line(text: str) -> str:
    """The line of a failed command's output that names the cause.

    Ruby and Python backtrace frames are skipped and an uncaught Ruby exception is reduced to
    its message; of the rest, the last line that reads like an error wins, else the last line.
    """
    lines = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or _FRAME.match(raw):
            continue
        m = _RUBY_RAISE.match(line)
        lines.append(m["message"] if m else line)
    if not lines:
        return "no output"
    causes = [line for line in lines if _CAUSE.search(line)]
    chosen = (causes or lines)[-1]
    return chosen if len(chosen) <= SHOWN_CAUSE else chosen[: SHOWN_CAUSE - 3] + "..."


def failure(what: str, rc: int, output: str, tool: str = "") -> ToolError:
    """The error for a failed outside command: its cause line, and, when the output says more
    than that line, the whole output kept in a log file (mode 0600: it may hold passwords)
    whose path the message gives. ``tool`` names the log file (default: ``what``'s first word).
    """
    cause = cause_line(output)
    message = f"{what} failed (exit {rc}): {cause}"
    if len([line for line in output.splitlines() if line.strip()]) <= 1:
        return ToolError(message)
    name = re.sub(r"[^A-Za-z0-9_.-]", "", tool or what.split()[0]) or "tool"
    fd, path = tempfile.mkstemp(prefix=f"labbuilder-{name}-", suffix=".log")
    with os.fdopen(fd, "w", encoding="utf-8") as log:
        log.write(output)
    return ToolError(f"{message} (full output: {path})")


def run(
    argv: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    check: bool = True,
    input_text: str | None = None,
    on_line: Callable[[str], None] | None = None,
) -> Result:
    """Run ``argv``; with ``on_line`` stream merged output line by line as it comes."""
    full_env = {**os.environ, **(env or {})}
    name = Path(argv[0]).name
    try:
        if on_line is None:
            proc = subprocess.run(
                list(argv),
                cwd=cwd,
                env=full_env,
                timeout=timeout,
                capture_output=True,
                text=True,
                input=input_text,
                check=False,
            )
            result = Result(tuple(argv), proc.returncode, proc.stdout, proc.stderr)
        else:
            result = _stream(argv, cwd, full_env, timeout, on_line)
    except FileNotFoundError:
        raise ToolError(f"{name} is not installed or not on PATH: install it first") from None
    except subprocess.TimeoutExpired:
        raise ToolError(f"{name} did not finish within {timeout:.0f} s: {' '.join(argv)}") from None
    if check and result.rc != 0:
        raise failure(name, result.rc, result.output)
    return result


def _stream(
    argv: Sequence[str],
    cwd: Path | None,
    env: Mapping[str, str],
    timeout: float | None,
    on_line: Callable[[str], None],
) -> Result:
    lines: list[str] = []
    with subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        bufsize=1,
    ) as proc:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.rstrip("\n")
            lines.append(line)
            on_line(line)
        rc = proc.wait(timeout=timeout)
    text = "\n".join(lines)
    return Result(tuple(argv), rc, text, text)


def spawn(argv: Sequence[str], log: Path) -> int:
    """Start ``argv`` in the background, in its own session (it outlives labbuilder, and a ^C
    in the terminal does not reach it), output appended to ``log``; its PID."""
    name = Path(argv[0]).name
    try:
        with log.open("ab") as out:
            proc = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
    except FileNotFoundError:
        raise ToolError(f"{name} is not installed or not on PATH: install it first") from None
    proc.returncode = 0  # never waited for here: no warning that it still runs
    return proc.pid


def is_running(pid: int, argv: Sequence[str]) -> bool:
    """True when process ``pid`` runs ``argv`` (a PID taken by another process after a reboot
    is not ours): the same arguments after the program, which is named among the words before
    them (a script's interpreter comes first)."""
    if not alive(pid):
        return False
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    words = [w.decode(errors="replace") for w in raw.split(b"\0")[:-1]]
    args = list(argv[1:])
    head = words[: len(words) - len(args)]
    program = Path(argv[0]).name
    return words[len(head) :] == args and any(Path(w).name == program for w in head)


def alive(pid: int) -> bool:
    """The process exists and has not exited (a zombie has, and has closed all its files)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return False


def end(pid: int, argv: Sequence[str], timeout: float = 5.0) -> bool:
    """Stop process ``pid`` (SIGTERM) if it still runs ``argv``; True when it did."""
    if not is_running(pid, argv):
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # an exited child of this process: reaped
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)  # until it has closed its files (its listening sockets)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped when this process started it
    return True
