"""What the project's tests share: where the checkout, fixtures and fakes are, the invoke
command of this environment, and a planned lab from a few settings."""

from __future__ import annotations

import sys
from pathlib import Path

from labbuilder.model.lab import Lab
from labbuilder.model.planner import plan
from labbuilder.model.settings import resolve

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
#: The fake ``packstack`` command (the real one needs CentOS Stream 9 with RDO).
FAKE_PACKSTACK = ROOT / "tests" / "fakes" / "packstack"
INVOKE = str(Path(sys.prefix) / "bin" / "invoke")


def lab_of(*, kvm: bool = True, nested: bool = True, **settings: object) -> Lab:
    """The lab planned from ``settings`` (defaults for the rest) on a host with ``kvm``."""
    return plan(resolve(("test", settings)), kvm=kvm, nested=nested)


def fake_program(directory: Path, name: str, text: str, path: str) -> str:
    """``text`` as executable ``name`` in ``directory/bin``; ``path`` with that folder first,
    for the caller to put in the environment (with monkeypatch)."""
    bin_dir = directory / "bin"
    bin_dir.mkdir(exist_ok=True)
    program = bin_dir / name
    program.write_text(text)
    program.chmod(0o755)
    return f"{bin_dir}:{path}"
