"""Packstack's plugins, loaded in this process: with ``recorder`` (its dry run, in a process of
its own), the only module that imports ``packstack``.

Loading Packstack has side effects that are undone or avoided here: importing ``basedefs`` makes
a log directory under /var/tmp/packstack and re-points its ``latest`` link, and several plugins
ask the network for the local IP address (which fails on a host without a default route).
"""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path
from typing import Any

from labbuilder.errors import ToolError

VAR_DIR = Path("/var/tmp/packstack")  # noqa: S108 - Packstack's own fixed path
#: What a default computed from the local IP address reads while the plugins load.
LOCAL_IP = "LOCAL-IP-OF-THE-PACKSTACK-HOST"


def load_groups() -> tuple[list[Any], Any]:
    """Packstack's option groups and its validators module, loaded without leaving traces."""
    fresh = "packstack.installer.basedefs" not in sys.modules
    latest = VAR_DIR / "latest"
    had_dir = VAR_DIR.is_dir()
    old_link = str(latest.readlink()) if latest.is_symlink() else None
    saved_path = list(sys.path)
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            from packstack.installer import run_setup, utils, validators  # noqa: PLC0415

            if not run_setup.controller.getAllGroups():
                real_local_ip = utils.get_localhost_ip
                utils.get_localhost_ip = lambda: LOCAL_IP
                try:
                    run_setup.loadPlugins()
                    run_setup.initPluginsConfig()
                finally:
                    utils.get_localhost_ip = real_local_ip
            return list(run_setup.controller.getAllGroups()), validators
    except (Exception, SystemExit) as err:
        said = " ".join((printed.getvalue() or str(err)).split())
        raise ToolError(
            f"cannot load Packstack's option schema: {said} - "
            "fix that, or reinstall packstack==26.0.0 into the venv"
        ) from err
    finally:
        sys.path[:] = saved_path
        if fresh:
            _undo_var_dir(had_dir, old_link)


def _undo_var_dir(had_dir: bool, old_link: str | None) -> None:
    """Remove the empty log directory importing Packstack made, and restore ``latest``."""
    basedefs = sys.modules.get("packstack.installer.basedefs")
    if basedefs is None:
        return
    ours = Path(basedefs.VAR_DIR)
    latest = VAR_DIR / "latest"
    with contextlib.suppress(OSError):
        ours.rmdir()
    with contextlib.suppress(OSError):
        if latest.is_symlink() and str(latest.readlink()) == ours.name:
            latest.unlink()
            if old_link is not None:
                latest.symlink_to(old_link)
    if not had_dir:
        with contextlib.suppress(OSError):
            VAR_DIR.rmdir()
