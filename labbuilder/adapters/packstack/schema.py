"""Packstack's own answer-file schema, and a check of answers against it.

The schema comes from the installed plugins (``run_setup.loadPlugins()`` +
``initPluginsConfig()``, in ``plugins``), loaded once per process.
"""

from __future__ import annotations

import difflib
import functools
import importlib.metadata
import importlib.util
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from labbuilder.adapters.packstack import plugins
from labbuilder.adapters.packstack import rules as pr
from labbuilder.adapters.packstack.answerfile import Problem, raise_for

__all__ = ["Option", "Problem", "Schema", "load_schema", "raise_for"]

_LOCAL_IP_EXPR = "utils.get_localhost_ip()"
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

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self or key in self.unknown else default


@dataclass(frozen=True)
class _Rule:
    """One validator as this check runs it (name after any substitution)."""

    name: str
    func: Validator
    options: tuple[Any, ...]


def removal_note(key: str) -> str | None:
    """What happened to a key Packstack used to read, or None if it never was one we know."""
    for name, note in pr.REMOVED:
        if key == name or (name.endswith("_") and key.startswith(name)):
            return note
    return None


@dataclass(frozen=True)
class Schema:
    """Every answer-file key Packstack knows, and ``check`` for a set of answers."""

    version: str
    options: Mapping[str, Option]
    _groups: Mapping[str, _Group] = field(repr=False)
    _rules: Mapping[str, tuple[_Rule, ...]] = field(repr=False)
    _aliases: Mapping[str, str] = field(repr=False)

    def check(self, answers: Mapping[str, str]) -> list[Problem]:
        """Errors and warnings for ``answers``, grouped by key in the answers' order.

        Errors: unknown or removed keys, values Packstack's validators reject (those that
        probe the network or the local disk are skipped), values outside a key's choices,
        deprecated names that disagree. Warnings: deprecated names, and keys Packstack
        ignores because their group's precondition is off under defaults + answers.
        """
        found: dict[str, list[Problem]] = {key: [] for key in answers}
        effective: dict[str, str] = {}
        olds: dict[str, list[str]] = {}
        for key, value in answers.items():
            if key in self.options:
                effective[key] = value
                found[key] += self._check_value(key, key, value)
            elif key in self._aliases:
                olds.setdefault(self._aliases[key], []).append(key)
            else:
                found[key].append(self._unknown(key))
        for target, names in olds.items():
            for problem in self._check_aliases(target, names, answers, effective):
                found[problem.key].append(problem)
        for problem in self._inert(answers, effective):
            found[problem.key].append(problem)
        return [problem for key in answers for problem in found[key]]

    def _check_value(self, target: str, key: str, value: str) -> list[Problem]:
        option = self.options[target]
        if value == "PW_PLACEHOLDER" and "process_password" in option.processors:
            return []
        if value == "" and option.default == "":
            return []
        shown = pr.MASK if option.secret else repr(value)
        if "process_bool" in option.processors and value.lower() not in pr.BOOL_WORDS:
            return [Problem(key, f"{key}: {shown} is not a yes/no value - use y or n")]
        for rule in self._rules[target]:
            if rule.name in pr.CHOICE_VALIDATORS:
                message = _choice_error(rule, value, option)
            else:
                message = _run(rule, value, option.secret)
            if message:
                return [Problem(key, f"{key}: {message}")]
        return []

    def _check_aliases(
        self, target: str, names: list[str], answers: Mapping[str, str], effective: dict[str, str]
    ) -> list[Problem]:
        if target in answers:
            note = "which is also set, so Packstack ignores this one - remove it"
            return [
                Problem(old, f"{old}: old name of {target}, {note}", "warning") for old in names
            ]
        values = {answers[old] for old in names if answers[old]}
        if len(values) > 1:
            fix = f"Packstack stops on this - set {target} once instead"
            listed = ", ".join(names)
            return [
                Problem(old, f"{old}: {listed} (old names of {target}) disagree; {fix}")
                for old in names
            ]
        problems = [
            Problem(old, f"{old}: deprecated name of {target} - rename it to {target}", "warning")
            for old in names
        ]
        for old in names:
            if answers[old]:
                effective[target] = answers[old]
                problems += self._check_value(target, old, answers[old])
        return problems

    def _unknown(self, key: str) -> Problem:
        note = removal_note(key)
        if note:
            return Problem(
                key, f"{key}: {note}; Packstack would silently ignore it - remove the key"
            )
        known = [name.removeprefix("CONFIG_") for name in [*self.options, *self._aliases]]
        close = difflib.get_close_matches(key.removeprefix("CONFIG_"), known, n=1, cutoff=0.8)
        fix = f"did you mean CONFIG_{close[0]}?" if close else "remove it or correct the name"
        what = f"not a Packstack {self.version} option, so Packstack would silently ignore it"
        return Problem(key, f"{key}: {what} - {fix}")

    def _inert(self, answers: Mapping[str, str], effective: Mapping[str, str]) -> list[Problem]:
        unknown = (
            frozenset(key for key, opt in self.options.items() if not opt.default_known)
            - effective.keys()
        )
        known = {key: opt.default for key, opt in self.options.items() if key not in unknown}
        known.update(effective)
        verdicts: dict[str, tuple[bool | None, dict[str, str]]] = {}
        problems = []
        for key in answers:
            target = key if key in self.options else self._aliases.get(key)
            if target is None:
                continue
            group = self._groups[self.options[target].group]
            if group.name not in verdicts:
                verdicts[group.name] = _active(group, known, unknown)
            active, read = verdicts[group.name]
            if active is False:
                condition = _condition(group)
                shown = {name: v for name, v in read.items() if name in condition} or read
                now = ", ".join(f"{name}={value}" for name, value in shown.items())
                problems.append(
                    Problem(
                        key,
                        f"{key}: only acts when {condition} (now {now}); "
                        "Packstack ignores it - change that or remove the key",
                        "warning",
                        ignored=True,
                    )
                )
        return problems


def _choice_error(rule: _Rule, value: str, option: Option) -> str | None:
    allowed = ", ".join(str(choice) for choice in rule.options)
    if value == "":
        return (
            f"empty, which Packstack passes on unchecked - use one of {allowed}, "
            f"or remove the key to get the default {option.default}"
        )
    items = [item.strip() for item in value.split(",")]
    if rule.name == "validate_options":
        items = [value]
    bad = [item for item in items if item and item not in rule.options]
    if not bad:
        return None
    shown = pr.MASK if option.secret else ", ".join(repr(item) for item in bad)
    if rule.name == "validate_options":
        return f"{shown} is not one of {allowed} - use one of them"
    return f"{shown} not among {allowed} - use a comma-separated list of those"


def _run(rule: _Rule, value: str, secret: bool) -> str | None:
    try:
        rule.func(value, list(rule.options))
    except Exception as err:  # ParamValidationError, or a validator tripping over the value
        text = " ".join(str(err).split()) or type(err).__name__
        if secret and value:
            text = text.replace(value, pr.MASK)
        return f"{text} - {pr.FIXES.get(rule.name, 'fix the value')}"
    return None


def _active(
    group: _Group, known: Mapping[str, str], unknown: frozenset[str]
) -> tuple[bool | None, dict[str, str]]:
    """Whether Packstack would read ``group`` (None when that cannot be told beforehand)."""
    pre = group.precondition
    if not pre:
        return group.match is True, {}
    if isinstance(pre, str):
        if pre not in known:
            return None, {}
        return known[pre] == group.match, {pre: known[pre]}
    config = _TracingConfig(known, unknown)
    try:
        verdict = pre(config)
    except Exception:  # an unknown value, or a precondition that needs a real run
        return None, {}
    return verdict == group.match, config.read


def _condition(group: _Group) -> str:
    pre = group.precondition
    if isinstance(pre, str):
        return f"{pre}={group.match}"
    name = f"{getattr(pre, '__module__', '')}.{getattr(pre, '__name__', '')}"
    return pr.INERT_HINTS.get(name, f"Packstack's group {group.name} is on")


@functools.cache
def load_schema() -> Schema:
    """Packstack's schema from the installed package (about 0.3 s, offline; cached)."""
    skipped = set(pr.SKIPPED)
    if importlib.util.find_spec("ldap") is None:  # Packstack's LDAP checks need python-ldap
        skipped |= {"validate_ldap_url", "validate_ldap_dn"}
    groups, validators = plugins.load_groups()
    options: dict[str, Option] = {}
    rules: dict[str, tuple[_Rule, ...]] = {}
    gates: dict[str, _Group] = {}
    for group in groups:
        params = list(group.parameters.itervalues())
        gates[group.GROUP_NAME] = _Group(
            name=group.GROUP_NAME,
            precondition=group.PRE_CONDITION,
            match=group.PRE_CONDITION_MATCH,
        )
        for param in params:
            options[param.CONF_NAME] = _option(param, group.GROUP_NAME)
            rules[param.CONF_NAME] = tuple(
                _Rule(
                    pr.INSTEAD.get(f.__name__, f.__name__),
                    getattr(validators, pr.INSTEAD[f.__name__], f)
                    if f.__name__ in pr.INSTEAD
                    else f,
                    tuple(param.OPTION_LIST or ()),
                )
                for f in param.VALIDATORS or ()
                if f.__name__ not in skipped
            )
    aliases = {old: key for key, opt in options.items() for old in opt.deprecates}
    return Schema(
        version=importlib.metadata.version("packstack"),
        options=MappingProxyType(options),
        _groups=MappingProxyType(gates),
        _rules=MappingProxyType(rules),
        _aliases=MappingProxyType(aliases),
    )


def _option(param: Any, group: str) -> Option:
    key = param.CONF_NAME
    default = "" if param.DEFAULT_VALUE is None else str(param.DEFAULT_VALUE)
    if key in pr.COMPUTED_DEFAULTS:
        default = f"<expr> {pr.COMPUTED_DEFAULTS[key]}"
    elif plugins.LOCAL_IP in default:
        default = "<expr> " + default.replace(plugins.LOCAL_IP, _LOCAL_IP_EXPR)
    validators = tuple(f.__name__ for f in param.VALIDATORS or ())
    choices = () if "validate_regexp" in validators else param.OPTION_LIST or ()
    return Option(
        key=key,
        cmd_option=param.CMD_OPTION,
        default=default,
        choices=tuple(str(choice) for choice in choices if str(choice)),
        validators=validators,
        group=group,
        usage=" ".join((param.USAGE or "").split()),
        deprecates=tuple(param.DEPRECATES or ()),
        secret=bool(param.MASK_INPUT),
        processors=tuple(f.__name__ for f in param.PROCESSORS or ()),
    )
