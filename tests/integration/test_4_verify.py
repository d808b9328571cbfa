"""`invoke verify` on the shared test-box lab at stage provision: the node checks run and pass,
the OpenStack suites are reported as skipped (nothing is deployed), and the JUnit file says so."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from .conftest import FLAGS, LAB, invoke

pytestmark = pytest.mark.vms


@pytest.fixture(scope="module")
def verified(lab, tmp_path_factory):
    invoke(lab["env"], "up", "--lab", LAB, "--nodes", "3", "--until", "provision", *FLAGS)
    out_dir = tmp_path_factory.mktemp("verify")
    junit, report = out_dir / "junit.xml", out_dir / "report.md"
    out = invoke(lab["env"], "verify", "--lab", LAB, "--junit", str(junit), "--report", str(report))
    return {"out": out, "junit": ET.parse(junit).getroot(), "report": report.read_text()}


def cases(verified):
    return list(verified["junit"].iter("testcase"))


def test_node_checks_ran_and_passed(verified):
    nodes = [c for c in cases(verified) if "test_nodes" in (c.get("classname") or "")]
    assert len(nodes) >= 3 * 5
    assert all(
        c.find("failure") is None and c.find("error") is None and c.find("skipped") is None
        for c in nodes
    )


def test_openstack_suites_are_skipped_as_not_deployed(verified):
    other = [c for c in cases(verified) if "test_nodes" not in (c.get("classname") or "")]
    assert other, "the OpenStack suites were not collected at all"
    skipped = [c.find("skipped") for c in other]
    assert all(s is not None for s in skipped)
    assert any("deploy" in (s.get("message") or "") for s in skipped)


def test_no_failures_and_a_report(verified):
    root = verified["junit"]
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    assert suite.get("failures") == "0" and suite.get("errors") == "0"
    assert "nodes" in verified["report"]
    assert verified["out"].returncode == 0
