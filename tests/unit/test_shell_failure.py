"""A failing outside command is summarised by the line that names its cause (not a backtrace
frame), and its whole output is kept in a log file whose path the message gives."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from labbuilder.adapters import shell
from labbuilder.errors import ToolError
from tests.conftest import FIXTURES

SHELL_OUTPUT = FIXTURES / "shell"


@pytest.mark.parametrize(
    ("output", "cause"),
    [
        (  # recorded: `vagrant up` of the test box with QEMU unable to reach /root/.vagrant.d
            (SHELL_OUTPUT / "vagrant-up-kernel-denied.txt").read_text(),
            "Call to virDomainCreateWithFlags failed: internal error: qemu unexpectedly closed "
            "the monitor: qemu: could not open kernel file '/root/.vagrant.d/boxes/"
            "labbuilder-VAGRANTSLASH-testbox/0/libvirt/vmlinuz': Permission denied",
        ),
        (
            "Traceback (most recent call last):\n"
            '  File "/usr/bin/x", line 3, in <module>\n'
            "    main()\n"
            "OSError: [Errno 28] No space left on device\n",
            "OSError: [Errno 28] No space left on device",
        ),
        (
            "error: failed to get domain 'labbuilder-x-controller'\n\n",
            "error: failed to get domain 'labbuilder-x-controller'",
        ),
        (
            "Warning: Permanently added '10.1.1.10' (ED25519) to the list of known hosts.\r\n"
            "root@10.1.1.10: Permission denied (publickey).\r\n",
            "root@10.1.1.10: Permission denied (publickey).",
        ),
        ("building\nstep 2\ndone, but exit 1\n", "done, but exit 1"),
        ("", "no output"),
        ("E: " + "x" * 500, "E: " + "x" * 294 + "..."),
    ],
)
def test_cause_line(output, cause):
    assert shell.cause_line(output) == cause


def test_a_failed_command_names_the_cause_and_keeps_the_whole_output():
    script = "echo step one; echo 'frame' >&2; echo 'fatal: cannot lock ref' >&2; exit 3"
    with pytest.raises(ToolError) as info:
        shell.run(["sh", "-c", script])
    message = info.value.message
    assert message.startswith("sh failed (exit 3): fatal: cannot lock ref (full output: ")
    log = Path(re.search(r"full output: (\S+)\)$", message)[1])
    try:
        assert log.read_text() == "step one\nframe\nfatal: cannot lock ref\n"
        assert stat.S_IMODE(log.stat().st_mode) == 0o600
    finally:
        log.unlink()


def test_a_streamed_command_keeps_its_merged_output_once():
    lines: list[str] = []
    with pytest.raises(ToolError) as info:
        shell.run(["sh", "-c", "echo a; echo 'b: not found' >&2; exit 2"], on_line=lines.append)
    log = Path(re.search(r"full output: (\S+)\)$", info.value.message)[1])
    try:
        assert "b: not found" in info.value.message
        assert log.read_text().splitlines() == ["a", "b: not found"] == lines
    finally:
        log.unlink()


def test_a_one_line_output_needs_no_log_file(tmp_path):
    with pytest.raises(ToolError) as info:
        shell.run(
            ["sh", "-c", "echo 'ssh: connect to host x port 22: Connection refused' >&2; exit 255"]
        )
    assert info.value.message == (
        "sh failed (exit 255): ssh: connect to host x port 22: Connection refused"
    )
