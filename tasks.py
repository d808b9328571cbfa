"""labbuilder's command line: ``invoke --list``; ``invoke --help TASK`` for a task's flags.

Every setting under ``lab`` below can be set in ``invoke.yaml`` or as ``INVOKE_LAB_<NAME>``;
a lab file (``--lab-file``) overrides those, and flags override both.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from invoke import Collection, Context, Exit, task

from labbuilder import commands
from labbuilder.errors import LabError
from labbuilder.settings import Settings, to_mapping

LAB_FLAGS: dict[str, tuple[Any, str]] = {
    "lab": (None, "lab name (default poc); labs live in labs/<lab>/"),
    "lab_file": (None, "YAML file of lab settings (flags override it)"),
    "nodes": (None, "VMs: 1 = all-in-one; N = controller + computes (+ network/storage nodes)"),
    "network_node": (False, "put Neutron's network role on its own VM"),
    "storage_node": (False, "put Cinder and Swift on their own VM"),
    "release": (None, "RDO release: antelope, caracal, dalmatian or epoxy (default)"),
    "box": (None, "Vagrant box: centos-stream-9 (default, pinned build), testbox, or a name"),
    "domain": (None, "DNS domain of the nodes (default <lab>.test)"),
    "external_subnet": (None, "eth0 network, NAT to the outside (default 10.1.1.0/24)"),
    "tunnel_subnet": (None, "eth1 network, isolated (default 192.168.10.0/24)"),
    "dhcp_range": (None, "DHCP range on the external network, FIRST-LAST (default .100-.149)"),
    "floating_range": (None, "floating-IP pool, FIRST-LAST (default .150-.250)"),
    "neutron_backend": (None, "ovs (default: br-ex, br-int, br-tun) or ovn"),
    "enable": (None, "turn a service on (repeatable): nova neutron keystone glance cinder "
               "swift horizon ceilometer heat"),
    "disable": (None, "turn a service off (repeatable)"),
    "memory": (None, "KIND=MiB (repeatable); kinds: aio controller network storage compute"),
    "vcpus": (None, "KIND=N vCPUs per node kind (repeatable)"),
    "disk": (None, "KIND=GiB root disk per node kind (repeatable)"),
    "ntp_servers": (None, "comma-separated NTP servers (default pool.ntp.org)"),
    "password": (None, "one fixed password for all services (default: random, secrets.yaml)"),
    "service_workers": (None, "Packstack worker processes per service (default 2)"),
    "driver": (None, "libvirt driver: auto (default: kvm when usable), kvm or qemu"),
    "set": (None, "extra answer-file key CONFIG_X=Y (repeatable), checked against Packstack"),
    "answers_file": (None, "answer-file fragment with extra keys, checked against Packstack"),
}
ITERABLE = ["enable", "disable", "memory", "vcpus", "disk", "set"]
INTS = ("nodes", "service_workers")


def _flags(kwargs: dict[str, Any]) -> commands.Flags:
    values = {name: kwargs.pop(name) for name in LAB_FLAGS}
    for name in ITERABLE:
        values[name] = tuple(values[name] or ())
    for name in INTS:
        if values[name] is not None:
            values[name] = int(values[name])
    return commands.Flags(**values)


def lab_task(**extra: tuple[Any, str]) -> Callable[[Callable[..., Any]], Any]:
    """A task taking every lab flag (as ``flags``) plus ``extra`` ones; LabError -> exit."""

    def decorate(fn: Callable[..., Any]) -> Any:
        @functools.wraps(fn)
        def body(c: Context, **kwargs: Any) -> Any:
            try:
                return fn(c, _flags(kwargs), **kwargs)
            except LabError as err:
                raise Exit(f"error: {err.message}", code=err.exit_code) from err

        params = [inspect.Parameter("c", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        params += [
            inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default)
            for name, (default, _) in {**LAB_FLAGS, **extra}.items()
        ]
        body.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        helps = {name.replace("_", "-"): text for name, (_, text) in {**LAB_FLAGS, **extra}.items()}
        return task(help=helps, iterable=ITERABLE)(body)

    return decorate


def echo(lines: list[str]) -> None:
    for line in lines:
        print(line)


@lab_task()
def plan(c: Context, flags: commands.Flags) -> None:
    """Print the lab that would be built: nodes, roles, addresses, sizes, host totals."""
    echo(commands.plan(c.config, flags))


@lab_task()
def render(c: Context, flags: commands.Flags) -> None:
    """Write labs/<lab>/: Vagrantfile, answers.txt (validated), lab.yaml, secrets.yaml."""
    echo(commands.render(c.config, flags))


ns = Collection(plan, render)
ns.configure({"labs_dir": "labs", "lab": to_mapping(Settings())})
