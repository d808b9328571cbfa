"""The image step against the real Glance: openstacksdk's ``create_image(filename=...,
wait=True)`` returns the image as it was before the upload; the walk must read it back until
active. Also records the real status sequence and checks that the unit tests' stand-in
(``tests.recorded_cloud``) still follows it.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from labbuilder.verify.e2e import Walk, WalkSpec
from labbuilder.verify.steps import Policy
from tests.recorded_cloud import IMAGE_READ_BACK_STATUSES, IMAGE_RETURNED_STATUS

pytestmark = pytest.mark.cloud


def test_image_status_sequence_is_what_the_stand_in_does(cloudlab):
    conn = cloudlab.connect()
    try:
        made = conn.image.create_image(
            "lbt-sequence", filename=str(cloudlab.image), disk_format="qcow2",
            container_format="bare", wait=True, timeout=120,
        )  # fmt: skip
        try:
            seen = []
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                status = conn.image.get_image(made.id).status
                if not seen or seen[-1] != status:
                    seen.append(status)
                if status not in ("queued", "saving", "importing"):
                    break
                time.sleep(0.5)
        finally:
            conn.image.delete_image(made)
    finally:
        conn.close()
    assert (made.status, tuple(seen)) == (IMAGE_RETURNED_STATUS, IMAGE_READ_BACK_STATUSES)


def test_walk_image_step_waits_for_active(cloudlab, tmp_path: Path):
    conn = cloudlab.connect()
    spec = WalkSpec(
        name="lbt-image-step", password="unused", external_cidr="10.199.1.0/24",
        gateway="10.199.1.1", floating=("10.199.1.150", "10.199.1.250"), image=cloudlab.image,
    )  # fmt: skip
    walk = Walk(conn, spec, guest=None, policy=Policy(image=120, interval=1))  # type: ignore[arg-type]
    walk.made["user session"] = conn
    try:
        failure = walk.steps.attempt("image", walk.image)
        status = walk.made["image"].status if "image" in walk.made else None
    finally:
        left = walk.steps.cleanup()
        conn.close()
    assert (failure, status, left) == (None, "active", [])
