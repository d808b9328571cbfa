"""Getting the lab's box into Vagrant: the pinned CentOS Stream 9 build (downloaded once,
checked against the CHECKSUM file published beside it) or the locally built test box."""

from __future__ import annotations

import hashlib
import re
import urllib.error
import urllib.request
from pathlib import Path

from labbuilder import PROJECT_ROOT
from labbuilder.adapters import shell
from labbuilder.adapters import vagrant as vagrantctl
from labbuilder.errors import ToolError
from labbuilder.model.lab import Box
from labbuilder.stages.preflight import Check

CHUNK = 1 << 20
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
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


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
    return Check("box", "OK", f"{box.name} will be downloaded from {box.url} and checksum-verified")


def _get(url: str, timeout: float = 30) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - https URL of the box
        data: bytes = resp.read()
        return data


def fetch(box: Box, cache: Path) -> Path:
    """Download ``box`` into ``cache`` (once) and verify it; the verified file's path."""
    assert box.url is not None and box.checksum_url is not None
    filename = box.url.rsplit("/", 1)[1]
    try:
        sums = parse_checksums(_get(box.checksum_url).decode())
    except (urllib.error.URLError, OSError) as err:
        raise ToolError(
            f"cannot fetch {box.checksum_url} ({err}): check the host's internet access"
        ) from None
    if filename not in sums:
        raise ToolError(
            f"build {box.version} is no longer published at {box.checksum_url}: pick a listed "
            f"build (--box labbuilder/centos-stream-9-<build>) or the moving {box.latest_url}"
        )
    target = cache / filename
    cache.mkdir(parents=True, exist_ok=True)
    if not target.is_file() or sha256(target) != sums[filename]:
        partial = target.with_suffix(".part")
        try:
            urllib.request.urlretrieve(box.url, partial)  # noqa: S310
        except (urllib.error.URLError, OSError) as err:
            partial.unlink(missing_ok=True)
            raise ToolError(
                f"download of {box.url} failed ({err}): retry, or add the box by hand"
            ) from None
        partial.replace(target)
    actual = sha256(target)
    if actual != sums[filename]:
        target.unlink()
        raise ToolError(
            f"{filename}: sha256 {actual} does not match the published CHECKSUM: download again"
        )
    return target


def ensure(box: Box, cache: Path, expected_sha256: str | None = None) -> str:
    """Make sure Vagrant has ``box``; with ``expected_sha256`` (from a lock file) the box file
    must be that exact build. Returns what was done."""
    installed = box.name in vagrantctl.boxes()
    if installed and expected_sha256 is None:
        return f"box {box.name} present"
    if box.url is None:
        if installed:
            return f"box {box.name} present (built locally: no published checksum to compare)"
        raise ToolError(f"box {box.name} is not installed: run `invoke test-box` or add it by hand")
    path = fetch(box, cache)
    digest = sha256(path)
    if expected_sha256 is not None and digest != expected_sha256:
        raise ToolError(
            f"{path.name} has sha256 {digest}, the lock file asks for {expected_sha256}: "
            "the pinned build changed on the mirror; use the box file the lock was made with"
        )
    if not installed:
        vagrantctl.box_add(box.name, str(path))
        return f"box {box.name} downloaded, verified (sha256 {digest[:12]}...) and added"
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
