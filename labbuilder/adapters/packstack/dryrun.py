"""What Packstack itself makes of an answer file: its real manifests, hieradata and remote commands.

``run`` starts ``recorder`` (Packstack's ``--dry-run`` flow with its remote execution recorded,
a stand-in for the nodes) in a process of its own, inside a private mount and network namespace
where ``/var/tmp`` and ``$HOME`` are scratch directories: Packstack rewrites the answer file it
is given (it gets a copy), writes under /var/tmp/packstack and keeps global state. ``parse``
reads what it left into a ``DryRun``. Needs ``unshare`` (util-linux) and root or user namespaces.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from labbuilder.adapters import shell
from labbuilder.errors import ToolError

TIMEOUT = 120.0
_MANIFEST = re.compile(r"^(?P<host>[0-9a-fA-F.:]+)_(?P<kind>[a-z_]+)\.pp$")


@dataclass(frozen=True)
class RemoteCall:
    host: str
    script: str


@dataclass(frozen=True)
class DryRun:
    """Packstack's plan for a lab: per-host manifests, its hieradata, every remote script."""

    manifests: Mapping[str, tuple[str, ...]]
    hieradata: Mapping[str, Any]
    calls: tuple[RemoteCall, ...]

    def scripts_on(self, host: str) -> list[str]:
        return [call.script for call in self.calls if call.host == host]


def node_facts(inventory: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """Facter facts of each planned node, keyed by external address, controller first."""
    nodes = sorted(inventory["nodes"], key=lambda n: "controller" not in n["roles"])
    return {
        n["external_ip"]: {
            "fqdn": n["fqdn"],
            "hostname": n["name"],
            "domain": inventory["domain"],
            "ipaddress": n["external_ip"],
            "interfaces": "eth0,eth1,lo",
            "ipaddress_eth0": n["external_ip"],
            "ipaddress_eth1": n["tunnel_ip"],
            "operatingsystem": "CentOS",
            "operatingsystemmajrelease": "9",
            "osfamily": "RedHat",
        }
        for n in nodes
    }


def parse(outdir: Path) -> DryRun:
    manifests: dict[str, list[str]] = {}
    for path in sorted((outdir / "manifests").glob("*.pp")):
        match = _MANIFEST.match(path.name)
        if match:
            manifests.setdefault(match["host"], []).append(match["kind"])
    hiera_file = outdir / "hieradata" / "defaults.yaml"
    hieradata = (
        yaml.safe_load(hiera_file.read_text(encoding="utf-8")) if hiera_file.exists() else {}
    )
    calls = json.loads((outdir / "remote-calls.json").read_text(encoding="utf-8"))
    return DryRun(
        manifests={host: tuple(kinds) for host, kinds in manifests.items()},
        hieradata=hieradata or {},
        calls=tuple(RemoteCall(c["host"], c["script"]) for c in calls),
    )


def command(workdir: Path, answers: Path, facts: Path, outdir: Path) -> list[str]:
    """The namespaced command line that runs the recorder (pure)."""
    inner = " && ".join(
        [
            f"mount --bind {shlex.quote(str(workdir / 'var'))} /var/tmp",
            " ".join(
                shlex.quote(part)
                for part in [
                    sys.executable,
                    "-m",
                    "labbuilder.adapters.packstack.recorder",
                    str(answers),
                    str(facts),
                    str(outdir),
                ]
            ),
        ]
    )
    user_ns = [] if os.geteuid() == 0 else ["--map-root-user"]
    return ["unshare", *user_ns, "--mount", "--net", "bash", "-c", inner]


def run(answers_text: str, inventory: Mapping[str, Any], keep: Path | None = None) -> DryRun:
    """Run Packstack's dry run on a copy of ``answers_text`` for the lab in ``inventory``.

    ``keep``: a directory to leave Packstack's manifests, hieradata and log in.
    """
    with tempfile.TemporaryDirectory(prefix="labbuilder-dryrun-") as tmp:
        work = Path(tmp)
        for sub in ("var", "home/.ssh", "out"):
            (work / sub).mkdir(parents=True, mode=0o700)
        answers = work / "answers.txt"
        answers.write_text(answers_text, encoding="utf-8")
        facts = work / "facts.json"
        facts.write_text(json.dumps(node_facts(inventory)), encoding="utf-8")
        outdir = keep or work / "out"
        outdir.mkdir(parents=True, exist_ok=True)
        result = shell.run(
            command(work, answers, facts, outdir),
            env={"HOME": str(work / "home")},
            timeout=TIMEOUT,
            check=False,
        )
        if result.rc != 0 or not (outdir / "manifests").is_dir():
            raise ToolError(f"Packstack's dry run failed (exit {result.rc}): {_error(result)}")
        return parse(outdir)


def _error(result: shell.Result) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + "\n" + result.stderr)
    for line in text.splitlines():
        if line.strip().startswith("ERROR"):
            return line.strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"
