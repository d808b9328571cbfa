"""``invoke test-box``: build and add the small Debian box the project's tests boot."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from labbuilder.adapters import vagrant as vagrantctl
from labbuilder.adapters.libvirt import connect
from labbuilder.commands.context import libvirt_uri, testbox_dir
from labbuilder.model import boxes
from labbuilder.stages import box as boxfetch
from labbuilder.stages import vms


def test_box(config: Mapping[str, Any]) -> list[str]:
    """Build/add the test box. Base volumes of an earlier add are dropped from the pool, unless
    a lab's VMs (which boot from them) still exist."""
    out_dir = testbox_dir(config)
    added, done = boxfetch.build_test_box(out_dir, boxes.TEST_BOX_NAME)
    lines = [done]
    if added:
        with connect(libvirt_uri(config)) as virt:
            if virt.domains("labbuilder-"):
                lines.append("kept earlier base volumes of the box: labs still boot from them")
            else:
                stale = virt.remove_volumes(
                    vms.POOL, vagrantctl.box_volume_prefix(boxes.TEST_BOX_NAME)
                )
                lines += [f"removed stale base volume {v}" for v in stale]
    return lines
