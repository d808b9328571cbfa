"""Benchmark: resetting a lab from its snapshot against rebuilding it, in the same run.

On a provisioned 3-node test-box lab: warm restore to healthy (`invoke reset`, the automatic
`provisioned` snapshot), cold restore (a cold snapshot saved first), and a rebuild to the same
stage (`invoke down` + `invoke up --until provision`). Prints each and the ratio.
Needs libvirtd and the test box (`invoke test-box`); takes the lab down at the end.

Usage: VAGRANT_HOME=... .venv/bin/python bench/reset.py [--lab benchreset] [--nodes 3] [--net 92]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INVOKE = str(Path(sys.prefix) / "bin" / "invoke")
HEALTHY = re.compile(r"healthy ([0-9.]+) s after")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", default="benchreset")
    parser.add_argument("--nodes", default="3")
    parser.add_argument("--net", type=int, default=92, help="10.N.1.0/24, 192.168.N+100.0/24")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        env = {**os.environ, "INVOKE_LABS_DIR": name}
        lab = ["--lab", args.lab]
        up = [*lab, "--nodes", args.nodes, "--until", "provision", "--box", "testbox"]
        up += ["--external-subnet", f"10.{args.net}.1.0/24"]
        up += ["--tunnel-subnet", f"192.168.{args.net + 100}.0/24"]

        def timed(*argv: str) -> tuple[float, str]:
            start = time.monotonic()
            out = subprocess.run(
                [INVOKE, *argv], cwd=ROOT, env=env, capture_output=True, text=True, check=False
            )
            if out.returncode != 0:
                raise SystemExit(f"invoke {' '.join(argv)} failed:\n{out.stdout}\n{out.stderr}")
            return time.monotonic() - start, out.stdout

        try:
            first, _ = timed("up", *up)
            print(f"first build to provision (box warm):  {first:7.1f} s", flush=True)
            warm, out = timed("reset", *lab)
            found = HEALTHY.search(out)
            inner = f" (healthy {found[1]} s after the first revert)" if found else ""
            print(f"warm restore to healthy (invoke reset): {warm:6.1f} s{inner}", flush=True)
            timed("snapshot.save", "cold", *lab, "--mode", "cold")
            cold, _ = timed("snapshot.restore", "cold", *lab)
            print(f"cold restore to healthy:              {cold:7.1f} s", flush=True)
            down, _ = timed("down", *lab)
            again, _ = timed("up", *up)
            rebuild = down + again
            print(f"rebuild (down + up --until provision): {rebuild:6.1f} s", flush=True)
        finally:
            subprocess.run(
                [INVOKE, "down", *lab], cwd=ROOT, env=env, capture_output=True, check=False
            )
    print(f"rebuild / warm restore: {rebuild / warm:.1f}x (target >= 20x)")
    print(f"rebuild / cold restore: {rebuild / cold:.1f}x")


if __name__ == "__main__":
    main()
