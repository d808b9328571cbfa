"""The record step after a successful Packstack run: what it leaves in the lab directory and
what it says. The controller is a fake (``FakeRemote``: canned answers to the two commands
the step runs over SSH), since a real node needs VMs; the integration tests run it on one."""

from __future__ import annotations

import io
import stat
from pathlib import Path

import pytest
from rich.console import Console

from labbuilder.adapters.shell import Result
from labbuilder.labdir import LabDir
from labbuilder.model import lockfile, secrets
from labbuilder.model.planner import plan
from labbuilder.model.settings import resolve
from labbuilder.reporter import Reporter
from labbuilder.stages.record import record

ANSWERS = {
    "packstack --version": "packstack 26.0.0\n",
    "uname -r": "5.14.0-570.el9.x86_64\n",
}


class FakeRemote:
    """Stands in for ``adapters.ssh.Remote``: answers the commands in ``ANSWERS``."""

    def run(self, node: str, command: str, *, sudo: bool = False) -> Result:
        assert node == "controller"
        return Result(("ssh", node, command), 0, ANSWERS[command], "")


@pytest.mark.parametrize(
    ("box", "sha256", "said"),
    [
        (
            "testbox",
            None,
            "demo project and user: skipped (box labbuilder/testbox runs no Keystone)",
        ),
        ("testbox", "ab" * 32, "demo project and user: skipped"),
    ],
)
def test_record_writes_clouds_openrc_and_lock(
    tmp_path: Path, box: str, sha256: str | None, said: str
) -> None:
    lab = plan(resolve(("test", {"lab": "poc", "nodes": 3, "box": box})), kvm=True, nested=True)
    labdir = LabDir(tmp_path)
    labdir.secrets.write_text(secrets.dump("lab-pw"))
    labdir.answers.write_text("[general]\nCONFIG_KEYSTONE_ADMIN_PW=adm\n")
    out = io.StringIO()
    reporter = Reporter(Console(file=out, width=300, color_system=None, highlight=False))
    record(lab, labdir, FakeRemote(), reporter, sha256)  # type: ignore[arg-type]
    clouds, openrc, lock = tmp_path / "clouds.yaml", tmp_path / "openrc", tmp_path / "lab.lock"
    assert [stat.S_IMODE(p.stat().st_mode) for p in (clouds, openrc)] == [0o600, 0o600]
    assert "export OS_PASSWORD=adm\n" in openrc.read_text()
    recorded = lockfile.load(lock.read_text(), str(lock))
    assert (recorded.lab, recorded.box_name, recorded.box_sha256) == ("poc", lab.box.name, sha256)
    assert (recorded.packstack_version, recorded.kernel) == (
        "packstack 26.0.0",
        "5.14.0-570.el9.x86_64",
    )
    lines = out.getvalue().splitlines()
    assert f"wrote clouds.yaml, openrc and lab.lock in {tmp_path}" in lines[0]
    assert said in lines[1]
