"""Getting the lab's box into Vagrant: the pinned CentOS Stream 9 build (downloaded once from
the mirror, or from the CentOS build archive once the mirror has pruned it, and checked against
the sha256 the project keeps for it, else the CHECKSUM file published beside it) or the
locally built test box."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from labbuilder import PROJECT_ROOT
from labbuilder.adapters import http, shell
from labbuilder.adapters import vagrant as vagrantctl
from labbuilder.errors import ToolError
from labbuilder.model.lab import Box
from labbuilder.stages.preflight import Check

TEST_BOX_FILE = "labbuilder-testbox.box"


def parse_checksums(text: str) -> dict[str, str]:
    """``SHA256 (file) = hex`` (BSD style, CentOS CHECKSUM files) or ``hex  file`` lines."""
    out = {}
    for line in text.splitlines():
        bsd = re.match(r"^SHA256 \((?P<f>[^)]+)\) = (?P<h>[0-9a-fA-F]{64})$", line.strip())
        gnu = re.match(r"^(?P<h>[0-9a-fA-F]{64})\s+\*?(?P<f>\S+)$", line.strip())
        m = bsd or gnu
        if m:
            out[m["f"]] = m["h"].lower()
    return out


def sha256(path: Path) -> str:
    return http.sha256_of(path)


def check(box: Box, installed: dict[str, str]) -> Check:
    if box.name in installed:
        return Check("box", "OK", f"{box.name} installed")
    if box.url is None:
        remedy = (
            "run `invoke test-box`"
            if box.os_family == "debian"
            else (f"add it first: vagrant box add --name {box.name} <url or file>")
        )
        return Check("box", "FAIL", f"{box.name} is not installed", remedy)
    against = (
        "the sha256 kept in the project"
        if box.sha256
        else "the published CHECKSUM (the project keeps no sha256 for this build)"
    )
    return Check(
        "box", "OK", f"{box.name} will be downloaded from {box.url}, checked against {against}"
    )


def wanted_sha256(box: Box) -> tuple[str | None, str]:
    """The digest the box file must have, and where it comes from.

    The project's own digest for a pinned build wins; otherwise the mirror's CHECKSUM file.
    None when neither knows the build (pruned from the mirror and not kept here).
    """
    assert box.url is not None and box.checksum_url is not None
    if box.sha256:
        return box.sha256, "the sha256 kept in labbuilder/model/boxes.py"
    filename = box.url.rsplit("/", 1)[1]
    sums = parse_checksums(http.get_text(box.checksum_url))
    return sums.get(filename), f"the published {box.checksum_url}"


def fetch(box: Box, cache: Path, on_progress: http.Progress | None = None) -> tuple[Path, str]:
    """Download ``box`` into ``cache`` (once) and verify it; the file and what it was checked
    against.

    The mirror first, then the CentOS build archive when the mirror has pruned the build.
    """
    assert box.url is not None
    filename = box.url.rsplit("/", 1)[1]
    target = cache / filename
    digest, source = wanted_sha256(box)
    if digest is None:
        raise ToolError(
            f"build {box.version} is no longer listed in {box.checksum_url} and labbuilder keeps "
            f"no sha256 for it, so it cannot be verified: pick a build that is listed "
            f"(--box labbuilder/centos-stream-9-<build>) or the moving {box.latest_url}"
        )
    if target.is_file() and sha256(target) == digest:
        return target, source
    urls = [box.url, *([box.archive_url] if box.archive_url else [])]
    for url in urls:
        try:
            http.download(url, target, sha256=digest, on_progress=on_progress)
            return target, source
        except http.NotFound:
            if url == urls[-1]:
                raise
    raise AssertionError("unreachable")  # the loop returns or raises


def progress(say: Callable[[str], None], step: int = 10) -> http.Progress:
    """A download progress callback that says so every ``step`` percent (or every 100 MiB
    when the server gives no length)."""
    said = [-1]

    def report(done: int, total: int | None) -> None:
        mib = done >> 20
        if total:
            mark = done * 100 // total // step * step
            text = f"box download {mark}% ({mib} of {total >> 20} MiB)"
        else:
            mark = mib // 100 * 100
            text = f"box download {mib} MiB"
        if mark > said[0]:
            said[0] = mark
            say(text)

    return report


class BoxStore(Protocol):
    """Where Vagrant keeps boxes: the ``adapters.vagrant`` module, or a fake in tests."""

    def boxes(self) -> dict[str, str]: ...

    def box_add(self, name: str, url: str) -> None: ...


def ensure(
    box: Box,
    cache: Path,
    store: BoxStore,
    expected_sha256: str | None = None,
    on_progress: http.Progress | None = None,
) -> str:
    """Make sure Vagrant has ``box``; with ``expected_sha256`` (from a lock file) the box file
    must be that exact build. Returns what was done."""
    installed = box.name in store.boxes()
    if installed and expected_sha256 is None:
        return f"box {box.name} present"
    if box.url is None:
        if installed:
            return f"box {box.name} present (built locally: no published checksum to compare)"
        raise ToolError(f"box {box.name} is not installed: run `invoke test-box` or add it by hand")
    path, source = fetch(box, cache, on_progress)
    digest = sha256(path)
    keep = "" if box.sha256 else f"; keep {digest} for build {box.version} in model/boxes.py"
    if expected_sha256 is not None and digest != expected_sha256:
        raise ToolError(
            f"{path.name} has sha256 {digest}, the lock file asks for {expected_sha256}: "
            "the pinned build changed on the mirror; use the box file the lock was made with"
        )
    if not installed:
        store.box_add(box.name, str(path))
        return f"box {box.name} downloaded, verified against {source} and added{keep}"
    return f"box {box.name} present, file matches the lock (sha256 {digest[:12]}...)"


def cached_sha256(box: Box, cache: Path) -> str | None:
    """Digest of the downloaded box file, for the lock file; None for a locally built box."""
    if box.url is None:
        return None
    path = cache / box.url.rsplit("/", 1)[1]
    return sha256(path) if path.is_file() else None


def build_test_box(out_dir: Path, name: str) -> tuple[bool, str]:
    """Build (only when its inputs changed) and add the Debian test box.

    Returns whether the box was (re)added to Vagrant, and what was done."""
    script = PROJECT_ROOT / "hostsetup" / "build-testbox.sh"
    result = shell.run(["bash", str(script), "--if-changed", str(out_dir)], timeout=1800)
    box_file = out_dir / TEST_BOX_FILE
    rebuilt = "up to date" not in result.stdout
    if rebuilt or name not in vagrantctl.boxes():
        vagrantctl.box_add(name, str(box_file))
        return True, f"test box {'built and ' if rebuilt else ''}added as {name} ({box_file})"
    return False, f"test box {name} up to date ({box_file})"
