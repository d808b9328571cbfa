"""The lab's OpenStack as openstacksdk sees it, from the clouds.yaml ``invoke verify`` names
(``OS_CLIENT_CONFIG_FILE`` and ``OS_CLOUD``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from labbuilder.adapters import openstack
from labbuilder.adapters.openstack import service_catalog
from labbuilder.errors import StateError

if TYPE_CHECKING:
    from labbuilder.adapters.openstack import Connection

CLOUD_ENV = "OS_CLOUD"
CONFIG_ENV = "OS_CLIENT_CONFIG_FILE"
__all__ = ["CLOUD_ENV", "CONFIG_ENV", "connect", "service_catalog"]


def connect(env: Mapping[str, str] = os.environ) -> Connection:
    cloud = env.get(CLOUD_ENV)
    path = env.get(CONFIG_ENV)
    if not cloud or not path:
        raise StateError(
            "the lab has no clouds.yaml (OS_CLOUD/OS_CLIENT_CONFIG_FILE unset): "
            "re-run `invoke up` so the deploy stage writes it"
        )
    return openstack.connect(Path(path), cloud)
