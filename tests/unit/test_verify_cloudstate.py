"""OpenStack state verdicts, fed real openstacksdk resource objects built locally (the same
classes the SDK returns from Nova, Neutron and Cinder).
"""

from __future__ import annotations

import pytest
from openstack.block_storage.v3.service import Service
from openstack.compute.v2.hypervisor import Hypervisor
from openstack.network.v2.agent import Agent

from labbuilder.verify import cloudstate, expected

pytestmark = pytest.mark.filterwarnings("ignore::openstack.warnings.RemovedInSDK50Warning")


def hypervisors() -> list[cloudstate.Hypervisor]:
    return cloudstate.hypervisors_of(
        [
            Hypervisor(hypervisor_hostname="compute1.poc.test", state="up", status="enabled"),
            Hypervisor(hypervisor_hostname="compute2.poc.test", state="down", status="enabled"),
            Hypervisor(hypervisor_hostname="compute3.poc.test", state="up", status="disabled"),
        ]
    )


def agents() -> list[cloudstate.AgentState]:
    return cloudstate.agents_of(
        [
            Agent(
                agent_type="Open vSwitch agent",
                host="controller.poc.test",
                is_alive=True,
                admin_state_up=True,
            ),
            Agent(
                agent_type="L3 agent",
                host="controller.poc.test",
                is_alive=False,
                admin_state_up=True,
            ),
            Agent(
                agent_type="DHCP agent",
                host="controller.poc.test",
                is_alive=True,
                admin_state_up=False,
            ),
            Agent(
                agent_type="OVN Controller Gateway agent",
                host="compute1.poc.test",
                is_alive=True,
                admin_state_up=True,
            ),
        ]
    )


AGENT = {a.label: a for a in expected.AGENTS}


@pytest.mark.parametrize(
    ("fqdn", "expected_problem"),
    [
        ("compute1.poc.test", None),
        (
            "compute2.poc.test",
            "hypervisor compute2.poc.test is down: check openstack-nova-compute on it",
        ),
        (
            "compute3.poc.test",
            "hypervisor compute3.poc.test is disabled: enable its nova-compute service",
        ),
        (
            "compute4.poc.test",
            "compute4.poc.test is not a Nova hypervisor "
            "(hypervisors: compute1.poc.test, compute2.poc.test, compute3.poc.test)",
        ),
    ],
)
def test_hypervisor_problem(fqdn: str, expected_problem: str | None) -> None:
    assert cloudstate.hypervisor_problem(fqdn, hypervisors()) == expected_problem


@pytest.mark.parametrize(
    ("computes", "expected_problem"),
    [
        (["compute1.poc.test", "compute2.poc.test", "compute3.poc.test"], None),
        (
            ["compute1.poc.test"],
            "Nova has hypervisors that are no compute of this lab: compute2.poc.test, compute3.poc.test",
        ),
    ],
)
def test_extra_hypervisors(computes: list[str], expected_problem: str | None) -> None:
    assert cloudstate.extra_hypervisors_problem(computes, hypervisors()) == expected_problem


@pytest.mark.parametrize(
    ("agent", "fqdn", "expected_problem"),
    [
        ("ovs-agent", "controller.poc.test", None),
        ("ovn-controller", "compute1.poc.test", None),
        (
            "l3-agent",
            "controller.poc.test",
            "L3 agent on controller.poc.test is not alive: check l3-agent on that node",
        ),
        (
            "dhcp-agent",
            "controller.poc.test",
            "DHCP agent on controller.poc.test is administratively down",
        ),
        (
            "metadata-agent",
            "controller.poc.test",
            "no Metadata agent on controller.poc.test "
            "(agents there: DHCP agent, L3 agent, Open vSwitch agent)",
        ),
        (
            "ovs-agent",
            "compute2.poc.test",
            "no Open vSwitch agent on compute2.poc.test (agents there: none)",
        ),
    ],
)
def test_agent_problem(agent: str, fqdn: str, expected_problem: str | None) -> None:
    assert cloudstate.agent_problem(AGENT[agent], fqdn, agents()) == expected_problem


def services() -> list[cloudstate.ServiceState]:
    return cloudstate.services_of(
        [
            Service(
                binary="cinder-scheduler", host="controller.poc.test", state="up", status="enabled"
            ),
            Service(
                binary="cinder-volume", host="controller.poc.test@lvm", state="up", status="enabled"
            ),
            Service(
                binary="cinder-volume", host="storage.poc.test@lvm", state="down", status="enabled"
            ),
        ]
    )


@pytest.mark.parametrize(
    ("fqdn", "expected_problem"),
    [
        ("controller.poc.test", None),
        ("storage.poc.test", "cinder-volume storage.poc.test@lvm is down/enabled"),
        (
            "other.poc.test",
            "no cinder-volume service on other.poc.test (cinder-volume hosts: controller.poc.test@lvm, storage.poc.test@lvm)",
        ),
    ],
)
def test_volume_service_problem(fqdn: str, expected_problem: str | None) -> None:
    assert cloudstate.volume_service_problem(fqdn, services()) == expected_problem
