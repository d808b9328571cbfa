"""The command line as a user meets it: bad input gives one error line, a non-zero exit and
no files; a good render says where it wrote."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.conftest import INVOKE, ROOT


def run(tmp_path, *args):
    env = {**os.environ, "INVOKE_LABS_DIR": str(tmp_path / "labs")}
    return subprocess.run(
        [INVOKE, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["render", "--nodes", "abc"], 2, "'nodes' must be a whole number"),
        (["render", "--nodes", "0"], 2, "at least 1 node"),
        (["render", "--lab", "Bad Name"], 2, "lab name"),
        (["render", "--memory", "compute"], 2, "expected NAME=VALUE"),
        (["render", "--storage-node", "--nodes", "3"], 2, "Packstack 26 installs Cinder and Swift"),
        (["render", "--set", "CONFIG_LBAAS_INSTALL=y"], 3, "removed from Packstack in 2019"),
        (["render", "--release", "zed"], 2, "unknown release"),
        (
            ["render", "--nodes", "3", "--set", "CONFIG_COMPUTE_HOSTS=10.1.1.10"],
            3,
            "CONFIG_COMPUTE_HOSTS=10.1.1.10 contradicts the lab (10.1.1.20,10.1.1.21): "
            "change --nodes, not the answer file",
        ),
        (["render", "--set", "CONFIG_NOVA_LIBVIRT_VIRT_TYPE=xen"], 3, "only kvm or qemu"),
        (["up", "--until", "boot"], 7, "unknown stage"),
        (["deploy", "--lab", "never"], 7, "there is no lab never"),
        (["status", "--lab", "never"], 7, "has not been rendered"),
        (["ssh", "controller", "--lab", "never"], 7, "has no VMs up"),
    ],
)
def test_bad_input(tmp_path, args, code, message):
    out = run(tmp_path, *args)
    assert out.returncode == code, out.stdout + out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ")
    if message:
        assert message in lines[0]
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "labs").exists()


LONG_LAB = "\u00fc" * 200  # 400 bytes: too long for one path component


@pytest.mark.parametrize(
    ("command", "name"),
    [
        *[(c, LONG_LAB) for c in ("plan", "up", "status", "down", "deploy")],
        ("plan", "../x"),
        ("down", "../x"),
    ],
)
def test_bad_lab_name_is_refused_before_any_path(tmp_path, command, name):
    (tmp_path / "labs").mkdir()  # an existing labs dir: a long name would hit the file system
    out = run(tmp_path, command, "--lab", name)
    assert out.returncode == 2, out.stdout + out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: lab name "), out.stderr
    assert len(lines[0]) < 200
    assert list((tmp_path / "labs").iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["render", "--box", "a/../b"], "box name 'a/../b' is not usable"),
        (["ssh", "../controller", "--lab", "x"], "node name '../controller' is not usable"),
    ],
)
def test_bad_box_and_node_names(tmp_path, args, message):
    out = run(tmp_path, *args)
    assert out.returncode == 2, out.stdout + out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], out.stderr
    assert not (tmp_path / "labs").exists()


def test_render_writes_the_lab_and_says_where(tmp_path):
    out = run(tmp_path, "render", "--nodes", "3", "--lab", "cli")
    assert out.returncode == 0, out.stderr
    assert f"lab cli rendered in {tmp_path / 'labs' / 'cli'}" in out.stdout
    assert (
        "CONFIG_COMPUTE_HOSTS=10.1.1.20,10.1.1.21"
        in (tmp_path / "labs" / "cli" / "answers.txt").read_text()
    )


def test_ignored_keys_are_counted_and_listed_on_request(tmp_path):
    keys = ["--set", "CONFIG_KEYSTONE_LDAP_URL=ldap://x", "--set", "CONFIG_KEYSTONE_LDAP_USER_DN=x"]
    out = run(tmp_path, "render", "--lab", "ig", *keys)
    assert out.returncode == 0, out.stderr
    warned = [line for line in out.stdout.splitlines() if line.startswith("warning: ")]
    assert warned == [
        "warning: 2 answer-file keys Packstack would ignore in this configuration "
        "(KEYSTONE_LDAP 2): `invoke render --show-ignored` lists them"
    ]
    listed = run(tmp_path, "render", "--lab", "ig", *keys, "--show-ignored")
    assert [line.split(":")[1].strip() for line in listed.stdout.splitlines()[:2]] == [
        "CONFIG_KEYSTONE_LDAP_URL",
        "CONFIG_KEYSTONE_LDAP_USER_DN",
    ]
