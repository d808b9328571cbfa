"""`invoke verify --lab testcloud` against a real OpenStack (Debian's Epoxy packages): the
endpoints, openstack, sockets, services and ovs suites run unchanged and pass, checking what
a Packstack all-in-one would have (the services under the names Debian's packages give them).
"""

from __future__ import annotations

import pytest

from labbuilder.commands import snapshot
from labbuilder.labdir import LabDir

from .cloudlab import cases, failed

pytestmark = pytest.mark.cloud

EXPECTED = {
    "endpoints": [
        "test_service_in_catalog[catalog-keystone]",
        "test_service_in_catalog[catalog-nova]",
        "test_service_in_catalog[catalog-neutron]",
        "test_service_in_catalog[catalog-glance]",
        "test_service_in_catalog[catalog-placement]",
    ],
    "openstack": [
        "test_hypervisor_up[controller]",
        "test_no_other_hypervisors",
        "test_agent_alive[ovs-agent-controller]",
        "test_agent_alive[l3-agent-controller]",
        "test_agent_alive[dhcp-agent-controller]",
        "test_agent_alive[metadata-agent-controller]",
    ],
    "sockets": [
        "test_listening[ssh://controller-5000-keystone]",
        "test_listening[ssh://controller-9292-glance]",
        "test_listening[ssh://controller-8774-nova-api]",
        "test_listening[ssh://controller-8775-nova-metadata]",
        "test_listening[ssh://controller-8778-placement]",
        "test_listening[ssh://controller-6080-novncproxy]",
        "test_listening[ssh://controller-9696-neutron]",
    ],
    "services": [
        "test_unit_active[ssh://controller-nova-compute]",
        "test_unit_active[ssh://controller-libvirt]",
        "test_unit_active[ssh://controller-openvswitch]",
        "test_unit_active[ssh://controller-l3-agent]",
        "test_unit_active[ssh://controller-keystone]",
    ],
}


@pytest.mark.parametrize("suite", [*EXPECTED, "ovs"])
def test_suite_passes_on_the_real_cloud(cloudlab, tmp_path, suite):
    result, junit = cloudlab.verify(suite, tmp_path)
    assert failed(junit) == {}, result.stdout[-3000:]
    assert result.returncode == 0
    ran = cases(junit)
    missing = [name for name in EXPECTED.get(suite, []) if name not in ran]
    assert missing == [], f"not checked: {missing}; checked: {sorted(ran)}"
    if suite in EXPECTED:  # the ovs suite skips its EL9-only checks (ifcfg-br-ex) here
        assert all(c.find("skipped") is None for c in ran.values())


def test_the_restore_gate_finds_every_api_answering(cloudlab):
    """The gate `snapshot.restore` and `reset` end with on a deployed lab, against a real cloud."""
    assert snapshot.api_problems(LabDir(cloudlab.labdir), timeout=0) == []
