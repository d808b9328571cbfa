"""The last step of the shared lab: `invoke down` leaves nothing of it in libvirt."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import LAB, invoke, leftovers

pytestmark = pytest.mark.vms


def test_down_leaves_nothing(lab):
    out = invoke(lab["env"], "down", "--lab", LAB)
    assert "is down" in out.stdout
    assert leftovers(f"labbuilder-{LAB}-") == {"domains": [], "networks": [], "volumes": []}
    # no snapshot metadata either (libvirt keeps it per domain here)
    assert list(Path("/var/lib/libvirt/qemu/snapshot").glob(f"labbuilder-{LAB}-*/*")) == []
    labdir = Path(lab["env"]["INVOKE_LABS_DIR"]) / LAB
    assert not (labdir / ".vagrant").exists() and not (labdir / "state.json").exists()
    assert not (labdir / "snapshots").exists()
    assert (labdir / "lab.yaml").is_file()  # settings stay unless --purge
