"""The end-to-end walk's orchestration: step order, cleanup after a failure at any step
(everything created is deleted, in reverse order), waiting, retries and timeouts.

The cloud is a stand-in at the openstacksdk boundary: ``create_autospec`` of the real
``Connection`` and proxy classes (wrong method names or arguments fail as they would against
the SDK), returning real SDK resource objects. Where it imitates the cloud's behaviour (the
image's statuses) it follows ``tests.recorded_cloud``, which the integration tests check
against a real OpenStack; the walk itself runs there end to end. The
guest side (ssh-keygen, ping, ssh) is a stand-in too, and time is a fake clock.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from unittest.mock import create_autospec

import pytest
from openstack import exceptions as sdk
from openstack.block_storage.v3._proxy import Proxy as BlockStorageProxy
from openstack.block_storage.v3.volume import Volume
from openstack.compute.v2._proxy import Proxy as ComputeProxy
from openstack.compute.v2.flavor import Flavor
from openstack.compute.v2.keypair import Keypair
from openstack.compute.v2.server import Server
from openstack.compute.v2.volume_attachment import VolumeAttachment
from openstack.connection import Connection
from openstack.identity.v3._proxy import Proxy as IdentityProxy
from openstack.identity.v3.project import Project
from openstack.identity.v3.role import Role
from openstack.identity.v3.user import User
from openstack.image.v2._proxy import Proxy as ImageProxy
from openstack.image.v2.image import Image
from openstack.network.v2._proxy import Proxy as NetworkProxy
from openstack.network.v2.floating_ip import FloatingIP
from openstack.network.v2.network import Network
from openstack.network.v2.port import Port
from openstack.network.v2.router import Router
from openstack.network.v2.security_group import SecurityGroup
from openstack.network.v2.subnet import Subnet
from openstack.object_store.v1._proxy import Proxy as ObjectStoreProxy
from openstack.object_store.v1.container import Container
from openstack.orchestration.v1._proxy import Proxy as OrchestrationProxy
from openstack.orchestration.v1.stack import Stack

from labbuilder.errors import VerifyError
from labbuilder.verify.e2e import Walk, WalkSpec
from labbuilder.verify.steps import Policy, StepTiming
from tests.recorded_cloud import IMAGE_READ_BACK_STATUSES, IMAGE_RETURNED_STATUS

pytestmark = pytest.mark.filterwarnings("ignore::openstack.warnings.RemovedInSDK50Warning")

PARTITIONS = (
    "major minor  #blocks  name\n\n 253        0    1048576 vda\n 253        1    1047552 vda1\n"
)
WITH_VOLUME = PARTITIONS + " 253       16    1048576 vdb\n"
ALL_STEPS = [
    "project", "user", "external network", "flavor", "network", "router", "security group",
    "keypair", "image", "server", "floating ip", "ping", "ssh", "volume", "object", "stack",
]  # fmt: skip
CREATED = [
    "project", "user", "session", "extnet", "extnet-subnet", "flavor", "network", "subnet",
    "router", "router-interface", "security-group", "keypair", "image", "server",
    "floating-ip", "volume", "attachment", "container", "object", "stack",
]  # fmt: skip


@dataclass
class Clock:
    """Fake time: ``sleep`` moves it forward."""

    t: float = 0.0

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds


@dataclass
class GuestStandIn:
    """Stand-in for the host's ssh-keygen/ping/ssh (there is no instance to reach here)."""

    clock: Clock
    pings_lost: int = 0
    ssh_refused: int = 0
    ssh_output: Callable[[], str] = lambda: PARTITIONS
    calls: list[str] = field(default_factory=list)

    def keygen(self) -> str:
        return "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHb3 labbuilder-verify"

    def ping(self, address: str) -> bool:
        self.calls.append(f"ping {address}")
        self.pings_lost -= 1
        return self.pings_lost < 0

    def ssh(self, address: str, user: str, command: str) -> str | None:
        self.calls.append(f"ssh {user}@{address} {command}")
        self.ssh_refused -= 1
        return self.ssh_output() if self.ssh_refused < 0 else None


PROXIES = {
    "identity": IdentityProxy,
    "network": NetworkProxy,
    "compute": ComputeProxy,
    "image": ImageProxy,
    "block_storage": BlockStorageProxy,
    "object_store": ObjectStoreProxy,
    "orchestration": OrchestrationProxy,
}


@functools.cache
def autospecs() -> tuple[Any, Any]:
    """Two autospecced connections with their proxies, built once (autospec takes ~1 s)."""
    conns = []
    for _ in range(2):
        conn = create_autospec(Connection, instance=True)
        for name, proxy in PROXIES.items():
            setattr(conn, name, create_autospec(proxy, instance=True))
        conns.append(conn)
    return conns[0], conns[1]


def fresh(conn: Any) -> Any:
    """``conn`` with no calls, return values or side effects left from an earlier test."""
    conn.reset_mock(return_value=True, side_effect=True)
    for name in PROXIES:
        getattr(conn, name).reset_mock(return_value=True, side_effect=True)
    return conn


class CloudStandIn:
    """Stand-in for the lab's OpenStack: autospecs of the real openstacksdk Connection and
    proxies whose calls keep a log and return real resource objects. ``fail`` maps a proxy
    method name to the exception it raises; ``building`` is how many polls a server stays in
    BUILD.
    """

    def __init__(self, fail: dict[str, Exception] | None = None, building: int = 2) -> None:
        self.log: list[str] = []
        self.fail = fail or {}
        self.building = building
        self.server_status = "ACTIVE"
        self.fault: dict[str, Any] | None = None
        self.volume_status = "creating"
        self.data = b""
        self.image_statuses = list(IMAGE_READ_BACK_STATUSES)
        self.default_groups: list[SecurityGroup] = []
        self.gone: set[str] = set()
        self.admin, self.user = (fresh(conn) for conn in autospecs())
        self.admin.connect_as.side_effect = self._act(
            "connect_as", lambda **kw: self._made("session", self.user)
        )
        self.user.close.side_effect = self._act("close", lambda: self._deleted("session"))
        self._wire_identity(self.admin.identity)
        self._wire_network(self.admin.network)
        self._wire_network(self.user.network)
        self._wire_compute(self.admin.compute)
        self._wire_compute(self.user.compute)
        self._wire_rest(self.user)

    def _act(self, method: str, body: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            if method in self.fail:
                raise self.fail[method]
            return body(*args, **kwargs)

        return call

    def _made(self, kind: str, resource: Any) -> Any:
        self.log.append(f"create {kind}")
        return resource

    def _deleted(self, kind: str) -> None:
        self.log.append(f"delete {kind}")
        self.gone.add(kind)

    def _get(self, kind: str, resource: Any) -> Any:
        if kind in self.gone:
            raise sdk.NotFoundException(f"{kind} not found")
        return resource

    def _wire(self, proxy: Any, method: str, body: Callable[..., Any]) -> None:
        getattr(proxy, method).side_effect = self._act(method, body)

    def _wire_identity(self, identity: Any) -> None:
        self._wire(
            identity, "create_project", lambda **kw: self._made("project", Project(id="p1", **kw))
        )
        self._wire(identity, "create_user", lambda **kw: self._made("user", User(id="u1", **kw)))
        self._wire(identity, "find_role", lambda name, **kw: Role(id="r1", name=name))
        self._wire(identity, "assign_project_role_to_user", lambda *a, **kw: None)
        self._wire(identity, "delete_project", lambda *a, **kw: self._deleted("project"))
        self._wire(identity, "delete_user", lambda *a, **kw: self._deleted("user"))

    def _wire_network(self, net: Any) -> None:
        def network(**kw: Any) -> Network:
            kind = "extnet" if kw.get("is_router_external") else "network"
            return self._made(kind, Network(id=f"{kind}-id", **kw))

        def subnet(**kw: Any) -> Subnet:
            kind = "extnet-subnet" if kw["network_id"] == "extnet-id" else "subnet"
            return self._made(kind, Subnet(id=f"{kind}-id", **kw))

        self._wire(net, "find_network", lambda name, **kw: None)
        self._wire(net, "create_network", network)
        self._wire(net, "create_subnet", subnet)
        self._wire(net, "create_router", lambda **kw: self._made("router", Router(id="rt1", **kw)))
        self._wire(
            net, "add_interface_to_router", lambda *a, **kw: self._made("router-interface", {})
        )
        self._wire(
            net,
            "create_security_group",
            lambda **kw: self._made("security-group", SecurityGroup(id="sg1", **kw)),
        )
        self._wire(net, "create_security_group_rule", lambda **kw: None)
        self._wire(net, "security_groups", lambda **kw: iter(self.default_groups))
        self._wire(net, "ports", lambda **kw: iter([Port(id="port1", device_id=kw["device_id"])]))
        self._wire(
            net,
            "create_ip",
            lambda **kw: self._made(
                "floating-ip", FloatingIP(id="fip1", floating_ip_address="10.1.1.151", **kw)
            ),
        )
        self._wire(net, "delete_ip", lambda *a, **kw: self._deleted("floating-ip"))
        self._wire(
            net, "remove_interface_from_router", lambda *a, **kw: self._deleted("router-interface")
        )
        self._wire(net, "delete_security_group", lambda *a, **kw: self._deleted("security-group"))
        self._wire(net, "delete_router", lambda *a, **kw: self._deleted("router"))
        self._wire(
            net, "delete_subnet", lambda s, **kw: self._deleted(str(s.id).removesuffix("-id"))
        )
        self._wire(
            net, "delete_network", lambda n, **kw: self._deleted(str(n.id).removesuffix("-id"))
        )

    def _server(self, *args: Any) -> Server:
        """BUILD for ``building`` polls, then ``server_status`` (with ``fault``), gone once deleted."""
        status = "BUILD" if self.building > 0 else self.server_status
        self.building -= 1
        return self._get("server", Server(id="s1", name="lbv", status=status, fault=self.fault))

    def _wire_compute(self, compute: Any) -> None:
        self._wire(
            compute, "create_flavor", lambda **kw: self._made("flavor", Flavor(id="f1", **kw))
        )
        self._wire(compute, "delete_flavor", lambda *a, **kw: self._deleted("flavor"))
        self._wire(compute, "create_keypair", lambda **kw: self._made("keypair", Keypair(**kw)))
        self._wire(compute, "delete_keypair", lambda *a, **kw: self._deleted("keypair"))
        self._wire(
            compute,
            "create_server",
            lambda **kw: self._made("server", Server(id="s1", status="BUILD", **kw)),
        )
        self._wire(compute, "get_server", self._server)
        self._wire(compute, "delete_server", lambda *a, **kw: self._deleted("server"))
        self._wire(compute, "create_volume_attachment", self._attach)
        self._wire(compute, "delete_volume_attachment", self._detach)

    def _attach(self, server: Any, volume: Any = None, **kw: Any) -> VolumeAttachment:
        self.volume_status = "in-use"
        return self._made("attachment", VolumeAttachment(id="a1", volume_id=volume))

    def _detach(self, *args: Any, **kw: Any) -> None:
        self.volume_status = "available"
        self._deleted("attachment")

    def _volume(self, *args: Any) -> Volume:
        found = self._get("volume", Volume(id="v1", status=self.volume_status))
        if self.volume_status == "creating":
            self.volume_status = "available"
        return found

    def _image(self, *args: Any) -> Image:
        """The recorded statuses in order, the last one staying."""
        status = self.image_statuses[0]
        if len(self.image_statuses) > 1:
            self.image_statuses.pop(0)
        return self._get("image", Image(id="i1", status=status))

    def _upload(self, **kw: Any) -> None:
        self.data = kw["data"]
        self._made("object", None)

    def _wire_rest(self, conn: Any) -> None:
        self._wire(
            conn.image,
            "create_image",
            lambda name, **kw: self._made(
                "image", Image(id="i1", name=name, status=IMAGE_RETURNED_STATUS)
            ),
        )
        self._wire(conn.image, "get_image", self._image)
        self._wire(conn.image, "delete_image", lambda *a, **kw: self._deleted("image"))
        self._wire(
            conn.block_storage,
            "create_volume",
            lambda **kw: self._made("volume", Volume(id="v1", status="creating", **kw)),
        )
        self._wire(conn.block_storage, "get_volume", self._volume)
        self._wire(conn.block_storage, "delete_volume", lambda *a, **kw: self._deleted("volume"))
        store = conn.object_store
        self._wire(store, "create_container", lambda **kw: self._made("container", Container(**kw)))
        self._wire(store, "upload_object", self._upload)
        self._wire(store, "download_object", lambda *a, **kw: self.data)
        self._wire(store, "delete_object", lambda *a, **kw: self._deleted("object"))
        self._wire(store, "delete_container", lambda *a, **kw: self._deleted("container"))
        heat = conn.orchestration
        self._wire(
            heat,
            "create_stack",
            lambda **kw: self._made("stack", Stack(id="st1", status="CREATE_IN_PROGRESS")),
        )
        self._wire(heat, "get_stack", lambda *a, **kw: Stack(id="st1", status="CREATE_COMPLETE"))
        self._wire(heat, "delete_stack", lambda *a, **kw: self._deleted("stack"))
        self._wire(
            heat,
            "find_stack",
            lambda *a, **kw: None
            if "stack" in self.gone
            else Stack(id="st1", status="DELETE_IN_PROGRESS"),
        )

    @property
    def creates(self) -> list[str]:
        return [e.removeprefix("create ") for e in self.log if e.startswith("create ")]

    @property
    def deletes(self) -> list[str]:
        return [e.removeprefix("delete ") for e in self.log if e.startswith("delete ")]


PLAN = WalkSpec(
    name="lbv-poc-1",
    password="pw",
    external_cidr="10.1.1.0/24",
    gateway="10.1.1.1",
    floating=("10.1.1.150", "10.1.1.250"),
    image=Path("/srv/cirros.img"),
    heat=True,
)
SMALL = replace(PLAN, cinder=False, swift=False, heat=False)


def walk(
    cloud: CloudStandIn, guest: GuestStandIn | None = None, plan: WalkSpec = PLAN, **policy: float
) -> tuple[Walk, list[StepTiming]]:
    clock = guest.clock if guest else Clock()
    steps: list[StepTiming] = []
    runner = Walk(
        cloud.admin,
        plan,
        guest or GuestStandIn(clock),
        Policy(now=clock.now, sleep=clock.sleep, **policy),
        on_step=steps.append,
    )
    return runner, steps


def test_walks_every_step_in_order_and_cleans_up_in_reverse() -> None:
    cloud = CloudStandIn()
    guest = GuestStandIn(
        Clock(), ssh_output=lambda: WITH_VOLUME if "attachment" in cloud.creates else PARTITIONS
    )
    runner, steps = walk(cloud, guest)
    runner.run()
    ran = [s.name for s in steps if s.outcome == "ok"]
    assert ran == ALL_STEPS
    assert cloud.creates == CREATED
    assert cloud.deletes == list(reversed(CREATED))
    assert [s.name for s in steps if s.outcome == "deleted"] == [
        f"delete {what}"
        for what in (
            "stack", "object", "container", "volume attachment", "volume", "floating ip",
            "server", "image", "keypair", "security group", "router interface", "router",
            "subnet", "network", "flavor", "extnet subnet", "extnet", "user session", "user",
            "default security group", "project",
        )
    ]  # fmt: skip
    assert runner.made["block device"] == "vdb"
    assert guest.calls[:2] == ["ping 10.1.1.151", "ssh cirros@10.1.1.151 cat /proc/partitions"]


def test_calls_carry_the_plan() -> None:
    cloud = CloudStandIn()
    runner, _ = walk(cloud, plan=SMALL)
    runner.run()
    cloud.admin.network.create_subnet.assert_any_call(
        name="extnet-subnet",
        network_id="extnet-id",
        ip_version=4,
        cidr="10.1.1.0/24",
        gateway_ip="10.1.1.1",
        allocation_pools=[{"start": "10.1.1.150", "end": "10.1.1.250"}],
        is_dhcp_enabled=False,
    )
    cloud.admin.network.create_network.assert_any_call(
        name="extnet",
        provider_network_type="flat",
        provider_physical_network="extnet",
        is_router_external=True,
    )
    cloud.user.image.create_image.assert_called_once_with(
        "lbv-poc-1",
        filename="/srv/cirros.img",
        disk_format="qcow2",
        container_format="bare",
        wait=True,
        timeout=600.0,
    )
    assert cloud.creates[-1] == "floating-ip"
    assert "volume" not in cloud.creates and "stack" not in cloud.creates


FAILURES = [
    ("create_project", "project", []),
    ("assign_project_role_to_user", "user", ["project", "user"]),
    ("create_flavor", "flavor", CREATED[: CREATED.index("flavor")]),
    ("add_interface_to_router", "router", CREATED[: CREATED.index("router") + 1]),
    ("create_keypair", "keypair", CREATED[: CREATED.index("keypair")]),
    ("create_server", "server", CREATED[: CREATED.index("server")]),
    ("create_ip", "floating ip", CREATED[: CREATED.index("floating-ip")]),
    ("create_volume_attachment", "volume", CREATED[: CREATED.index("attachment")]),
    ("download_object", "object", CREATED[: CREATED.index("object") + 1]),
    ("create_stack", "stack", CREATED[: CREATED.index("stack")]),
]


@pytest.mark.parametrize(("method", "step", "created"), FAILURES, ids=[f[0] for f in FAILURES])
def test_failure_at_a_step_deletes_everything_created_in_reverse(
    method: str, step: str, created: list[str]
) -> None:
    cloud = CloudStandIn(fail={method: sdk.ConflictException("HTTP 409: Conflict")})
    guest = GuestStandIn(
        Clock(), ssh_output=lambda: WITH_VOLUME if "attachment" in cloud.creates else PARTITIONS
    )
    runner, steps = walk(cloud, guest)
    with pytest.raises(VerifyError) as failed:
        runner.run()
    assert str(failed.value) == f"end-to-end step '{step}' failed: HTTP 409: Conflict"
    assert cloud.creates == created
    assert cloud.deletes == list(reversed(created))
    assert [s.name for s in steps if s.outcome == "failed"] == [step]
    assert [s.name for s in steps if s.outcome == "ok"] == ALL_STEPS[: ALL_STEPS.index(step)]


def test_server_waits_while_building() -> None:
    cloud = CloudStandIn(building=3)
    runner, steps = walk(cloud, plan=SMALL, interval=5.0)
    runner.run()
    server = next(s for s in steps if s.name == "server")
    assert (server.outcome, server.seconds) == ("ok", 15.0)
    assert cloud.admin.compute.get_server.call_count == 0
    assert cloud.user.compute.get_server.call_count == 4 + 1  # 4 polls, 1 after delete


@pytest.mark.parametrize(
    ("statuses", "outcome", "reason"),
    [
        (["queued", "saving", "active"], "ok", ""),
        (["queued"], "failed", "step 'image' failed: image i1 not active within 30 s"),
        (["saving", "killed"], "failed", "step 'image' failed: image i1 went to killed"),
    ],
)
def test_image_is_read_back_until_active(statuses: list[str], outcome: str, reason: str) -> None:
    cloud = CloudStandIn()
    cloud.image_statuses = statuses
    runner, steps = walk(cloud, plan=SMALL, image=30.0, interval=10.0)
    if reason:
        with pytest.raises(VerifyError, match=re.escape(reason)):
            runner.run()
    else:
        runner.run()
    assert next(s.outcome for s in steps if s.name == "image") == outcome
    assert "delete image" in cloud.log


def test_the_projects_default_security_group_goes_before_the_project() -> None:
    cloud = CloudStandIn()
    cloud.default_groups = [SecurityGroup(id="sg-default", name="default", project_id="p1")]
    runner, _ = walk(cloud, plan=SMALL)
    runner.run()
    cloud.admin.network.security_groups.assert_called_once_with(project_id="p1")
    assert cloud.deletes[-2:] == ["security-group", "project"]
    cloud.admin.network.delete_security_group.assert_called_once_with(cloud.default_groups[0])


def test_server_error_names_the_fault() -> None:
    cloud = CloudStandIn(building=1)
    cloud.server_status = "ERROR"
    cloud.fault = {"message": "No valid host was found."}
    runner, _ = walk(cloud)
    with pytest.raises(
        VerifyError,
        match=r"step 'server' failed: server s1 went to ERROR: No valid host was found\.",
    ):
        runner.run()
    assert cloud.deletes[0] == "server"


@pytest.mark.parametrize(
    ("lost", "timeout", "outcome", "pings"),
    [
        (0, 60.0, "ok", 1),
        (3, 60.0, "ok", 4),
        (100, 60.0, "failed", 13),
    ],
)
def test_ping_retries_until_its_timeout(
    lost: int, timeout: float, outcome: str, pings: int
) -> None:
    cloud = CloudStandIn()
    guest = GuestStandIn(Clock(), pings_lost=lost)
    runner, steps = walk(cloud, guest, plan=SMALL, ping=timeout, interval=5.0)
    if outcome == "failed":
        with pytest.raises(
            VerifyError, match=r"step 'ping' failed: no ping answer from 10.1.1.151 within 60 s"
        ):
            runner.run()
    else:
        runner.run()
    assert next(s.outcome for s in steps if s.name == "ping") == outcome
    assert sum(c.startswith("ping") for c in guest.calls) == pings
    assert cloud.deletes == list(reversed(cloud.creates))


def test_ssh_refused_then_accepted() -> None:
    cloud = CloudStandIn()
    guest = GuestStandIn(Clock(), ssh_refused=2)
    runner, steps = walk(cloud, guest, plan=SMALL, interval=10.0)
    runner.run()
    assert next(s.seconds for s in steps if s.name == "ssh") == 20.0
    assert runner.made["disks"] == ("vda",)


def test_volume_never_seen_in_the_guest_times_out() -> None:
    cloud = CloudStandIn()
    runner, _ = walk(cloud, plan=replace(PLAN, swift=False, heat=False), volume=30.0, interval=10.0)
    with pytest.raises(
        VerifyError, match=r"step 'volume' failed: no new block device in the server within 30 s"
    ):
        runner.run()
    assert cloud.deletes[:2] == ["attachment", "volume"]


def test_existing_external_network_is_used_and_kept() -> None:
    cloud = CloudStandIn()
    cloud.admin.network.find_network.side_effect = lambda name, **kw: Network(
        id="extnet-id", name=name
    )
    runner, _ = walk(cloud, plan=SMALL)
    runner.run()
    assert "extnet" not in cloud.creates and "extnet" not in cloud.deletes
    cloud.user.network.create_router.assert_called_once_with(
        name="lbv-poc-1", external_gateway_info={"network_id": "extnet-id"}
    )


def test_cleanup_failure_is_reported_and_the_rest_still_deleted() -> None:
    cloud = CloudStandIn(fail={"delete_security_group": sdk.ConflictException("HTTP 409: in use")})
    runner, steps = walk(cloud, plan=SMALL)
    with pytest.raises(VerifyError) as failed:
        runner.run()
    assert (
        str(failed.value)
        == "end-to-end cleanup left 1 resource(s): security group (HTTP 409: in use)"
    )
    assert "security-group" not in cloud.deletes
    assert cloud.deletes[-1] == "project"
    assert ("delete security group", "failed", "HTTP 409: in use") in [
        (s.name, s.outcome, s.detail) for s in steps
    ]


def test_wrong_sdk_call_is_caught_by_the_autospec() -> None:
    """The stand-in rejects calls the real proxy would reject (a guard for the stand-in itself)."""
    cloud = CloudStandIn()
    with pytest.raises(TypeError):
        cloud.user.network.add_interface_to_router("rt1", subnet_id="s1")
