"""Lab settings are declared once (``model/settings.py``): every flag of the lab tasks, its help
and what it sets come from that table, and flag values become a settings layer."""

from __future__ import annotations

import subprocess
from dataclasses import fields

import pytest

from labbuilder.commands.flags import Flags
from labbuilder.errors import ConfigError
from labbuilder.model.settings import FLAGS, Settings, flag_layer, resolve
from tests.conftest import INVOKE, ROOT


def test_every_setting_but_the_libvirt_uri_has_a_flag_and_every_flag_a_target():
    fed = {f.setting for f in FLAGS if f.setting}
    assert fed == {f.name for f in fields(Settings)} - {"libvirt_uri"}
    assert all(f.help for f in FLAGS)
    assert len({f.option for f in FLAGS}) == len(FLAGS)


@pytest.mark.parametrize(
    ("given", "setting", "expected"),
    [
        ({"nodes": "3"}, "nodes", 3),
        ({"network_node": True}, "network_node", True),
        ({"network_node": False}, "network_node", False),  # not given: the default stays
        (
            {"enable": ("heat",), "disable": ("heat", "swift")},
            "services",
            {"heat": False, "swift": False},
        ),
        ({"memory": ("compute=4096",)}, "memory", {"compute": 4096}),
        ({"set": ("CONFIG_X=a=b",)}, "answers", {"CONFIG_X": "a=b"}),
        ({"ntp_servers": "a.example,b.example"}, "ntp_servers", ("a.example", "b.example")),
        ({}, "release", "epoxy"),
    ],
)
def test_flag_values_become_settings(given, setting, expected):
    settings = resolve(("flags", flag_layer(given)))
    assert getattr(settings, setting) == expected


@pytest.mark.parametrize(
    ("given", "message"),
    [({"set": ("CONFIG_X",)}, "expected CONFIG_KEY=VALUE"), ({"vcpus": ("4",)}, "NAME=VALUE")],
)
def test_bad_repeatable_values(given, message):
    with pytest.raises(ConfigError, match=message):
        flag_layer(given)


def test_flags_refuse_a_name_not_in_the_table():
    with pytest.raises(TypeError, match="nodez"):
        Flags(nodez=3)


def test_invoke_help_lists_every_flag_with_its_help():
    out = subprocess.run(
        [INVOKE, "--help", "up"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    flat = " ".join(out.split())
    for flag in FLAGS:
        assert f"--{flag.option.strip('_').replace('_', '-')}" in out
        assert " ".join(flag.help.split()[:4]) in flat
