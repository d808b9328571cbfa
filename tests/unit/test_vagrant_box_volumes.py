"""The names vagrant-libvirt gives a box's base volumes, read from a Vagrant home laid out as
Vagrant lays it out (``boxes/<name>/<version>/[<arch>/]libvirt/``). The real names were
checked against vagrant-libvirt 0.11.2 importing the test box (integration tests)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from labbuilder.adapters.vagrant import box_volumes


def install(
    home: Path, version: str, metadata: dict[str, object], *files: str, arch: str = ""
) -> Path:
    box_dir = home / "boxes" / "acme-VAGRANTSLASH-el9" / version / arch / "libvirt"
    box_dir.mkdir(parents=True)
    (box_dir / "metadata.json").write_text(json.dumps(metadata))
    for name in files:
        (box_dir / name).write_bytes(b"qcow2")
        os.utime(box_dir / name, (1795995258, 1795995258))
    return box_dir


def test_an_unversioned_box_is_named_by_the_time_its_image_was_written(tmp_path):
    install(tmp_path, "0", {"format": "qcow2", "virtual_size": 8}, "box.img")
    assert box_volumes("acme/el9", tmp_path) == [
        "acme-VAGRANTSLASH-el9_vagrant_box_image_0_1795995258_box.img"
    ]


def test_the_highest_installed_version_is_the_one_an_unpinned_vagrantfile_boots(tmp_path):
    for version in ("9.20250101.0", "10.20240101.0", "10.20231231.0"):
        install(tmp_path, version, {"format": "qcow2"}, "box.img")
    assert box_volumes("acme/el9", tmp_path) == [
        "acme-VAGRANTSLASH-el9_vagrant_box_image_10.20240101.0_box.img"
    ]


def test_a_v2_box_names_each_disk_and_vagrant_2_4_homes_have_an_architecture_level(tmp_path):
    disks = [{"path": "disk1.qcow2"}, {"path": "data/disk2.qcow2", "name": "extra"}]
    install(tmp_path, "2.0", {"disks": disks}, "disk1.qcow2", arch="amd64")
    assert box_volumes("acme/el9", tmp_path) == [
        "acme-VAGRANTSLASH-el9_vagrant_box_image_2.0_disk1.img",
        "acme-VAGRANTSLASH-el9_vagrant_box_image_2.0_extra.img",
    ]


def test_a_box_not_installed_or_unreadable_has_no_names(tmp_path):
    assert box_volumes("acme/el9", tmp_path) is None
    box_dir = install(tmp_path, "0", {"format": "qcow2"})  # box.img missing: no mtime
    assert box_volumes("acme/el9", tmp_path) is None
    (box_dir / "metadata.json").write_text("{not json")
    assert box_volumes("acme/el9", tmp_path) is None
