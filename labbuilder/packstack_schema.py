"""Packstack's own answer-file schema, and a check of answers against it.

The only module that imports ``packstack``. The schema comes from the installed plugins
(``run_setup.loadPlugins()`` + ``initPluginsConfig()``), loaded once per process. Loading
Packstack has side effects that are undone or avoided here: importing ``basedefs`` makes a log
directory under /var/tmp/packstack and re-points its ``latest`` link, and several plugins ask
the network for the local IP address (which fails on a host without a default route).
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import importlib.metadata
import importlib.util
import io
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from labbuilder.answerfile import Problem, raise_for
from labbuilder.errors import ToolError
from labbuilder.packstack_rules import INERT_HINTS, REMOVED, VALIDATOR_FIXES, removal_note

__all__ = ["Option", "Problem", "Schema", "load_schema", "raise_for"]

_PACKSTACK_VAR_DIR = Path("/var/tmp/packstack")  # noqa: S108 - Packstack's own fixed path
_LOCAL_IP = "LOCAL-IP-OF-THE-PACKSTACK-HOST"
_LOCAL_IP_EXPR = "utils.get_localhost_ip()"
#: Defaults Packstack computes when it loads, from randomness or the machine it runs on.
_COMPUTED_DEFAULTS = {
    "CONFIG_CEILOMETER_SECRET": "uuid.uuid4().hex[:16]",
    "CONFIG_HEAT_AUTH_ENC_KEY": "uuid.uuid4().hex[:16]",
    "CONFIG_HORIZON_SECRET_KEY": "uuid.uuid4().hex",
    "CONFIG_SWIFT_HASH": "uuid.uuid4().hex[:16]",
    "CONFIG_SSH_KEY": "default_ssh_key",
    "CONFIG_SSL_CERT_SUBJECT_CN": "gethostname()",
    "CONFIG_SSL_CERT_SUBJECT_MAIL": "'admin@%s' % gethostname()",
}
#: Validators that look at the machine Packstack runs on or at the network.
_SKIPPED = frozenset(
    {
        "validate_file",
        "validate_multi_ping",
        "validate_ping",
        "validate_sshkey",
        "validate_writeable_directory",
    }
)
#: labbuilder writes IP addresses where Packstack probes TCP/22, so check the format instead.
_INSTEAD = {"validate_ssh": "validate_ip", "validate_multi_ssh": "validate_multi_ip"}
_CHOICE_VALIDATORS = frozenset({"validate_options", "validate_multi_options"})
_BOOL_WORDS = frozenset({"y", "yes", "true", "n", "no", "false"})

Validator = Callable[[Any, list[Any]], object]


@dataclass(frozen=True)
class Option:
    """One answer-file key as Packstack defines it.

    ``default`` is Packstack's default as text; one computed at load time reads
    ``<expr> ...`` and one left to Puppet reads ``%{::fact}``. ``choices`` are the values
    Packstack lists for the key (enforced only by validate_options and
    validate_multi_options).
    """

    key: str
    cmd_option: str
    default: str
    choices: tuple[str, ...]
    validators: tuple[str, ...]
    group: str
    usage: str
    deprecates: tuple[str, ...]
    secret: bool
    processors: tuple[str, ...] = ()

    @property
    def default_known(self) -> bool:
        return not self.default.startswith("<expr>") and "%{::" not in self.default


@dataclass(frozen=True)
class _Group:
    name: str
    keys: tuple[str, ...]
    precondition: Any  # a callable taking the config, a key name, or falsy for "always"
    match: object


class _Unknown(Exception):
    """A precondition read a key whose value cannot be known before Packstack runs."""


class _TracingConfig(dict[str, str]):
    """The config handed to a precondition: records what it reads, refuses unknown values."""

    def __init__(self, known: Mapping[str, str], unknown: frozenset[str]) -> None:
        super().__init__(known)
        self.unknown = unknown
        self.read: dict[str, str] = {}

    def __getitem__(self, key: str) -> str:
        if key in self.unknown:
            raise _Unknown(key)
        value = super().__getitem__(key)
        self.read[key] = value
        return value

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return self[key] if key in self or key in self.unknown else default
