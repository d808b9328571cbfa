"""Packstack answer files as text: read them the way Packstack does, refuse what it would misread.

Packstack reads the file with ``configparser.RawConfigParser``: no interpolation (``%`` is
literal), no inline comments (``KEY=a # b`` has the value ``a # b``), whitespace around the
value is stripped, an indented line continues the previous value, and a repeated key aborts
the run. Keys must be upper case here although configparser would fold them, so that a file
means the same thing to every reader.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from labbuilder.errors import AnswerFileError

#: Every Packstack key is CONFIG_*, except EXCLUDE_SERVERS (hosts a re-run skips).
KEY_PATTERN = re.compile(r"CONFIG_[A-Z0-9_]+|EXCLUDE_SERVERS")
SECTION = "general"

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One finding about one key; ``message`` is a single line that starts with the key.

    ``ignored``: a warning that Packstack would ignore the key in this configuration."""

    key: str
    message: str
    severity: Severity = "error"
    ignored: bool = False


def value_error(value: str) -> str | None:
    """Why ``KEY=value`` on one INI line would not read back as ``value``, or None if it would."""
    if "\0" in value:
        return "contains a NUL character"
    if "\n" in value or "\r" in value:
        return "spans more than one line"
    if value != value.strip():
        return "starts or ends with whitespace, which Packstack strips"
    return None


def format_value_ok(value: str) -> bool:
    """Whether ``value`` can be written as ``KEY=value`` and read back unchanged."""
    return value_error(value) is None


def _key_error(key: str) -> str | None:
    if KEY_PATTERN.fullmatch(key):
        return None
    if KEY_PATTERN.fullmatch(key.upper()):
        return f"key {key!r} is not upper case - write it as {key.upper()}"
    return f"{key!r} is not a Packstack key (CONFIG_[A-Z0-9_]+) - fix the name"


@dataclass
class _ParseState:
    """What the lines read so far have set up."""

    answers: dict[str, str]
    first_line: dict[str, int]
    section_line: int = 0


def _line_error(line: str, state: _ParseState) -> str | None:
    stripped = line.strip()
    if "\0" in line:
        return "NUL character - remove it"
    if line[0].isspace():
        return "indented line; Packstack would append it to the previous value - unindent it"
    if stripped.startswith("["):
        if stripped != f"[{SECTION}]":
            return f"section {stripped} is not read by Packstack - use only [{SECTION}]"
        if state.section_line:
            return f"second [{SECTION}] (first on line {state.section_line}) - keep one"
        if state.first_line:
            return f"[{SECTION}] after the first key - move it to the top"
        return None
    key, sep, _ = stripped.partition("=")
    key = key.strip()
    if not sep:
        return f"expected KEY=VALUE, got {stripped[:40]!r} - fix or comment out the line"
    bad_key = _key_error(key)
    if bad_key:
        return bad_key
    if key in state.first_line:
        return f"duplicate key {key} (first on line {state.first_line[key]}) - keep one"
    return None


def parse(text: str, source: str) -> dict[str, str]:
    """Read answer-file ``text`` into ``{key: value}`` in file order.

    Raises AnswerFileError naming ``source:line`` for every malformed line, duplicate key or
    key outside ``KEY_PATTERN``. The ``[general]`` header is optional.
    """
    state = _ParseState(answers={}, first_line={})
    errors: list[str] = []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        error = _line_error(line, state)
        if error:
            errors.append(f"{source}:{number}: {error}")
        elif stripped.startswith("["):
            state.section_line = number
        else:
            key, _, value = stripped.partition("=")
            state.first_line[key.strip()] = number
            state.answers[key.strip()] = value.strip()
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise AnswerFileError(errors[0] + more, problems=errors)
    return state.answers


def parse_assignment(text: str) -> tuple[str, str]:
    """Split a ``--set CONFIG_KEY=VALUE`` flag; the value must be writable as it is."""
    key, sep, value = text.partition("=")
    key = key.strip()
    error = _key_error(key) if sep else "missing '='"
    if error is None:
        reason = value_error(value)
        error = f"value {reason}" if reason else None
    if error:
        raise AnswerFileError(f"--set {text!r}: {error} - use --set CONFIG_KEY=VALUE")
    return key, value


def raise_for(problems: Sequence[Problem], source: str) -> None:
    """Raise AnswerFileError if any problem is an error; warnings alone pass.

    The message summarises the first error; ``problems`` on the exception lists every finding,
    errors first, each prefixed with its severity.
    """
    errors = [p for p in problems if p.severity == "error"]
    if not errors:
        return
    warnings = [p for p in problems if p.severity != "error"]
    count = len(errors)
    noun = "error" if count == 1 else "errors"
    more = f" (and {count - 1} more)" if count > 1 else ""
    raise AnswerFileError(
        f"{source}: {count} {noun}: {errors[0].message}{more}",
        problems=[f"{p.severity}: {p.message}" for p in [*errors, *warnings]],
    )
