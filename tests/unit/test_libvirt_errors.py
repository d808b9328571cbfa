"""libvirt failures come out as the project's ToolError, on libvirt's own in-process test
driver (``test:///default``: real libvirt, no daemon needed)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from labbuilder.adapters.libvirt import Virt
from labbuilder.errors import ToolError

TEST_URI = "test:///default"


def test_unreachable_libvirt() -> None:
    with pytest.raises(ToolError, match=r"^cannot reach libvirt at nosuch:///x \("):
        Virt("nosuch:///x")


def test_lookup_of_a_missing_domain() -> None:
    virt = Virt(TEST_URI)
    with pytest.raises(ToolError, match=r"^libvirt: reading domain nope: Domain not found"):
        virt.domain_disks("nope")
    virt.close()


@pytest.mark.parametrize(
    ("call", "what"),
    [
        (Virt.version, "reading the version"),
        (lambda v: v.domains(""), "listing domains"),
        (Virt.network_names, "listing networks"),
        (Virt.network_subnets, "listing networks"),
    ],
)
def test_calls_on_a_lost_connection(call: Callable[[Virt], object], what: str) -> None:
    virt = Virt(TEST_URI)
    assert virt.domains("") == {"test": True}  # the test driver's own domain
    virt.conn.close()
    with pytest.raises(ToolError, match=rf"^libvirt: {what}: invalid connection pointer"):
        call(virt)
