"""The services Packstack installs for each node's roles, for the enabled services: systemd
units on RDO; on a Debian node (the test cloud) the packages' init scripts, probed the same way.
"""

from __future__ import annotations

import pytest
from testinfra.host import Host

from labbuilder.verify import expected, hostcheck, labinfo
from labbuilder.verify.expected import Unit
from labbuilder.verify.labinfo import LabNode

LAB = labinfo.from_env()
UNITS = expected.units(LAB)

testinfra_hosts = LAB.hosts()
pytestmark = pytest.mark.deployed


@pytest.mark.parametrize("unit", UNITS, ids=str)
def test_unit_active(host: Host, node: LabNode, unit: Unit) -> None:
    out = host.run(hostcheck.unit_states_command(unit.units)).stdout
    problem = hostcheck.unit_problem(unit.label, hostcheck.parse_unit_states(unit.units, out))
    assert problem is None, problem
