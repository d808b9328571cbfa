"""The dashboard forward's life (start, keep, start anew, stop, describe, refuse), with a fake
``ssh`` on PATH: a Python script that listens on the ``-L`` port as OpenSSH does, or fails as
OpenSSH does when it cannot. The real tunnel to a real VM is the classroom integration test's."""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from labbuilder.adapters import shell
from labbuilder.errors import ConfigError, ToolError
from labbuilder.labdir import LabDir
from labbuilder.model import planner
from labbuilder.model.settings import resolve
from labbuilder.render import inventory
from labbuilder.reporter import Reporter
from labbuilder.stages import forward
from tests.conftest import fake_program

FAKE_SSH = f"""#!{sys.executable}
import os, socket, sys, time
if os.environ.get("FAKE_SSH_FAIL"):
    print("channel_setup_fwd_listener_tcpip: cannot listen to port: " + sys.argv[-2], flush=True)
    print("Could not request local forwarding.", flush=True)
    sys.exit(255)
listen = sys.argv[sys.argv.index("-L") + 1].split(":")
sock = socket.socket()
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", int(listen[1])))
sock.listen()
while True:
    conn, _ = sock.accept()
    try:
        conn.sendall(b"HTTP/1.0 200 OK\\r\\n\\r\\nforwarded to " + listen[-1].encode())
    except OSError:
        pass  # the caller only checked that the port listens
    conn.close()
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def fake_ssh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", fake_program(tmp_path, "ssh", FAKE_SSH, os.environ["PATH"]))


@pytest.fixture(autouse=True)
def no_forward_left(tmp_path: Path) -> Iterator[None]:
    """Whatever a test leaves running is ended by its recorded PID."""
    yield
    for record in tmp_path.glob(f"*/{forward.RECORD}"):
        data = json.loads(record.read_text())
        shell.end(data["pid"], data["argv"])


def lab_dir(tmp_path: Path, port: int) -> LabDir:
    lab = planner.plan(
        resolve(("test", {"lab": "fw", "box": "testbox", "horizon_port": port})),
        kvm=False,
        nested=False,
    )
    labdir = LabDir(tmp_path / "fw")
    labdir.root.mkdir()
    labdir.inventory.write_text(inventory.dumps(lab))
    labdir.ssh_config.write_text("Host controller\n  HostName 10.1.1.10\n")
    return labdir


def answer(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        return sock.recv(100)


def recorded_pid(labdir: LabDir) -> int:
    return int(json.loads((labdir.root / forward.RECORD).read_text())["pid"])


def test_started_kept_started_anew_and_stopped_by_its_pid(tmp_path, fake_ssh, capsys):
    port = free_port()
    labdir = lab_dir(tmp_path, port)
    forward.ensure(labdir, Reporter())
    first = recorded_pid(labdir)
    assert answer(port).endswith(b"forwarded to 80")
    assert f"forwarded to http://{socket.getfqdn()}:{port}/dashboard/" in capsys.readouterr().out
    assert forward.describe(labdir) == f"dashboard forwarded: {forward.url(port)}"

    forward.ensure(labdir, Reporter())
    assert recorded_pid(labdir) == first  # running: kept

    forward.ensure(labdir, Reporter(), anew=True)
    second = recorded_pid(labdir)
    assert second != first and not Path(f"/proc/{first}").exists()
    assert answer(port).endswith(b"forwarded to 80")

    assert forward.stop(labdir) is True
    assert not (labdir.root / forward.RECORD).exists()
    assert not Path(f"/proc/{second}").exists()
    assert forward.describe(labdir) == (
        f"dashboard forward to port {port} not running: `invoke start --lab fw` starts it"
    )
    assert forward.stop(labdir) is False


def test_a_dead_forward_is_started_again_and_a_reused_pid_is_not_ours(tmp_path, fake_ssh):
    port = free_port()
    labdir = lab_dir(tmp_path, port)
    forward.ensure(labdir, Reporter())
    record = json.loads((labdir.root / forward.RECORD).read_text())
    shell.end(record["pid"], record["argv"])
    record["pid"] = os.getpid()  # after a reboot the PID belongs to someone else
    (labdir.root / forward.RECORD).write_text(json.dumps(record))
    assert "not running" in (forward.describe(labdir) or "")
    forward.ensure(labdir, Reporter())
    assert recorded_pid(labdir) != os.getpid()
    assert answer(port).endswith(b"forwarded to 80")
    forward.stop(labdir)


def test_a_taken_port_is_refused_before_anything_starts(tmp_path, fake_ssh):
    with socket.socket() as other:
        other.bind(("0.0.0.0", 0))
        other.listen()
        port = other.getsockname()[1]
        labdir = lab_dir(tmp_path, port)
        with pytest.raises(ToolError, match=f"host port {port} for lab fw's dashboard is taken"):
            forward.ensure(labdir, Reporter())
    assert not (labdir.root / forward.RECORD).exists()


def test_a_tunnel_that_fails_leaves_nothing_running_and_names_the_cause(
    tmp_path, fake_ssh, monkeypatch
):
    monkeypatch.setenv("FAKE_SSH_FAIL", "1")
    labdir = lab_dir(tmp_path, free_port())
    with pytest.raises(ToolError, match="failed: Could not request local forwarding"):
        forward.ensure(labdir, Reporter())
    assert not (labdir.root / forward.RECORD).exists()


def test_a_lab_without_a_port_has_no_forward_and_one_asked_away_is_stopped(tmp_path, fake_ssh):
    port = free_port()
    labdir = lab_dir(tmp_path, port)
    forward.ensure(labdir, Reporter())
    pid = recorded_pid(labdir)
    data = json.loads(labdir.inventory.read_text())
    labdir.inventory.write_text(json.dumps({**data, "horizon_port": 0}))
    forward.ensure(labdir, Reporter())
    assert not Path(f"/proc/{pid}").exists()
    assert forward.describe(labdir) is None


@pytest.mark.parametrize("port", [80, 1023, 65536, -1])
def test_a_port_out_of_range_is_one_line_naming_the_range(port):
    with pytest.raises(ConfigError, match=f"horizon_port {port}: use a free host port from 1024"):
        planner.plan(resolve(("test", {"horizon_port": port})), kvm=False, nested=False)
