"""preflight, up, status, ssh, down, list: the lab's life on this host."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labbuilder import names, state
from labbuilder.adapters import hostfacts
from labbuilder.adapters import vagrant as vagrantctl
from labbuilder.adapters.libvirt import Virt, connect
from labbuilder.commands.prepare import Flags, labs_dir, prepare
from labbuilder.errors import PreflightError, StateError
from labbuilder.labdir import LabDir
from labbuilder.model import boxes, lockfile
from labbuilder.model.lab import Lab
from labbuilder.model.planner import network_names, prefix_for
from labbuilder.render.inventory import to_data
from labbuilder.reporter import Reporter
from labbuilder.stages import box as boxfetch
from labbuilder.stages import down as down_stage
from labbuilder.stages import preflight, vms
from labbuilder.stages import render as render_stage
from labbuilder.stages import runner as pipeline
from labbuilder.verify import runner as verify


@dataclass(frozen=True)
class Options:
    until: str = "deploy"
    force: bool = False
    show_ignored: bool = False


def box_cache(config: Mapping[str, Any]) -> Path:
    return Path(str(config.get("box_cache", "/var/lib/labbuilder/boxes")))


def locked_sha256(flags: Flags) -> str | None:
    if not flags.from_lock:
        return None
    lock = lockfile.load(Path(flags.from_lock).read_text(encoding="utf-8"), flags.from_lock)
    return lock.box_sha256


def run_preflight(
    lab: Lab, virt: Virt | None, libvirt_error: str, *, force: bool
) -> list[preflight.Check]:
    facts = hostfacts.gather(disk_path=Path("/var/lib/libvirt/images"))
    own = set(network_names(lab.name))
    running = set(virt.domains(lab.prefix)) if virt else set()
    pending = [n for n in lab.nodes if f"{lab.prefix}{n.name}" not in running]
    others: dict[str, Any] = {}
    own_existing = []
    if virt is not None:
        for name, subnets in virt.network_subnets().items():
            for i, net in enumerate(subnets):
                if name in own:
                    own_existing.append(net)
                else:
                    others[name if i == 0 else f"{name}#{i}"] = net
    needs = preflight.Needs(
        memory_mib=sum(n.sizes.memory_mib for n in pending),
        vcpus=lab.totals.vcpus,
        disk_gib=sum(n.sizes.disk_gib for n in pending),
        subnets=(lab.external.subnet, lab.tunnel.subnet),
        compute_nodes=len(lab.computes),
    )
    tools = preflight.Tools(
        libvirt_version=virt.version() if virt else None,
        libvirt_error=libvirt_error,
        vagrant_version=vagrantctl.version(),
        vagrant_libvirt_version=vagrantctl.plugins().get("vagrant-libvirt"),
    )
    checks = preflight.run_checks(
        facts, needs, tools, others, own_existing=own_existing, force=force
    )
    installed = vagrantctl.boxes() if tools.vagrant_version else {}
    home = vagrantctl.home()
    closed = vagrantctl.closed_to_others(home)
    kernel = lab.box.os_family == "debian"  # the test box boots its kernel from the box dir
    return [
        *checks,
        preflight.check_release(lab.release, datetime.date.today()),
        preflight.check_vagrant_home(str(home), str(closed) if closed else None, kernel),
        boxfetch.check(lab.box, installed),
    ]


def check(
    config: Mapping[str, Any], flags: Flags, *, force: bool = False
) -> tuple[list[str], bool]:
    rendered, _ = prepare(config, flags)
    lab = rendered.lab
    try:
        with connect(lab.libvirt_uri) as virt:
            checks = run_preflight(lab, virt, "", force=force)
    except Exception as err:
        checks = run_preflight(lab, None, str(err), force=force)
    return preflight.format_checks(checks), preflight.failed(checks)


def layout_changes(old: Mapping[str, Any], lab: Lab) -> list[str]:
    """Differences other than compute nodes between a built lab and a new plan."""
    new = to_data(lab)
    keys = ("external", "tunnel", "box", "domain")
    out = [f"{k}: {old.get(k)} -> {new[k]}" for k in keys if old.get(k) != new[k]]

    def fixed(data: Mapping[str, Any]) -> list[Any]:
        return [
            n for n in data.get("nodes", []) if "compute" not in n["roles"] or len(n["roles"]) > 1
        ]

    if fixed(old) != fixed(new):
        out.append("controller/network/storage nodes differ")
    return out


def up(config: Mapping[str, Any], flags: Flags, options: Options, reporter: Reporter) -> list[str]:
    until = state.check_stage(options.until)
    rendered, labdir = prepare(config, flags)
    lab = rendered.lab
    st = state.load(labdir)
    if st.done("vms") and labdir.inventory.is_file():
        changes = layout_changes(json.loads(labdir.inventory.read_text()), lab)
        if changes:
            raise StateError(
                f"lab {lab.name} is built with another layout ({'; '.join(changes)}): "
                f"run `invoke down --lab {lab.name}` first, or keep its settings"
            )
    with connect(lab.libvirt_uri) as virt:
        checks = run_preflight(lab, virt, "", force=options.force)
        for line in preflight.format_checks(checks):
            (reporter.warn if line.startswith("WARN") else reporter.say)(line)
        if preflight.failed(checks):
            raise PreflightError(
                "preflight failed (FAIL lines above): fix them and run `invoke up` again"
            )
        for line in rendered.ignored if options.show_ignored else ():
            reporter.say(f"ignored: {line}")
        for warning in rendered.warnings:
            reporter.warn(warning)
        run = pipeline.Run(lab, labdir, virt, reporter, box_cache(config), locked_sha256(flags))
        if until != "networks" and not st.done("vms"):
            run.box()  # before anything is created: a box that cannot be had stops here
        render_stage.write(rendered, labdir)
        st = pipeline.run_until(run, pipeline.reconcile(run, st), until)
    return [
        f"lab {lab.name} reached stage {st.reached}; `invoke status --lab {lab.name}` shows it",
        f"check it with `invoke verify --lab {lab.name}`",
    ]


def lab_dir(config: Mapping[str, Any], lab: str | None) -> LabDir:
    name = lab or str((config.get("lab") or {}).get("lab") or "poc")
    return LabDir.of(labs_dir(config), name)


def down(
    config: Mapping[str, Any], lab: str | None, reporter: Reporter, *, purge: bool
) -> list[str]:
    labdir = lab_dir(config, lab)
    uri = str((config.get("lab") or {}).get("libvirt_uri") or "qemu:///system")
    with connect(uri) as virt:
        removed = down_stage.down(labdir.name, labdir, virt, reporter, purge=purge)
    return [f"lab {labdir.name} is down" + (f"; removed {', '.join(removed)}" if removed else "")]


def status(config: Mapping[str, Any], lab: str | None) -> list[str]:
    labdir = lab_dir(config, lab)
    if not labdir.inventory.is_file():
        raise StateError(
            f"lab {labdir.name} has not been rendered: run `invoke render --lab {labdir.name}`"
        )
    inv = json.loads(labdir.inventory.read_text())
    st = state.load(labdir)
    states: dict[str, str] = {}
    if (labdir.root / ".vagrant").is_dir():
        states = {m.name: m.state for m in vagrantctl.Vagrant(labdir.root).status()}
    out = [f"lab {inv['lab']}: stage {st.reached}, box {inv['box']['name']}, RDO {inv['release']}"]
    for node in inv["nodes"]:
        out.append(
            f"  {node['name']:<12}{states.get(node['name'], 'not created'):<13}"
            f"{node['external_ip']:<16}{node['tunnel_ip']:<16}{','.join(node['roles'])}"
        )
    return out


def ssh_argv(config: Mapping[str, Any], lab: str | None, node: str, command: str = "") -> list[str]:
    names.check_node(node)
    labdir = lab_dir(config, lab)
    if not labdir.ssh_config.is_file():
        raise StateError(
            f"lab {labdir.name} has no VMs up: run `invoke up --lab {labdir.name}` first"
        )
    inv = json.loads(labdir.inventory.read_text())
    nodes = [n["name"] for n in inv["nodes"]]
    if node not in nodes:
        raise StateError(
            f"lab {labdir.name} has no node {node!r}: choose one of {', '.join(nodes)}"
        )
    return ["ssh", "-F", str(labdir.ssh_config), node, *([command] if command else [])]


def ssh_config_path(config: Mapping[str, Any], lab: str | None) -> Path:
    labdir = lab_dir(config, lab)
    if not labdir.ssh_config.is_file():
        raise StateError(
            f"lab {labdir.name} has no VMs up: run `invoke up --lab {labdir.name}` first"
        )
    return labdir.ssh_config


def list_labs(config: Mapping[str, Any]) -> list[str]:
    root = labs_dir(config)
    uri = str((config.get("lab") or {}).get("libvirt_uri") or "qemu:///system")
    with connect(uri) as virt:
        domains = virt.domains("labbuilder-")
    found = {p.parent.name for p in root.glob("*/lab.yaml")}
    found |= {d[len("labbuilder-") : d.rindex("-")] for d in domains if d.count("-") >= 2}
    out = []
    for name in sorted(n for n in found if names.LAB.fullmatch(n)):
        labdir = LabDir.of(root, name)
        mine = sorted(d for d in domains if d.startswith(prefix_for(name)))
        running = sum(1 for d in mine if domains[d])
        reached = state.load(labdir).reached if labdir.root.is_dir() else "no lab directory"
        out.append(
            f"{name:<20} stage {reached:<10} VMs {running}/{len(mine)} running  {labdir.root}"
        )
    return out or [f"no labs under {root}"]


def test_box(config: Mapping[str, Any]) -> list[str]:
    """Build/add the test box. Base volumes of an earlier add are dropped from the pool, unless
    a lab's VMs (which boot from them) still exist."""
    out_dir = Path(str(config.get("testbox_dir", "/var/lib/labbuilder/testbox")))
    added, done = boxfetch.build_test_box(out_dir, boxes.TEST_BOX_NAME)
    lines = [done]
    if added:
        uri = str((config.get("lab") or {}).get("libvirt_uri") or "qemu:///system")
        with connect(uri) as virt:
            if virt.domains("labbuilder-"):
                lines.append("kept earlier base volumes of the box: labs still boot from them")
            else:
                stale = virt.remove_volumes(vms.POOL, vms.box_volume_prefix(boxes.TEST_BOX_NAME))
                lines += [f"removed stale base volume {v}" for v in stale]
    return lines


def verify_lab(
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
    st = state.load(labdir)
    junit_path = Path(junit) if junit else labdir.root / "verify" / "junit.xml"
    report_path = Path(report) if report else labdir.root / "verify" / "report.md"
    verify.run(
        labdir.inventory,
        labdir.ssh_config,
        st.reached,
        only=only,
        junit=junit_path,
        report=report_path,
        clouds_yaml=labdir.root / "clouds.yaml",
        on_line=on_line,  # live pytest output, then the summary
    )
    return [f"report: {report_path}", f"JUnit: {junit_path}"]


def redeploy(
    config: Mapping[str, Any], lab_name: str | None, reporter: Reporter, *, force: bool
) -> list[str]:
    """``invoke deploy``: run (or resume) Packstack on a provisioned lab."""
    if not lab_dir(config, lab_name).exists():
        name = lab_dir(config, lab_name).name
        raise StateError(
            f"there is no lab {name} on this host: build it with `invoke up --lab {name}`"
        )
    rendered, labdir = prepare(config, Flags(lab=lab_name))
    lab = rendered.lab
    st = state.load(labdir)
    if not st.done("provision"):
        raise StateError(
            f"lab {lab.name} is not provisioned (stage: {st.reached}): "
            f"run `invoke up --lab {lab.name} --until provision` first"
        )
    if st.done("deploy") and not force:
        return [
            f"lab {lab.name} is already deployed: "
            f"`invoke deploy --lab {lab.name} --force` runs Packstack again"
        ]
    with connect(lab.libvirt_uri) as virt:
        run = pipeline.Run(lab, labdir, virt, reporter, box_cache(config))
        pipeline.run_stage(run, st.reset_from("deploy"), "deploy")
    return [f"lab {lab.name} deployed; check it with `invoke verify --lab {lab.name}`"]
