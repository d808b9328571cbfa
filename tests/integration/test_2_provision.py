"""`invoke up --until provision` on the shared test-box lab: the OS-neutral provisioning runs for
real (hostnames, /etc/hosts, time sync, root SSH keys); the EL9-only scripts are skipped on the
Debian box with a message (they are shellchecked in the unit tests)."""

from __future__ import annotations

import pytest
import testinfra

from .conftest import FLAGS, LAB, NODES, inventory, invoke

pytestmark = pytest.mark.vms


@pytest.fixture(scope="module")
def provisioned(lab):
    out = invoke(lab["env"], "up", "--lab", LAB, "--nodes", "3", "--until", "provision", *FLAGS)
    return {
        **lab,
        "provision": out,
        "nodes": {n["name"]: n for n in inventory(lab["env"], LAB)["nodes"]},
    }


def host(lab, name):
    return testinfra.get_host(
        f"ssh://{name}", ssh_config=str(lab["labdir"] / "ssh-config"), sudo=True
    )


def test_provision_reports_skipped_el9_steps(provisioned):
    assert "EL9 steps" in provisioned["provision"].stdout
    assert "stage provision done" in provisioned["provision"].stdout


@pytest.mark.parametrize("name", NODES)
@pytest.mark.parametrize("peer", NODES)
def test_every_node_resolves_every_node(provisioned, name, peer):
    want = provisioned["nodes"][peer]
    got = host(provisioned, name).check_output("getent hosts %s", want["fqdn"]).split()
    assert got[0] == want["external_ip"]


@pytest.mark.parametrize("name", NODES)
def test_fqdn_does_not_resolve_to_loopback(provisioned, name):
    fqdn = provisioned["nodes"][name]["fqdn"]
    hosts = host(provisioned, name).file("/etc/hosts").content_string
    loopback = [
        line for line in hosts.splitlines() if line.startswith("127.") and fqdn in line.split()
    ]
    assert loopback == []


@pytest.mark.parametrize("name", NODES)
def test_chrony_uses_the_lab_ntp_servers(provisioned, name):
    conf = host(provisioned, name).file("/etc/chrony/chrony.conf").content_string
    assert "pool.ntp.org" in conf and "# BEGIN labbuilder" in conf
    assert host(provisioned, name).service("chrony").is_running


@pytest.mark.parametrize("name", NODES)
def test_controller_reaches_each_node_as_root_without_prompt(provisioned, name):
    fqdn = provisioned["nodes"][name]["fqdn"]
    ctl = host(provisioned, "controller")
    out = ctl.run("ssh -o BatchMode=yes -o ConnectTimeout=10 root@%s hostname -f", fqdn)
    assert out.rc == 0, out.stderr
    assert out.stdout.strip() == fqdn


def test_provision_again_is_a_no_op(provisioned):
    out = invoke(
        provisioned["env"], "up", "--lab", LAB, "--nodes", "3", "--until", "provision", *FLAGS
    )
    assert "stage provision: already done" in out.stdout
