"""``invoke class.*`` with bad class files, rosters and flags: one error line, a non-zero exit,
nothing written. The cases that allocate seats ask the real libvirtd which subnets it uses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INVOKE = str(Path(sys.prefix) / "bin" / "invoke")
GOOD = "name: clx\nstudents: [Alice, Bob]\nlab: {box: testbox, nodes: 1}\n"
POOLS = "pools: {external: 10.80.0.0/16, tunnel: 172.30.0.0/16}\n"


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "INVOKE_LABS_DIR": str(tmp_path / "labs")}
    return subprocess.run(
        [INVOKE, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def one_error_line(out: subprocess.CompletedProcess[str], code: int, message: str) -> None:
    assert out.returncode == code, out.stdout + out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), out.stderr
    assert message in lines[0]


@pytest.mark.parametrize(
    ("verb", "filename", "text", "args", "code", "message"),
    [
        ("class.plan", "r.csv", "name\nAlice\nALICE\n", [], 2, "student 'ALICE' is listed twice"),
        (
            "class.up",
            "c.yaml",
            GOOD + "lab: {tunnel_subnet: 10.9.9.0/24}\n",
            [],
            2,
            "set per student",
        ),
        ("class.up", "c.yaml", GOOD, ["--lab", "x"], 2, "--lab is set per student"),
        ("class.plan", "missing.yaml", None, [], 2, "cannot read class file"),
    ],
)
def test_bad_class_input_before_libvirt(tmp_path, verb, filename, text, args, code, message):
    path = tmp_path / filename
    if text is not None:
        path.write_text(text)
    one_error_line(run(tmp_path, verb, str(path), *args), code, message)
    assert not (tmp_path / "labs").exists()


@pytest.mark.libvirt
@pytest.mark.parametrize(
    ("verb", "filename", "text", "args", "code", "message"),
    [
        (
            "class.plan",
            "r.csv",
            "name\nAlice\n李雷\n",
            [],
            2,
            "student '李雷' has no letters or digits",
        ),
        (
            "class.up",
            "c.yaml",
            GOOD + "pools: {external: 10.80.7.0/24, tunnel: 192.168.180.0/22}\n",
            [],
            2,
            "the external pool 10.80.7.0/24 has room for 1 more lab(s)",
        ),
        (
            "class.up",
            "c.yaml",
            GOOD + POOLS,
            ["--memory", "aio=10000000"],
            5,
            "class clx does not fit this host: 0 of the 2 labs to start fit (RAM:",
        ),
    ],
)
def test_bad_class_input_nothing_created(tmp_path, verb, filename, text, args, code, message):
    path = tmp_path / filename
    path.write_text(text)
    one_error_line(run(tmp_path, verb, str(path), *args), code, message)
    assert not (tmp_path / "labs").exists()


@pytest.mark.libvirt
def test_plan_records_seats_and_a_second_plan_keeps_them(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(GOOD + POOLS)
    first = run(tmp_path, "class.plan", str(path))
    assert first.returncode == 0, first.stderr
    assert "the class fits" in first.stdout
    seats = tmp_path / "labs" / ".classes" / "clx" / "allocation.yaml"
    before = seats.read_text()
    path.write_text(GOOD.replace("Bob]", "Bob, Carol]") + POOLS)
    second = run(tmp_path, "class.plan", str(path))
    assert second.returncode == 0, second.stderr
    assert seats.read_text().startswith(before.split("- id: 2")[0])
    assert "clx-carol" in second.stdout and "3  clx-carol" in second.stdout
