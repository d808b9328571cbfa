"""What the command line loads before it answers: ``import tasks`` (all ``invoke --list`` and
``--help`` need) and ``invoke plan`` load none of the heavy libraries; the tasks that use
them still get them. Each case runs in a fresh interpreter and reports ``sys.modules``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = (
    "openstack",
    "keystoneauth1",
    "libvirt",
    "jinja2",
    "testinfra",
    "packstack",
    "rich",
    "vagrant",
    "urllib.request",
)
PLAN = (
    "from labbuilder import commands\n"
    "lines = commands.plan.plan({'labs_dir': LABS, 'lab': {}}, commands.flags.Flags(nodes=10))\n"
    "assert lines[-1].startswith('total'), lines\n"
)
RENDER = (
    "from labbuilder import commands\n"
    "commands.render.render({'labs_dir': LABS, 'lab': {}}, commands.flags.Flags(nodes=2))\n"
)


def loaded(code: str, tmp_path: Path) -> set[str]:
    script = (
        f"import sys\nLABS = {str(tmp_path / 'labs')!r}\nimport tasks\n{code}\n"
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(out.stdout.split())


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("", set()),  # invoke --list, invoke --help TASK
        (PLAN, set()),
        (RENDER, {"jinja2", "packstack"}),  # the answer file is rendered and checked
    ],
    ids=["import-tasks", "plan", "render"],
)
def test_heavy_libraries_load_where_used(tmp_path: Path, code: str, expected: set[str]) -> None:
    assert loaded(code, tmp_path) == expected
