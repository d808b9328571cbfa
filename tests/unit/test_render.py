"""Rendering: golden files, the real `vagrant validate`, Ruby escaping, no partial output."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from labbuilder.errors import AnswerFileError, ConfigError, TemplateError
from labbuilder.labdir import LabDir
from labbuilder.model.settings import resolve
from labbuilder.render.engine import render, ruby_literal
from labbuilder.stages import render as stage
from tests.conftest import FIXTURES

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
REGEN = os.environ.get("LABBUILDER_REGEN_GOLDEN") == "1"

CASES = {
    "aio": ({"nodes": 1}, False, False),
    "three-node": ({"nodes": 3}, True, True),
    "five-node-network": (
        {"nodes": 5, "network_node": True},
        True,
        False,
    ),
    "three-node-ovn-testbox": (
        {
            "nodes": 3,
            "neutron_backend": "ovn",
            "box": "testbox",
            "lab": "class2",
            "external_subnet": "10.1.2.0/24",
            "tunnel_subnet": "192.168.12.0/24",
        },
        False,
        False,
    ),
}


def render_case(tmp_path: Path, settings: dict, kvm: bool = False, nested: bool = False):
    s = resolve(("test", {"password": "P@ssw0rd", **settings}))
    return stage.render(s, LabDir(tmp_path / s.lab), kvm=kvm, nested=nested, base=tmp_path)


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("name", ["Vagrantfile", "answers.txt", "provision-plan.txt"])
def test_golden(tmp_path, case, name):
    settings, kvm, nested = CASES[case]
    text = render_case(tmp_path, settings, kvm, nested).files[name][0]
    golden = GOLDEN / case / name
    if REGEN:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text)
        pytest.skip(f"regenerated {golden.relative_to(GOLDEN)}: review the diff, then commit it")
    assert text == golden.read_text()


@pytest.mark.skipif(shutil.which("vagrant") is None, reason="vagrant is not installed")
@pytest.mark.parametrize("case", sorted(CASES))
def test_vagrant_validate_accepts_rendered_files(tmp_path, case):
    settings, kvm, nested = CASES[case]
    rendered = render_case(tmp_path, settings, kvm, nested)
    paths = stage.write(rendered, LabDir(tmp_path / "lab"))
    env = {
        **os.environ,
        "VAGRANT_HOME": str(tmp_path / "vagrant.d"),
        "VAGRANT_CHECKPOINT_DISABLE": "1",
    }
    out = subprocess.run(
        ["vagrant", "validate"],
        cwd=paths[0].parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "validated successfully" in out.stdout


@pytest.mark.skipif(shutil.which("vagrant") is None, reason="vagrant is not installed")
def test_vagrant_validate_catches_a_bad_setting(tmp_path):
    """Guards the test above: validate really does reject an unknown provider setting."""
    rendered = render_case(tmp_path, {"nodes": 1})
    paths = stage.write(rendered, LabDir(tmp_path / "lab"))
    vf = paths[0]
    vf.write_text(vf.read_text().replace("lv.cpus =", "lv.cpuz ="))
    env = {
        **os.environ,
        "VAGRANT_HOME": str(tmp_path / "vagrant.d"),
        "VAGRANT_CHECKPOINT_DISABLE": "1",
    }
    out = subprocess.run(
        ["vagrant", "validate"], cwd=vf.parent, env=env, capture_output=True, text=True
    )
    assert out.returncode != 0
    assert "cpuz" in out.stdout + out.stderr


def test_render_three_nodes_keys(tmp_path):
    text = render_case(tmp_path, {"nodes": 3}, True, True).files["answers.txt"][0]
    lines = set(text.splitlines())
    for expected in [
        "CONFIG_COMPUTE_HOSTS=10.1.1.20,10.1.1.21",
        "CONFIG_NEUTRON_OVS_TUNNEL_IF=eth1",
        "CONFIG_NEUTRON_OVS_BRIDGE_IFACES=br-ex:eth0",
        "CONFIG_NEUTRON_L2_AGENT=openvswitch",
        "CONFIG_NEUTRON_OVS_BRIDGE_MAPPINGS=extnet:br-ex",
        "CONFIG_NEUTRON_OVS_TUNNEL_SUBNETS=192.168.10.0/24",
        "CONFIG_NOVA_LIBVIRT_VIRT_TYPE=kvm",
        "CONFIG_PROVISION_DEMO=n",
        "CONFIG_CONTROLLER_HOST=10.1.1.10",
    ]:
        assert expected in lines


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("plain", '"plain"'),
        ('a"b', '"a\\"b"'),
        ("#{`id`}", '"\\#{`id`}"'),
        ("back\\slash", '"back\\\\slash"'),
        ("two\nlines", '"two\\nlines"'),
        (True, "true"),
        (42, "42"),
    ],
)
def test_ruby_literal_cannot_break_out(value, literal):
    assert ruby_literal(value) == literal


def test_ruby_literal_refuses_control_characters():
    with pytest.raises(TemplateError):
        ruby_literal("a\x00b")


def test_template_errors_name_file_and_line(tmp_path):
    (tmp_path / "t.j2").write_text("line one\n{{ missing }}\n")
    with pytest.raises(TemplateError, match=r"t\.j2:2: 'missing' is undefined"):
        render("t.j2", {}, root=tmp_path)


def test_password_is_random_per_lab_and_kept(tmp_path):
    s = resolve(("test", {"lab": "p1"}))
    labdir = LabDir(tmp_path / "p1")
    first = stage.render(s, labdir, kvm=False, nested=False, base=tmp_path)
    stage.write(first, labdir)
    assert (labdir.secrets.stat().st_mode & 0o777) == 0o600
    assert (labdir.answers.stat().st_mode & 0o777) == 0o600
    again = stage.render(s, labdir, kvm=False, nested=False, base=tmp_path)
    assert again.files["secrets.yaml"] == first.files["secrets.yaml"]
    other = stage.render(
        resolve(("test", {"lab": "p2"})),
        LabDir(tmp_path / "p2"),
        kvm=False,
        nested=False,
        base=tmp_path,
    )
    assert other.files["secrets.yaml"] != first.files["secrets.yaml"]
    assert "P@ssw0rd" not in first.files["answers.txt"][0]


def test_user_keys_are_validated_and_written(tmp_path):
    rendered = render_case(
        tmp_path,
        {"answers": {"CONFIG_DEBUG_MODE": "y", "CONFIG_NOVA_SCHED_CPU_ALLOC_RATIO": "4.0"}},
    )
    text = rendered.files["answers.txt"][0]
    assert "CONFIG_DEBUG_MODE=y" in text.splitlines()
    assert "CONFIG_NOVA_SCHED_CPU_ALLOC_RATIO=4.0" in text.splitlines()


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"CONFIG_LBAAS_INSTALL": "y"}, "CONFIG_LBAAS_INSTALL"),
        ({"CONFIG_HEAT_INSTALL": "maybe"}, "CONFIG_HEAT_INSTALL"),
        ({"CONFIG_NOVA_INSTAL": "y"}, "CONFIG_NOVA_INSTALL"),
        ({"CONFIG_CONTROLLER_HOST": "10.1.1.300"}, "CONFIG_CONTROLLER_HOST"),
    ],
)
def test_bad_answer_keys_fail_and_write_nothing(tmp_path, answers, message):
    with pytest.raises(AnswerFileError, match=message):
        render_case(tmp_path, {"answers": answers})
    assert not (tmp_path / "poc").exists()


def test_seed_fragment_gives_a_clear_report(tmp_path):
    seed = FIXTURES / "answers" / "seed-answers.txt"
    with pytest.raises(AnswerFileError) as info:
        render_case(tmp_path, {"answers_file": str(seed)})
    assert "CONFIG_NTP_SERVERS=kr.pool.ntp.org contradicts the lab" in str(info.value)
    assert "CONFIG_LBAAS_INSTALL" in " ".join(info.value.problems)
    assert "2019" in " ".join(info.value.problems)
    assert not (tmp_path / "poc").exists()


def test_missing_fragment_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read answers file"):
        render_case(tmp_path, {"answers_file": "nope.txt"})
