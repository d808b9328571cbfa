"""The provision stage: the plan by role, and a failing script reported by its own one line."""

from __future__ import annotations

import io
import shlex
import threading
from pathlib import Path

import pytest
from rich.console import Console

from labbuilder.adapters.shell import Result
from labbuilder.adapters.ssh import Remote
from labbuilder.errors import ToolError
from labbuilder.model.provisioning import plan as provision_plan
from labbuilder.reporter import Reporter
from labbuilder.stages import provision
from tests.conftest import lab_of

DNF_NOISE = "Last metadata expiration check: 0:01:02 ago.\nError: Unable to find a match: x\n"
NM_IFUP = (
    "guard-network.sh: ifup is NetworkManager's (/usr/sbin/ifup -> /usr/sbin/ifup), which "
    "cannot handle Open vSwitch ifcfg files: run network-scripts.sh"
)


class FakeRemote(Remote):
    """FAKE of the SSH adapter (no VMs in unit tests): records the scripts each node ran and
    answers from a table keyed by script name."""

    def __init__(self, answers: dict[str, Result]) -> None:
        super().__init__(Path("/nonexistent/ssh-config"))
        object.__setattr__(self, "answers", answers)
        object.__setattr__(self, "ran", {})
        object.__setattr__(self, "uploaded", [])
        object.__setattr__(self, "lock", threading.Lock())

    def run(self, node, command, *, sudo=False, check=True, timeout=600, **_):
        argv = shlex.split(command)
        with self.lock:
            self.ran.setdefault(node, []).append(argv)
        if argv[0] == "ssh":
            return Result(tuple(argv), 0, argv[-3].split("@")[1] + "\n", "")
        script = argv[1].removeprefix(provision.REMOTE_DIR + "/")
        return self.answers.get(script, Result(tuple(argv), 0, "", ""))

    def put_dir(self, node, local, remote):
        with self.lock:
            self.uploaded.append((node, local, remote))


def quiet() -> Reporter:
    return Reporter(Console(file=io.StringIO()))


def scripts(remote: FakeRemote, node: str) -> list[str]:
    return [
        argv[1].removeprefix(provision.REMOTE_DIR + "/")
        for argv in remote.ran[node]
        if argv[0] == "bash"
    ]


@pytest.mark.parametrize(
    ("stderr", "stdout", "line"),
    [
        (DNF_NOISE + NM_IFUP + "\n", "guard-network.sh: checking\n", NM_IFUP),
        (DNF_NOISE, "", "Error: Unable to find a match: x"),
        ("", "some output\nlast words\n", "last words"),
        ("", "", "guard-network.sh: failed with no output"),
    ],
)
def test_failure_line(stderr: str, stdout: str, line: str) -> None:
    assert provision.failure_line("el9/guard-network.sh", stderr, stdout) == line


def test_a_failing_guard_is_the_error_line() -> None:
    lab = lab_of(nodes=5, network_node=True)
    remote = FakeRemote({"el9/guard-network.sh": Result((), 1, "", DNF_NOISE + NM_IFUP + "\n")})
    with pytest.raises(ToolError) as err:
        provision.provision(lab, remote, quiet())
    assert err.value.message == (
        f"provisioning network stopped at el9/guard-network.sh (exit 1): {NM_IFUP}"
    )
    assert "el9/packstack-install.sh" not in scripts(remote, "network")


@pytest.mark.parametrize(
    ("settings", "network_nodes"),
    [
        ({"nodes": 1}, ["controller"]),
        ({"nodes": 3}, ["controller"]),
        ({"nodes": 5, "network_node": True}, ["network"]),
    ],
)
def test_br_ex_preparation_runs_on_the_network_role(settings, network_nodes) -> None:
    lab = lab_of(**settings)
    remote = FakeRemote(
        {"common/rootkey.sh": Result((), 0, "ssh-rsa AAAAB3Nza root@controller\n", "")}
    )
    provision.provision(lab, remote, quiet())
    network_steps = [
        "el9/network-scripts.sh",
        "el9/static-eth0.sh",
        "el9/dns-pin.sh",
        "el9/guard-network.sh",
    ]
    for node in lab.nodes:
        ran = scripts(remote, node.name)
        assert [s for s in ran if s in network_steps] == (
            network_steps if node.name in network_nodes else []
        )
        assert ran[:4] == [
            "common/hosts.sh",
            "common/timesync.sh",
            "el9/prepare.sh",
            "el9/grow-root.sh",
        ]
        authorize = [a for a in remote.ran[node.name] if a[1].endswith("common/authorize.sh")]
        assert [a[2:] for a in authorize] == [["ssh-rsa AAAAB3Nza root@controller"]]
    assert sorted(n for n, _, _ in remote.uploaded) == sorted(n.name for n in lab.nodes)
    assert {local for _, local, _ in remote.uploaded} == {provision.SOURCE_DIR}


def test_every_planned_script_and_the_library_are_uploaded() -> None:
    lab = lab_of(nodes=5, network_node=True)
    planned = {s.script for phase in provision_plan(lab) for s in phase.steps}
    assert all((provision.SOURCE_DIR / script).is_file() for script in planned)
    assert (provision.SOURCE_DIR / "lib.bash").is_file()
