"""Record a deployed lab on the host, once Packstack has succeeded: ``clouds.yaml`` and
``openrc`` (the way in), ``lab.lock`` (what was built, to rebuild it with ``--from``), and on
EL9 boxes the demo project and user the ``<lab>-demo`` cloud of clouds.yaml logs in as."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

from labbuilder.adapters import openstack
from labbuilder.adapters.packstack import answerfile
from labbuilder.adapters.ssh import Remote
from labbuilder.errors import ToolError
from labbuilder.labdir import LabDir, write_atomic
from labbuilder.model import lockfile
from labbuilder.model.lab import Lab
from labbuilder.render import cloudconfig
from labbuilder.reporter import Reporter


def record(
    lab: Lab, labdir: LabDir, remote: Remote, reporter: Reporter, box_sha256: str | None
) -> None:
    """clouds.yaml, openrc and lab.lock on the host; the demo project and user on EL9.

    ``box_sha256`` is the box file's digest for the lock file, when known. A demo user that
    cannot be set up is a warning: the admin cloud works without it.
    """
    answers = answerfile.parse(labdir.answers.read_text(encoding="utf-8"), str(labdir.answers))
    clouds, openrc = cloudconfig.write(lab, labdir, answers)
    ctl = lab.controller.name
    lock = lockfile.LabLock(
        lab=lab.name,
        release=lab.release,
        box_name=lab.box.name,
        box_version=lab.box.version,
        box_sha256=box_sha256,
        packstack_version=remote.run(ctl, "packstack --version", sudo=True).stdout.strip(),
        kernel=remote.run(ctl, "uname -r").stdout.strip(),
        created=datetime.now(UTC).replace(microsecond=0),
    )
    write_atomic(labdir.root / "lab.lock", lockfile.dump(lock))
    reporter.ok(f"wrote {clouds.name}, {openrc.name} and lab.lock in {labdir.root}")
    if lab.box.os_family != "el9":
        reporter.say(f"demo project and user: skipped (box {lab.box.name} runs no Keystone)")
        return
    _, demo = cloudconfig.accounts(labdir, answers)
    try:
        with contextlib.closing(openstack.connect(clouds, lab.name)) as conn:
            done = openstack.ensure_demo(conn, demo.password)
    except ToolError as err:
        reporter.warn(
            f"demo project/user not set up ({err.message}): cloud "
            f"{cloudconfig.demo_cloud(lab.name)} will not work; {lab.name} (admin) does"
        )
        return
    reporter.ok("; ".join(done) or "demo project and user already there")
