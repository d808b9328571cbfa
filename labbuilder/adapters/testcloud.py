"""The test cloud's shell scripts (``hostsetup/testcloud/``): build the cached root filesystem
and guest image, bring the namespaces up and down, run a command inside them.

The cloud's processes live in a PID namespace whose init is recorded in ``holder.pid`` of the
run directory; everything is stopped through that PID, never by name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from labbuilder.adapters.shell import Result, alive, run
from labbuilder.errors import ToolError
from labbuilder.model.testcloud import cache_key

SCRIPTS = Path(__file__).resolve().parents[2] / "hostsetup" / "testcloud"
GUEST_SOURCES = ("build-guest.sh", "guest-init.sh")
BUILD_TIMEOUT = 1800.0
UP_TIMEOUT = 900.0


@dataclass(frozen=True)
class Paths:
    """Where the cloud's builds are cached and where a running cloud keeps its state."""

    cache: Path

    @property
    def run_dir(self) -> Path:
        return self.cache / "run"

    @property
    def holder_pid(self) -> Path:
        return self.run_dir / "holder.pid"

    @property
    def root(self) -> Path:
        """The cloud's root directory, as seen from inside its mount namespace."""
        return self.run_dir / "root"


def _script(name: str) -> str:
    return str(SCRIPTS / name)


def build_rootfs(paths: Paths, on_line: Callable[[str], None] | None = None) -> Path:
    """The cached root filesystem (built on first use: debootstrap + packages)."""
    result = run(
        ["bash", _script("build-rootfs.sh"), str(paths.cache)],
        timeout=BUILD_TIMEOUT,
        on_line=on_line,
    )
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    if not lines:
        raise ToolError("build-rootfs.sh printed no root filesystem path")
    return Path(lines[-1].strip())


def guest_image(paths: Paths, rootfs: Path) -> Path:
    """The cached guest image (built on first use from the root filesystem's packages)."""
    sources = [(SCRIPTS / name).read_bytes() for name in GUEST_SOURCES]
    image = paths.cache / f"guest-{cache_key([rootfs.name.encode(), *sources])}.qcow2"
    if not image.is_file():
        run(["bash", _script("build-guest.sh"), str(rootfs), str(image)], timeout=BUILD_TIMEOUT)
    return image


def holder(paths: Paths) -> int | None:
    """PID of the running cloud's namespace init, or None when the cloud is not up."""
    try:
        pid = int(paths.holder_pid.read_text(encoding="utf-8").strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if alive(pid) else None


def up(
    paths: Paths,
    rootfs: Path,
    env: Mapping[str, str],
    on_line: Callable[[str], None] | None = None,
) -> Result:
    return run(
        ["bash", _script("up.sh"), str(paths.run_dir), str(rootfs)],
        env=env,
        timeout=UP_TIMEOUT,
        on_line=on_line,
    )


def down(paths: Paths) -> None:
    run(["bash", _script("down.sh"), str(paths.run_dir)], timeout=60)


def inside(
    paths: Paths, argv: Sequence[str], *, check: bool = True, timeout: float = 120
) -> Result:
    """Run ``argv`` in the cloud's namespaces, chrooted into its root directory."""
    pid = holder(paths)
    if pid is None:
        raise ToolError(f"the test cloud is not up ({paths.holder_pid} names no process)")
    argv = [
        "nsenter",
        f"--target={pid}",
        "--mount",
        "--net",
        "--pid",
        "--uts",
        "--ipc",
        "--",
        "chroot",
        str(paths.root),
        *argv,
    ]
    return run(argv, check=check, timeout=timeout)
