"""The topology model: recorded libvirt XML and ovs-vsctl output against the plan."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from labbuilder.adapters.libvirt import parse_domain_nics, parse_network
from labbuilder.commands.livestate import bridges_of
from labbuilder.model.topology import (
    DIFFERS,
    DOWN,
    MISSING,
    OK,
    UNPLANNED,
    Live,
    LiveDomain,
    LiveNetwork,
    LiveNic,
    build,
)
from labbuilder.verify import ovs

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LIBVIRT = FIXTURES / "libvirt"
OVS = FIXTURES / "verify" / "ovs"
TH = json.loads((LIBVIRT / "inventory-th.json").read_text())
POC = json.loads((FIXTURES / "verify" / "inventory-poc-3nodes.json").read_text())


def th_live() -> Live:
    nets = tuple(parse_network((LIBVIRT / f"net-th-{n}.xml").read_text()) for n in ("ext", "tun"))
    nics = tuple(parse_domain_nics((LIBVIRT / "domain-th-controller.xml").read_text()))
    return Live(nets, (LiveDomain("labbuilder-th-controller", True, nics),))


def test_parse_recorded_libvirt_xml():
    net = parse_network((LIBVIRT / "net-th-ext.xml").read_text())
    assert net == LiveNetwork("labbuilder-th-ext", "virbr3", "10.78.1.0/24", True)
    nics = parse_domain_nics((LIBVIRT / "domain-th-controller.xml").read_text())
    assert [(n.network, n.mac, n.device, n.model) for n in nics] == [
        ("labbuilder-th-ext", "52:54:00:4e:01:0a", "vnet2", "virtio"),
        ("labbuilder-th-tun", "52:54:00:86:cc:e8", "vnet3", "virtio"),
    ]


def test_recorded_lab_agrees_with_its_plan():
    topo = build(TH, th_live(), "labbuilder-th-")
    assert topo.problems == ()
    assert [(n.name, n.role, n.status) for n in topo.networks] == [
        ("labbuilder-th-ext", "external", OK),
        ("labbuilder-th-tun", "tunnel", OK),
    ]
    (node,) = topo.nodes
    assert [(n.name, n.network, n.status) for n in node.nics] == [
        ("eth0", "labbuilder-th-ext", OK),
        ("eth1", "labbuilder-th-tun", OK),
    ]
    assert node.nics[0].addresses == ("10.78.1.10",)  # the plan's, until a lease is seen


def _without_tunnel(live: Live) -> Live:
    return replace(live, networks=live.networks[:1])


def _stopped(live: Live) -> Live:
    return replace(live, domains=(replace(live.domains[0], running=False),))


def _extra_domain(live: Live) -> Live:
    extra = LiveDomain(
        "labbuilder-th-stray", True, (LiveNic("labbuilder-th-ext", "52:54:00:aa:bb:cc"),)
    )
    return replace(live, domains=(*live.domains, extra))


def _wrong_mac(live: Live) -> Live:
    dom = live.domains[0]
    nics = (replace(dom.nics[0], mac="52:54:00:00:00:01"), dom.nics[1])
    return replace(live, domains=(replace(dom, nics=nics),))


def _one_nic(live: Live) -> Live:
    dom = live.domains[0]
    return replace(live, domains=(replace(dom, nics=dom.nics[:1]),))


def _extra_net(live: Live) -> Live:
    return replace(
        live,
        networks=(*live.networks, LiveNetwork("labbuilder-th-old", "virbr9", "10.9.9.0/24", True)),
    )


def _no_domain(live: Live) -> Live:
    return replace(live, domains=())


@pytest.mark.parametrize(
    ("change", "problem", "where"),
    [
        (
            _without_tunnel,
            "network labbuilder-th-tun is missing",
            ("network", "labbuilder-th-tun", MISSING),
        ),
        (
            _extra_net,
            "network labbuilder-th-old is not in the plan",
            ("network", "labbuilder-th-old", UNPLANNED),
        ),
        (
            _stopped,
            "controller: domain labbuilder-th-controller is not running",
            ("node", "controller", DOWN),
        ),
        (
            _no_domain,
            "controller: domain labbuilder-th-controller is missing",
            ("node", "controller", MISSING),
        ),
        (
            _extra_domain,
            "domain labbuilder-th-stray is not in the plan",
            ("node", "stray", UNPLANNED),
        ),
        (
            _wrong_mac,
            "controller: eth0 on labbuilder-th-ext: planned MAC 52:54:00:4e:01:0a",
            ("nic", "eth0", DIFFERS),
        ),
        (_one_nic, "controller: no NIC on labbuilder-th-tun (tunnel)", ("nic", "eth1", MISSING)),
    ],
)
def test_disagreements_are_named_and_marked(change, problem, where):
    topo = build(TH, change(th_live()), "labbuilder-th-")
    assert problem in topo.problems
    kind, name, status = where
    if kind == "network":
        found = {n.name: n.status for n in topo.networks}
    elif kind == "node":
        found = {n.name: n.status for n in topo.nodes}
    else:
        found = {n.name: n.status for n in topo.nodes[0].nics}
    assert found[name] == status


def poc_live(layout: str) -> Live:
    nets = (
        LiveNetwork("labbuilder-poc-ext", "virbr1", "10.1.1.0/24", True),
        LiveNetwork("labbuilder-poc-tun", "virbr2", "192.168.10.0/24", True),
    )
    domains = []
    for node in POC["nodes"]:
        path = OVS / layout / node["name"] / "ovs-vsctl-list.json"
        bridges = bridges_of(ovs.parse(path.read_text())) if path.is_file() else None
        nics = (
            LiveNic("labbuilder-poc-ext", node["mac"], addresses=(node["external_ip"],)),
            LiveNic("labbuilder-poc-tun", "52:54:00:99:00:01"),
        )
        domains.append(LiveDomain(node["domain"], True, nics, {}, bridges))
    return Live(nets, tuple(domains))


def test_recorded_ovs_layout_as_neutron_leaves_it():
    topo = build(POC, poc_live("ovs-ok"), "labbuilder-poc-")
    assert topo.problems == ()
    controller = topo.nodes[0]
    bridges = {b.name: b for b in controller.bridges}
    assert set(bridges) >= {"br-ex", "br-int", "br-tun"}
    assert "eth0" in bridges["br-ex"].ports
    assert any("vxlan to 192.168.10.20" in p for p in bridges["br-tun"].ports)
    assert all(b.status == OK for b in controller.bridges)


def test_recorded_broken_ovs_layout_is_marked():
    topo = build(POC, poc_live("ovs-broken"), "labbuilder-poc-")
    assert "controller: bridge br-ex is missing" in topo.problems
    controller = topo.nodes[0]
    assert {b.name: b.status for b in controller.bridges}["br-ex"] == MISSING
