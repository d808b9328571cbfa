"""The ``up`` runner, reconcile and down against in-memory fakes of libvirt and Vagrant
(tests/fakes/host.py): what exists afterwards and what the state file records."""

from __future__ import annotations

import io
import json
import shutil

import pytest
from rich.console import Console

from labbuilder import state
from labbuilder.adapters.ssh import Remote
from labbuilder.commands import context, render, up
from labbuilder.commands.flags import Flags
from labbuilder.errors import StateError
from labbuilder.labdir import LabDir
from labbuilder.model.boxes import TEST_BOX_NAME
from labbuilder.model.lab import Lab
from labbuilder.model.planner import network_names
from labbuilder.reporter import Reporter
from labbuilder.stages import down, runner
from labbuilder.stages.vms import POOL
from tests.conftest import lab_of
from tests.fakes.host import FakeBoxStore, FakeVagrant, FakeVirt

LAB = "fk"


class World:
    """A lab directory, the fakes the stages drive, and what the reporter printed."""

    def __init__(self, tmp_path, nodes: int, virt: FakeVirt | None = None) -> None:
        self.lab: Lab = lab_of(lab=LAB, nodes=nodes, box="testbox", kvm=False, nested=False)
        self.labdir = LabDir(tmp_path / LAB)
        self.labdir.root.mkdir(exist_ok=True)
        self.virt = virt or FakeVirt()
        self.vagrant = FakeVagrant(self.lab, self.labdir, self.virt)
        self.out = io.StringIO()
        self.run = runner.Run(
            self.lab,
            self.labdir,
            Reporter(Console(file=self.out, width=200)),
            tmp_path / "boxes",
            virt=self.virt,
            vagrant=self.vagrant,
            boxes=FakeBoxStore({TEST_BOX_NAME: "libvirt"}),
            remote=Remote(self.labdir.ssh_config),  # never reached: no test runs provision
        )

    def domains(self) -> dict[str, bool]:
        return {
            d.removeprefix(self.lab.prefix): up
            for d, up in self.virt.domains(self.lab.prefix).items()
        }

    def up(self, st: state.LabState, until: str = "vms") -> state.LabState:
        return runner.run_until(self.run, runner.reconcile(self.run, st), until)


def built(tmp_path, nodes: int) -> tuple[World, state.LabState]:
    world = World(tmp_path, nodes)
    return world, world.up(state.LabState())


def test_up_from_nothing_creates_networks_and_vms_and_records_them(tmp_path):
    world, st = built(tmp_path, 3)
    assert set(world.virt.networks) == set(network_names(LAB))
    assert world.domains() == {"controller": True, "compute1": True, "compute2": True}
    assert state.load(world.labdir) == st
    assert st.reached == "vms" and st.nodes == ("controller", "compute1", "compute2")
    assert world.labdir.ssh_config.read_text().count("Host ") == 3
    assert world.vagrant.upped == [["controller"], ["compute1", "compute2"]]  # box import first


def test_a_box_already_in_the_pool_boots_every_node_at_once(tmp_path):
    world, _ = built(tmp_path, 2)
    down.down(LAB, world.labdir, world.virt, world.vagrant, world.run.reporter, purge=False)
    world.vagrant.upped.clear()
    world.up(state.LabState())
    assert world.vagrant.upped == [["controller", "compute1"]]


def test_an_older_copy_of_the_box_in_the_pool_is_no_import_of_this_one(tmp_path):
    world, _ = built(tmp_path, 2)
    down.down(LAB, world.labdir, world.virt, world.vagrant, world.run.reporter, purge=False)
    world.vagrant.box_mtime += 60  # `vagrant box add --force` wrote the box again
    world.vagrant.upped.clear()
    world.up(state.LabState())
    assert world.vagrant.upped == [["controller"], ["compute1"]]


@pytest.mark.parametrize(
    ("done", "until", "networks", "vms"),
    [
        (("networks", "vms"), "vms", False, False),
        (("networks",), "vms", False, True),
        ((), "networks", True, False),
    ],
)
def test_finished_stages_are_skipped(tmp_path, done, until, networks, vms):
    world = World(tmp_path, 2)
    st = state.LabState()
    for name in done:
        st = st.finish(name, 1.0)
    st = runner.run_until(world.run, st, until)
    assert bool(world.virt.networks) is networks
    assert bool(world.domains()) is vms
    assert st.reached == until
    for name in done:
        assert f"stage {name}: already done" in world.out.getvalue()


def test_reconcile_restarts_inactive_networks(tmp_path):
    world, st = built(tmp_path, 1)
    for net in world.virt.networks.values():
        net.active = False  # as after a host restart
    assert runner.reconcile(world.run, st) == st
    assert all(net.active for net in world.virt.networks.values())


def test_reconcile_starts_stopped_vms(tmp_path):
    world, st = built(tmp_path, 2)
    world.virt.running[f"{world.lab.prefix}compute1"] = False
    assert runner.reconcile(world.run, st) == st
    assert world.domains() == {"controller": True, "compute1": True}


def test_a_vanished_vm_is_created_again(tmp_path):
    world, st = built(tmp_path, 2)
    world.virt.remove_domain(f"{world.lab.prefix}compute1")  # Vagrant still has its record
    again = runner.reconcile(world.run, st)
    assert again.reached == "networks"  # vms, provision and deploy must run again
    st = runner.run_until(world.run, again, "vms")
    assert world.domains() == {"controller": True, "compute1": True}
    assert state.load(world.labdir).done("vms")


@pytest.mark.parametrize(("before", "after"), [(3, 2), (2, 3), (2, 4)])
def test_a_changed_node_set_brings_the_vms_in_line(tmp_path, before, after):
    old, _ = built(tmp_path, before)
    world = World(tmp_path, after, virt=old.virt)  # re-rendered lab, same host
    st = world.up(state.load(old.labdir))
    wanted = [n.name for n in world.lab.nodes]
    assert world.domains() == dict.fromkeys(wanted, True)
    assert st.nodes == tuple(wanted)
    assert world.virt.volumes(POOL, world.lab.prefix) == sorted(
        f"{world.lab.prefix}{n}.img" for n in wanted
    )
    assert sorted(
        p.name for p in (world.labdir.root / ".vagrant" / "machines").iterdir()
    ) == sorted(wanted)


@pytest.mark.parametrize(
    ("flags", "change"),
    [
        ({"external_subnet": "10.9.1.0/24"}, "external"),
        ({"network_node": True}, "controller/network/storage nodes differ"),
        ({"domain": "other.test"}, "domain"),
    ],
)
def test_other_layout_changes_are_refused_and_change_nothing(tmp_path, flags, change):
    config = {"labs_dir": str(tmp_path / "labs"), "lab": {}}
    render.render(config, Flags(lab=LAB, nodes=3, box="testbox"))
    labdir = context.lab_dir(config, LAB)
    st = state.LabState().finish("networks", 1.0).finish("vms", 1.0)
    state.save(labdir, st)
    before = {p.name: p.read_bytes() for p in labdir.root.iterdir()}
    with pytest.raises(StateError, match=f"built with another layout.*{change}"):
        up.up(config, Flags(lab=LAB, **flags), up.Options(until="vms"))
    assert {p.name: p.read_bytes() for p in labdir.root.iterdir()} == before
    assert json.loads(labdir.inventory.read_text())["lab"] == LAB


@pytest.mark.parametrize("records_lost", [False, True])
@pytest.mark.parametrize("purge", [False, True])
def test_down_removes_everything_of_the_lab_even_half_built(tmp_path, records_lost, purge):
    world = World(tmp_path, 3)
    runner.run_until(world.run, state.LabState(), "networks")
    world.vagrant.up(["controller", "compute1"], print, print)  # interrupted before compute2
    world.virt.running[f"{world.lab.prefix}compute1"] = False
    world.virt.pools[POOL].add(f"{world.lab.prefix}compute2.img")  # its disk, no domain
    world.labdir.vagrantfile.write_text("# rendered\n")
    world.labdir.settings.write_text("lab: fk\n")
    world.labdir.ssh_config.write_text("Host controller\n")
    other = lab_of(lab="other", nodes=1)
    world.virt.create_domain(f"{other.prefix}controller")
    world.virt.ensure_network(f"<network><name>{other.prefix}ext</name></network>")
    world.vagrant.records_lost = records_lost

    removed = down.down(
        LAB, world.labdir, world.virt, world.vagrant, world.run.reporter, purge=purge
    )

    assert world.virt.domains(world.lab.prefix) == {}
    assert world.virt.volumes(POOL, world.lab.prefix) == []
    assert not set(world.virt.networks) & set(network_names(LAB))
    assert world.virt.domains(other.prefix) == {f"{other.prefix}controller": True}
    assert f"{other.prefix}ext" in world.virt.networks
    assert not (world.labdir.root / ".vagrant").exists()
    assert not world.labdir.state.exists() and not world.labdir.ssh_config.exists()
    assert world.labdir.settings.exists() is not purge
    assert any(r.startswith("network ") for r in removed)
    if records_lost:
        assert "removing the VMs through libvirt instead" in world.out.getvalue()
        assert {
            f"domain {world.lab.prefix}controller",
            f"domain {world.lab.prefix}compute1",
        } <= set(removed)
    shutil.rmtree(world.labdir.root, ignore_errors=True)
