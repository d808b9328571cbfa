"""The deploy stage's host side: the scripts it runs on the controller, their answers, and the
follow loop fed with Packstack console transcripts (tests/fixtures/packstack) piece by piece
on a fake clock, as the status poll would deliver them."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from rich.console import Console

from labbuilder.adapters.packstack.run import (
    Handle,
    Poll,
    RunFiles,
    packstack_command,
    parse_handle,
    parse_poll,
    start_script,
    status_script,
)
from labbuilder.errors import ConfigError, DeployError, ToolError
from labbuilder.reporter import Reporter
from labbuilder.stages.deploy import RECONNECT_SECONDS, Followed, duration, failure_error, follow
from tests.conftest import FAKE_PACKSTACK, FIXTURES, lab_of

PACKSTACK_OUTPUT = FIXTURES / "packstack"
SUCCESS = (PACKSTACK_OUTPUT / "multinode-success.out").read_bytes()
FAILURE = (PACKSTACK_OUTPUT / "multinode-failure.out").read_bytes()
UNIT = Handle(2, "unit", "labbuilder-packstack-2")
PID = Handle(1, "pid", "4242")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class Run:
    """A Packstack run as the status poll sees it: at each poll, the output written so far is
    ``text[:upto]`` (or the poll fails, for ``ToolError``); after the last one it has ended."""

    def __init__(self, text: bytes, upto: Sequence[int | ToolError], rc: int | None = 0):
        self.text, self.upto, self.rc, self.polls = text, list(upto), rc, 0

    def __call__(self, offset: int) -> Poll:
        step = self.upto[self.polls] if self.polls < len(self.upto) else len(self.text)
        self.polls += 1
        if isinstance(step, ToolError):
            raise step
        ended = self.polls > len(self.upto)
        return Poll(not ended, self.rc if ended else None, self.text[offset:step])


def after(text: bytes, marker: str) -> int:
    """The byte offset just past ``marker``'s line."""
    at = text.index(marker.encode())
    return text.index(b"\n", at) + 1


def reporter(clock: Clock) -> tuple[Reporter, io.StringIO]:
    out = io.StringIO()
    console = Console(file=out, width=300, color_system=None, highlight=False)
    return Reporter(console, clock=clock), out


def lines_of(out: io.StringIO) -> list[str]:
    return [re.sub(r"^\[\s*\d+:\d\d\] ", "", line) for line in out.getvalue().splitlines()]


def squeeze(line: str) -> str:
    return " ".join(line.split())


def run_follow(
    run: Run,
    *,
    attached: bool = False,
    timeout_seconds: float = 4 * 3600,
    reconnect_seconds: float = RECONNECT_SECONDS,
) -> tuple[Followed, list[str], Clock]:
    clock = Clock()
    rep, out = reporter(clock)
    followed = follow(
        run,
        rep,
        attached=attached,
        poll_seconds=10,
        timeout_seconds=timeout_seconds,
        reconnect_seconds=reconnect_seconds,
        clock=clock,
        sleep=clock.sleep,
    )
    return followed, lines_of(out), clock


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {},
            "env TERM=dumb PYTHONUNBUFFERED=1 HOME=/root packstack "
            "--answer-file=/root/labbuilder/answers.txt",
        ),
        (
            {"FAKE_PACKSTACK_FAIL_AT": "compute.pp", "TERM": "vt100"},
            "env TERM=vt100 PYTHONUNBUFFERED=1 HOME=/root FAKE_PACKSTACK_FAIL_AT=compute.pp "
            "packstack --answer-file=/root/labbuilder/answers.txt",
        ),
        (
            {"A_B": "it's spaced"},
            "env TERM=dumb PYTHONUNBUFFERED=1 HOME=/root A_B='it'\"'\"'s spaced' packstack "
            "--answer-file=/root/labbuilder/answers.txt",
        ),
    ],
)
def test_packstack_command(env: dict[str, str], expected: str) -> None:
    assert packstack_command(env) == expected


@pytest.mark.parametrize("name", ["1X", "A-B", "A B", ""])
def test_packstack_command_rejects_bad_names(name: str) -> None:
    with pytest.raises(ConfigError, match="is not valid: use letters, digits and _"):
        packstack_command({name: "x"})


@pytest.mark.parametrize(
    "script",
    [
        start_script(3, {"FAKE_PACKSTACK_DROP_SSH": "1"}),
        status_script(UNIT, 0),
        status_script(PID, 1234),
        status_script(UNIT, None),
    ],
)
def test_scripts_are_shellcheck_clean(script: str) -> None:
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed")
    checked = subprocess.run(
        ["shellcheck", "-s", "bash", "-"], input=script, capture_output=True, text=True
    )
    assert checked.stdout == ""
    assert checked.returncode == 0


def test_start_script_prefers_systemd_run() -> None:
    script = start_script(3, {})
    assert "systemd-run --quiet --collect --unit=labbuilder-packstack-3 -- bash -c" in script
    assert 'echo "3 unit labbuilder-packstack-3"' in script
    assert "setsid nohup bash -c" in script


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 unit labbuilder-packstack-1\n", Handle(1, "unit", "labbuilder-packstack-1")),
        ("12 pid 31337", Handle(12, "pid", "31337")),
        ("motd noise\n3 pid 77\n", Handle(3, "pid", "77")),
        ("", None),
        ("cat: /root/labbuilder/packstack.run: No such file or directory", None),
        ("1 unit rm -rf /", None),
    ],
)
def test_parse_handle(text: str, expected: Handle | None) -> None:
    assert parse_handle(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("status alive=1 rc= size=0\n\n", Poll(True, None, b"")),
        ("status alive=1 rc= size=12\nQXBwbHlpbmcgeAo=\n", Poll(True, None, b"Applying x\n")),
        ("status alive=0 rc=1 size=5\n\n", Poll(False, 1, b"")),
        ("status alive=0 rc=0 size=3\nDQo=\n", Poll(False, 0, b"\r\n")),
    ],
)
def test_parse_poll(text: str, expected: Poll) -> None:
    assert parse_poll(text) == expected


@pytest.mark.parametrize(
    "text", ["", "Connection closed by 10.1.1.10\n", "status alive=1 rc= size=3\n!!notbase64\n"]
)
def test_parse_poll_rejects_other_answers(text: str) -> None:
    with pytest.raises(ToolError, match="unexpected answer to the status poll"):
        parse_poll(text)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (59.4, "59s"), (60, "1m00s"), (200, "3m20s"), (3600, "1h00m"), (8125, "2h15m")],
)
def test_duration(seconds: float, text: str) -> None:
    assert duration(seconds) == text


def test_follow_success_in_pieces() -> None:
    """Every step in order with its time; waiting on the controller manifest is visible."""
    controller = after(SUCCESS, "Applying 10.1.1.10_controller.pp")
    run = Run(SUCCESS, [controller - 7, controller, *[controller] * 13, controller + 40])
    followed, lines, clock = run_follow(run)
    assert followed.rc == 0
    assert followed.output == SUCCESS
    assert followed.progress.outcome == "succeeded"
    steps = [line for line in lines if " done " in line]
    assert len(steps) == len(followed.progress.finished) == 49
    assert squeeze(steps[0]) == "Clean Up done 0s total 0s"
    assert [squeeze(line) for line in lines if "still" in line] == [
        "still applying 10.1.1.10_controller.pp (1m00s)",
        "still applying 10.1.1.10_controller.pp (2m00s)",
    ]
    assert squeeze(next(line for line in lines if line.startswith("10.1.1.10_controller.pp"))) == (
        "10.1.1.10_controller.pp done 2m30s total 2m40s"  # its line completes at t=160
    )
    assert clock.now == 160  # 17 polls, no wait after the last


def test_follow_failure() -> None:
    followed, lines, _ = run_follow(Run(FAILURE, [len(FAILURE) // 2], rc=1))
    assert followed.rc == 1
    failure = followed.progress.failure
    assert failure is not None
    assert (failure.manifest, failure.host) == ("10.1.1.21_compute.pp", "10.1.1.21")
    assert [squeeze(line) for line in lines if "FAILED" in line] == [
        "10.1.1.21_compute.pp FAILED 0s total 10s",
        "Applying Puppet manifests FAILED 0s total 10s",
    ]


def test_follow_rides_out_lost_ssh() -> None:
    lost = ToolError("on controller: ssh failed (exit 255): Connection timed out")
    network = after(SUCCESS, "Applying 10.1.1.10_network.pp")
    followed, lines, _ = run_follow(Run(SUCCESS, [network, lost, lost, lost, network + 10]))
    assert followed.rc == 0
    assert followed.output == SUCCESS
    assert [line for line in lines if "SSH" in line] == [
        "WARNING: SSH to the controller failed (on controller: ssh failed (exit 255): "
        "Connection timed out); expected while eth0 moves into br-ex: retrying for up to 20m00s",
        "SSH to the controller is back after 1m10s",
    ]


def test_follow_gives_up_when_ssh_stays_away() -> None:
    lost = ToolError("on controller: ssh failed (exit 255): No route to host")
    with pytest.raises(DeployError) as raised:
        run_follow(Run(SUCCESS, [100, *[lost] * 40]), reconnect_seconds=300)
    assert str(raised.value) == (
        "no SSH to the controller for 5m10s (on controller: ssh failed (exit 255): No route "
        "to host): check the node's console (virsh console), then run the deploy again to "
        "follow the run"
    )


def test_follow_times_out() -> None:
    with pytest.raises(
        DeployError,
        match=r"^Packstack is still running after 1m00s; it goes on on the controller: run the",
    ):
        run_follow(Run(SUCCESS, [100] * 20), timeout_seconds=55)


def test_follow_attached_summarises_what_was_done() -> None:
    network = after(SUCCESS, "Applying 10.1.1.10_network.pp")
    _, lines, _ = run_follow(Run(SUCCESS, [network]), attached=True)
    assert lines[0] == "attached: 43 steps already done; now at 10.1.1.10_network.pp"
    assert squeeze(lines[1]) == "10.1.1.10_network.pp done 10s total 10s"


def test_follow_run_that_vanished() -> None:
    """Gone without an exit code (killed, node restarted): the last line still counts."""
    cut = after(SUCCESS, "Applying 10.1.1.10_controller.pp") - 1
    followed = run_follow(Run(SUCCESS[:cut], [cut // 2], rc=None))[0]
    assert followed.rc is None
    assert followed.progress.running == (("10.1.1.10_controller.pp", 10.0),)


@pytest.mark.parametrize(
    ("fixture", "rc", "log", "message", "shown"),
    [
        (
            "multinode-failure.out",
            1,
            "10.1.1.21_compute.pp.log",
            "Packstack failed applying 10.1.1.21_compute.pp on compute2 (10.1.1.21); logs in "
            "{logs}: fix the cause, then resume with `invoke deploy --lab poc`",
            (
                "Error: Execution of '/usr/bin/dnf -d 0 -e 1 -y install "
                "openstack-nova-compute' returned 1: Error:"
            ),
        ),
        (
            "multinode-failure.out",
            1,
            None,
            "Packstack failed applying 10.1.1.21_compute.pp on compute2 (10.1.1.21); logs in "
            "{logs}: fix the cause, then resume with `invoke deploy --lab poc`",
            "Error: Execution of '/usr/bin/dnf -d 0 -e 1 -y install openstack-nova-compute'",
        ),
        (
            "answer-file-ssh-failure.out",
            1,
            None,
            "Packstack failed: Failed handling answer file: Given host does not listen on port "
            "22: 10.1.1.21; logs in {logs}: fix the cause, then resume with "
            "`invoke deploy --lab poc`",
            None,
        ),
        (
            "multinode-success.out",
            None,
            None,
            "Packstack on controller ended without an exit code (killed, or the node "
            "restarted); logs in {logs}: fix the cause, then resume with "
            "`invoke deploy --lab poc`",
            None,
        ),
    ],
)
def test_failure_error(
    tmp_path: Path, fixture: str, rc: int | None, log: str | None, message: str, shown: str | None
) -> None:
    text = (PACKSTACK_OUTPUT / fixture).read_bytes()
    followed = run_follow(Run(text, [], rc=rc))[0]
    if log is not None:
        (tmp_path / "manifests").mkdir()
        shutil.copy(PACKSTACK_OUTPUT / log, tmp_path / "manifests" / log)
    rep, out = reporter(Clock())
    error = failure_error(lab_of(nodes=3), followed, tmp_path, rep)
    assert str(error) == message.format(logs=tmp_path)
    assert error.exit_code == 8
    said = lines_of(out)
    if shown is None:
        assert said == []
    else:
        assert shown in said[0]
    if log is not None:
        assert len(said) > 1  # the manifest log's multi-line error, not just the banner line


def test_detached_run_on_this_host(tmp_path: Path) -> None:
    """The start and status scripts for real on this host (no systemd: the setsid path), with
    the stand-in Packstack (tests/fakes/packstack, since the real one needs CentOS Stream 9
    and RDO), failing at a compute manifest, followed to the end."""
    work = tmp_path / "work"
    work.mkdir()
    (tmp_path / "bin").mkdir()
    shutil.copy(FAKE_PACKSTACK, tmp_path / "bin" / "packstack")
    (work / "answers.txt").write_text(
        "[general]\nCONFIG_CONTROLLER_HOST=10.1.1.10\nCONFIG_NETWORK_HOSTS=10.1.1.10\n"
        "CONFIG_COMPUTE_HOSTS=10.1.1.20,10.1.1.21\n"
    )
    files = RunFiles(str(work))
    env = {
        "PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin",
        "FAKE_PACKSTACK_STEP_SECONDS": "0.1",
        "FAKE_PACKSTACK_SSH_PROBE": "0",
        "FAKE_PACKSTACK_LOG_ROOT": str(tmp_path / "logs"),
        "FAKE_PACKSTACK_FAIL_AT": "21_compute.pp",
    }
    started = subprocess.run(
        ["bash", "-c", start_script(1, env, files)], capture_output=True, text=True, timeout=30
    )
    handle = parse_handle(started.stdout)
    assert handle is not None, started.stderr
    assert handle.kind == ("unit" if Path("/run/systemd/system").is_dir() else "pid")

    def read(offset: int) -> Poll:
        script = status_script(handle, offset, files)
        return parse_poll(
            subprocess.run(["bash", "-c", script], capture_output=True, text=True).stdout
        )

    rep, out = reporter(Clock())
    followed = follow(read, rep, poll_seconds=0.2, timeout_seconds=60, sleep=time.sleep)
    assert followed.rc == 1
    assert followed.output == (work / "packstack.out").read_bytes()
    assert followed.progress.failure is not None
    assert followed.progress.failure.manifest == "10.1.1.21_compute.pp"
    assert "10.1.1.21_compute.pp" in [squeeze(line).split()[0] for line in lines_of(out)]
    assert (work / "packstack.rc").read_text() == "1\n"


def test_a_run_caught_while_it_execs_is_not_taken_for_gone(tmp_path: Path) -> None:
    """Right after the start, the detached PID may still be exec'ing (its cmdline reads empty
    for an instant): the status poll asks again before it calls the run gone. Here the window
    is stretched: the process is ``bash start.sh`` for 0.3 s, then names itself packstack."""
    script = tmp_path / "start.sh"
    script.write_text("sleep 0.3\nexec -a packstack sleep 5\n")
    proc = subprocess.Popen(["bash", str(script)])
    files = RunFiles(str(tmp_path))

    def poll() -> Poll:
        script = status_script(Handle(1, "pid", str(proc.pid)), 0, files)
        return parse_poll(
            subprocess.run(["bash", "-c", script], capture_output=True, text=True).stdout
        )

    try:
        assert poll() == Poll(True, None, b"")
    finally:
        proc.kill()
        proc.wait()
    assert poll() == Poll(False, None, b"")
