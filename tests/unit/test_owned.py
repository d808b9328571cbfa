"""Answer-file keys the lab owns: a fragment must agree with the model or is refused, naming
the key, both values and the flag that changes the model; values the deployed service would
refuse are errors; keys Packstack would ignore are summarised in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from labbuilder.adapters.packstack.schema import load_schema
from labbuilder.errors import AnswerFileError
from labbuilder.labdir import LabDir
from labbuilder.model.planner import plan
from labbuilder.model.settings import resolve
from labbuilder.render import answers, owned
from labbuilder.stages import render as stage

PASSWORD = "P@ssw0rd"
LABS = {
    "ovs-3": {"nodes": 3},
    "ovn-3": {"nodes": 3, "neutron_backend": "ovn"},
    "aio-no-heat": {"nodes": 1, "services": {"heat": False, "ceilometer": False}},
    "network-node": {"nodes": 4, "network_node": True},
}
#: A value for each lab-owned key that Packstack's schema accepts but the lab does not hold.
OTHER = {
    "CONFIG_NOVA_LIBVIRT_VIRT_TYPE": {"kvm": "qemu", "qemu": "kvm"},
    "CONFIG_NEUTRON_L2_AGENT": {"openvswitch": "ovn", "ovn": "openvswitch"},
    "CONFIG_NEUTRON_ML2_MECHANISM_DRIVERS": {"openvswitch": "ovn", "ovn": "openvswitch"},
    "CONFIG_NEUTRON_ML2_TYPE_DRIVERS": {"vxlan,flat": "geneve,flat", "geneve,flat": "vxlan,flat"},
    "CONFIG_NEUTRON_ML2_TENANT_NETWORK_TYPES": {"vxlan": "geneve", "geneve": "vxlan"},
    "CONFIG_SERVICE_WORKERS": {"2": "7"},
}


def lab_sections(name: str) -> tuple[list[answers.Section], answers.Section]:
    lab = plan(resolve(("test", LABS[name])), kvm=False, nested=False)
    return answers.computed(lab, PASSWORD), answers.implied(lab)


def other_value(key: str, ours: str) -> str:
    if key in OTHER:
        return OTHER[key][ours]
    if ours in ("y", "n"):
        return "n" if ours == "y" else "y"
    if key.endswith(("_HOST", "_HOSTS")):
        return "10.1.1.99"
    if key.endswith("_SUBNETS"):
        return "192.168.99.0/24"
    return "other-Value1"


def owned_keys() -> list[tuple[str, str, str]]:
    out = []
    for name in LABS:
        sections, implied = lab_sections(name)
        for section in [*sections, implied]:
            out += [(name, key, value) for key, value in section.items]
    return out


@pytest.mark.parametrize(("lab", "key", "value"), owned_keys())
def test_every_computed_key_is_in_the_table(lab, key, value):
    assert key in owned.TABLE, f"{key} (lab {lab}) has no owner: add it to render/owned.py"


@pytest.mark.parametrize(("lab", "key", "value"), owned_keys())
def test_a_key_that_agrees_with_the_lab_passes(lab, key, value):
    sections, implied = lab_sections(lab)
    assert owned.contradictions([*sections, implied], {key: value}) == []
    if "," in value:  # the same hosts in another order agree too
        reordered = ",".join(reversed(value.split(",")))
        assert owned.contradictions([*sections, implied], {key: reordered}) == []


@pytest.mark.parametrize(("lab", "key", "value"), owned_keys())
def test_a_key_that_contradicts_the_lab_is_one_line_naming_both_values(lab, key, value):
    sections, implied = lab_sections(lab)
    given = other_value(key, value)
    (finding,) = owned.contradictions([*sections, implied], {key: given})
    line = finding.message
    assert "\n" not in line
    owner = owned.TABLE[key]
    if owner.secret:
        assert given not in line and value not in line and "********" in line
    else:
        assert line.startswith(f"{key}={given} contradicts the lab ({value or 'empty'})")
    assert (f"change {owner.flag}, not the answer file" if owner.flag else owner.why) in line


@pytest.mark.parametrize(
    ("key", "value", "flag"),
    [
        ("CONFIG_COMPUTE_HOSTS", "10.1.1.10", "--nodes"),
        ("CONFIG_NEUTRON_L2_AGENT", "ovn", "--neutron-backend"),
        ("CONFIG_HEAT_INSTALL", "n", "--enable/--disable heat"),
        ("CONFIG_NOVA_LIBVIRT_VIRT_TYPE", "kvm", "--driver"),
        ("CONFIG_NTP_SERVERS", "kr.pool.ntp.org", "--ntp-servers"),
    ],
)
def test_contradiction_through_render_writes_nothing(tmp_path, key, value, flag):
    settings = resolve(("test", {"nodes": 3, "password": PASSWORD, "answers": {key: value}}))
    with pytest.raises(AnswerFileError) as info:
        stage.render(settings, LabDir(tmp_path / "poc"), kvm=False, nested=False, base=tmp_path)
    assert info.value.exit_code == 3
    assert f"{key}={value} contradicts the lab" in info.value.message
    assert flag in info.value.message
    assert not (tmp_path / "poc").exists()


@pytest.mark.parametrize(
    ("key", "given", "agrees"),
    [
        ("CONFIG_HEAT_INSTALL", "yes", True),
        ("CONFIG_HEAT_INSTALL", "Y", True),
        ("CONFIG_HEAT_INSTALL", "n", False),
        ("CONFIG_DEFAULT_PASSWORD", PASSWORD, True),
        ("CONFIG_DEFAULT_PASSWORD", PASSWORD.lower(), False),  # passwords compare exactly
        ("CONFIG_NEUTRON_OVS_BRIDGE_IFACES", "BR-EX:ETH0", False),  # names are case-sensitive
        ("CONFIG_NTP_SERVERS", " pool.ntp.org ", True),
    ],
)
def test_what_counts_as_agreeing(key, given, agrees):
    sections, implied = lab_sections("ovs-3")
    assert (owned.contradictions([*sections, implied], {key: given}) == []) is agrees


def test_compute_hosts_example_line():
    sections, implied = lab_sections("ovs-3")
    (finding,) = owned.contradictions([*sections, implied], {"CONFIG_COMPUTE_HOSTS": "10.1.1.10"})
    assert finding.message == (
        "CONFIG_COMPUTE_HOSTS=10.1.1.10 contradicts the lab (10.1.1.20,10.1.1.21): "
        "change --nodes, not the answer file"
    )


@pytest.mark.parametrize(
    ("key", "value", "refused"),
    [
        ("CONFIG_NOVA_LIBVIRT_VIRT_TYPE", "xen", True),
        ("CONFIG_NOVA_LIBVIRT_VIRT_TYPE", "lxc", True),
        ("CONFIG_NOVA_LIBVIRT_VIRT_TYPE", "qemu", False),
        ("CONFIG_NEUTRON_ML2_VNI_RANGES", "10:100", False),
        ("CONFIG_NEUTRON_ML2_VNI_RANGES", "10:100,200:16777215", False),
        ("CONFIG_NEUTRON_ML2_VNI_RANGES", "0:100", True),
        ("CONFIG_NEUTRON_ML2_VNI_RANGES", "10:16777216", True),
        ("CONFIG_NEUTRON_ML2_VNI_RANGES", "100:10", True),
        ("CONFIG_NEUTRON_ML2_VNI_RANGES", "ten", True),
        ("CONFIG_NOVA_SCHED_CPU_ALLOC_RATIO", "4.0", False),
        ("CONFIG_NOVA_SCHED_CPU_ALLOC_RATIO", "-1.0", True),
        ("CONFIG_NOVA_SCHED_RAM_ALLOC_RATIO", "-0.5", True),
    ],
)
def test_values_the_service_would_refuse(key, value, refused):
    found = owned.rejected({key: value})
    assert bool(found) is refused
    if refused:
        assert found[0].message.startswith(f"{key}={value} ")
        assert "fix the value" in found[0].message


def test_unknown_virt_type_is_reported_once_as_refused_by_nova(tmp_path):
    settings = resolve(
        ("test", {"password": PASSWORD, "answers": {"CONFIG_NOVA_LIBVIRT_VIRT_TYPE": "xen"}})
    )
    with pytest.raises(AnswerFileError) as info:
        stage.render(settings, LabDir(tmp_path / "poc"), kvm=False, nested=False, base=tmp_path)
    assert "runs only kvm or qemu" in info.value.message
    assert len([p for p in info.value.problems if p.startswith("error:")]) == 1


def packstack_generated(path: Path) -> Path:
    """An answer file written by Packstack's own ``--gen-answer-file`` writer
    (``run_setup.generateAnswerFile``, in process) on an all-in-one host at 192.168.122.5:
    every key with its default, passwords left as PW_PLACEHOLDER, Puppet facts as written."""
    load_schema()  # loads Packstack's plugins, which the writer walks
    from packstack.installer import run_setup  # only after the plugins load

    run_setup.generateAnswerFile(str(path))
    local_ip = "LOCAL-IP-OF-THE-PACKSTACK-HOST"  # what the schema loader makes Packstack see
    path.write_text(path.read_text().replace(local_ip, "192.168.122.5"))
    return path


def test_a_whole_packstack_answer_file_as_fragment_gives_a_short_report(tmp_path):
    fragment = packstack_generated(tmp_path / "generated.txt")
    assert len(fragment.read_text().splitlines()) > 250
    settings = resolve(("test", {"nodes": 3, "password": PASSWORD, "answers_file": str(fragment)}))
    with pytest.raises(AnswerFileError) as info:
        stage.render(settings, LabDir(tmp_path / "poc"), kvm=False, nested=False, base=tmp_path)
    problems = info.value.problems
    assert "as a whole Packstack answer file would" in info.value.message
    errors = [p for p in problems if p.startswith("error:")]
    warnings = [p for p in problems if p.startswith("warning:")]
    assert len(problems) <= 30, "\n".join(problems)
    named = " ".join(errors)
    for key in (
        "CONFIG_COMPUTE_HOSTS=192.168.122.5 contradicts the lab (10.1.1.20,10.1.1.21)",
        "CONFIG_CONTROLLER_HOST=192.168.122.5",
        "CONFIG_NEUTRON_L2_AGENT=ovn",
        "CONFIG_HEAT_INSTALL=n",
        "CONFIG_KEYSTONE_ADMIN_PW=********",
        "CONFIG_NOVA_LIBVIRT_VIRT_TYPE=%{::default_hypervisor} contradicts the lab (qemu)",
    ):
        assert key in named
    (summary,) = [w for w in warnings if "Packstack would ignore" in w]
    assert "--show-ignored" in summary
    assert all(len(p) < 300 for p in problems)
    assert not (tmp_path / "poc").exists()


def test_ignored_keys_are_one_summary_line_and_listed_on_request(tmp_path):
    keys = {
        "CONFIG_KEYSTONE_LDAP_URL": "ldap://x",
        "CONFIG_KEYSTONE_LDAP_USER_DN": "cn=x",
        "CONFIG_CINDER_NETAPP_LOGIN": "x",
    }
    settings = resolve(("test", {"password": PASSWORD, "answers": keys}))
    rendered = stage.render(
        settings, LabDir(tmp_path / "poc"), kvm=False, nested=False, base=tmp_path
    )
    assert rendered.warnings == (
        "3 answer-file keys Packstack would ignore in this configuration "
        "(KEYSTONE_LDAP 2, CINDERNETAPPMAIN 1): `invoke render --show-ignored` lists them",
    )
    assert [line.split(":")[0] for line in rendered.ignored] == list(keys)
