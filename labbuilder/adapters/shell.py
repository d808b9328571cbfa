"""The one place labbuilder starts local processes (vagrant CLI extras, ssh, scp, scripts)."""

from __future__ import annotations

import os
import subprocess
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


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


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
        raise ToolError(
            f"{name} failed (exit {result.rc}): {_last_line(result.stderr or result.stdout)}"
        )
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
