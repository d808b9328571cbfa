"""Pure halves of the adapters, fed with recorded real output: libvirt network XML, vagrant's
plugin list and progress lines, CHECKSUM files, the state file, the layout-change check."""

from __future__ import annotations

from ipaddress import IPv4Network

import pytest

from labbuilder import state
from labbuilder.adapters import libvirt as virt
from labbuilder.adapters import vagrant as vagrantctl
from labbuilder.commands.up import layout_changes
from labbuilder.errors import StateError
from labbuilder.render.inventory import to_data
from labbuilder.stages import box as boxfetch
from tests.conftest import FIXTURES, lab_of


@pytest.mark.parametrize(
    ("fixture", "subnets"),
    [("net-itest-ext.xml", ["10.61.1.0/24"]), ("net-default.xml", ["192.168.122.0/24"])],
)
def test_parse_subnets_of_real_network_xml(fixture, subnets):
    xml = (FIXTURES / "libvirt" / fixture).read_text()
    assert virt.parse_subnets(xml) == [IPv4Network(s) for s in subnets]


def test_network_xml_round_trips_reservations_like_libvirt_writes_them():
    lab = lab_of(nodes=3, lab="itest", external_subnet="10.61.1.0/24")
    (ext, reservations), (tun, none) = virt.lab_networks(lab)
    ours = virt.network_xml(ext, reservations, domain=lab.domain)
    recorded = (FIXTURES / "libvirt" / "net-itest-ext.xml").read_text()
    assert virt.parse_reservations(ours) == virt.parse_reservations(recorded)
    assert virt.parse_subnets(ours) == virt.parse_subnets(recorded)
    assert "<forward" not in virt.network_xml(tun, none)
    assert none == []


def test_network_xml_has_no_dhcp_on_the_tunnel():
    lab = lab_of(nodes=2)
    _, (tun, _) = virt.lab_networks(lab)
    xml = virt.network_xml(tun)
    assert "<dhcp" not in xml and "192.168.10.1" in xml


@pytest.mark.parametrize(
    ("line", "node", "message"),
    [
        (
            "==> compute1: Creating domain with the following settings...",
            "compute1",
            "Creating domain with the following settings...",
        ),
        (
            "==> controller: Waiting for domain to get an IP address...",
            "controller",
            "Waiting for domain to get an IP address...",
        ),
        ("    compute2: -- Storage pool:      default", None, None),
        ("Bringing machine 'controller' up with 'libvirt' provider...", None, None),
    ],
)
def test_parse_vagrant_progress_line(line, node, message):
    step = vagrantctl.parse_vagrant_line(line)
    assert (step.node, step.message) == (node, message) if node else step is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "# CentOS-Stream-Vagrant-9-20250326.0.x86_64.vagrant-libvirt.box: 1 bytes\n"
            "SHA256 (CentOS-Stream-Vagrant-9-20250326.0.x86_64.vagrant-libvirt.box) = "
            + "a" * 64
            + "\n",
            {"CentOS-Stream-Vagrant-9-20250326.0.x86_64.vagrant-libvirt.box": "a" * 64},
        ),
        ("B" * 64 + "  some.box\n", {"some.box": "b" * 64}),
        ("SHA256 (x.box) = short\n", {}),
    ],
)
def test_parse_checksums(text, expected):
    assert boxfetch.parse_checksums(text) == expected


def test_state_round_trip_and_order():
    st = state.LabState().finish("networks", 1.23).finish("vms", 100)
    again = state.loads(state.dumps(st), "state.json")
    assert again.reached == "vms"
    assert again.stages["vms"].seconds == 100
    assert again.reset_from("vms").reached == "networks"
    assert state.LabState().reached == "rendered"


@pytest.mark.parametrize("text", ["{", "[]", '{"stages": {"vms": {"finished": 1}}}'])
def test_damaged_state_names_the_fix(text):
    with pytest.raises(StateError, match="invoke down"):
        state.loads(text, "state.json")


def test_unknown_stage():
    with pytest.raises(StateError, match="unknown stage 'boot'"):
        state.check_stage("boot")


def test_layout_changes_allow_computes_only():
    built = to_data(lab_of(nodes=3))
    assert layout_changes(built, lab_of(nodes=4)) == []
    assert layout_changes(built, lab_of(nodes=2)) == []
    assert layout_changes(built, lab_of(nodes=3, external_subnet="10.2.1.0/24"))[0].startswith(
        "external"
    )
    assert "controller/network/storage nodes differ" in layout_changes(
        built, lab_of(nodes=4, network_node=True)
    )


def test_a_domains_disks_leave_out_its_backing_chain():
    """The running domain's XML names the box's base volume as a backing store: removing the
    domain must never delete it (other labs boot from it)."""
    from labbuilder.adapters.libvirt import parse_disk_files

    xml = (FIXTURES / "libvirt" / "domain-testbox.xml").read_text()
    assert parse_disk_files(xml) == ["/var/lib/libvirt/images/labbuilder-tf-controller.img"]


def test_new_keypair_replaces_an_old_key_and_returns_the_public_line(tmp_path):
    from labbuilder.adapters.ssh import new_keypair

    key = tmp_path / "id_ed25519"
    first = new_keypair(key, "labbuilder-test")
    second = new_keypair(key, "labbuilder-test")
    assert first.startswith("ssh-ed25519 ") and first.endswith(" labbuilder-test")
    assert second != first
    assert key.with_suffix(".pub").read_text().strip() == second
