"""pytest glue of the suites: the lab and stage, the node behind each testinfra host, and
which checks apply where.

Markers: ``deployed`` (skipped with the reason until the lab's stage is deploy),
``roles(*roles)`` (only on nodes with one of them), ``backend(name)`` (only for labs on that
Neutron backend), ``services(*names)`` (only when all are enabled). A parameter with an
``applies_to(node)`` method drops the host/parameter pairs it does not apply to.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from testinfra.host import Host

from labbuilder.adapters.shell import cause_line
from labbuilder.errors import LabError
from labbuilder.verify import cloud, labinfo
from labbuilder.verify.labinfo import LabInfo, LabNode
from labbuilder.verify.naming import check_label, suite_of

if TYPE_CHECKING:
    from labbuilder.adapters.openstack import Connection

HOST_PARAM = "_testinfra_host"


def pytest_configure(config: pytest.Config) -> None:
    for line in (
        "deployed: needs OpenStack deployed on the lab (stage deploy)",
        "roles(*roles): runs only on nodes with one of these roles",
        "backend(name): runs only on labs with this Neutron backend (ovs or ovn)",
        "services(*names): runs only when these services are enabled",
    ):
        config.addinivalue_line("markers", line)


@pytest.fixture(scope="session")
def lab() -> LabInfo:
    return labinfo.from_env()


@pytest.fixture(scope="session")
def stage() -> str:
    return labinfo.stage_from_env()


@pytest.fixture(scope="session")
def conn() -> Iterator[Connection]:
    """An admin connection to the lab's OpenStack (the suites using it are ``deployed``)."""
    try:
        connection = cloud.connect()
    except LabError as err:
        pytest.fail(err.message, pytrace=False)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def node(host: Host, lab: LabInfo) -> LabNode:
    """The lab node behind ``host``, after making sure it answers over SSH."""
    name = host.backend.get_hostname()
    found = lab.node(name)
    if found is None:
        pytest.fail(f"{name} is no node of lab {lab.name}", pytrace=False)
    try:
        result = host.run("true")
    except RuntimeError as err:
        reason = cause_line(getattr(err.args[0], "stderr", "") if err.args else "")
        pytest.fail(f"cannot reach {name} over SSH: {reason}", pytrace=False)
    if result.rc != 0:
        pytest.fail(f"{name} refuses commands: {cause_line(result.stderr)}", pytrace=False)
    return found


def _host_of(item: pytest.Item) -> Host | None:
    callspec = getattr(item, "callspec", None)
    host = callspec.params.get(HOST_PARAM) if callspec is not None else None
    return host if isinstance(host, Host) else None


def _params(item: pytest.Item) -> list[Any]:
    callspec = getattr(item, "callspec", None)
    return [] if callspec is None else [v for k, v in callspec.params.items() if k != HOST_PARAM]


def _applies(item: pytest.Item, lab: LabInfo, node: LabNode | None) -> bool:
    backend = item.get_closest_marker("backend")
    if backend is not None and lab.neutron_backend not in backend.args:
        return False
    services = item.get_closest_marker("services")
    if services is not None and not set(services.args) <= lab.services:
        return False
    if node is None:
        return True
    roles = item.get_closest_marker("roles")
    if roles is not None and not node.has(*roles.args):
        return False
    return all(p.applies_to(node) for p in _params(item) if hasattr(p, "applies_to"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    lab = labinfo.from_env()
    stage = labinfo.stage_from_env()
    not_deployed = labinfo.not_deployed_reason(lab.name, stage)
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        host = _host_of(item)
        node = lab.node(host.backend.get_hostname()) if host is not None else None
        if not _applies(item, lab, node):
            dropped.append(item)
            continue
        if not_deployed and item.get_closest_marker("deployed") is not None:
            item.add_marker(pytest.mark.skip(reason=not_deployed))
        host_id = host.backend.get_pytest_id() if host is not None else ""
        module = getattr(item, "module", None)
        item.user_properties += [
            ("suite", suite_of(module.__name__ if module is not None else item.nodeid)),
            ("host", host.backend.get_hostname() if host is not None else ""),
            ("check", check_label(item.name, host_id)),
        ]
        keep.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
