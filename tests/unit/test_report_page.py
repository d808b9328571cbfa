"""The report page and its Markdown twin, rendered from recorded topology and a timeline."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace

from labbuilder.model.timeline import LAB_LANE, Event
from labbuilder.model.topology import build
from labbuilder.render import gantt_svg, report_page

from .test_topology import TH, _wrong_mac, th_live

EVENTS = (
    Event("r1", "networks", LAB_LANE, "networks", 1000, 1004),
    Event("r1", "vms", LAB_LANE, "vms", 1004, 1300),
    Event("r1", "vms", "controller", "Starting domain.", 1004, 1100),
    Event("r2", "deploy", LAB_LANE, "deploy", 2000, 2600, "failed"),
    Event("r2", "deploy", "controller", "10.78.1.10_controller.pp", 2010, 2400),
    Event("r2", "deploy", "controller", "10.78.1.10_network.pp", 2010, 2300),
    Event("r2", "deploy", "controller", "10.78.1.10_compute.pp", 2400, 2600, "failed"),
    Event("r0", "deploy", LAB_LANE, "deploy", 10, 20),  # an older deploy: not drawn
)
CASES = (
    report_page.Check("nodes", "controller", "hostname", "passed", "", 0.2),
    report_page.Check("ovs", "controller", "br-ex", "failed", "bridge br-ex is missing | <b>", 0.4),
    report_page.Check("openstack", "", "agents", "skipped", "not deployed", 0.0),
)


def report(**changes):
    base = report_page.Report(
        lab="th",
        stage="deploy",
        generated="2026-11-29 20:00:00 UTC",
        topology=build(TH, th_live(), "labbuilder-th-"),
        events=EVENTS,
        cases=CASES,
        settings="lab: th\nnote: <script>alert(1)</script>\n",
        lock="lab: th\n",
        node_order=("controller",),
    )
    return replace(base, **changes)


def svgs(html: str) -> list[ET.Element]:
    return [ET.fromstring(m) for m in re.findall(r"<svg .*?</svg>", html, re.S)]


def test_page_draws_every_node_network_and_lane_and_fetches_nothing():
    html, _ = report_page.render(report())
    topology, gantt = svgs(html)
    ns = "{http://www.w3.org/2000/svg}"
    ids = {g.get("id"): g.get("data-status") for g in topology.iter(f"{ns}g")}
    assert ids == {
        "net-labbuilder-th-ext": "ok",
        "net-labbuilder-th-tun": "ok",
        "node-controller": "ok",
    }
    lanes = [g.get("id") for g in gantt.iter(f"{ns}g")]
    assert lanes == ["lane-lab", "lane-controller"]
    bars = [r for r in gantt.iter(f"{ns}rect") if r.get("class") == "lb-bar"]
    assert len(bars) == 7  # r0's older deploy is not drawn
    assert sum(1 for b in bars if b.get("data-result") == "failed") == 2
    assert "<script" not in html.replace("&lt;script", "")
    assert not re.search(r"""(src|href)=|url\(|@import""", html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_failures_come_first_and_disagreements_are_shown():
    html, md = report_page.render(
        report(topology=build(TH, _wrong_mac(th_live()), "labbuilder-th-"))
    )
    rows = re.findall(r'<tr class="(\w+)">', html)
    assert rows == ["failed", "skipped", "passed"]
    assert "controller: eth0 on labbuilder-th-ext: planned MAC 52:54:00:4e:01:0a" in html
    assert 'data-status="differs"' not in html  # the node is up; its NIC carries the badge
    assert ">differs</text>" in html
    assert "eth0 52:54:00:00:00:01 10.78.1.10 DIFFERS" in md


def test_markdown_has_mermaid_topology_and_gantt():
    _, md = report_page.render(report())
    blocks = re.findall(r"```mermaid\n(.*?)```", md, re.S)
    topology, gantt = blocks
    assert topology.startswith("flowchart TB")
    assert 'net_labbuilder_th_ext[("labbuilder-th-ext 10.78.1.0/24")]' in topology
    assert "node_controller ---|" in topology
    assert gantt.startswith("gantt\n  dateFormat X")
    assert "  section controller" in gantt
    assert "  10.78.1.10_compute.pp :crit, " in gantt
    assert "bridge br-ex is missing \\| <b>" in md


def test_overlapping_bars_stack_in_sub_rows():
    rows = gantt_svg.stack([e for e in EVENTS if e.node == "controller"])
    assert [[e.step for e in row] for row in rows] == [
        ["Starting domain.", "10.78.1.10_controller.pp", "10.78.1.10_compute.pp"],
        ["10.78.1.10_network.pp"],
    ]
