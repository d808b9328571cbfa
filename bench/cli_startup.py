"""Benchmark: how fast the command line answers, against the floor of importing invoke.

Runs, in the same run and interleaved round by round (so a busy machine slows all alike):
``python -c "import invoke"``, ``invoke --list`` and ``invoke plan --nodes 10``. Prints min and
median wall time of each and their ratios to the floor. Targets: ``--list`` within 1.5x and
``plan --nodes 10`` within 2.5x (median). Not a test: the figures depend on the machine.
Usage: .venv/bin/python bench/cli_startup.py [rounds]   (default 9)
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INVOKE = str(Path(sys.prefix) / "bin" / "invoke")
COMMANDS: dict[str, tuple[list[str], float | None]] = {
    'python -c "import invoke"': ([sys.executable, "-c", "import invoke"], None),
    "invoke --list": ([INVOKE, "--list"], 1.5),
    "invoke plan --nodes 10": ([INVOKE, "plan", "--nodes", "10"], 2.5),
}


def wall(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main(rounds: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "INVOKE_LABS_DIR": str(Path(tmp) / "labs")}
        for argv, _ in COMMANDS.values():
            wall(argv, env)  # warm the page cache and the .pyc files
        times: dict[str, list[float]] = {name: [] for name in COMMANDS}
        for _ in range(rounds):
            for name, (argv, _) in COMMANDS.items():
                times[name].append(wall(argv, env))
    floor_name = next(iter(COMMANDS))
    floor = statistics.median(times[floor_name])
    floor_min = min(times[floor_name])
    print(f"{rounds} rounds, interleaved; ratios to {floor_name} (median, min)")
    print(f"{'command':<28}{'min ms':>8}{'median ms':>11}{'x median':>10}{'x min':>8}  target")
    missed = 0
    for name, (_, target) in COMMANDS.items():
        med, low = statistics.median(times[name]), min(times[name])
        ratio = med / floor
        verdict = (
            "" if target is None else f"<= {target}x " + ("ok" if ratio <= target else "MISSED")
        )
        missed += target is not None and ratio > target
        print(
            f"{name:<28}{low * 1000:>8.0f}{med * 1000:>11.0f}{ratio:>10.2f}"
            f"{low / floor_min:>8.2f}  {verdict}"
        )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 9))
