"""A stand-in for the lab's nodes: Packstack's own Python run with its remote execution recorded.

Run only as ``python -m labbuilder.adapters.packstack.recorder ANSWERS FACTS OUTDIR`` by
``dryrun.run`` (importing Packstack makes directories under /var/tmp/packstack): in a process
of its own (Packstack keeps global state), inside a private mount namespace where ``/var/tmp``
is a scratch directory.

Packstack's ``--dry-run`` flow runs for real: its plugins read the answer file, compute the
hieradata and write the per-host manifests. Only ``ScriptRunner.execute`` (ssh to a node, or a
local shell) is replaced: it records each script and answers what the plugins parse (``facter``
from the lab's planned facts, ``$HOME``, ``vgdisplay``). The local ``ssh-keygen`` Packstack
needs for its keys runs for real. Validators that probe the network (ping, ssh) are replaced by
Packstack's own address-format validators. What this cannot show: anything Puppet does.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

from packstack.installer import basedefs, run_setup, utils, validators
from packstack.installer.exceptions import ScriptRuntimeError
from packstack.installer.utils import shell

from labbuilder.adapters import shell as processes

LOCAL_COMMANDS = ("ssh-keygen",)


def facter_text(facts: dict[str, str]) -> str:
    return "".join(f"{key} => {value}\n" for key, value in facts.items())


class Recorder:
    """Answers Packstack's remote scripts from the lab's planned facts and records them."""

    def __init__(self, facts: dict[str, dict[str, str]]) -> None:
        self.facts = facts
        self.calls: list[dict[str, str]] = []

    def execute(self, host: str | None, script: str) -> tuple[int, str]:
        where = host or "localhost"
        self.calls.append({"host": where, "script": script})
        if where == "localhost" and script.startswith(LOCAL_COMMANDS):
            processes.run(["bash", "-c", script])
            return 0, ""
        if "facter -p" in script:
            return 0, facter_text(self.facts[where])
        if "echo $HOME" in script:
            return 0, "/root\n"
        if "vgdisplay" in script:
            raise ScriptRuntimeError("volume group not found (recorded node)")
        return 0, ""


def main(argv: list[str]) -> int:
    answers, facts_file, outdir = argv
    facts: dict[str, dict[str, str]] = json.loads(Path(facts_file).read_text(encoding="utf-8"))
    recorder = Recorder(facts)

    def execute(runner: Any, can_fail: bool = True, mask_list: Any = None, log: bool = True) -> Any:
        return recorder.execute(runner.ip, "\n".join(runner.script))

    controller = next(iter(facts))
    shell.ScriptRunner.execute = execute
    utils.ScriptRunner.execute = execute
    utils.get_localhost_ip = lambda: controller
    utils.network.get_localhost_ip = lambda: controller
    validators.validate_ssh = validators.validate_ip
    validators.validate_multi_ssh = validators.validate_multi_ip
    validators.validate_ping = lambda *_a, **_k: None
    validators.validate_multi_ping = lambda *_a, **_k: None

    sys.argv = ["packstack", "--dry-run", f"--answer-file={answers}"]
    rc = 0
    try:
        run_setup.main()
    except SystemExit as err:
        rc = err.code if isinstance(err.code, int) else 1
    out = Path(outdir)
    var_dir = Path(basedefs.VAR_DIR)
    for sub in ("manifests", "hieradata"):
        if (var_dir / sub).is_dir():
            shutil.copytree(var_dir / sub, out / sub, dirs_exist_ok=True)
    if (var_dir / basedefs.FILE_LOG).exists():
        shutil.copy(var_dir / basedefs.FILE_LOG, out / "packstack.log")
    (out / "remote-calls.json").write_text(json.dumps(recorder.calls, indent=1), encoding="utf-8")
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
