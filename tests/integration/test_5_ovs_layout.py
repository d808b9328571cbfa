"""The OVS checks against real bridges on the lab's VMs, laid out the way Packstack's OVS agent
does it (br-ex holding eth0 with the external address moved onto br-ex, br-int, br-tun with one
vxlan port per other node, patch ports), then broken on purpose: each break is named. (Taking
eth0 out of br-ex would cut the controller off; that break is tested against local bridges in
test_suites_ovs.py.)"""

from __future__ import annotations

import json

import pytest
import testinfra

from labbuilder.errors import VerifyError
from labbuilder.verify import runner as verify

pytestmark = pytest.mark.vms


def vxlan_name(ip: str) -> str:
    return "vxlan-" + "".join(f"{int(part):02x}" for part in ip.split("."))


def layout_script(node: dict, nodes: list[dict], gateway: str, prefix: int) -> str:
    """Shell that builds the node's bridges; on the controller it also moves eth0's address to
    br-ex in one detached step (the SSH session rides on that address)."""
    lines = [
        "set -e",
        "systemctl start openvswitch-switch",
        "ovs-vsctl --may-exist add-br br-int -- --may-exist add-br br-tun",
        "ovs-vsctl --may-exist add-port br-int patch-tun -- set interface patch-tun type=patch options:peer=patch-int"
        " -- --may-exist add-port br-tun patch-int -- set interface patch-int type=patch options:peer=patch-tun",
    ]
    for peer in nodes:
        if peer["name"] != node["name"]:
            lines.append(
                f"ovs-vsctl --may-exist add-port br-tun {vxlan_name(peer['tunnel_ip'])} -- set interface "
                f"{vxlan_name(peer['tunnel_ip'])} type=vxlan options:remote_ip={peer['tunnel_ip']} "
                f"options:local_ip={node['tunnel_ip']} options:in_key=flow options:out_key=flow"
            )
    if "network" in node["roles"]:
        ip = node["external_ip"]
        move = (
            "mac=$(cat /sys/class/net/eth0/address); "
            "ovs-vsctl --may-exist add-br br-ex -- set bridge br-ex other-config:hwaddr=$mac "
            "-- --may-exist add-port br-ex eth0; "
            f"ip addr del {ip}/{prefix} dev eth0; ip link set br-ex up; "
            f"ip addr add {ip}/{prefix} dev br-ex; ip route replace default via {gateway} dev br-ex"
        )
        lines.append(f"systemd-run --unit=labbuilder-test-brex --collect bash -c '{move}'")
        lines.append(
            "for i in $(seq 30); do ip -4 -o addr show dev br-ex | grep -q inet && break; sleep 1; done"
        )
    return "\n".join(lines)


@pytest.fixture(scope="module")
def laid_out(lab):
    inv = json.loads((lab["labdir"] / "inventory.json").read_text())
    cfg = str(lab["labdir"] / "ssh-config")
    prefix = int(inv["external"]["subnet"].split("/")[1])
    for node in inv["nodes"]:
        host = testinfra.get_host(f"ssh://{node['name']}", ssh_config=cfg, sudo=True)
        out = host.run(
            "bash -c %s", layout_script(node, inv["nodes"], inv["external"]["gateway"], prefix)
        )
        assert out.rc == 0, out.stderr
    return {"inv": inv, "cfg": cfg, **lab}


def run_ovs(laid_out, tmp_path):
    """The ovs suite as `invoke verify --only ovs` runs it, with the stage said to be deploy so
    it is not skipped (these are real bridges, only OpenStack itself is absent)."""
    return verify.run(
        laid_out["labdir"] / "inventory.json",
        laid_out["labdir"] / "ssh-config",
        "deploy",
        only="ovs",
        junit=tmp_path / "junit.xml",
        report=tmp_path / "report.md",
        clouds_yaml=None,
    )


def test_packstack_layout_passes(laid_out, tmp_path):
    summary = run_ovs(laid_out, tmp_path)
    assert summary.failed == 0 and summary.errors == 0
    assert summary.passed >= 3 * 2


def test_missing_vxlan_port_to_one_node_is_named(laid_out, tmp_path):
    nodes = {n["name"]: n for n in laid_out["inv"]["nodes"]}
    ctl = testinfra.get_host("ssh://controller", ssh_config=laid_out["cfg"], sudo=True)
    port = vxlan_name(nodes["compute2"]["tunnel_ip"])
    ctl.check_output("ovs-vsctl del-port br-tun %s", port)
    try:
        with pytest.raises(VerifyError):
            run_ovs(laid_out, tmp_path)
        report = (tmp_path / "report.md").read_text()
        assert "compute2" in report and nodes["compute2"]["tunnel_ip"] in report
    finally:
        ip = nodes["compute2"]["tunnel_ip"]
        ctl.check_output(
            "ovs-vsctl add-port br-tun %s -- set interface %s type=vxlan options:remote_ip=%s "
            "options:in_key=flow options:out_key=flow",
            port,
            port,
            ip,
        )


def test_missing_br_int_is_named(laid_out, tmp_path):
    comp = testinfra.get_host("ssh://compute1", ssh_config=laid_out["cfg"], sudo=True)
    comp.check_output("ovs-vsctl del-br br-int")
    try:
        with pytest.raises(VerifyError):
            run_ovs(laid_out, tmp_path)
        report = (tmp_path / "report.md").read_text()
        assert "br-int" in report and "compute1" in report
    finally:  # later modules (the report's live topology) find the layout as it was
        inv = laid_out["inv"]
        node = next(n for n in inv["nodes"] if n["name"] == "compute1")
        prefix = int(inv["external"]["subnet"].split("/")[1])
        script = layout_script(node, inv["nodes"], inv["external"]["gateway"], prefix)
        assert comp.run("bash -c %s", script).rc == 0
