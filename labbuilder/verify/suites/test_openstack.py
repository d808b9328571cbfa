"""OpenStack's own view: the Nova hypervisors are exactly the lab's computes and up, the
Neutron agents are alive on the expected nodes, cinder-volume is up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from labbuilder.verify import cloudstate, expected, labinfo
from labbuilder.verify.cloudstate import AgentState, Hypervisor
from labbuilder.verify.expected import Agent
from labbuilder.verify.labinfo import LabNode

if TYPE_CHECKING:
    from labbuilder.adapters.openstack import Connection

LAB = labinfo.from_env()
COMPUTES = LAB.with_role("compute")
AGENTS = expected.agents(LAB)

pytestmark = pytest.mark.deployed


@pytest.fixture(scope="module")
def hypervisors(conn: Connection) -> list[Hypervisor]:
    return cloudstate.hypervisors_of(conn.compute.hypervisors(details=True))


@pytest.fixture(scope="module")
def agents(conn: Connection) -> list[AgentState]:
    return cloudstate.agents_of(conn.network.agents())


@pytest.mark.services("nova")
@pytest.mark.parametrize("compute", COMPUTES, ids=[n.name for n in COMPUTES])
def test_hypervisor_up(compute: LabNode, hypervisors: list[Hypervisor]) -> None:
    problem = cloudstate.hypervisor_problem(compute.fqdn, hypervisors)
    assert problem is None, problem


@pytest.mark.services("nova")
def test_no_other_hypervisors(hypervisors: list[Hypervisor]) -> None:
    problem = cloudstate.extra_hypervisors_problem([n.fqdn for n in COMPUTES], hypervisors)
    assert problem is None, problem


@pytest.mark.parametrize(("agent_node", "agent"), AGENTS, ids=[f"{a}-{n.name}" for n, a in AGENTS])
def test_agent_alive(agent_node: LabNode, agent: Agent, agents: list[AgentState]) -> None:
    problem = cloudstate.agent_problem(agent, agent_node.fqdn, agents)
    assert problem is None, problem


@pytest.mark.services("cinder")
@pytest.mark.parametrize("storage", LAB.with_role("storage"), ids=lambda n: n.name)
def test_cinder_volume_up(storage: LabNode, conn: Connection) -> None:
    services = cloudstate.services_of(conn.block_storage.services())
    problem = cloudstate.volume_service_problem(storage.fqdn, services)
    assert problem is None, problem
