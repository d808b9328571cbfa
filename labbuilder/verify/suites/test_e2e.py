"""The end-to-end resource walk (``labbuilder.verify.e2e``) on the deployed lab, from the host.

The image is ``LABBUILDER_E2E_IMAGE`` (a cirros file or URL; URLs are fetched once into
``LABBUILDER_IMAGE_CACHE``). Each step's time is recorded as a ``step:<name>`` property.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from labbuilder.verify import e2e, labinfo
from labbuilder.verify.guest import DEFAULT_IMAGE, ShellGuest, local_image
from labbuilder.verify.steps import StepTiming

if TYPE_CHECKING:
    from labbuilder.adapters.openstack import Connection

LAB = labinfo.from_env()
IMAGE_ENV = "LABBUILDER_E2E_IMAGE"
CACHE_ENV = "LABBUILDER_IMAGE_CACHE"
DEFAULT_CACHE = "/var/lib/labbuilder/images"

pytestmark = pytest.mark.deployed


def spec(image: Path) -> e2e.WalkSpec:
    first, last = LAB.floating
    return e2e.WalkSpec(
        name=f"lbv-{LAB.name}-{time.strftime('%Y%m%d%H%M%S')}",
        password=secrets.token_urlsafe(16),
        external_cidr=str(LAB.external_subnet),
        gateway=str(LAB.gateway),
        floating=(str(first), str(last)),
        image=image,
        cinder=LAB.enabled("cinder"),
        swift=LAB.enabled("swift"),
        heat=LAB.enabled("heat"),
    )


def test_resource_walk(
    conn: Connection, tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    source = os.environ.get(IMAGE_ENV, DEFAULT_IMAGE)
    image = local_image(source, Path(os.environ.get(CACHE_ENV, DEFAULT_CACHE)))

    def report(step: StepTiming) -> None:
        detail = f" {step.detail}" if step.detail else ""
        record_property(f"step:{step.name}", f"{step.seconds:.1f} {step.outcome}{detail}")

    e2e.Walk(conn, spec(image), ShellGuest(tmp_path), on_step=report).run()
