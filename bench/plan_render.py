"""Benchmark: `invoke plan` and `invoke render` for a 10-node lab.

Prints the in-process time of planning + rendering + validating (median of N runs) and the
wall time of the two commands as a user runs them (interpreter start, invoke, Packstack's schema).
Usage: .venv/bin/python bench/plan_render.py [runs]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from labbuilder.labdir import LabDir
from labbuilder.model.settings import resolve
from labbuilder.stages import render

ROOT = Path(__file__).resolve().parent.parent
INVOKE = str(Path(sys.prefix) / "bin" / "invoke")
FLAGS = ["--nodes", "10", "--network-node", "--lab", "bench"]


def in_process(runs: int, tmp: Path) -> list[float]:
    settings = resolve(("bench", {"nodes": 10, "network_node": True, "lab": "bench"}))
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        rendered = render.render(settings, LabDir(tmp / "bench"), kvm=True, nested=True, base=tmp)
        render.write(rendered, LabDir(tmp / "bench"))
        times.append(time.perf_counter() - start)
    return times


def command(task: str, tmp: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [INVOKE, task, *FLAGS],
        cwd=ROOT,
        check=True,
        capture_output=True,
        env={"INVOKE_LABS_DIR": str(tmp), "PATH": "/usr/bin:/bin"},
    )
    return time.perf_counter() - start


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        times = in_process(runs, tmp)
        print(
            f"plan+render+validate, 10 nodes, in process: median {statistics.median(times) * 1000:.1f} ms, "
            f"max {max(times) * 1000:.1f} ms over {runs} runs (first includes loading Packstack's schema)"
        )
        for task in ("plan", "render"):
            print(f"invoke {task} {' '.join(FLAGS)}: {command(task, tmp):.2f} s wall")


if __name__ == "__main__":
    main()
