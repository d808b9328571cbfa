"""Secrets out of a bug bundle: which values are secret, and every copy of them replaced.

Redaction is by exact value, not by key pattern: the lab's password and the value of every
secret answer key (``CONFIG_*_PW``, ``*_PASSWORD``, ``*_SECRET``, ``*_KEY``...) are replaced
wherever they appear (service configs, Packstack's hieradata, logs, the journal), whatever
the line around them looks like.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MARKER = "[REDACTED]"
SECRET_KEY = re.compile(r"(PW|PASSWORD|PASSWD|PASS|SECRET|KEY|TOKEN)$|PASSWORD|SECRET", re.I)
_ASSIGNMENT = re.compile(
    r"""^\s*["']?(?P<key>CONFIG_[A-Za-z0-9_]+)["']?\s*[=:]\s*(?P<value>.*?)\s*$""", re.M
)
NOT_SECRET = {"", "y", "n", "yes", "no", "true", "false", "none", "null", "pw_placeholder", "~"}
MIN_LENGTH = 3
"""Shorter values are left alone: replacing them would shred every file."""


def is_secret_key(key: str) -> bool:
    """``CONFIG_KEYSTONE_ADMIN_PW``, ``CONFIG_AMQP_AUTH_PASSWORD``, ``CONFIG_SWIFT_KS_PW``..."""
    return bool(SECRET_KEY.search(key.removeprefix("CONFIG_")))


def worth_redacting(value: str) -> bool:
    return len(value) >= MIN_LENGTH and value.lower() not in NOT_SECRET


def secrets_in(text: str) -> set[str]:
    """Values of secret ``CONFIG_*`` keys in an answer file (``KEY=value``) or in Packstack's
    hieradata (``KEY: value``, maybe quoted)."""
    out = set()
    for match in _ASSIGNMENT.finditer(text):
        value = match["value"].strip().strip("'\"")
        if is_secret_key(match["key"]) and worth_redacting(value):
            out.add(value)
    return out


def ordered(values: Iterable[str]) -> list[str]:
    """Longest first, so a secret that contains another is replaced whole."""
    return sorted({v for v in values if worth_redacting(v)}, key=lambda v: (-len(v), v))


def redact(data: bytes, values: Iterable[str]) -> tuple[bytes, int]:
    """``data`` with every secret replaced by ``MARKER``; and how many were replaced."""
    marker = MARKER.encode()
    count = 0
    for value in ordered(values):
        raw = value.encode("utf-8")
        found = data.count(raw)
        if found:
            data = data.replace(raw, marker)
            count += found
    return data, count
