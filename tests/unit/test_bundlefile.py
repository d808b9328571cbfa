"""A bundle as ``--from``: its lock pins the lab, its settings are the lab file, secret
settings come back unset; and what the node collection unpacks."""

from __future__ import annotations

import base64
import io
import tarfile

import pytest

from labbuilder.adapters import nodecollect
from labbuilder.commands import context as commands
from labbuilder.commands.context import locked_sha256
from labbuilder.commands.flags import Flags
from labbuilder.errors import ConfigError

LOCK = (
    "lab: repro\nrelease: antelope\nbox_name: labbuilder/centos-stream-9-20230704.1\n"
    "box_version: '20230704.1'\nbox_sha256: "
    + "ab"
    * 32
    + "\npackstack_version: packstack 22.0.0\n"
    "kernel: 5.14.0-284.el9.x86_64\ncreated: '2024-01-02T03:04:05+00:00'\n"
)


def make_bundle(path, files):
    with tarfile.open(path, "w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"repro-bundle-20260101-000000/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_a_bundle_rebuilds_the_lab_it_holds(tmp_path):
    settings_yaml = "lab: repro\nnodes: 3\npassword: '[REDACTED]'\nanswers:\n  CONFIG_X_PW: '[REDACTED]'\n  CONFIG_DEBUG_MODE: y\n"
    bundle = make_bundle(
        tmp_path / "b.tar.gz", {"lab/lab.lock": LOCK, "lab/lab.yaml": settings_yaml}
    )
    cfg = {"labs_dir": str(tmp_path / "labs"), "lab": {"release": "epoxy"}}
    settings, labdir = commands.settings_for(cfg, Flags(from_lock=str(bundle)))
    assert (settings.lab, settings.nodes, settings.release) == ("repro", 3, "antelope")
    assert settings.box == "labbuilder/centos-stream-9-20230704.1"
    assert settings.password == ""  # redacted: the rebuilt lab makes its own
    assert dict(settings.answers) == {"CONFIG_DEBUG_MODE": "y"}
    assert labdir.name == "repro"
    renamed, labdir = commands.settings_for(cfg, Flags(from_lock=str(bundle), lab="again"))
    assert (renamed.lab, renamed.nodes, labdir.name) == ("again", 3, "again")
    assert locked_sha256(Flags(from_lock=str(bundle))) == "ab" * 32


def test_a_bundle_without_a_lock_is_refused(tmp_path):
    bundle = make_bundle(tmp_path / "b.tar.gz", {"lab/lab.yaml": "lab: x\n"})
    with pytest.raises(ConfigError, match=r"has no lab.lock \(the lab was never deployed\)"):
        commands.settings_for({"labs_dir": str(tmp_path)}, Flags(from_lock=str(bundle)))


def test_collected_files_unpack_without_leaving_their_directory(tmp_path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, text in {"etc/nova/nova.conf": "[DEFAULT]\n", "../evil": "x"}.items():
            info = tarfile.TarInfo(name)
            info.size = len(text)
            tar.addfile(info, io.BytesIO(text.encode()))
    encoded = base64.b64encode(buf.getvalue()).decode()
    with pytest.raises(tarfile.TarError):  # the data filter refuses paths outside dest
        nodecollect.unpack(encoded, tmp_path / "out")
    assert not (tmp_path / "evil").exists()
    assert nodecollect.unpack("", tmp_path / "none") == 0


def test_files_command_tars_only_what_exists():
    command = nodecollect.files_command(("/etc/nova", "/var/tmp/packstack"))
    assert command.startswith("set -- $(ls -d /etc/nova /var/tmp/packstack 2>/dev/null)")
    assert "[ $# -eq 0 ] && exit 0" in command
