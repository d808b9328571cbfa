"""``vagrant up`` through the one process runner (``shell.run``), against a fake ``vagrant``
on PATH (a shell script written here: real VMs are the integration tests' business). The
fake prints vagrant-libvirt's line formats, waits for the host to have seen the first machine
step before it goes on (so output that only arrived at exit would fail the test), and exits
with the code asked for."""

from __future__ import annotations

from pathlib import Path

import pytest

from labbuilder.adapters import vagrant as vagrantctl
from labbuilder.errors import ToolError
from tests.conftest import fake_program

FAKE_VAGRANT = """#!/bin/bash
echo "$*" > "$FAKE_DIR/argv"
echo "${VAGRANT_CHECKPOINT_DISABLE:-unset}" > "$FAKE_DIR/checkpoint"
if [ "$1" = --version ]; then echo "Vagrant 2.3.4"; exit 0; fi
echo "Bringing machine 'controller' up with 'libvirt' provider..."
echo "==> controller: Creating domain with the following settings..."
echo "    controller: -- Storage pool:      default"
for _ in $(seq 100); do [ -e "$FAKE_DIR/seen" ] && break; sleep 0.1; done
[ -e "$FAKE_DIR/seen" ] || { echo "output was not streamed"; exit 3; }
echo "==> compute1: Starting domain."
echo "An error occurred while executing the action on the 'compute1' machine."
echo "last words"
exit "${FAKE_VAGRANT_RC:-0}"
"""


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PATH", fake_program(tmp_path, "vagrant", FAKE_VAGRANT, "/usr/bin:/bin"))
    monkeypatch.setenv("FAKE_DIR", str(tmp_path))
    monkeypatch.delenv("VAGRANT_CHECKPOINT_DISABLE", raising=False)
    return tmp_path


def up(fake: Path) -> tuple[list[tuple[str, str]], list[str]]:
    steps: list[tuple[str, str]] = []
    errors: list[str] = []

    def on_step(node: str, message: str) -> None:
        steps.append((node, message))
        (fake / "seen").touch()

    vagrantctl.Vagrant(fake).up(["controller", "compute1"], on_step, errors.append)
    return steps, errors


def test_up_streams_machine_steps_and_error_lines(fake: Path) -> None:
    steps, errors = up(fake)
    assert steps == [
        ("controller", "Creating domain with the following settings..."),
        ("compute1", "Starting domain."),
    ]
    assert errors == ["An error occurred while executing the action on the 'compute1' machine."]
    assert (
        fake / "argv"
    ).read_text() == "up controller compute1 --provider libvirt --no-provision\n"
    assert (fake / "checkpoint").read_text() == "1\n"


def test_failed_up_names_the_exit_code_and_last_line(
    fake: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_VAGRANT_RC", "1")
    with pytest.raises(
        ToolError,
        match=r"^vagrant up controller compute1 failed \(exit 1\): An error occurred while executing the action on the 'compute1' machine\. \(full output: ",
    ):
        up(fake)


def test_up_without_vagrant_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolError, match="vagrant is not installed or not on PATH"):
        vagrantctl.Vagrant(tmp_path).up(["controller"], lambda n, m: None, lambda e: None)
    assert vagrantctl.version() is None


def test_version_through_the_runner(fake: Path) -> None:
    assert vagrantctl.version() == "2.3.4"
    assert (fake / "argv").read_text() == "--version\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Vagrant 2.3.4\n", "2.3.4"),
        ("Vagrant 2.4.1\n\nInstalled Version: 2.4.1\n", "2.4.1"),
        ("vagrant: command not found\n", None),
        ("", None),
    ],
)
def test_parse_version(text: str, expected: str | None) -> None:
    assert vagrantctl.parse_version(text) == expected
