"""The controller listens on a TCP port for each enabled service (APIs, RabbitMQ, MariaDB)."""

from __future__ import annotations

import pytest
from testinfra.host import Host

from labbuilder.verify import expected, hostcheck, labinfo
from labbuilder.verify.expected import Port
from labbuilder.verify.labinfo import LabNode

LAB = labinfo.from_env()

testinfra_hosts = LAB.hosts("controller")
pytestmark = pytest.mark.deployed


@pytest.fixture(scope="module")
def listening(host: Host, node: LabNode) -> dict[int, tuple[str, ...]]:
    return hostcheck.parse_listening(host.check_output(hostcheck.LISTENING))


@pytest.mark.parametrize("port", expected.controller_ports(LAB), ids=str)
def test_listening(node: LabNode, listening: dict[int, tuple[str, ...]], port: Port) -> None:
    problem = hostcheck.socket_problem(port.label, port.port, listening)
    assert problem is None, problem
