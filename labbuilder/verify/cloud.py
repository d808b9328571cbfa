"""The lab's OpenStack as openstacksdk sees it, from the clouds.yaml ``invoke verify`` names
(``OS_CLIENT_CONFIG_FILE`` and ``OS_CLOUD``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from openstack.config.loader import OpenStackConfig
from openstack.connection import Connection

from labbuilder.errors import StateError

CLOUD_ENV = "OS_CLOUD"
CONFIG_ENV = "OS_CLIENT_CONFIG_FILE"


def connect(env: Mapping[str, str] = os.environ) -> Connection:
    cloud = env.get(CLOUD_ENV)
    path = env.get(CONFIG_ENV)
    if not cloud or not path:
        raise StateError(
            "the lab has no clouds.yaml (OS_CLOUD/OS_CLIENT_CONFIG_FILE unset): "
            "re-run `invoke up` so the deploy stage writes it"
        )
    region = OpenStackConfig(config_files=[path]).get_one(cloud=cloud)
    return Connection(config=region)


def service_catalog(conn: Connection) -> list[dict[str, Any]]:
    """The catalog of the connection's token (authenticates when needed)."""
    return list(conn.service_catalog)
