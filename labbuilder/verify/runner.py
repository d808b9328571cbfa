"""``invoke verify``: run the suites against a lab with pytest (+ testinfra, xdist) in a
subprocess, read the JUnit XML back and write the Markdown report.

The suites learn about the lab from the environment this module sets: the inventory, the
recorded stage and, once deployed, the clouds.yaml and the cloud in it. Hosts are reached
over the lab's ssh-config with one shared SSH connection per node, commands run with sudo.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import yaml

from labbuilder.adapters.shell import run as run_process
from labbuilder.errors import ConfigError, StateError, ToolError, VerifyError
from labbuilder.labdir import write_atomic
from labbuilder.verify import labinfo
from labbuilder.verify import report as markdown
from labbuilder.verify.cloud import CLOUD_ENV, CONFIG_ENV
from labbuilder.verify.results import Summary, parse_junit, summarize
from labbuilder.verify.suites import SUITES

SUITES_DIR = Path(__file__).resolve().parent / "suites"
MAX_WORKERS = 4
PYTEST_OK = (0, 1, 5)
"""All passed, some failed, nothing collected: the JUnit file tells the rest."""
READY_STAGES = ("provision", "deploy")


def check_only(only: str | None) -> tuple[str, ...]:
    if only is None:
        return SUITES
    if only not in SUITES:
        raise ConfigError(f"unknown suite {only!r}: choose one of {', '.join(SUITES)}")
    return (only,)


def workers_for(nodes: int, suites: Sequence[str]) -> int:
    """xdist workers: one per node (capped); none when a single host or only the walk runs."""
    if tuple(suites) == ("e2e",):
        return 0
    count = min(nodes, MAX_WORKERS)
    return count if count > 1 else 0


def build_args(
    suites_dir: Path,
    suites: Sequence[str],
    *,
    ssh_config: Path,
    junit: Path,
    control_dir: Path,
    workers: int,
) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pytest",
        *(str(suites_dir / f"test_{name}.py") for name in suites),
        f"--rootdir={suites_dir}",
        "-c",
        "/dev/null",
        "-p",
        "no:cacheprovider",
        "-o",
        "junit_family=xunit1",
        "-o",
        "junit_suite_name=labbuilder-verify",
        f"--junit-xml={junit}",
        f"--ssh-config={ssh_config}",
        f"--ssh-extra-args=-o ControlPath={control_dir}/%C -o ControlPersist=15s",
        "--sudo",
        f"--numprocesses={workers}",
        "-q",
        "--no-header",
        "--tb=line",
        "-rN",
    ]


def cloud_name(clouds_yaml: str, lab: str, source: str) -> str:
    """The cloud to use from a clouds.yaml: the one named after the lab, or its only one."""
    try:
        clouds = yaml.safe_load(clouds_yaml)["clouds"]
        names = [str(name) for name in clouds]
    except (yaml.YAMLError, TypeError, KeyError):
        raise ConfigError(f"{source} has no 'clouds:' mapping: re-run `invoke up`") from None
    if lab in names:
        return lab
    if len(names) == 1:
        return names[0]
    raise ConfigError(f"{source} has no cloud named {lab!r} (has: {', '.join(names) or 'none'})")


def build_env(
    inventory: Path, stage: str, clouds_yaml: Path | None, cloud: str | None
) -> dict[str, str]:
    env = {labinfo.INVENTORY_ENV: str(inventory), labinfo.STAGE_ENV: stage}
    if clouds_yaml is not None and cloud is not None:
        env |= {CONFIG_ENV: str(clouds_yaml), CLOUD_ENV: cloud}
    return env


def failure_message(summary: Summary, report_path: Path) -> str:
    first = summary.failures[0]
    return (
        f"{len(summary.failures)} of {summary.total} checks failed on lab {summary.lab}, "
        f"first: {first.suite} {first.host} {first.test}: {first.reason} (report: {report_path})"
    )


def run(
    inventory_path: Path,
    ssh_config: Path,
    stage: str,
    *,
    only: str | None,
    junit: Path,
    report: Path,
    clouds_yaml: Path | None,
    on_line: Callable[[str], None] | None = None,
    workers: int | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> Summary:
    """Run the suites; ``on_line`` gets pytest's live output, then the summary lines.
    ``workers`` overrides the number of xdist workers; ``extra_env`` reaches the suites
    (e.g. ``LABBUILDER_E2E_IMAGE``).

    Raises VerifyError (after writing JUnit and report) when any check failed.
    """
    suites = check_only(only)
    if stage not in READY_STAGES:
        raise StateError(f"the lab's VMs are not provisioned yet (stage: {stage}): run `invoke up`")
    lab = labinfo.load(inventory_path)
    if not ssh_config.is_file():
        raise StateError(f"{ssh_config} not found: run `invoke up` to (re)create the lab's VMs")
    cloud = None
    if clouds_yaml is not None and clouds_yaml.is_file():
        cloud = cloud_name(clouds_yaml.read_text(encoding="utf-8"), lab.name, str(clouds_yaml))
    junit.parent.mkdir(parents=True, exist_ok=True)
    junit.unlink(missing_ok=True)
    control_dir = Path(tempfile.mkdtemp(prefix="lbv-"))
    started = time.monotonic()
    try:
        argv = build_args(
            SUITES_DIR,
            suites,
            ssh_config=ssh_config,
            junit=junit,
            control_dir=control_dir,
            workers=workers_for(len(lab.nodes), suites) if workers is None else workers,
        )
        env = {**build_env(inventory_path, stage, clouds_yaml, cloud), **(extra_env or {})}
        result = run_process(argv, env=env, check=False, on_line=on_line)
    finally:
        shutil.rmtree(control_dir, ignore_errors=True)
    seconds = time.monotonic() - started
    if not junit.is_file() or (result.rc not in PYTEST_OK and "<testcase" not in _read(junit)):
        output = result.stdout or result.stderr
        last = next((s for s in reversed(output.splitlines()) if s.strip()), "no output")
        raise ToolError(
            f"pytest stopped (exit {result.rc}) before checking the lab: {last.strip()}"
        )
    summary = summary_of(lab.name, stage, junit)
    report.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(report, markdown.render(summary, str(junit), seconds))
    if on_line is not None:
        for line in (*summary.lines, f"JUnit: {junit}", f"report: {report}"):
            on_line(line)
    if not summary.ok:
        raise VerifyError(failure_message(summary, report))
    return summary


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def summary_of(lab: str, stage: str, junit: Path) -> Summary:
    """A finished run's summary, read back from its JUnit file."""
    return summarize(lab, stage, parse_junit(_read(junit)))
