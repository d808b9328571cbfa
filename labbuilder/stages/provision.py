"""Provision the lab's VMs with the static scripts in ``provision/`` (run as root over SSH).

On every node: FQDN hostname and /etc/hosts for all nodes, time sync. On CentOS Stream 9 boxes
only: the RDO preparation, Packstack on the controller and a static eth0 there. Last, the
controller's root key is authorised on every node, and proven by logging in as root.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from labbuilder import PROJECT_ROOT
from labbuilder.adapters.ssh import Remote
from labbuilder.errors import ToolError
from labbuilder.model.lab import Lab, Node
from labbuilder.reporter import Reporter

REMOTE_DIR = "/opt/labbuilder/provision"


def _script(name: str) -> str:
    return f"{REMOTE_DIR}/{name}"


def on_each(lab: Lab, step: Callable[[Node], None]) -> None:
    """Run ``step`` for every node in parallel; the first failure is raised."""
    with ThreadPoolExecutor(max_workers=max(1, len(lab.nodes))) as pool:
        for future in [pool.submit(step, node) for node in lab.nodes]:
            future.result()


def common(lab: Lab, remote: Remote, reporter: Reporter) -> None:
    table = [f"{n.external_ip} {n.fqdn} {n.name}" for n in lab.nodes]

    def step(node: Node) -> None:
        remote.put_dir(node.name, PROJECT_ROOT / "provision", REMOTE_DIR)
        remote.script(node.name, _script("common/hosts.sh"), [node.fqdn, *table])
        reporter.node(node.name, "hostname and /etc/hosts set")
        remote.script(node.name, _script("common/timesync.sh"), list(lab.ntp_servers))
        reporter.node(node.name, f"time sync against {', '.join(lab.ntp_servers)}")

    on_each(lab, step)


def el9(lab: Lab, remote: Remote, reporter: Reporter) -> None:
    def step(node: Node) -> None:
        reporter.node(node.name, f"preparing for RDO {lab.release} (dnf update can take a while)")
        remote.script(node.name, _script("el9/prepare.sh"), [lab.release], timeout=3600)
        reporter.node(node.name, "SELinux permissive, CRB and RDO repositories on, updated")

    on_each(lab, step)
    ctl = lab.controller
    ext = lab.external
    remote.script(
        ctl.name,
        _script("el9/static-eth0.sh"),
        [str(ctl.external_ip), str(ext.prefixlen), str(ext.host_ip), str(ext.host_ip)],
    )
    reporter.node(ctl.name, f"eth0 static at {ctl.external_ip}/{ext.prefixlen}")
    out = remote.script(ctl.name, _script("el9/packstack-install.sh"), [], timeout=1800)
    reporter.node(ctl.name, f"installed {out.stdout.strip().splitlines()[-1:] or ['packstack']}")


def root_keys(lab: Lab, remote: Remote, reporter: Reporter) -> None:
    ctl = lab.controller.name
    pubkey = remote.script(ctl, _script("common/rootkey.sh"), []).stdout.strip().splitlines()[-1]

    def authorize(node: Node) -> None:
        remote.script(node.name, _script("common/authorize.sh"), [pubkey])

    on_each(lab, authorize)
    hosts = [h for n in lab.nodes for h in (str(n.external_ip), n.fqdn)]
    remote.script(ctl, _script("common/known_hosts.sh"), hosts)
    for node in lab.nodes:
        got = remote.run(
            ctl,
            f"ssh -o BatchMode=yes -o ConnectTimeout=10 root@{node.fqdn} hostname -f",
            sudo=True,
            check=False,
        )
        if got.rc != 0 or got.stdout.strip() != node.fqdn:
            why = got.stderr.strip() or got.stdout.strip()
            raise ToolError(
                f"root SSH from {ctl} to {node.fqdn} failed ({why}): check sshd on {node.name}, "
                f"then run `invoke up --lab {lab.name} --until provision` again"
            )
        reporter.node(ctl, f"ssh root@{node.fqdn} works without a password")


def provision(lab: Lab, remote: Remote, reporter: Reporter) -> None:
    common(lab, remote, reporter)
    if lab.box.os_family == "el9":
        el9(lab, remote, reporter)
    else:
        reporter.warn(
            f"box {lab.box.name} is not CentOS Stream 9: the EL9 steps (SELinux, RDO "
            "repositories, Packstack install, static eth0) are skipped"
        )
    root_keys(lab, remote, reporter)
