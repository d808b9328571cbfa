"""``invoke test-cloud``: a real all-in-one OpenStack (Debian 13 packages, 2025.1 Epoxy) on
this host, described as lab ``testcloud`` so that ``invoke verify --lab testcloud`` runs the
same suites as against a Packstack lab; ``--down`` removes it and its lab directory.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from labbuilder import state
from labbuilder.adapters import openstack
from labbuilder.adapters import testcloud as cloud
from labbuilder.adapters.ssh import new_keypair
from labbuilder.commands.context import labs_dir
from labbuilder.errors import ConfigError, StateError
from labbuilder.labdir import PRIVATE, LabDir, write_atomic
from labbuilder.model import testcloud as model
from labbuilder.model.cloud import DEMO
from labbuilder.model.lab import Lab
from labbuilder.render import cloudconfig
from labbuilder.render import inventory as render_inventory

DEFAULT_CACHE = "/var/lib/labbuilder/testcloud"
IMAGE_ENV = "LABBUILDER_E2E_IMAGE"


def paths(config: Mapping[str, Any]) -> cloud.Paths:
    return cloud.Paths(Path(str(config.get("testcloud_cache", DEFAULT_CACHE))))


def lab_dir(config: Mapping[str, Any]) -> LabDir:
    return LabDir.of(labs_dir(config), model.NAME)


def image(config: Mapping[str, Any], on_line: Callable[[str], None] | None = None) -> Path:
    """The cached guest image (builds the root filesystem and the image when missing)."""
    where = paths(config)
    return cloud.guest_image(where, cloud.build_rootfs(where, on_line))


def up(config: Mapping[str, Any], on_line: Callable[[str], None]) -> list[str]:
    if os.geteuid() != 0:
        raise ConfigError(
            "invoke test-cloud needs root (namespaces, mounts, a veth pair): run it as root"
        )
    where = paths(config)
    labdir = lab_dir(config)
    if cloud.holder(where) is not None:
        raise StateError(
            f"the test cloud is already up (lab {labdir.root}): "
            "`invoke test-cloud --down` removes it first"
        )
    lab = model.plan()
    started = time.monotonic()
    rootfs = cloud.build_rootfs(where, on_line)
    guest = cloud.guest_image(where, rootfs)
    labdir.root.mkdir(parents=True, exist_ok=True)
    key = _keypair(labdir.root / "id_ed25519")
    password = secrets.token_urlsafe(16)
    env = model.Cloud(lab, password, key).environment()
    try:
        cloud.up(where, rootfs, env, on_line)
        _write_lab(lab, labdir, password, time.monotonic() - started)
    except BaseException:  # interrupted or failed: leave nothing half made
        cloud.down(where)
        raise
    return [
        f"test cloud up in {time.monotonic() - started:.0f} s: lab {labdir.root}",
        f"guest image: {guest}",
        f"check it: {IMAGE_ENV}={guest} invoke verify --lab {model.NAME}",
    ]


def down(config: Mapping[str, Any]) -> list[str]:
    where = paths(config)
    was_up = cloud.holder(where) is not None
    cloud.down(where)
    labdir = lab_dir(config)
    if labdir.root.is_dir():
        shutil.rmtree(labdir.root)
    return ["test cloud removed" if was_up else "the test cloud was not up; nothing to remove"]


def deployed_state(lab: Lab, seconds: float, now: datetime | None = None) -> state.LabState:
    """Every stage recorded as done: the cloud is up and deployed when this is written."""
    st = state.LabState(nodes=tuple(n.name for n in lab.nodes))
    for stage in state.STAGES:
        st = st.finish(stage, seconds if stage == "deploy" else 0.0, now)
    return st


def _keypair(path: Path) -> str:
    return new_keypair(path, "labbuilder-testcloud")


def _write_lab(lab: Lab, labdir: LabDir, password: str, seconds: float) -> None:
    """The lab's files: what ``invoke verify`` reads, and the demo account it uses."""
    url = cloudconfig.auth_url(lab)
    admin = cloudconfig.Account("admin", "admin", password)
    demo = cloudconfig.Account(DEMO, DEMO, password)
    data = {**render_inventory.to_data(lab), "packaging": model.PACKAGING}
    write_atomic(labdir.inventory, json.dumps(data, indent=2) + "\n")
    write_atomic(labdir.ssh_config, model.ssh_config(lab, labdir.root / "id_ed25519"))
    clouds = cloudconfig.clouds_path(labdir)
    write_atomic(clouds, cloudconfig.build_clouds_yaml(lab.name, url, admin, demo), PRIVATE)
    write_atomic(
        cloudconfig.openrc_path(labdir), cloudconfig.build_openrc(lab.name, url, admin), PRIVATE
    )
    conn = openstack.connect(clouds, lab.name)
    try:
        openstack.ensure_demo(conn, password)
    finally:
        conn.close()
    state.save(labdir, deployed_state(lab, seconds))
