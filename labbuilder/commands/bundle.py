"""``invoke bundle``: one tarball that lets someone else see the lab and build it again.

The lab's own files, the host's tool versions, libvirt's XML of every network and domain, and
from every node (in parallel, each command bounded in time) packages, journal, service configs
and logs, OVS state, addresses, routes, namespaces, sockets, disk and memory and Packstack's run
directory. Every secret is replaced by a marker in every file before anything is packed.
``invoke up --from BUNDLE`` reads the lock and settings back out of it.
"""

from __future__ import annotations

import json
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from labbuilder import __name__ as package_name
from labbuilder.adapters import nodecollect, shell
from labbuilder.adapters.libvirt import connect
from labbuilder.adapters.ssh import Remote, shared_connections
from labbuilder.commands import report as reports
from labbuilder.commands.bundlefile import LAB_DIR, MANIFEST
from labbuilder.commands.context import lab_dir, libvirt_uri
from labbuilder.errors import LabError, StateError, ToolError
from labbuilder.labdir import LabDir
from labbuilder.model import redaction, secrets
from labbuilder.model.planner import prefix_for

LAB_FILES = (
    "lab.lock",
    "lab.yaml",
    "Vagrantfile",
    "answers.txt",
    "inventory.json",
    "state.json",
    "timeline.jsonl",
    "ssh-config",
    "verify",
    "logs",
)
"""Copied from labs/<lab>/; secrets.yaml, clouds.yaml and openrc never are."""
HOST_COMMANDS = (
    ("kernel", ["uname", "-a"]),
    ("qemu", ["qemu-system-x86_64", "--version"]),
    ("vagrant", ["vagrant", "--version"]),
    ("vagrant plugins", ["vagrant", "plugin", "list"]),
    ("ovs", ["ovs-vsctl", "--version"]),
    ("python", ["python3", "--version"]),
)


def host_versions(libvirt: str) -> str:
    lines = [f"{package_name}: {_version()}", f"libvirt: {libvirt}"]
    for label, argv in HOST_COMMANDS:
        try:
            out = shell.run(argv, check=False, timeout=60)
            text = (out.stdout or out.stderr).strip()
        except ToolError as err:
            text = err.message
        lines.append(f"{label}: {text}")
    return "\n".join(lines) + "\n"


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        return version("labbuilder")
    except PackageNotFoundError:
        return "unknown"


def copy_lab_files(labdir: LabDir, dest: Path) -> list[str]:
    dest.mkdir(parents=True)
    copied = []
    for name in LAB_FILES:
        src = labdir.root / name
        if src.is_dir():
            shutil.copytree(src, dest / name)
        elif src.is_file():
            shutil.copy2(src, dest / name)
        else:
            continue
        copied.append(name)
    return copied


def libvirt_xml(config: Mapping[str, Any], lab: str, dest: Path) -> tuple[str, list[str]]:
    """Every network's and domain's XML of the lab; libvirt's version; what failed."""
    prefix = prefix_for(lab)
    dest.mkdir(parents=True)
    missing: list[str] = []
    try:
        with connect(libvirt_uri(config)) as virt:
            for name in virt.network_names(prefix):
                (dest / f"network-{name}.xml").write_text(virt.network_xml(name)[0])
            for name in sorted(virt.domains(prefix)):
                (dest / f"domain-{name}.xml").write_text(virt.domain_xml(name))
            return virt.version(), missing
    except ToolError as err:
        return "unknown", [f"libvirt: {err.message}"]


def nodes(labdir: LabDir, dest: Path, running: Mapping[str, bool], control_dir: Path) -> list[str]:
    """Every node's state in parallel; what could not be collected."""
    inventory = json.loads(labdir.inventory.read_text(encoding="utf-8"))
    if not labdir.ssh_config.is_file():
        return ["nodes: no ssh-config (the lab has no VMs up): nothing collected from nodes"]
    remote = Remote(shared_connections(labdir.ssh_config, control_dir))
    missing = []
    todo = []
    for node in inventory["nodes"]:
        if not running.get(str(node["domain"]), False):
            missing.append(
                f"{node['name']}: nothing collected: domain {node['domain']} is not running"
            )
        else:
            todo.append(str(node["name"]))
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(todo)))) as pool:
        for lost in pool.map(lambda n: nodecollect.collect(remote, n, dest / n), todo):
            missing += lost
    return missing


def known_secrets(labdir: LabDir, staged: Path) -> set[str]:
    """The lab's password, the secret answers, and secret keys found in collected files
    (Packstack's hieradata and the answer files it writes hold generated ones)."""
    values: set[str] = set()
    if labdir.secrets.is_file():
        values.add(
            secrets.parse(labdir.secrets.read_text(encoding="utf-8"), str(labdir.secrets)) or ""
        )
    for path in [labdir.answers, *staged.rglob("*")]:
        if path.is_file() and path.stat().st_size < 20_000_000:
            values |= redaction.secrets_in(path.read_text(encoding="utf-8", errors="replace"))
    return {v for v in values if redaction.worth_redacting(v)}


def redact_tree(root: Path, values: set[str]) -> int:
    count = 0
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            data, found = redaction.redact(path.read_bytes(), values)
            if found:
                path.write_bytes(data)
                count += found
    return count


def bundle(
    config: Mapping[str, Any],
    lab: str | None,
    output: str | None,
    on_line: Callable[[str], None] = lambda _: None,
) -> list[str]:
    labdir = lab_dir(config, lab)
    if not labdir.inventory.is_file():
        raise StateError(
            f"there is no lab {labdir.name} here to bundle: check --lab (`invoke list`)"
        )
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    out = Path(output) if output else labdir.root / f"bundle-{stamp}.tar.gz"
    top = f"{labdir.name}-bundle-{stamp}"
    with tempfile.TemporaryDirectory(prefix="labbuilder-bundle-") as tmp:
        root = Path(tmp) / top
        copied = copy_lab_files(labdir, root / LAB_DIR)
        on_line(f"lab files: {', '.join(copied)}")
        version, missing = libvirt_xml(config, labdir.name, root / "libvirt")
        (root / "host").mkdir()
        (root / "host" / "versions.txt").write_text(host_versions(version))
        running: dict[str, bool] = {}
        try:
            with connect(libvirt_uri(config)) as virt:
                running = virt.domains(prefix_for(labdir.name))
        except ToolError as err:
            missing.append(f"domains: {err.message}")
        on_line(f"collecting from {sum(running.values())} running node(s) ...")
        missing += nodes(labdir, root / "nodes", running, Path(tmp) / "ssh")
        try:
            reports.write(config, labdir.name, root / LAB_DIR / "report")
        except LabError as err:
            missing.append(f"report: {err.message}")
        values = known_secrets(labdir, root)
        replaced = redact_tree(root, values)
        manifest = [
            f"bundle of lab {labdir.name}, {stamp}",
            f"secrets: {len(values)} value(s), {replaced} occurrence(s) replaced by "
            f"{redaction.MARKER}",
            "not collected:" if missing else "everything was collected",
            *(f"  {m}" for m in missing),
        ]
        (root / MANIFEST).write_text("\n".join(manifest) + "\n")
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(f".{out.name}.tmp")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(root, arcname=top)
        partial.replace(out)
    return [*manifest, f"bundle: {out}", f"rebuild it with `invoke up --from {out}`"]
