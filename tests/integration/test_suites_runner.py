"""``invoke verify``'s runner end to end: pytest with xdist and testinfra in a subprocess,
the shipped suites, the JUnit file read back. The lab's hosts are unreachable on purpose
(SSH to a closed loopback port), so the node checks fail with that reason while the
OpenStack suites are skipped at stage provision, and fail for want of a clouds.yaml at
stage deploy.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from labbuilder.errors import VerifyError
from labbuilder.verify import runner as verify
from tests.conftest import FIXTURES

VERIFY_FIXTURES = FIXTURES / "verify"
INVENTORY = VERIFY_FIXTURES / "inventory-poc-3nodes.json"
NOT_DEPLOYED = (
    "OpenStack is not deployed on lab poc (recorded stage: provision): run `invoke up` to deploy it"
)


@pytest.fixture
def ssh_config(tmp_path: Path) -> Path:
    path = tmp_path / "ssh-config"
    path.write_text(
        "".join(
            f"Host {n}\n  HostName 127.0.0.1\n  Port 1\n"
            for n in ("controller", "compute1", "compute2")
        )
    )
    return path


def test_provision_stage_run(tmp_path: Path, ssh_config: Path) -> None:
    junit, report = tmp_path / "out" / "junit.xml", tmp_path / "out" / "report.md"
    lines: list[str] = []
    with pytest.raises(
        VerifyError, match=r"^24 of 120 checks failed on lab poc, first: nodes compute1 "
    ):
        verify.run(
            INVENTORY,
            ssh_config,
            "provision",
            only=None,
            junit=junit,
            report=report,
            clouds_yaml=None,
            on_line=lines.append,
        )
    summary = verify.summary_of("poc", "provision", junit)
    assert (summary.passed, summary.failed, summary.errors, summary.skipped) == (0, 0, 24, 96)
    refused = "cannot reach {0} over SSH: ssh: connect to host 127.0.0.1 port 1: Connection refused"
    assert {(f.suite, f.host, f.reason) for f in summary.failures} == {
        ("nodes", host, refused.format(host)) for host in ("controller", "compute1", "compute2")
    }
    assert {c.reason for c in summary.cases if c.outcome == "skipped"} == {NOT_DEPLOYED}
    assert {c.suite for c in summary.cases if c.outcome == "skipped"} == {
        "services",
        "sockets",
        "endpoints",
        "ovs",
        "openstack",
        "e2e",
    }
    root = ET.parse(junit).getroot()
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("name"), suite.get("tests"), suite.get("errors"), suite.get("skipped")) == (
        "labbuilder-verify",
        "120",
        "24",
        "96",
    )
    assert lines[-3:] == [
        f"SKIP e2e (1 check): {NOT_DEPLOYED}",
        f"JUnit: {junit}",
        f"report: {report}",
    ]
    assert report.read_text().startswith("# labbuilder verify: lab poc\n")


def test_deploy_stage_without_clouds_yaml(tmp_path: Path, ssh_config: Path) -> None:
    junit = tmp_path / "junit.xml"
    with pytest.raises(VerifyError):
        verify.run(
            INVENTORY,
            ssh_config,
            "deploy",
            only="openstack",
            junit=junit,
            report=tmp_path / "r.md",
            clouds_yaml=None,
        )
    summary = verify.summary_of("poc", "deploy", junit)
    assert summary.errors == summary.total == 10
    assert {f.reason for f in summary.failures} == {
        "the lab has no clouds.yaml (OS_CLOUD/OS_CLIENT_CONFIG_FILE unset): re-run `invoke up` so the deploy stage writes it"
    }
