"""Packstack's console output read line by line, and the run's progress folded from it.

The line formats are Packstack's own (packstack 26.0.0):

- ``Step.run`` (installer/core/sequences.py) ends every step with
  ``utils.state_message(title, 'DONE' | 'ERROR', color)``: the title, padding, ``[ DONE ]``.
- ``apply_puppet_manifest`` (plugins/puppet_950.py) prints ``Applying <host>_<role>.pp``;
  ``wait_for_puppet`` ends each one with ``\\r`` + ``state_message('<manifest>:', ...)`` and, when
  stdout is a terminal, redraws ``\\rTesting if puppet apply is finished: <manifest>  [ | ]``.
- ``_main`` (installer/run_setup.py) prints ``INFO_LOG_FILE_PATH`` and ``INFO_INSTALL_SUCCESS``;
  ``main`` prints a failure as ``color_text('ERROR : ' + str(e), 'red')`` and then
  ``ERR_CHECK_LOG_FILE_FOR_MORE_INFO``; ``_printAdditionalMessages`` prints the `` * `` bullets.
- A Puppet failure's ``str(e)`` is built by ``validate_logfile`` (modules/puppet.py):
  ``Error appeared during Puppet run: <manifest>``, the first error line of the manifest's log,
  ``You will find full trace in log <path>``.

Lines are whole lines without their newline; a line may still hold ``\\r`` redraws and ANSI
colors, which the parser handles.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Literal, TypeAlias

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_STATE = re.compile(r"^(?P<title>.*?)\s*\[ (?P<state>DONE|ERROR) \]\s*$")
_TWIRL = re.compile(r"^Testing if puppet apply is finished: (?P<manifest>\S+)\s*\[ \S \]\s*$")
_APPLYING = re.compile(r"^Applying (?P<manifest>\S+\.pp)$")
_MANIFEST = re.compile(r"^(?P<host>.+?)_(?P<role>[a-z_]+)\.pp$")
_LOG_FILE = re.compile(r"^The installation log file is available at: (?P<path>\S+)$")
_SUCCESS = re.compile(r"^\*+ Installation completed successfully \*+$")
_ERROR = re.compile(r"^ERROR : (?P<message>.*)$")
_PUPPET_RUN = re.compile(r"^Error appeared during Puppet run: (?P<manifest>\S+)$")
_TRACE = re.compile(r"^You will find full trace in log (?P<path>\S+)$")
_CHECK_LOG = re.compile(r"^Please check log file (?P<path>\S+) for more information$")
_BULLET = re.compile(r"^ \* (?P<message>.*)$")
_ADDITIONAL = "Additional information:"

# Puppet's console levels (Puppet::Util::Log console destination), and the errors that
# packstack's validate_logfile deliberately ignores (its re_ignore).
_PUPPET_LEVEL = re.compile(
    r"^(Debug|Info|Notice|Warning|Error|Critical|Alert|Emergency"
    r"|debug|info|notice|warning|err|alert|emerg|crit):"
)
_PUPPET_ERROR = re.compile(r"^(Error|err):")
_PUPPET_IGNORED = re.compile(
    r"Command mysql is missing|Could not prefetch database_grant provider.*?\.my\.cnf"
    r"|NetworkManager is not running|Failed to download metadata for repo"
)


def strip_ansi(text: str) -> str:
    """Remove ANSI color and cursor codes."""
    return _ANSI.sub("", text)


def manifest_host(manifest: str) -> str:
    """The host part of a manifest file name (``10.1.1.10`` of ``10.1.1.10_controller.pp``)."""
    match = _MANIFEST.match(manifest)
    return match["host"] if match else manifest


@dataclass(frozen=True)
class LogFileAnnounced:
    path: str


@dataclass(frozen=True)
class StepFinished:
    """A sequence step's state line (``Copying Puppet modules and manifests  [ DONE ]``)."""

    title: str
    ok: bool


@dataclass(frozen=True)
class ManifestApplying:
    manifest: str
    host: str


@dataclass(frozen=True)
class ManifestWaiting:
    manifest: str
    host: str


@dataclass(frozen=True)
class ManifestFinished:
    manifest: str
    host: str
    ok: bool


@dataclass(frozen=True)
class InstallSucceeded:
    pass


@dataclass(frozen=True)
class ErrorReported:
    """The first line of an ``ERROR : ...`` banner; manifest and host set for Puppet failures."""

    message: str
    manifest: str | None = None
    host: str | None = None


@dataclass(frozen=True)
class ErrorDetail:
    """A further line of the error banner (for Puppet failures, the Puppet error line)."""

    line: str


@dataclass(frozen=True)
class TraceLogAnnounced:
    path: str


@dataclass(frozen=True)
class SetupLogAnnounced:
    path: str


@dataclass(frozen=True)
class AdditionalInfo:
    """A bullet after "Additional information:", or (``continues``) a further line of one."""

    message: str
    continues: bool = False


Event: TypeAlias = (
    LogFileAnnounced
    | StepFinished
    | ManifestApplying
    | ManifestWaiting
    | ManifestFinished
    | InstallSucceeded
    | ErrorReported
    | ErrorDetail
    | TraceLogAnnounced
    | SetupLogAnnounced
    | AdditionalInfo
)


@dataclass(frozen=True)
class ParserState:
    """What earlier lines said that the next one needs: inside an error banner, or the bullets?"""

    in_error: bool = False
    in_notes: bool = False


def parse_packstack_line(line: str, state: ParserState) -> tuple[list[Event], ParserState]:
    """The events one console line holds, and the state for the next line."""
    events: list[Event] = []
    for segment in line.split("\r"):
        text = strip_ansi(segment).rstrip()
        if text.strip():
            event, state = _parse_segment(text, state)
            if event is not None:
                events.append(event)
    return events, state


def parse_output(text: str) -> list[Event]:
    """Every event of a whole console transcript."""
    events: list[Event] = []
    state = ParserState()
    for line in text.split("\n"):
        found, state = parse_packstack_line(line, state)
        events.extend(found)
    return events


def _parse_segment(text: str, state: ParserState) -> tuple[Event | None, ParserState]:
    bullet = _BULLET.match(text)
    text = text.strip()
    if match := _ERROR.match(text):
        message = match["message"]
        if run := _PUPPET_RUN.match(message):
            manifest = run["manifest"]
            return ErrorReported(message, manifest, manifest_host(manifest)), ParserState(True)
        return ErrorReported(message), ParserState(True)
    if match := _TRACE.match(text):
        return TraceLogAnnounced(match["path"]), state
    if match := _CHECK_LOG.match(text):
        return SetupLogAnnounced(match["path"]), ParserState(False)
    if text == _ADDITIONAL:
        return None, ParserState(in_notes=True)
    if state.in_error:
        return ErrorDetail(text), state
    if bullet:
        return AdditionalInfo(bullet["message"].strip()), state
    if state.in_notes:
        return AdditionalInfo(text, continues=True), state
    return _parse_progress(text), state


def _parse_progress(text: str) -> Event | None:
    if match := _TWIRL.match(text):
        manifest = match["manifest"]
        return ManifestWaiting(manifest, manifest_host(manifest))
    if match := _STATE.match(text):
        title, ok = match["title"], match["state"] == "DONE"
        if title.endswith(".pp:"):
            manifest = title[:-1]
            return ManifestFinished(manifest, manifest_host(manifest), ok)
        return StepFinished(title, ok)
    if match := _APPLYING.match(text):
        manifest = match["manifest"]
        return ManifestApplying(manifest, manifest_host(manifest))
    if match := _LOG_FILE.match(text):
        return LogFileAnnounced(match["path"])
    if _SUCCESS.match(text):
        return InstallSucceeded()
    return None


def extract_failure(manifest_log_text: str) -> list[str]:
    """The Puppet error lines of a manifest log (``manifests/<manifest>.log``), colors removed.

    Continuation lines of a multi-line error (such as the journal excerpt after "Systemd start
    for ... failed!") are kept after their error; errors Packstack itself ignores are dropped,
    and so are repeats.
    """
    errors: list[str] = []
    keeping = False
    for raw in manifest_log_text.splitlines():
        line = strip_ansi(raw).rstrip()
        if not line.strip():
            keeping = False
        elif _PUPPET_ERROR.match(line):
            keeping = not _PUPPET_IGNORED.search(line) and line not in errors
            if keeping:
                errors.append(line)
        elif _PUPPET_LEVEL.match(line):
            keeping = False
        elif keeping:
            errors.append(line)
    return errors


Outcome: TypeAlias = Literal["running", "succeeded", "failed"]


@dataclass(frozen=True)
class FinishedStep:
    """A step or manifest that ended; ``name`` is the step title or the manifest file name."""

    name: str
    is_manifest: bool
    ok: bool
    started: float
    finished: float

    @property
    def duration(self) -> float:
        return self.finished - self.started


@dataclass(frozen=True)
class PackstackFailure:
    """Why a Packstack run failed, as far as its console output tells."""

    message: str
    manifest: str | None = None
    host: str | None = None
    errors: tuple[str, ...] = ()
    trace_log: str | None = None
    setup_log: str | None = None


@dataclass(frozen=True)
class Progress:
    """Where a Packstack run stands. Times are whatever clock the caller feeds to ``apply``.

    A sequence step prints nothing when it starts, so it is taken to start when the step before
    it ended (the first one when the first event arrived). Manifests start at their
    ``Applying`` line; manifests of one tier run in parallel, so ``running`` can hold several.
    Once Packstack reports an error it exits, and nothing counts as running any more.
    """

    started: float | None = None
    log_file: str | None = None
    running: tuple[tuple[str, float], ...] = ()
    finished: tuple[FinishedStep, ...] = ()
    outcome: Outcome = "running"
    failure: PackstackFailure | None = None
    notes: tuple[str, ...] = ()
    last_step_end: float | None = field(default=None, repr=False)

    @property
    def current(self) -> str | None:
        """The manifest most recently started and not yet finished."""
        return self.running[-1][0] if self.running else None

    def apply_all(self, events: Iterable[Event], at: float) -> Progress:
        progress = self
        for event in events:
            progress = progress.apply(event, at)
        return progress

    def apply(self, event: Event, at: float) -> Progress:
        progress = self if self.started is not None else replace(self, started=at)
        match event:
            case LogFileAnnounced(path):
                return replace(progress, log_file=path)
            case StepFinished(title, ok):
                return progress._step_finished(title, ok, at)
            case ManifestApplying(manifest) | ManifestWaiting(manifest):
                if any(name == manifest for name, _ in progress.running):
                    return progress
                return replace(progress, running=(*progress.running, (manifest, at)))
            case ManifestFinished(manifest, host, ok):
                return progress._manifest_finished(manifest, host, ok, at)
            case InstallSucceeded():
                return replace(progress, outcome="succeeded", running=())
            case ErrorReported(message, manifest, host):
                old = progress._failure()
                failure = replace(
                    old, message=message, manifest=manifest or old.manifest, host=host or old.host
                )
                return replace(progress, outcome="failed", failure=failure, running=())
            case ErrorDetail(line):
                old = progress._failure()
                failure = replace(old, errors=(*old.errors, line))
                return replace(progress, failure=failure)
            case TraceLogAnnounced(path):
                return replace(progress, failure=replace(progress._failure(), trace_log=path))
            case SetupLogAnnounced(path):
                failure = replace(progress._failure(), setup_log=path)
                return replace(progress, outcome="failed", failure=failure)
            case AdditionalInfo(message, continues) if continues and progress.notes:
                notes = (*progress.notes[:-1], f"{progress.notes[-1]}\n{message}")
                return replace(progress, notes=notes)
            case AdditionalInfo(message):
                return replace(progress, notes=(*progress.notes, message))
        return progress

    def _failure(self) -> PackstackFailure:
        if self.failure is not None:
            return self.failure
        return PackstackFailure(message="Packstack failed")

    def _step_finished(self, title: str, ok: bool, at: float) -> Progress:
        started = self.last_step_end if self.last_step_end is not None else self.started
        step = FinishedStep(title, False, ok, at if started is None else started, at)
        progress = replace(self, finished=(*self.finished, step), last_step_end=at)
        if ok:
            return progress
        failure = self.failure or PackstackFailure(message=f"Packstack step '{title}' failed")
        return replace(progress, outcome="failed", failure=failure)

    def _manifest_finished(self, manifest: str, host: str, ok: bool, at: float) -> Progress:
        started = next((start for name, start in self.running if name == manifest), at)
        step = FinishedStep(manifest, True, ok, started, at)
        running = tuple(item for item in self.running if item[0] != manifest)
        progress = replace(self, finished=(*self.finished, step), running=running)
        if ok:
            return progress
        failure = self.failure or PackstackFailure(
            message=f"Puppet failed applying {manifest}", manifest=manifest, host=host
        )
        return replace(progress, outcome="failed", failure=failure)
