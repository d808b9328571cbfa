"""The openstacksdk adapter against a clouds.yaml whose Keystone is a closed loopback port (the
real SDK, nothing listening): SDK failures come out as the project's ToolError."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from labbuilder.adapters import openstack
from labbuilder.errors import ToolError
from labbuilder.render.cloudconfig import Account, build_clouds_yaml


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def clouds(tmp_path: Path) -> Path:
    path = tmp_path / "clouds.yaml"
    url = f"http://127.0.0.1:{closed_port()}/v3"
    admin, demo = Account("admin", "admin", "pw"), Account("demo", "demo", "pw")
    path.write_text(build_clouds_yaml("poc", url, admin, demo))
    return path


def test_unknown_cloud_names_the_file(clouds: Path) -> None:
    with pytest.raises(ToolError, match=rf"^{clouds}: Cloud nope was not found\."):
        openstack.connect(clouds, "nope")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (openstack.service_catalog, r"^cannot read the Keystone catalog: .*127\.0\.0\.1"),
        (lambda conn: openstack.ensure_demo(conn, "pw"), r"127\.0\.0\.1"),
    ],
)
def test_unreachable_keystone_is_a_tool_error(clouds: Path, call, message) -> None:
    conn = openstack.connect(clouds, "poc")
    try:
        with pytest.raises(ToolError, match=message):
            call(conn)
    finally:
        conn.close()


def test_is_gone() -> None:
    from openstack.exceptions import NotFoundException, SDKException

    def missing() -> None:
        raise NotFoundException("no such server")

    def broken() -> None:
        raise SDKException("HTTP 500")

    assert openstack.is_gone(missing) is True
    assert openstack.is_gone(lambda: object()) is False
    with pytest.raises(SDKException):
        openstack.is_gone(broken)


def test_importing_the_adapter_does_not_load_the_sdk() -> None:
    code = "import labbuilder.adapters.openstack, sys; print('openstack' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
