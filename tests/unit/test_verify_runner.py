"""``invoke verify``'s runner: the pytest command line, the environment the suites read, the
choice of cloud in clouds.yaml, and the refusals that come before pytest starts.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from labbuilder.errors import ConfigError, StateError
from labbuilder.verify import runner as verify
from labbuilder.verify.results import Failure, Summary
from labbuilder.verify.suites import SUITES
from tests.conftest import FIXTURES

VERIFY_FIXTURES = FIXTURES / "verify"
INVENTORY = VERIFY_FIXTURES / "inventory-poc-3nodes.json"


@pytest.mark.parametrize(
    ("only", "suites"),
    [(None, SUITES), ("ovs", ("ovs",)), ("e2e", ("e2e",))],
)
def test_check_only(only: str | None, suites: tuple[str, ...]) -> None:
    assert verify.check_only(only) == suites


def test_unknown_suite() -> None:
    with pytest.raises(
        ConfigError,
        match="unknown suite 'ovn': choose one of nodes, services, sockets, endpoints, ovs, openstack, e2e",
    ):
        verify.check_only("ovn")


@pytest.mark.parametrize(
    ("nodes", "suites", "workers"),
    [(1, SUITES, 0), (2, SUITES, 2), (3, ("nodes",), 3), (6, SUITES, 4), (3, ("e2e",), 0)],
)
def test_workers_for(nodes: int, suites: tuple[str, ...], workers: int) -> None:
    assert verify.workers_for(nodes, suites) == workers


def test_build_args() -> None:
    args = verify.build_args(
        Path("/pkg/suites"),
        ("nodes", "ovs"),
        ssh_config=Path("/labs/poc/ssh-config"),
        junit=Path("/labs/poc/verify/junit.xml"),
        control_dir=Path("/tmp/lbv-x"),
        workers=3,
    )
    assert args == [
        sys.executable, "-m", "pytest",
        "/pkg/suites/test_nodes.py", "/pkg/suites/test_ovs.py",
        "--rootdir=/pkg/suites", "-c", "/dev/null", "-p", "no:cacheprovider",
        "-o", "junit_family=xunit1", "-o", "junit_suite_name=labbuilder-verify",
        "--junit-xml=/labs/poc/verify/junit.xml",
        "--ssh-config=/labs/poc/ssh-config",
        "--ssh-extra-args=-o ControlPath=/tmp/lbv-x/%C -o ControlPersist=15s",
        "--sudo", "--numprocesses=3", "-q", "--no-header", "--tb=line", "-rN",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("clouds", "lab", "name"),
    [
        ("clouds:\n  poc: {}\n  other: {}\n", "poc", "poc"),
        ("clouds:\n  admin: {}\n", "poc", "admin"),
    ],
)
def test_cloud_name(clouds: str, lab: str, name: str) -> None:
    assert verify.cloud_name(clouds, lab, "clouds.yaml") == name


@pytest.mark.parametrize(
    ("clouds", "message"),
    [
        ("clouds:\n  a: {}\n  b: {}\n", "clouds.yaml has no cloud named 'poc' \\(has: a, b\\)"),
        ("just text", "clouds.yaml has no 'clouds:' mapping: re-run `invoke up`"),
        ("{", "clouds.yaml has no 'clouds:' mapping"),
    ],
)
def test_cloud_name_refused(clouds: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        verify.cloud_name(clouds, "poc", "clouds.yaml")


@pytest.mark.parametrize(
    ("clouds_yaml", "cloud", "env"),
    [
        (
            None,
            None,
            {"LABBUILDER_INVENTORY": "/l/inventory.json", "LABBUILDER_STAGE": "provision"},
        ),
        (
            Path("/l/clouds.yaml"),
            "poc",
            {
                "LABBUILDER_INVENTORY": "/l/inventory.json",
                "LABBUILDER_STAGE": "provision",
                "OS_CLIENT_CONFIG_FILE": "/l/clouds.yaml",
                "OS_CLOUD": "poc",
            },
        ),
    ],
)
def test_build_env(clouds_yaml: Path | None, cloud: str | None, env: dict[str, str]) -> None:
    assert verify.build_env(Path("/l/inventory.json"), "provision", clouds_yaml, cloud) == env


def test_failure_message() -> None:
    summary = Summary(
        lab="poc",
        stage="deploy",
        passed=5,
        failed=2,
        skipped=1,
        errors=0,
        failures=(
            Failure(
                "ovs",
                "compute2",
                "test_tunnel_to_peer[compute1]",
                "br-tun has no vxlan port to compute1",
            ),
            Failure("nodes", "compute1", "test_no_failed_units", "1 failed unit(s): x.service"),
        ),
        cases=(),
        lines=(),
    )
    assert verify.failure_message(summary, Path("labs/poc/verify/report.md")) == (
        "2 of 8 checks failed on lab poc, first: ovs compute2 test_tunnel_to_peer[compute1]: "
        "br-tun has no vxlan port to compute1 (report: labs/poc/verify/report.md)"
    )


@pytest.mark.parametrize(
    ("stage", "ssh_config", "error", "message"),
    [
        (
            "vms",
            True,
            StateError,
            r"the lab's VMs are not provisioned yet \(stage: vms\): run `invoke up`",
        ),
        ("rendered", True, StateError, r"not provisioned yet \(stage: rendered\)"),
        (
            "provision",
            False,
            StateError,
            r"ssh-config not found: run `invoke up` to \(re\)create the lab's VMs",
        ),
    ],
)
def test_refused_before_pytest(
    tmp_path: Path, stage: str, ssh_config: bool, error: type[Exception], message: str
) -> None:
    config = tmp_path / "ssh-config"
    if ssh_config:
        config.write_text("Host controller\n")
    with pytest.raises(error, match=message):
        verify.run(
            INVENTORY,
            config,
            stage,
            only=None,
            junit=tmp_path / "j.xml",
            report=tmp_path / "r.md",
            clouds_yaml=None,
        )
    assert not (tmp_path / "j.xml").exists()
