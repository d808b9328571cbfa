from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from packstack.installer.utils import color_text, state_message
from packstack.modules.puppet import validate_logfile

from labbuilder.adapters.packstack.output import (
    AdditionalInfo,
    ErrorDetail,
    ErrorReported,
    Event,
    InstallSucceeded,
    LogFileAnnounced,
    ManifestApplying,
    ManifestFinished,
    ManifestWaiting,
    ParserState,
    Progress,
    SetupLogAnnounced,
    StepFinished,
    TraceLogAnnounced,
    extract_failure,
    parse_output,
    parse_packstack_line,
)
from tests.conftest import FAKE_PACKSTACK, FIXTURES

PACKSTACK_OUTPUT = FIXTURES / "packstack"
MULTINODE = {
    "CONFIG_CONTROLLER_HOST": "10.1.1.10",
    "CONFIG_NETWORK_HOSTS": "10.1.1.10",
    "CONFIG_COMPUTE_HOSTS": "10.1.1.20,10.1.1.21",
}
AIO = dict.fromkeys(MULTINODE, "10.1.1.10")
DNF_ERROR = (
    "Error: Execution of '/usr/bin/dnf -d 0 -e 1 -y install openstack-nova-compute'"
    " returned 1: Error:"
)
JOURNAL = "Jan 03 10:12"
STATES = {True: ("DONE", "green"), False: ("ERROR", "red")}
TIER_ORDER = [
    "10.1.1.10_controller.pp",
    "10.1.1.10_network.pp",
    "10.1.1.20_compute.pp",
    "10.1.1.21_compute.pp",
    "10.1.1.10_controller_post.pp",
]


def transcript(name: str) -> str:
    """A fixture as recorded: bytes decoded without newline translation (keeps the \\r)."""
    return (PACKSTACK_OUTPUT / name).read_bytes().decode()


def fold(events: list[Event]) -> Progress:
    """Feed events one second apart."""
    progress = Progress()
    for second, event in enumerate(events):
        progress = progress.apply(event, float(second))
    return progress


def finished_manifests(events: list[Event]) -> list[tuple[str, bool]]:
    return [(e.manifest, e.ok) for e in events if isinstance(e, ManifestFinished)]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            state_message("Copying Puppet modules and manifests", "DONE", "green"),
            [StepFinished("Copying Puppet modules and manifests", True)],
        ),
        (
            state_message("Applying Puppet manifests", "ERROR", "red"),
            [StepFinished("Applying Puppet manifests", False)],
        ),
        (
            state_message(
                "Fixing Keystone LDAP config parameters to be undef if empty", "DONE", "green"
            ),
            [StepFinished("Fixing Keystone LDAP config parameters to be undef if empty", True)],
        ),
        (
            "Applying 10.1.1.10_controller.pp",
            [ManifestApplying("10.1.1.10_controller.pp", "10.1.1.10")],
        ),
        (
            "\r" + state_message("10.1.1.10_controller_post.pp:", "DONE", "green"),
            [ManifestFinished("10.1.1.10_controller_post.pp", "10.1.1.10", True)],
        ),
        (
            "\r" + state_message("10.1.1.21_compute.pp:", "ERROR", "red") + "           ",
            [ManifestFinished("10.1.1.21_compute.pp", "10.1.1.21", False)],
        ),
        (
            "\rTesting if puppet apply is finished: 10.1.1.10_network.pp  [ | ]"
            "\rTesting if puppet apply is finished: 10.1.1.10_network.pp  [ / ]",
            [ManifestWaiting("10.1.1.10_network.pp", "10.1.1.10")] * 2,
        ),
        (
            "The installation log file is available at: /var/tmp/packstack/x/openstack-setup.log",
            [LogFileAnnounced("/var/tmp/packstack/x/openstack-setup.log")],
        ),
        (" **** Installation completed successfully ******", [InstallSucceeded()]),
        (
            color_text("ERROR : Error appeared during Puppet run: 10.1.1.20_compute.pp", "red"),
            [
                ErrorReported(
                    "Error appeared during Puppet run: 10.1.1.20_compute.pp",
                    "10.1.1.20_compute.pp",
                    "10.1.1.20",
                )
            ],
        ),
        (
            "ERROR : Failed handling answer file: Given host does not listen on port 22: 10.1.1.21",
            [
                ErrorReported(
                    "Failed handling answer file: Given host does not listen on port 22: 10.1.1.21"
                )
            ],
        ),
        (
            "Please check log file /var/tmp/packstack/x/openstack-setup.log for more information",
            [SetupLogAnnounced("/var/tmp/packstack/x/openstack-setup.log")],
        ),
        (
            " * Because of the kernel update the host 10.1.1.20 requires reboot.",
            [AdditionalInfo("Because of the kernel update the host 10.1.1.20 requires reboot.")],
        ),
        ("Packstack changed given value  to required value /root/.ssh/id_rsa.pub", []),
        ("Welcome to the Packstack setup utility", []),
        ("", []),
    ],
)
def test_parse_line(line: str, expected: list[Event]) -> None:
    events, _ = parse_packstack_line(line, ParserState())
    assert events == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "Error: Systemd start for rabbitmq-server failed!",
            ErrorDetail("Error: Systemd start for rabbitmq-server failed!"),
        ),
        (
            "You will find full trace in log /var/tmp/packstack/x/manifests/a.pp.log\x1b[0m",
            TraceLogAnnounced("/var/tmp/packstack/x/manifests/a.pp.log"),
        ),
        ("Applying 10.1.1.10_controller.pp", ErrorDetail("Applying 10.1.1.10_controller.pp")),
    ],
)
def test_parse_line_inside_error_banner(line: str, expected: Event) -> None:
    events, state = parse_packstack_line(line, ParserState(in_error=True))
    assert (events, state.in_error) == ([expected], True)


@pytest.mark.parametrize(
    ("fixture", "outcome", "manifests", "steps"),
    [
        (
            "multinode-success.out",
            "succeeded",
            [(m, True) for m in [*TIER_ORDER[:2], TIER_ORDER[3], TIER_ORDER[2], TIER_ORDER[4]]],
            44,
        ),
        (
            "multinode-failure.out",
            "failed",
            [(m, True) for m in TIER_ORDER[:3]] + [("10.1.1.21_compute.pp", False)],
            43,
        ),
        ("aio-tty-failure.out", "failed", [("10.1.1.10_controller.pp", False)], 41),
        ("answer-file-ssh-failure.out", "failed", [], 0),
    ],
)
def test_fixture_runs(
    fixture: str, outcome: str, manifests: list[tuple[str, bool]], steps: int
) -> None:
    events = parse_output(transcript(fixture))
    progress = fold(events)
    assert finished_manifests(events) == manifests
    assert sum(isinstance(e, StepFinished) for e in events) == steps
    assert progress.outcome == outcome
    assert progress.running == ()


@pytest.mark.parametrize(
    ("fixture", "message", "manifest", "host", "errors", "trace_log", "setup_log"),
    [
        (
            "multinode-failure.out",
            "Error appeared during Puppet run: 10.1.1.21_compute.pp",
            "10.1.1.21_compute.pp",
            "10.1.1.21",
            (DNF_ERROR,),
            "/var/tmp/packstack/20250102-093015-p8d2kq1w/manifests/10.1.1.21_compute.pp.log",
            "/var/tmp/packstack/20250102-093015-p8d2kq1w/openstack-setup.log",
        ),
        (
            "aio-tty-failure.out",
            "Error appeared during Puppet run: 10.1.1.10_controller.pp",
            "10.1.1.10_controller.pp",
            "10.1.1.10",
            ("Error: Systemd start for rabbitmq-server failed!",),
            "/var/tmp/packstack/20250103-101005-z0c4m7rt/manifests/10.1.1.10_controller.pp.log",
            "/var/tmp/packstack/20250103-101005-z0c4m7rt/openstack-setup.log",
        ),
        (
            "answer-file-ssh-failure.out",
            "Failed handling answer file: Given host does not listen on port 22: 10.1.1.21",
            None,
            None,
            (),
            None,
            "/var/tmp/packstack/20250104-080000-q1w2e3r4/openstack-setup.log",
        ),
    ],
)
def test_fixture_failures(
    fixture: str,
    message: str,
    manifest: str | None,
    host: str | None,
    errors: tuple[str, ...],
    trace_log: str | None,
    setup_log: str,
) -> None:
    failure = fold(parse_output(transcript(fixture))).failure
    assert failure is not None
    assert (failure.message, failure.manifest, failure.host) == (message, manifest, host)
    assert (failure.errors, failure.trace_log, failure.setup_log) == (errors, trace_log, setup_log)


def test_success_notes_and_log_file() -> None:
    progress = fold(parse_output(transcript("multinode-success.out")))
    assert progress.log_file == "/var/tmp/packstack/20250101-120000-k3x9q_2a/openstack-setup.log"
    assert progress.failure is None
    assert progress.notes[2] == (
        "To access the OpenStack Dashboard browse to http://10.1.1.10/dashboard .\n"
        "Please, find your login credentials stored in the keystonerc_admin in your home directory."
    )
    assert progress.notes[3] == "Because of the kernel update the host 10.1.1.20 requires reboot."
    assert len(progress.notes) == 6


@pytest.mark.parametrize(
    ("timeline", "current", "durations"),
    [
        (
            [
                (0.0, StepFinished("Clean Up", True)),
                (4.0, StepFinished("Setting up ssh keys", True)),
                (10.0, ManifestApplying("10.1.1.20_compute.pp", "10.1.1.20")),
                (10.0, ManifestApplying("10.1.1.21_compute.pp", "10.1.1.21")),
                (70.0, ManifestFinished("10.1.1.21_compute.pp", "10.1.1.21", True)),
            ],
            "10.1.1.20_compute.pp",
            {"Clean Up": 0.0, "Setting up ssh keys": 4.0, "10.1.1.21_compute.pp": 60.0},
        ),
        (
            [
                (5.0, StepFinished("Copying Puppet modules and manifests", True)),
                (6.0, ManifestApplying("10.1.1.10_controller.pp", "10.1.1.10")),
                (9.0, ManifestWaiting("10.1.1.10_controller.pp", "10.1.1.10")),
                (300.0, ManifestFinished("10.1.1.10_controller.pp", "10.1.1.10", True)),
                (301.0, ManifestApplying("10.1.1.10_network.pp", "10.1.1.10")),
                (400.0, ManifestFinished("10.1.1.10_network.pp", "10.1.1.10", True)),
                (401.0, StepFinished("Applying Puppet manifests", True)),
            ],
            None,
            {
                "Copying Puppet modules and manifests": 0.0,
                "10.1.1.10_controller.pp": 294.0,
                "10.1.1.10_network.pp": 99.0,
                "Applying Puppet manifests": 396.0,
            },
        ),
    ],
)
def test_progress_timing(
    timeline: list[tuple[float, Event]], current: str | None, durations: dict[str, float]
) -> None:
    progress = Progress()
    for at, event in timeline:
        progress = progress.apply(event, at)
    assert progress.current == current
    assert {step.name: step.duration for step in progress.finished} == durations
    assert progress.outcome == "running"


@pytest.mark.parametrize(
    ("log", "expected"),
    [
        (
            "10.1.1.21_compute.pp.log",
            [
                DNF_ERROR,
                " Problem: package openstack-nova-compute-30.0.0-1.el9s.noarch from"
                " centos-openstack-dalmatian requires python3-nova = 1:30.0.0-1.el9s, but none"
                " of the providers can be installed",
                "  - nothing provides python3-oslo-limit >= 2.4.0 needed by"
                " python3-nova-1:30.0.0-1.el9s.noarch from centos-openstack-dalmatian",
                "(try to add '--skip-broken' to skip uninstallable packages or '--nobest' to use"
                " not only best candidate packages)",
                "Error: /Stage[main]/Nova::Compute/Nova::Generic_service[compute]"
                "/Package[nova-compute]/ensure: change from 'purged' to 'present' failed:"
                " Execution of '/usr/bin/dnf -d 0 -e 1 -y install openstack-nova-compute'"
                " returned 1: Error:",
            ],
        ),
        (
            "10.1.1.10_controller.pp.log",
            [
                "Error: Systemd start for rabbitmq-server failed!",
                "journalctl log for rabbitmq-server:",
                f"{JOURNAL}:44 controller.lab.example systemd[1]: Starting RabbitMQ broker...",
                f"{JOURNAL}:50 controller.lab.example rabbitmq-server[23817]: ERROR: epmd error"
                " for host controller: address (cannot connect to host/port)",
                f"{JOURNAL}:51 controller.lab.example systemd[1]: rabbitmq-server.service: Main"
                " process exited, code=exited, status=1/FAILURE",
                f"{JOURNAL}:51 controller.lab.example systemd[1]: rabbitmq-server.service: Failed"
                " with result 'exit-code'.",
                f"{JOURNAL}:51 controller.lab.example systemd[1]: Failed to start RabbitMQ broker.",
                "Error: /Stage[main]/Rabbitmq::Service/Service[rabbitmq-server]/ensure: change"
                " from 'stopped' to 'running' failed: Systemd start for rabbitmq-server failed!",
            ],
        ),
        ("10.1.1.10_network.pp.log", []),
    ],
)
def test_extract_failure(log: str, expected: list[str]) -> None:
    assert extract_failure((PACKSTACK_OUTPUT / log).read_text()) == expected


@pytest.mark.parametrize("log", ["10.1.1.21_compute.pp.log", "10.1.1.10_controller.pp.log"])
def test_extract_failure_starts_with_packstacks_choice(log: str) -> None:
    """The first extracted error is the one Packstack's own validate_logfile reports."""
    with pytest.raises(Exception, match="Error appeared during Puppet run") as raised:
        validate_logfile(str(PACKSTACK_OUTPUT / log))
    assert (
        str(raised.value).splitlines()[1]
        == extract_failure((PACKSTACK_OUTPUT / log).read_text())[0]
    )


def run_fake(
    tmp_path: Path, answers: dict[str, str], fail_at: str = "", tty: bool = False
) -> tuple[int, str, Path]:
    """Run the Packstack stand-in (it writes its logs under tmp_path/logs)."""
    answer_file = tmp_path / "answers.txt"
    answer_file.write_text("[general]\n" + "".join(f"{k}={v}\n" for k, v in answers.items()))
    env = {
        **os.environ,
        "FAKE_PACKSTACK_STEP_SECONDS": "0",
        "FAKE_PACKSTACK_LOG_ROOT": str(tmp_path / "logs"),
        "FAKE_PACKSTACK_SSH_PROBE": "0",
        "FAKE_PACKSTACK_FAIL_AT": fail_at,
    }
    cmd = [sys.executable, str(FAKE_PACKSTACK), f"--answer-file={answer_file}"]
    if not tty:
        done = subprocess.run(cmd, env=env, capture_output=True, timeout=60, check=False)
        return done.returncode, done.stdout.decode(), answer_file
    master, slave = pty.openpty()
    proc = subprocess.Popen(cmd, env=env, stdout=slave, stderr=subprocess.DEVNULL)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    return proc.wait(timeout=60), b"".join(chunks).decode(), answer_file


@pytest.mark.parametrize(
    ("answers", "fail_at", "status", "manifests", "outcome"),
    [
        (MULTINODE, "", 0, [(m, True) for m in TIER_ORDER], "succeeded"),
        (
            MULTINODE,
            "compute.pp",
            1,
            [(m, True) for m in TIER_ORDER[:2]] + [(TIER_ORDER[2], False)],
            "failed",
        ),
        (
            MULTINODE,
            "controller_post.pp",
            1,
            [(m, True) for m in TIER_ORDER[:4]] + [(TIER_ORDER[4], False)],
            "failed",
        ),
        (
            AIO,
            "",
            0,
            [
                (f"10.1.1.10_{role}.pp", True)
                for role in ("controller", "network", "compute", "controller_post")
            ],
            "succeeded",
        ),
    ],
)
def test_fake_packstack_run(
    tmp_path: Path,
    answers: dict[str, str],
    fail_at: str,
    status: int,
    manifests: list[tuple[str, bool]],
    outcome: str,
) -> None:
    """Stand-in: the real Packstack cannot run without CentOS Stream 9 and RDO repositories."""
    code, output, answer_file = run_fake(tmp_path, answers, fail_at)
    events = parse_output(output)
    progress = fold(events)
    latest = tmp_path / "logs" / "latest"
    assert code == status
    assert finished_manifests(events) == manifests
    assert progress.outcome == outcome
    assert progress.log_file == str(latest.resolve() / "openstack-setup.log")
    assert sorted(p.name for p in (latest / "manifests").iterdir()) == sorted(
        f"{m}.log" for m, _ in manifests
    )
    assert answer_file.stat().st_mode & 0o777 == 0o600
    if progress.failure is not None:
        failing_log = Path(str(progress.failure.trace_log))
        assert progress.failure.errors[0] == extract_failure(failing_log.read_text())[0]
        assert failing_log.parent == latest.resolve() / "manifests"


def test_fake_packstack_state_lines_are_packstacks(tmp_path: Path) -> None:
    """Every state line the stand-in prints is byte for byte Packstack's state_message."""
    _, output, _ = run_fake(tmp_path, MULTINODE, fail_at="21_compute.pp")
    expected = []
    for event in parse_output(output):
        if isinstance(event, StepFinished):
            expected.append(state_message(event.title, *STATES[event.ok]))
        elif isinstance(event, ManifestFinished):
            expected.append("\r" + state_message(f"{event.manifest}:", *STATES[event.ok]))
    printed = [line for line in output.split("\n") if "[ \x1b[" in line]
    assert printed == expected
    assert len(printed) == 39 + 4 + 1


def test_fake_packstack_on_a_terminal(tmp_path: Path) -> None:
    """On a terminal the stand-in redraws "Testing if puppet apply is finished" like Packstack."""
    code, output, _ = run_fake(tmp_path, AIO, fail_at="_network.pp", tty=True)
    events = parse_output(output)
    waiting = {e.manifest for e in events if isinstance(e, ManifestWaiting)}
    assert code == 1
    assert waiting == {"10.1.1.10_controller.pp", "10.1.1.10_network.pp"}
    assert fold(events).failure is not None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "CONFIG_CONTROLLER_HOST=10.1.1.10\n",
            "Failed handling answer file: File contains no section headers.",
        ),
        (None, "Error: Could not find file"),
    ],
)
def test_fake_packstack_bad_answer_file(tmp_path: Path, content: str | None, message: str) -> None:
    answer_file = tmp_path / "answers.txt"
    if content is not None:
        answer_file.write_text(content)
    env = {**os.environ, "FAKE_PACKSTACK_LOG_ROOT": str(tmp_path / "logs")}
    done = subprocess.run(
        [sys.executable, str(FAKE_PACKSTACK), "--answer-file", str(answer_file)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    progress = fold(parse_output(done.stdout))
    assert done.returncode == 1
    assert progress.failure is not None
    assert progress.failure.message.startswith(message)
    assert progress.failure.setup_log == str(
        (tmp_path / "logs" / "latest").resolve() / "openstack-setup.log"
    )


def test_fake_packstack_drops_only_the_users_ssh_sessions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stand-in for eth0 moving into br-ex: the user's sshd session processes end, nothing else.

    The "sshd" processes here are `cat` under an sshd process title, since no sshd runs here.
    """
    user = f"lbtest{os.getpid()}"
    titles = {
        "session": f"sshd: {user}@notty",
        "monitor": f"sshd: {user} [priv]",
        "other user": "sshd: someoneelse@pts/3",
        "listener": "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups",
    }
    procs = {
        name: subprocess.Popen([title], executable="/bin/cat", stdin=subprocess.PIPE)
        for name, title in titles.items()
    }
    monkeypatch.setenv("SUDO_USER", user)
    monkeypatch.setenv("FAKE_PACKSTACK_DROP_SSH", "1")
    try:
        code, output, _ = run_fake(tmp_path, MULTINODE)
        ended = {name: exit_status(proc) for name, proc in procs.items()}
    finally:
        for proc in procs.values():
            proc.kill()
            proc.wait()
    setup_log = (tmp_path / "logs" / "latest" / "openstack-setup.log").read_text()
    assert code == 0
    assert fold(parse_output(output)).outcome == "succeeded"
    assert ended == {"session": -15, "monitor": -15, "other user": None, "listener": None}
    assert f"ended 2 SSH session process(es) of {user}" in setup_log


def exit_status(proc: subprocess.Popen[bytes]) -> int | None:
    """The process's exit status, or None when it still runs a second later."""
    try:
        return proc.wait(timeout=1)
    except subprocess.TimeoutExpired:
        return None
