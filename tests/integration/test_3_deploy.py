"""The deploy stage on the shared test-box lab, with a stand-in Packstack.

The real Packstack needs CentOS Stream 9 nodes and the RDO repositories, which the project's
machines cannot reach. So this module installs the stand-in ``tests/fakes/packstack`` as
/usr/local/bin/packstack on the controller (it writes Packstack's real output lines and logs,
fails at a chosen manifest, and can end the SSH sessions as eth0 moving into br-ex does) and
runs the real deploy stage against it over SSH: a failure at a compute manifest, the resume,
a run that drops the SSH sessions, re-attaching to a run already going, and what a finished
deploy leaves on the host. The demo project/user step is tried against a real Keystone.
"""

from __future__ import annotations

import io
import stat
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from openstack.config.loader import OpenStackConfig
from rich.console import Console

from labbuilder.adapters import openstack
from labbuilder.adapters.packstack.run import FILES, start_script
from labbuilder.adapters.ssh import Remote
from labbuilder.commands.context import host_virt, settings_for
from labbuilder.commands.flags import Flags
from labbuilder.errors import DeployError
from labbuilder.labdir import LabDir
from labbuilder.model import lockfile
from labbuilder.model.lab import Lab
from labbuilder.render import cloudconfig
from labbuilder.reporter import Reporter
from labbuilder.stages import render as render_stage
from labbuilder.stages.deploy import deploy
from labbuilder.stages.record import record
from tests.conftest import FAKE_PACKSTACK, ROOT

from .conftest import FLAGS, LAB, NET, invoke
from .test_suites_keystone import PASSWORD, Keystone, keystone, keystone_venv, site  # noqa: F401

pytestmark = pytest.mark.vms

FAST = {"FAKE_PACKSTACK_STEP_SECONDS": "0.3"}
CONTROLLER, COMPUTE1 = f"10.{NET}.1.10", f"10.{NET}.1.20"


@dataclass(frozen=True)
class Deployed:
    lab: Lab
    labdir: LabDir
    remote: Remote


@pytest.fixture(scope="module")
def target(lab) -> Deployed:
    started = time.monotonic()
    invoke(lab["env"], "up", "--lab", LAB, "--nodes", "3", "--until", "provision", *FLAGS,
           timeout=3600)  # fmt: skip
    print(f"up --until provision took {time.monotonic() - started:.0f} s")
    config = {"labs_dir": lab["env"]["INVOKE_LABS_DIR"]}
    settings, labdir = settings_for(config, Flags(lab=LAB))
    kvm, nested = host_virt()
    rendered = render_stage.render(settings, labdir, kvm=kvm, nested=nested, base=ROOT)
    remote = Remote(labdir.ssh_config)
    remote.put_file(
        "controller", FAKE_PACKSTACK.read_text(), "/usr/local/bin/packstack", mode="0755"
    )
    return Deployed(rendered.lab, labdir, remote)


def run_deploy(target: Deployed, env: Mapping[str, str]) -> tuple[str, DeployError | None]:
    out = io.StringIO()
    reporter = Reporter(Console(file=out, width=300, color_system=None, highlight=False))
    try:
        deploy(target.lab, target.labdir, target.remote, reporter, poll_seconds=2, env=env)
        record(target.lab, target.labdir, target.remote, reporter, None)
    except DeployError as err:
        return out.getvalue(), err
    return out.getvalue(), None


def newest_logs(labdir: LabDir) -> Path:
    return sorted(labdir.logs.iterdir())[-1]


def test_failure_names_manifest_and_host_and_keeps_logs(target: Deployed) -> None:
    said, error = run_deploy(target, {**FAST, "FAKE_PACKSTACK_FAIL_AT": "compute.pp"})
    assert error is not None, said
    assert str(error).startswith(
        f"Packstack failed applying {COMPUTE1}_compute.pp on compute1 ({COMPUTE1}); logs in "
    )
    assert str(error).endswith(f"resume with `invoke deploy --lab {LAB}`")
    logs = newest_logs(target.labdir)
    assert str(logs) in str(error)
    assert (logs / "manifests" / f"{COMPUTE1}_compute.pp.log").is_file()
    assert (logs / "openstack-setup.log").is_file()
    assert "ERROR : Error appeared during Puppet run" in (logs / "packstack.out").read_text()
    assert "  Error: Systemd start for virtqemud failed!" in said
    assert "  virtqemud.service: Main process exited, code=exited, status=1/FAILURE" in said
    assert f" {CONTROLLER}_controller.pp " in said and "Copying Puppet modules" in said


def test_resume_runs_again_with_the_same_answers(target: Deployed) -> None:
    said, error = run_deploy(target, FAST)
    assert error is None, said
    assert "Packstack started on controller (unit labbuilder-packstack-2)" in said
    assert (
        "Installation completed successfully"
        in (newest_logs(target.labdir) / "packstack.out").read_text()
    )
    on_node = target.remote.run("controller", f"cat {FILES.answers}", sudo=True).stdout
    assert on_node == target.labdir.answers.read_text()


def test_run_survives_the_ssh_sessions_ending(target: Deployed) -> None:
    """The stand-in ends every SSH session of the login user while the network manifest
    applies; a session held open meanwhile must be cut, and the detached run go on."""
    user = target.remote.run("controller", "id -un").stdout.strip()
    held = subprocess.Popen(
        target.remote.ssh_argv("controller", "sleep 600"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        said, error = run_deploy(
            target,
            {"FAKE_PACKSTACK_STEP_SECONDS": "2", "FAKE_PACKSTACK_DROP_SSH": "1", "SUDO_USER": user},
        )
        assert error is None, said
        assert held.wait(timeout=5) == 255
    finally:
        held.kill()
    setup_log = (newest_logs(target.labdir) / "openstack-setup.log").read_text()
    assert "Simulated eth0 moving into br-ex: ended" in setup_log
    assert f"{CONTROLLER}_controller_post.pp" in said


def test_attaches_to_a_run_already_going(target: Deployed) -> None:
    started = target.remote.run(
        "controller", start_script(9, {"FAKE_PACKSTACK_STEP_SECONDS": "1"}), sudo=True
    )
    assert started.stdout.strip() == "9 unit labbuilder-packstack-9"
    said, error = run_deploy(target, FAST)
    assert error is None, said
    assert "Packstack is still running on controller (unit labbuilder-packstack-9): " in said
    assert "attached: " in said
    assert "Packstack started" not in said


def test_finished_deploy_leaves_clouds_openrc_and_lock(target: Deployed) -> None:
    root = target.labdir.root
    clouds, openrc, lock = root / "clouds.yaml", root / "openrc", root / "lab.lock"
    assert [stat.S_IMODE(p.stat().st_mode) for p in (clouds, openrc)] == [0o600, 0o600]
    config = OpenStackConfig(config_files=[str(clouds)])
    for cloud, user in ((LAB, "admin"), (f"{LAB}-demo", "demo")):
        auth = config.get_one(cloud=cloud).config["auth"]
        assert (auth["auth_url"], auth["username"]) == (f"http://{CONTROLLER}:5000/v3", user)
    assert f"export OS_AUTH_URL=http://{CONTROLLER}:5000/v3\n" in openrc.read_text()
    recorded = lockfile.load(lock.read_text(), str(lock))
    kernel = target.remote.run("controller", "uname -r").stdout.strip()
    assert (recorded.lab, recorded.box_name, recorded.box_version, recorded.box_sha256) == (
        LAB, "labbuilder/testbox", None, None,
    )  # fmt: skip
    assert (recorded.packstack_version, recorded.kernel) == ("packstack 26.0.0+stand-in", kernel)


def test_ensure_demo_against_real_keystone(keystone: Keystone, tmp_path: Path) -> None:  # noqa: F811
    """Real Keystone 30 (the keystone module's fixture); twice, the second changes nothing."""
    admin = cloudconfig.Account("admin", "admin", PASSWORD)
    demo = cloudconfig.Account("demo", "demo", "demo-s3cret")
    path = tmp_path / "clouds.yaml"
    path.write_text(cloudconfig.build_clouds_yaml("ks", keystone.url, admin, demo))
    done = []
    for _ in range(2):
        conn = openstack.connect(path, "ks")
        done.append(openstack.ensure_demo(conn, demo.password))
        conn.close()
    assert done == [
        [
            "created project demo",
            "created user demo",
            "gave user demo the member role in project demo",
        ],
        [],
    ]
    as_demo = openstack.connect(path, "ks-demo")
    assert as_demo.current_project.name == "demo"
    as_demo.close()
