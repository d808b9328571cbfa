"""`invoke deploy` and the deploy stage's record, through the command line, on the shared lab
with the stand-in `packstack` (tests/fakes/packstack: the real one needs the RDO repositories).
Runs after the verify modules, which expect the lab at stage provision."""

from __future__ import annotations

import pytest

from labbuilder.adapters.ssh import Remote
from tests.conftest import FAKE_PACKSTACK

from .conftest import FLAGS, LAB, invoke

pytestmark = pytest.mark.vms


@pytest.fixture(scope="module")
def provisioned(lab):
    invoke(lab["env"], "up", "--lab", LAB, "--nodes", "3", "--until", "provision", *FLAGS)
    Remote(lab["labdir"] / "ssh-config").put_file(
        "controller", FAKE_PACKSTACK.read_text(), "/usr/local/bin/packstack", mode="0755"
    )
    return lab


def test_deploy_runs_packstack_and_records_the_stage(provisioned):
    out = invoke(provisioned["env"], "deploy", "--lab", LAB)
    assert "_controller.pp" in out.stdout  # steps followed from the host
    assert f"lab {LAB} deployed" in out.stdout
    status = invoke(provisioned["env"], "status", "--lab", LAB).stdout
    assert "stage deploy" in status
    labdir = provisioned["labdir"]
    assert (labdir / "clouds.yaml").is_file() and (labdir / "lab.lock").is_file()
    assert any((labdir / "logs").iterdir())


def test_deploy_again_is_not_redone_without_force(provisioned):
    out = invoke(provisioned["env"], "deploy", "--lab", LAB)
    assert "already deployed" in out.stdout and "--force" in out.stdout


def test_up_after_deploy_has_nothing_left_to_do(provisioned):
    out = invoke(provisioned["env"], "up", "--lab", LAB, "--nodes", "3", *FLAGS)
    assert "stage deploy: already done" in out.stdout
