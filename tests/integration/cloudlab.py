"""The test cloud for the ``cloud`` integration tests: ``invoke test-cloud`` once per session
(the first run on a machine builds and caches its root filesystem and guest image), shared
by every ``test_cloud_*`` module, and ``invoke test-cloud --down`` at the end, after which
nothing of it may be left mounted, running or listening.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from labbuilder.adapters import openstack
from labbuilder.adapters import testcloud as adapter
from labbuilder.model import testcloud as model

ROOT = Path(__file__).resolve().parents[2]
INVOKE = str(Path(sys.prefix) / "bin" / "invoke")
CACHE = Path(os.environ.get("LABBUILDER_TESTCLOUD_CACHE", "/var/lib/labbuilder/testcloud"))


@dataclass(frozen=True)
class CloudLab:
    env: dict[str, str]
    labdir: Path
    paths: adapter.Paths
    image: Path
    seconds: float

    def invoke(
        self, *args: str, check: bool = True, timeout: float = 1500
    ) -> subprocess.CompletedProcess[str]:
        return invoke(self.env, *args, check=check, timeout=timeout)

    def verify(self, suite: str, out: Path) -> tuple[subprocess.CompletedProcess[str], ET.Element]:
        """``invoke verify --lab testcloud --only SUITE``; its output and JUnit root."""
        junit = out / f"{suite}.xml"
        result = self.invoke(
            "verify", "--lab", model.NAME, "--only", suite, "--junit", str(junit),
            "--report", str(out / f"{suite}.md"), check=False,
        )  # fmt: skip
        assert junit.is_file(), f"verify wrote no JUnit:\n{result.stdout}\n{result.stderr}"
        return result, ET.parse(junit).getroot()

    def inside(self, *argv: str) -> str:
        return adapter.inside(self.paths, argv).stdout

    def connect(self):  # -> openstack.connection.Connection
        return openstack.connect(self.labdir / "clouds.yaml", model.NAME)


def invoke(env: dict[str, str], *args: str, check: bool = True, timeout: float = 1500):
    out = subprocess.run(
        [INVOKE, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if check:
        assert out.returncode == 0, f"invoke {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}"
    return out


def cases(junit: ET.Element) -> dict[str, ET.Element]:
    """JUnit test cases by name (``test_agent_alive[l3-agent-controller]``...)."""
    return {c.get("name") or "": c for c in junit.iter("testcase")}


def failed(junit: ET.Element) -> dict[str, str]:
    """Failed cases by name, with the failure message."""
    out = {}
    for name, case in cases(junit).items():
        for tag in ("failure", "error"):
            element = case.find(tag)
            if element is not None:
                out[name] = element.get("message") or element.text or ""
    return out


def leftovers(paths: adapter.Paths) -> list[str]:
    """What of a removed test cloud is still there (an empty list when nothing is)."""
    left = []
    if paths.run_dir.exists():
        left.append(f"run directory {paths.run_dir}")
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    if f" {model.HOST_LINK}@" in links or f" {model.HOST_LINK}:" in links:
        left.append(f"host link {model.HOST_LINK}")
    mounts = Path("/proc/self/mountinfo").read_text()
    if str(paths.cache) in mounts:
        left.append(f"mounts under {paths.cache}")
    ip = str(model.plan().controller.external_ip)
    listening = subprocess.run(["ss", "-Htln"], capture_output=True, text=True).stdout
    if ip in listening:
        left.append(f"listeners on {ip}")
    return left


@pytest.fixture(scope="session")
def cloudlab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CloudLab]:
    labs = tmp_path_factory.mktemp("labs")
    env = {**os.environ, "INVOKE_LABS_DIR": str(labs), "INVOKE_TESTCLOUD_CACHE": str(CACHE)}
    paths = adapter.Paths(CACHE)
    started = time.monotonic()
    try:
        out = invoke(env, "test-cloud", check=False, timeout=3600)
        seconds = time.monotonic() - started
        assert out.returncode == 0, f"invoke test-cloud failed:\n{out.stdout}\n{out.stderr}"
        image = next(
            Path(line.split(": ", 1)[1])
            for line in out.stdout.splitlines()
            if line.startswith("guest image: ")
        )
        yield CloudLab(
            {**env, "LABBUILDER_E2E_IMAGE": str(image)}, labs / model.NAME, paths, image, seconds
        )
    finally:
        invoke(env, "test-cloud", "--down", check=False)
    assert leftovers(paths) == []
    assert not (labs / model.NAME).exists()
