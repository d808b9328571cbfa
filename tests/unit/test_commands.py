"""Where settings come from: invoke config < lab file (or the saved lab.yaml, or the one beside
a lock) < lock pins < flags; and the plan/render commands end to end in a temp labs dir."""

from __future__ import annotations

import pytest

from labbuilder.commands import context, plan, render
from labbuilder.commands.flags import Flags
from labbuilder.errors import ConfigError


def config(tmp_path, **lab):
    return {"labs_dir": str(tmp_path / "labs"), "lab": lab}


def test_flags_over_lab_file_over_defaults(tmp_path):
    lab_file = tmp_path / "class.yaml"
    lab_file.write_text("lab: class1\nnodes: 2\nrelease: caracal\n")
    settings, labdir = context.settings_for(
        config(tmp_path, nodes=1, release="epoxy", ntp_servers=["a.example"]),
        Flags(lab_file=str(lab_file), nodes=3),
    )
    assert (settings.lab, settings.nodes, settings.release) == ("class1", 3, "caracal")
    assert settings.ntp_servers == ("a.example",)
    assert labdir.root == tmp_path / "labs" / "class1"


def test_saved_lab_yaml_is_the_file_layer_of_an_existing_lab(tmp_path):
    cfg = config(tmp_path)
    render.render(cfg, Flags(lab="keep", nodes=2, release="dalmatian", password="P@ssw0rd"))
    settings, _ = context.settings_for(cfg, Flags(lab="keep"))
    assert (settings.nodes, settings.release) == (2, "dalmatian")
    assert settings.password == ""  # never saved in lab.yaml


def test_lock_pins_release_and_box_and_uses_the_lab_file_beside_it(tmp_path):
    built = tmp_path / "built"
    built.mkdir()
    (built / "lab.yaml").write_text("lab: repro\nnodes: 3\n")
    (built / "lab.lock").write_text(
        "lab: repro\nrelease: antelope\nbox_name: labbuilder/centos-stream-9-20230704.1\n"
        "box_version: '20230704.1'\nbox_sha256: null\npackstack_version: packstack 22.0.0\n"
        "kernel: 5.14.0-284.el9.x86_64\ncreated: '2024-01-02T03:04:05+00:00'\n"
    )
    settings, labdir = context.settings_for(
        config(tmp_path, release="epoxy"), Flags(from_lock=str(built / "lab.lock"))
    )
    assert (settings.lab, settings.nodes, settings.release) == ("repro", 3, "antelope")
    assert settings.box == "labbuilder/centos-stream-9-20230704.1"
    assert labdir.name == "repro"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("nodes: [1\n", "not valid YAML"),
        ("- a\n- b\n", "must be a mapping"),
        ("nodez: 3\n", "did you mean 'nodes'"),
    ],
)
def test_bad_lab_file(tmp_path, content, message):
    lab_file = tmp_path / "lab.yaml"
    lab_file.write_text(content)
    with pytest.raises(ConfigError, match=message):
        context.settings_for(config(tmp_path), Flags(lab_file=str(lab_file)))


def test_missing_lab_file_and_lock(tmp_path):
    with pytest.raises(ConfigError, match="cannot read lab file"):
        context.settings_for(config(tmp_path), Flags(lab_file=str(tmp_path / "nope.yaml")))
    with pytest.raises(ConfigError, match="cannot read lock file"):
        context.settings_for(config(tmp_path), Flags(from_lock=str(tmp_path / "nope.lock")))


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (Flags(memory=("compute",)), "expected NAME=VALUE"),
        (Flags(set=("CONFIG_X",)), "expected CONFIG_KEY=VALUE"),
    ],
)
def test_bad_repeatable_flags(tmp_path, flags, message):
    with pytest.raises(ConfigError, match=message):
        context.settings_for(config(tmp_path), flags)


def test_plan_prints_every_node_and_totals(tmp_path):
    lines = plan.plan(config(tmp_path), Flags(nodes=3))
    text = "\n".join(lines)
    assert "controller  controller,network,storage  10.1.1.10" in text
    assert "compute2    compute" in text and "10.1.1.21" in text
    assert lines[-1].startswith("total") or "total" in text
    assert not (tmp_path / "labs").exists()  # plan writes nothing


def test_render_bad_input_writes_nothing(tmp_path):
    with pytest.raises(ConfigError):
        render.render(config(tmp_path), Flags(nodes=0))
    assert not (tmp_path / "labs").exists()
