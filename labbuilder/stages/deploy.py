"""Run Packstack on the controller, detached, and follow it from the host.

Packstack runs as root in a transient systemd unit (``labbuilder-packstack-<n>``) or, on a node
without systemd, under ``setsid nohup``: it must outlive the SSH session that started it, which
drops when eth0 moves into br-ex. Its console output goes to ``packstack.out`` and its exit
code to ``packstack.rc``; the host polls both over SSH (new bytes only, base64 so no byte is
lost or translated) and folds the lines into ``adapters.packstack.output.Progress``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

from labbuilder.adapters.packstack.output import (
    FinishedStep,
    ParserState,
    Progress,
    extract_failure,
    manifest_host,
    parse_packstack_line,
)
from labbuilder.adapters.packstack.run import (
    FILES,
    Handle,
    Poll,
    parse_handle,
    parse_poll,
    start_script,
    status_script,
)
from labbuilder.adapters.ssh import Remote
from labbuilder.errors import DeployError, ToolError
from labbuilder.labdir import PRIVATE, LabDir, write_atomic
from labbuilder.model.lab import Lab
from labbuilder.reporter import Reporter

LATEST_LOGS = "/var/tmp/packstack/latest"  # noqa: S108 - Packstack's own path, on the node
STILL_EVERY = 60.0
RECONNECT_SECONDS = 20 * 60.0
BACKOFF_MAX = 60.0
Reader = Callable[[int], "Poll"]


@dataclass(frozen=True)
class Followed:
    progress: Progress
    rc: int | None
    output: bytes
    seconds: float


def duration(seconds: float) -> str:
    s = max(0, round(seconds))
    if s >= 3600:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


def step_line(step: FinishedStep, total: float) -> str:
    state = "done" if step.ok else "FAILED"
    return f"{step.name:<62} {state:<6} {duration(step.duration):>6}   total {duration(total)}"


def waiting_line(progress: Progress, now: float) -> str:
    if progress.running:
        names = ", ".join(name for name, _ in progress.running)
        since = min(start for _, start in progress.running)
        return f"still applying {names} ({duration(now - since)})"
    if progress.finished:
        last = progress.finished[-1]
        return f"still working; last step done: {last.name} ({duration(now - last.finished)} ago)"
    return "still waiting for Packstack's first step"


def follow(
    read: Reader,
    reporter: Reporter,
    *,
    attached: bool = False,
    again: str = "run the deploy again",
    poll_seconds: float = 10,
    timeout_seconds: float = 4 * 3600,
    reconnect_seconds: float = RECONNECT_SECONDS,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Followed:
    """Poll ``read(offset)`` until the run ends; one line per finished step as it comes.

    ``again`` names the command that follows the run anew, for the messages."""
    start = clock()
    progress, parser = Progress(), ParserState()
    output, pending = bytearray(), b""
    last_news, lost_since, failures, first = start, None, 0, True
    while True:
        now = clock()
        if now - start > timeout_seconds:
            raise DeployError(
                f"Packstack is still running after {duration(now - start)}; it goes on on the "
                f"controller: {again} to follow it again"
            )
        try:
            poll = read(len(output))
        except ToolError as err:
            lost_since = now if lost_since is None else lost_since
            if now - lost_since > reconnect_seconds:
                raise DeployError(
                    f"no SSH to the controller for {duration(now - lost_since)} ({err.message}):"
                    f" check the node's console (virsh console), then {again} to follow the run"
                ) from None
            if failures == 0:
                reporter.warn(
                    f"SSH to the controller failed ({err.message}); expected while eth0 moves "
                    f"into br-ex: retrying for up to {duration(reconnect_seconds)}"
                )
            failures += 1
            sleep(min(max(poll_seconds, 1.0) * 2 ** (failures - 1), BACKOFF_MAX))
            continue
        if lost_since is not None:
            reporter.say(f"SSH to the controller is back after {duration(now - lost_since)}")
            lost_since, failures = None, 0
        output += poll.data
        ended = poll.rc is not None or not poll.alive
        *lines, pending = (pending + poll.data).split(b"\n")
        if ended and pending:
            lines, pending = [*lines, pending], b""
        shown, running = len(progress.finished), progress.running
        for line in lines:
            events, parser = parse_packstack_line(line.decode("utf-8", "replace"), parser)
            progress = progress.apply_all(events, now)
        if attached and first:
            current = f"; now at {progress.current}" if progress.current else ""
            reporter.say(f"attached: {len(progress.finished)} steps already done{current}")
        else:
            for step in progress.finished[shown:]:
                reporter.say(step_line(step, step.finished - start), "" if step.ok else "red")
        first = False
        if len(progress.finished) > shown or progress.running != running:
            last_news = now
        if ended:
            return Followed(progress, poll.rc, bytes(output), now - start)
        if now - last_news >= STILL_EVERY:
            reporter.say(waiting_line(progress, now))
            last_news = now
        sleep(poll_seconds)


def deploy(
    lab: Lab,
    labdir: LabDir,
    remote: Remote,
    reporter: Reporter,
    *,
    poll_seconds: float = 10,
    timeout_seconds: float = 4 * 3600,
    env: Mapping[str, str] = {},
) -> None:
    """Run (or re-attach to) Packstack on the controller and follow it to its end; DeployError
    when it failed. Recording the deployed lab is the next step's (``stages.record``).

    ``env`` goes into Packstack's environment; it is how the stand-in Packstack of the tests
    gets its ``FAKE_PACKSTACK_*`` settings into the detached run.
    """
    ctl = lab.controller.name
    last = remote.run(ctl, f"cat {FILES.handle} 2>/dev/null || true", sudo=True).stdout
    previous = parse_handle(last)
    running = previous is not None and _still_running(remote, ctl, previous)
    if previous is not None and running:
        handle = previous
        reporter.say(f"Packstack is still running on {ctl} ({handle.describe()}): following it")
    else:
        remote.put_file(ctl, labdir.answers.read_text(encoding="utf-8"), FILES.answers, "0600")
        number = previous.number + 1 if previous else 1
        started = remote.run(ctl, start_script(number, env), sudo=True).stdout
        handle = parse_handle(started) or _not_started(lab, started)
        reporter.say(f"Packstack started on {ctl} ({handle.describe()}), output in {FILES.output}")

    def read(offset: int) -> Poll:
        answer = remote.run(ctl, status_script(handle, offset), sudo=True, timeout=60)
        return parse_poll(answer.stdout)

    followed = follow(
        read,
        reporter,
        attached=running,
        again=f"run `invoke deploy --lab {lab.name}`",
        poll_seconds=poll_seconds,
        timeout_seconds=timeout_seconds,
    )
    record_steps(lab, followed, reporter)
    logs = collect_logs(remote, ctl, followed, labdir, reporter)
    if followed.rc != 0:
        raise failure_error(lab, followed, logs, reporter)
    reporter.ok(f"Packstack finished on {ctl} in {duration(followed.seconds)}")
    for note in followed.progress.notes:
        reporter.say(f"  * {note.splitlines()[0]}")


def record_steps(lab: Lab, followed: Followed, reporter: Reporter) -> None:
    """Each finished Packstack step (on the controller) and manifest (on its host) as an event."""
    offset = time.time() - time.monotonic()  # follow() timed them on the monotonic clock
    for step in followed.progress.finished:
        node = lab.controller.name
        if step.is_manifest:
            host = manifest_host(step.name)
            node = next((n.name for n in lab.nodes if str(n.external_ip) == host), host)
        result = "ok" if step.ok else "failed"
        reporter.event(node, step.name, offset + step.started, offset + step.finished, result)


def _still_running(remote: Remote, node: str, handle: Handle) -> bool:
    poll = parse_poll(remote.run(node, status_script(handle, None), sudo=True, timeout=60).stdout)
    return poll.alive and poll.rc is None


def _not_started(lab: Lab, output: str) -> Handle:
    raise DeployError(
        f"Packstack did not start on {lab.controller.name} ({output.strip()[-120:]!r}): "
        f"check `invoke ssh --lab {lab.name} {lab.controller.name}`, then deploy again"
    )


def collect_logs(
    remote: Remote, node: str, followed: Followed, labdir: LabDir, reporter: Reporter
) -> Path:
    """Packstack's log directory (the announced one, else ``latest``) and its console output,
    into ``labs/<lab>/logs/<timestamp>/``."""
    dest = labdir.logs / datetime.now().strftime("%Y%m%d-%H%M%S")
    dest.mkdir(mode=0o700, parents=True, exist_ok=True)
    log_file = followed.progress.log_file
    source = str(PurePosixPath(log_file).parent) if log_file else LATEST_LOGS
    try:
        remote.fetch_dir(node, source, dest)
    except ToolError as err:
        reporter.warn(f"Packstack's logs in {source} were not copied ({err.message})")
    write_atomic(dest / "packstack.out", followed.output.decode("utf-8", "replace"), PRIVATE)
    reporter.say(f"Packstack's logs copied to {dest}")
    return dest


def failure_error(lab: Lab, followed: Followed, logs: Path, reporter: Reporter) -> DeployError:
    resume = f"fix the cause, then resume with `invoke deploy --lab {lab.name}`"
    if followed.rc is None:
        return DeployError(
            f"Packstack on {lab.controller.name} ended without an exit code (killed, or the "
            f"node restarted); logs in {logs}: {resume}"
        )
    failure = followed.progress.failure
    message = failure.message.splitlines()[0] if failure else f"exit code {followed.rc}"
    errors = list(failure.errors) if failure else []
    where = f": {message}"
    if failure is not None and failure.manifest:
        log = logs / "manifests" / f"{failure.manifest}.log"
        if log.is_file():
            errors = extract_failure(log.read_text(encoding="utf-8", errors="replace")) or errors
        where = f" applying {failure.manifest} on {_host(lab, failure.host)}"
    for line in errors:
        reporter.say(f"  {line}", "red")
    return DeployError(f"Packstack failed{where}; logs in {logs}: {resume}")


def _host(lab: Lab, address: str | None) -> str:
    node = next((n for n in lab.nodes if str(n.external_ip) == address), None)
    return f"{node.name} ({address})" if node else str(address)
