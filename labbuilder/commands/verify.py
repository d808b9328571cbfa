"""``invoke verify``: run the verify suites against a built lab."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from labbuilder import state
from labbuilder.commands import timing
from labbuilder.commands.context import lab_dir
from labbuilder.errors import StateError
from labbuilder.verify import runner


def verify(
    config: Mapping[str, Any],
    lab: str | None,
    *,
    only: str | None,
    junit: str | None,
    report: str | None,
    on_line: Callable[[str], None],
) -> list[str]:
    """Run the verify suites against the lab; VerifyError when a check failed."""
    labdir = lab_dir(config, lab)
    if not labdir.inventory.is_file():
        raise StateError(
            f"lab {labdir.name} has not been built: run `invoke up --lab {labdir.name}`"
        )
    junit_path = Path(junit) if junit else labdir.root / "verify" / "junit.xml"
    report_path = Path(report) if report else labdir.root / "verify" / "report.md"
    started = time.time()
    try:
        runner.run(
            labdir.inventory,
            labdir.ssh_config,
            state.load(labdir).reached,
            only=only,
            junit=junit_path,
            report=report_path,
            clouds_yaml=labdir.root / "clouds.yaml",
            on_line=on_line,  # live pytest output, then the summary
        )
    finally:
        timing.record_verify(labdir, junit_path, started, time.time())
    return [f"report: {report_path}", f"JUnit: {junit_path}"]
