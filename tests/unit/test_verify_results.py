"""Reading a verify run's JUnit XML back, the summary lines and the Markdown report.

Inputs are real pytest output: a recorded run of all suites against a lab whose hosts did
not answer (stage provision), and a small suite run here by pytest itself to get failures,
skips and end-to-end step properties exactly as pytest writes them.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from labbuilder.verify import report, results
from tests.conftest import FIXTURES

RECORDED = FIXTURES / "verify" / "junit" / "provision-unreachable.xml"
NOT_DEPLOYED = (
    "OpenStack is not deployed on lab poc (recorded stage: provision): run `invoke up` to deploy it"
)
SAMPLE = """
import pytest
from labbuilder.errors import VerifyError

@pytest.fixture(autouse=True)
def _named(request):
    request.node.user_properties += [("suite", "ovs"), ("host", "compute2"), ("check", request.node.name)]

def test_tunnel():
    problem = "br-tun has no vxlan port to compute1 (remote_ip=192.168.10.20)"
    assert problem is None, problem

def test_skipped():
    pytest.skip("OpenStack is not deployed on lab poc (recorded stage: provision)")

def test_passes():
    assert True

def test_walk(record_property):
    record_property("step:project", "1.2 ok")
    record_property("step:user", "0.4 failed HTTP 409 Conflict")
    record_property("step:delete project", "0.3 deleted")
    raise VerifyError("end-to-end step 'user' failed: HTTP 409 Conflict")
"""


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[results.Case, ...]:
    root = tmp_path_factory.mktemp("sample")
    (root / "test_sample.py").write_text(SAMPLE)
    junit = root / "junit.xml"
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", "/dev/null",
         f"--rootdir={root}", "-o", "junit_family=xunit1", f"--junit-xml={junit}", str(root)],
        capture_output=True, check=False, timeout=120,
    )  # fmt: skip
    return results.parse_junit(junit.read_text())


def test_sample_cases(sample: tuple[results.Case, ...]) -> None:
    assert [(c.suite, c.host, c.check, c.outcome, c.reason) for c in sample] == [
        ("ovs", "compute2", "test_passes", "passed", ""),
        (
            "ovs",
            "compute2",
            "test_skipped",
            "skipped",
            "OpenStack is not deployed on lab poc (recorded stage: provision)",
        ),
        (
            "ovs",
            "compute2",
            "test_tunnel",
            "failed",
            "br-tun has no vxlan port to compute1 (remote_ip=192.168.10.20)",
        ),
        (
            "ovs",
            "compute2",
            "test_walk",
            "failed",
            "VerifyError: end-to-end step 'user' failed: HTTP 409 Conflict",
        ),
    ]
    assert sample[3].steps == (
        ("project", "1.2 ok"),
        ("user", "0.4 failed HTTP 409 Conflict"),
        ("delete project", "0.3 deleted"),
    )


def test_recorded_run_summary() -> None:
    summary = results.summarize("poc", "provision", results.parse_junit(RECORDED.read_text()))
    assert (summary.passed, summary.failed, summary.skipped, summary.errors, summary.ok) == (
        0,
        0,
        95,
        24,
        False,
    )
    assert summary.failures[0] == (
        "nodes",
        "compute1",
        "test_external_address",
        "cannot reach compute1 over SSH: ssh: Could not resolve hostname compute1: Name or service not known",
    )
    assert summary.lines == (
        "lab poc (stage provision): 119 checks: 0 passed, 0 failed, 24 errors, 95 skipped",
        "FAIL nodes compute1 (8 checks): cannot reach compute1 over SSH: ssh: Could not resolve hostname compute1: Name or service not known",
        "FAIL nodes compute2 (8 checks): cannot reach compute2 over SSH: ssh: Could not resolve hostname compute2: Name or service not known",
        "FAIL nodes controller (8 checks): cannot reach controller over SSH: ssh: connect to host 127.0.0.1 port 22: Connection refused",
        "SKIP services (38 checks): " + NOT_DEPLOYED,
        "SKIP sockets (16 checks): " + NOT_DEPLOYED,
        "SKIP endpoints (13 checks): " + NOT_DEPLOYED,
        "SKIP ovs (17 checks): " + NOT_DEPLOYED,
        "SKIP openstack (10 checks): " + NOT_DEPLOYED,
        "SKIP e2e (1 check): " + NOT_DEPLOYED,
    )


def test_sample_summary_lines(sample: tuple[results.Case, ...]) -> None:
    summary = results.summarize("poc", "deploy", sample)
    assert summary.lines == (
        "lab poc (stage deploy): 4 checks: 1 passed, 2 failed, 0 errors, 1 skipped",
        "FAIL ovs compute2 test_tunnel: br-tun has no vxlan port to compute1 (remote_ip=192.168.10.20)",
        "FAIL ovs compute2 test_walk: VerifyError: end-to-end step 'user' failed: HTTP 409 Conflict",
        "SKIP ovs (1 check): OpenStack is not deployed on lab poc (recorded stage: provision)",
        "end to end: project 1.2 s, user 0.4 s, delete project 0.3 s",
    )


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (
            'failed on setup with "Failed: cannot reach compute1 over SSH: no route"',
            "cannot reach compute1 over SSH: no route",
        ),
        (
            "AssertionError: eth1 has no IPv4 address\nassert 'eth1 ...' is None",
            "eth1 has no IPv4 address",
        ),
        ("labbuilder.errors.VerifyError: step 'x' failed", "VerifyError: step 'x' failed"),
        (
            "Failed: the lab has no clouds.yaml (OS_CLOUD unset): re-run",
            "the lab has no clouds.yaml (OS_CLOUD unset): re-run",
        ),
        ("collection failure", "no message"),
        ("", "no message"),
    ],
)
def test_reason_of(message: str, reason: str) -> None:
    assert results.reason_of(message) == reason


def test_report(sample: tuple[results.Case, ...]) -> None:
    text = report.render(results.summarize("poc", "deploy", sample), "out/junit.xml", 12.0)
    assert text.splitlines()[:3] == [
        "# labbuilder verify: lab poc",
        "",
        "Recorded stage: **deploy**. Result: **FAILED** (4 checks: 1 passed, 2 failed, 0 errors, "
        "1 skipped) in 12 s. JUnit XML: `out/junit.xml`.",
    ]
    assert (
        "| ovs | compute2 | test_tunnel | br-tun has no vxlan port to compute1 (remote_ip=192.168.10.20) |"
        in text
    )
    assert "| compute2 | test_passes | pass | 0.0 | - |" in text
    assert "| user | 0.4 | failed | HTTP 409 Conflict |" in text
    assert "| delete project | 0.3 | deleted | - |" in text


def test_report_folds_a_skipped_suite() -> None:
    summary = results.summarize("poc", "provision", results.parse_junit(RECORDED.read_text()))
    text = report.render(summary, "j.xml", 5.0)
    assert "## e2e\n\n1 check skipped: OpenStack is not deployed on lab poc" in text
    assert text.count("| **ERROR** |") == 24


def test_recorded_testbox_run() -> None:
    """The nodes suite on a 3-node test-box lab at stage provision: every check passed."""
    junit = RECORDED.parent / "provision-testbox-nodes.xml"
    summary = results.summarize("itest", "provision", results.parse_junit(junit.read_text()))
    assert (summary.passed, summary.total, summary.ok) == (24, 24, True)
    assert summary.lines == (
        "lab itest (stage provision): 24 checks: 24 passed, 0 failed, 0 errors, 0 skipped",
    )
    controller = [c.check for c in summary.cases if c.host == "controller"]
    assert controller == [
        "test_external_address",
        "test_hostname_is_fqdn",
        "test_no_failed_units",
        "test_resolves_lab_name[compute1]",
        "test_resolves_lab_name[compute2]",
        "test_resolves_lab_name[controller]",
        "test_time_sync_active",
        "test_tunnel_address",
    ]
