"""The end-to-end walk of the source notes on a deployed lab, with openstacksdk.

As admin: a project, a user with the member role, the external network ``extnet`` (flat on
physnet ``extnet``, subnet = the lab's floating pool) and a flavor. As that user: network,
subnet, router to extnet, a security group for SSH and ICMP, a keypair, an image, an
instance and a floating IP; from the host, ping and SSH in. Then a volume seen as a block
device, a Swift object round trip and a Heat stack, for the services the lab has.

Everything created is registered for undo at once and removed in reverse order at the end,
also after a failure. Every step (and every undo) is reported with its time through
``on_step``. Waiting uses ``Policy`` (clock, sleep, timeouts), so tests run it instantly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from labbuilder.errors import VerifyError
from labbuilder.verify.guest import Guest, new_disks, parse_partitions
from labbuilder.verify.steps import Action, OnStep, Policy, Steps, no_report

if TYPE_CHECKING:
    from labbuilder.adapters.openstack import BlockStorage, Connection, Identity, Images

T = TypeVar("T")
EXTNET = "extnet"
MEMBER_ROLE = "member"
IMAGE_FAILED = ("killed", "deleted", "deactivated")
HEAT_TEMPLATE: dict[str, Any] = {
    "heat_template_version": "2018-08-31",
    "resources": {"word": {"type": "OS::Heat::RandomString", "properties": {"length": 8}}},
}


@dataclass(frozen=True)
class WalkSpec:
    """What the walk creates. ``image`` is a local file (a URL is fetched by the caller)."""

    name: str
    password: str
    external_cidr: str
    gateway: str
    floating: tuple[str, str]
    image: Path
    internal_cidr: str = "192.168.100.0/24"
    image_user: str = "cirros"
    flavor: tuple[int, int, int] = (256, 1, 1)
    """RAM MiB, vCPUs, disk GiB."""
    cinder: bool = True
    swift: bool = True
    heat: bool = False


@dataclass
class Walk:
    admin: Connection
    spec: WalkSpec
    guest: Guest
    policy: Policy = field(default_factory=Policy)
    on_step: OnStep = no_report
    made: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.steps = Steps(self.policy, self.on_step)

    def run(self) -> None:
        """Walk the steps for this lab, then clean up; VerifyError names the step that failed."""
        self.steps.walk(self.steps_for_lab())

    def steps_for_lab(self) -> list[tuple[str, Action]]:
        out: list[tuple[str, Action]] = [
            ("project", self.project),
            ("user", self.user),
            ("external network", self.external_network),
            ("flavor", self.flavor),
            ("network", self.network),
            ("router", self.router),
            ("security group", self.security_group),
            ("keypair", self.keypair),
            ("image", self.image),
            ("server", self.server),
            ("floating ip", self.floating_ip),
            ("ping", self.ping),
            ("ssh", self.ssh),
        ]
        if self.spec.cinder:
            out.append(("volume", self.volume))
        if self.spec.swift:
            out.append(("object", self.object))
        if self.spec.heat:
            out.append(("stack", self.stack))
        return out

    def _made(self, what: str, resource: T, undo: Action) -> T:
        self.made[what] = resource
        self.steps.register(what, undo)
        return resource

    # -- admin -------------------------------------------------------------------------
    @property
    def identity(self) -> Identity:
        return cast("Identity", self.admin.identity)

    def project(self) -> None:
        project = self.identity.create_project(name=self.spec.name, description="labbuilder verify")
        self._made("project", project, lambda: self.identity.delete_project(project))
        # Neutron gives the project a default security group on its first use and keeps it
        # after the project is deleted: remove it too, so nothing is left behind
        self.steps.register("default security group", lambda: self._drop_groups(project.id))

    def _drop_groups(self, project_id: str) -> None:
        net = self.admin.network
        for group in list(net.security_groups(project_id=project_id)):
            net.delete_security_group(group)

    def user(self) -> None:
        project = self.made["project"]
        user = self.identity.create_user(
            name=self.spec.name, password=self.spec.password, default_project_id=project.id
        )
        self._made("user", user, lambda: self.identity.delete_user(user))
        role = self.identity.find_role(MEMBER_ROLE, ignore_missing=False)
        self.identity.assign_project_role_to_user(project, user, role)
        conn = self.admin.connect_as(
            username=self.spec.name,
            password=self.spec.password,
            project_name=self.spec.name,
            user_domain_id="default",
            project_domain_id="default",
        )
        self._made("user session", conn, conn.close)

    def external_network(self) -> None:
        net = self.admin.network
        found = net.find_network(EXTNET)
        if found is not None:
            self.made["extnet"] = found
            return
        ext = net.create_network(
            name=EXTNET,
            provider_network_type="flat",
            provider_physical_network=EXTNET,
            is_router_external=True,
        )
        self._made("extnet", ext, lambda: net.delete_network(ext))
        first, last = self.spec.floating
        subnet = net.create_subnet(
            name=f"{EXTNET}-subnet",
            network_id=ext.id,
            ip_version=4,
            cidr=self.spec.external_cidr,
            gateway_ip=self.spec.gateway,
            allocation_pools=[{"start": first, "end": last}],
            is_dhcp_enabled=False,
        )
        self._made("extnet subnet", subnet, lambda: net.delete_subnet(subnet))

    def flavor(self) -> None:
        ram, vcpus, disk = self.spec.flavor
        compute = self.admin.compute
        flavor = compute.create_flavor(name=self.spec.name, ram=ram, vcpus=vcpus, disk=disk)
        self._made("flavor", flavor, lambda: compute.delete_flavor(flavor))

    # -- as the user -------------------------------------------------------------------
    @property
    def user_conn(self) -> Connection:
        return cast("Connection", self.made["user session"])

    def network(self) -> None:
        net = self.user_conn.network
        network = net.create_network(name=self.spec.name)
        self._made("network", network, lambda: net.delete_network(network))
        subnet = net.create_subnet(
            name=self.spec.name, network_id=network.id, ip_version=4, cidr=self.spec.internal_cidr
        )
        self._made("subnet", subnet, lambda: net.delete_subnet(subnet))

    def router(self) -> None:
        net = self.user_conn.network
        router = net.create_router(
            name=self.spec.name, external_gateway_info={"network_id": self.made["extnet"].id}
        )
        self._made("router", router, lambda: net.delete_router(router))
        subnet = self.made["subnet"]
        net.add_interface_to_router(router, subnet=subnet.id)

        def detach() -> None:
            net.remove_interface_from_router(router, subnet=subnet.id)

        self._made("router interface", subnet, detach)

    def security_group(self) -> None:
        net = self.user_conn.network
        group = net.create_security_group(name=self.spec.name, description="ssh and ping")
        self._made("security group", group, lambda: net.delete_security_group(group))
        for protocol, port in (("tcp", 22), ("icmp", None)):
            net.create_security_group_rule(
                security_group_id=group.id,
                direction="ingress",
                ether_type="IPv4",
                protocol=protocol,
                port_range_min=port,
                port_range_max=port,
                remote_ip_prefix="0.0.0.0/0",
            )

    def keypair(self) -> None:
        public = self.guest.keygen()
        compute = self.user_conn.compute
        key = compute.create_keypair(name=self.spec.name, public_key=public)
        self._made("keypair", key, lambda: compute.delete_keypair(key))

    def image(self) -> None:
        images = cast("Images", self.user_conn.image)
        # openstacksdk returns the image as created before the upload (status queued), even
        # with wait=True: read it back until Glance says active
        made = images.create_image(
            self.spec.name,
            filename=str(self.spec.image),
            disk_format="qcow2",
            container_format="bare",
            wait=True,
            timeout=self.policy.image,
        )
        self._made("image", made, lambda: images.delete_image(made))

        def active() -> Any:
            found = images.get_image(made.id)
            if found.status in IMAGE_FAILED:
                raise VerifyError(f"image {made.id} went to {found.status}")
            return found if found.status == "active" else None

        self.made["image"] = self.steps.wait(
            f"image {made.id} not active", active, self.policy.image
        )

    def server(self) -> None:
        compute = self.user_conn.compute
        server = compute.create_server(
            name=self.spec.name,
            image_id=self.made["image"].id,
            flavor_id=self.made["flavor"].id,
            networks=[{"uuid": self.made["network"].id}],
            key_name=self.made["keypair"].name,
            security_groups=[{"name": self.made["security group"].name}],
        )

        def delete() -> None:
            compute.delete_server(server)
            self.steps.gone("server", lambda: compute.get_server(server.id), self.policy.delete)

        self._made("server", server, delete)

        def active() -> Any:
            found = compute.get_server(server.id)
            if found.status == "ERROR":
                fault = (found.fault or {}).get("message", "no fault message")
                raise VerifyError(f"server {server.id} went to ERROR: {fault}")
            return found if found.status == "ACTIVE" else None

        self.made["server"] = self.steps.wait("server not ACTIVE", active, self.policy.server)

    def floating_ip(self) -> None:
        net = self.user_conn.network
        port = next(iter(net.ports(device_id=self.made["server"].id)), None)
        if port is None:
            raise VerifyError("the server has no port on its network")
        fip = net.create_ip(floating_network_id=self.made["extnet"].id, port_id=port.id)
        self._made("floating ip", fip, lambda: net.delete_ip(fip))

    @property
    def address(self) -> str:
        return str(self.made["floating ip"].floating_ip_address)

    def ping(self) -> None:
        self.steps.wait(
            f"no ping answer from {self.address}",
            lambda: self.guest.ping(self.address) or None,
            self.policy.ping,
        )

    def ssh(self) -> None:
        self.made["disks"] = self._disks()

    def _disks(self) -> tuple[str, ...]:
        def probe() -> str | None:
            return self.guest.ssh(self.address, self.spec.image_user, "cat /proc/partitions")

        out = self.steps.wait(
            f"no SSH login as {self.spec.image_user}@{self.address}", probe, self.policy.ssh
        )
        return parse_partitions(out)

    def volume(self) -> None:
        volumes = cast("BlockStorage", self.user_conn.block_storage)
        compute = self.user_conn.compute
        volume = volumes.create_volume(name=self.spec.name, size=1)

        def delete() -> None:
            volumes.delete_volume(volume)
            self.steps.gone("volume", lambda: volumes.get_volume(volume.id), self.policy.delete)

        self._made("volume", volume, delete)
        self._volume_status(volumes, volume.id, "available")
        server = self.made["server"]
        compute.create_volume_attachment(server, volume=volume.id)

        def detach() -> None:
            compute.delete_volume_attachment(server, volume.id)
            self._volume_status(volumes, volume.id, "available")

        self._made("volume attachment", volume, detach)
        self._volume_status(volumes, volume.id, "in-use")
        before = self.made["disks"]
        added = self.steps.wait(
            "no new block device in the server",
            lambda: new_disks(before, self._disks()) or None,
            self.policy.volume,
        )
        self.made["block device"] = added[0]

    def _volume_status(self, volumes: BlockStorage, volume_id: str, status: str) -> None:
        def probe() -> bool | None:
            found = volumes.get_volume(volume_id)
            if found.status == "error":
                raise VerifyError(f"volume {volume_id} went to error")
            return True if found.status == status else None

        self.steps.wait(f"volume {volume_id} not {status}", probe, self.policy.volume)

    def object(self) -> None:
        store = self.user_conn.object_store
        container = store.create_container(name=self.spec.name)
        self._made("container", container, lambda: store.delete_container(container))
        data = f"labbuilder verify {self.spec.name}\n".encode()
        store.upload_object(container=self.spec.name, name="hello.txt", data=data)
        self._made(
            "object",
            "hello.txt",
            lambda: store.delete_object("hello.txt", container=self.spec.name),
        )
        back = store.download_object("hello.txt", container=self.spec.name)
        if back != data:
            raise VerifyError(f"object read back differs: {back[:60]!r} != {data!r}")

    def stack(self) -> None:
        heat = self.user_conn.orchestration
        stack = heat.create_stack(name=self.spec.name, template=HEAT_TEMPLATE, timeout_mins=5)

        def delete() -> None:
            heat.delete_stack(stack)
            self.steps.wait(
                "stack not deleted",
                lambda: _stack_gone(heat.find_stack(stack.id)),
                self.policy.stack,
            )

        self._made("stack", stack, delete)

        def complete() -> bool | None:
            found = heat.get_stack(stack.id)
            if found.status == "CREATE_FAILED":
                raise VerifyError(f"stack {stack.id} failed: {found.status_reason}")
            return True if found.status == "CREATE_COMPLETE" else None

        self.steps.wait("stack not CREATE_COMPLETE", complete, self.policy.stack)


def _stack_gone(found: Any) -> bool | None:
    return True if found is None or found.status == "DELETE_COMPLETE" else None
