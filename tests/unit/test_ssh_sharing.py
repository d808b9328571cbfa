"""The SSH adapter's shared connections and its retry of a node that cannot be reached yet,
with a fake ``ssh`` on PATH (real SSH to real VMs is the integration tests' business)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from labbuilder.adapters.ssh import Remote, sharing
from tests.conftest import fake_program

FAKE_SSH = """#!/bin/bash
n=$(($(cat "$FAKE_DIR/tries" 2>/dev/null || echo 0) + 1))
echo "$n" > "$FAKE_DIR/tries"
echo "$2" > "$FAKE_DIR/config"
if [ "$n" -le "${FAKE_UNREACHABLE:-0}" ]; then
    echo "ssh: connect to host 10.1.1.10 port 22: No route to host" >&2
    exit 255
fi
echo "ran on ${@: -2:1}"
"""


@pytest.fixture
def fake_ssh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PATH", fake_program(tmp_path, "ssh", FAKE_SSH, os.environ["PATH"]))
    monkeypatch.setenv("FAKE_DIR", str(tmp_path))
    config = tmp_path / "ssh-config"
    config.write_text("Host controller\n  HostName 10.1.1.10\n")
    return config


def test_a_node_not_reachable_yet_is_tried_again(fake_ssh, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_UNREACHABLE", "2")
    result = Remote(fake_ssh, connect_delay=0.0).run("controller", "true")
    assert result.stdout.strip() == "ran on controller"
    assert (tmp_path / "tries").read_text().strip() == "3"


def test_shared_connections_are_a_fresh_config_gone_after_the_block(fake_ssh, tmp_path):
    with sharing(Remote(fake_ssh)) as shared:
        text = shared.ssh_config.read_text()
        mode = shared.ssh_config.parent.stat().st_mode & 0o777
        shared.run("controller", "true")
        used = Path((tmp_path / "config").read_text().strip())
    assert used == shared.ssh_config != fake_ssh
    assert text.startswith(f"Host *\n  ControlMaster auto\n  ControlPath {used.parent}/%C\n")
    assert text.endswith("Host controller\n  HostName 10.1.1.10\n")
    assert mode == 0o700
    assert not used.parent.exists()
