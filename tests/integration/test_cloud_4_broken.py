"""Each suite fails when it should: with the L3 agent stopped in the real cloud, `services`
names its unit and `openstack` names the agent; with the Image API stopped, `sockets` names
port 9292 and `endpoints` names Glance's three endpoints. Runs last of the cloud modules (it breaks
the cloud, which the session then removes).
"""

from __future__ import annotations

import time

import pytest

from labbuilder.commands import snapshot
from labbuilder.labdir import LabDir

from .cloudlab import failed

pytestmark = pytest.mark.cloud

AGENT_DOWN_SECONDS = 90


def wait_agent_dead(cloudlab, agent_type: str) -> None:
    conn = cloudlab.connect()
    try:
        deadline = time.monotonic() + AGENT_DOWN_SECONDS
        while time.monotonic() < deadline:
            agents = [a for a in conn.network.agents() if a.agent_type == agent_type]
            if agents and not any(a.is_alive for a in agents):
                return
            time.sleep(3)
    finally:
        conn.close()
    pytest.fail(f"Neutron still reports the {agent_type} alive after {AGENT_DOWN_SECONDS} s")


def test_stopped_agent_fails_services_and_openstack(cloudlab, tmp_path):
    cloudlab.inside("/etc/init.d/neutron-l3-agent", "stop")
    _, services = cloudlab.verify("services", tmp_path)
    assert list(failed(services)) == ["test_unit_active[ssh://controller-l3-agent]"]
    assert "l3-agent is not running: neutron-l3-agent is inactive" in str(failed(services))
    wait_agent_dead(cloudlab, "L3 agent")
    _, openstack = cloudlab.verify("openstack", tmp_path)
    assert list(failed(openstack)) == ["test_agent_alive[l3-agent-controller]"]


def test_stopped_api_fails_sockets_and_endpoints(cloudlab, tmp_path):
    cloudlab.inside("/etc/init.d/glance-api", "stop")
    _, sockets = cloudlab.verify("sockets", tmp_path)
    assert list(failed(sockets)) == ["test_listening[ssh://controller-9292-glance]"]
    assert "nothing listens on TCP 9292 (glance)" in str(failed(sockets))
    _, endpoints = cloudlab.verify("endpoints", tmp_path)
    assert sorted(failed(endpoints)) == [
        f"test_endpoint_answers[image-{interface}]" for interface in ("admin", "internal", "public")
    ]
    assert "image public endpoint http://10.199.1.10:9292 does not answer" in str(failed(endpoints))
    gate = snapshot.api_problems(LabDir(cloudlab.labdir), timeout=0)  # as after a restore
    assert sorted(p.split(" endpoint ")[0] for p in gate) == [
        "image admin", "image internal", "image public"
    ]  # fmt: skip
    assert any(p.startswith("image public endpoint http://10.199.1.10:9292 does not") for p in gate)
