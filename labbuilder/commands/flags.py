"""What the command line gives the lab tasks: the flags (declared with the settings, in
``model/settings.py``), their values, and invoke's config defaults. Light on purpose: ``tasks.py``
reads it while declaring the tasks, before any command runs."""

from __future__ import annotations

from typing import Any

from labbuilder.model.settings import FLAGS as FLAGS  # noqa: PLC0414 - re-exported for tasks.py
from labbuilder.model.settings import Settings, flag_layer, to_mapping

#: The invoke config every command reads, with its defaults (``ns.configure`` in tasks.py).
CONFIG_DEFAULTS: dict[str, Any] = {
    "labs_dir": "labs",
    "box_cache": "/var/lib/labbuilder/boxes",
    "testbox_dir": "/var/lib/labbuilder/testbox",
    "snapshot_reserve_mib": 1024,  # free pool space kept beyond the memory images
    "testcloud_cache": "/var/lib/labbuilder/testcloud",
    "lab": to_mapping(Settings()),
}


class Flags:
    """The lab flags given on the command line, by flag name (``FLAGS``); a flag not given is
    absent, None or empty."""

    def __init__(self, **given: Any) -> None:
        unknown = sorted(set(given) - {f.name for f in FLAGS})
        if unknown:
            raise TypeError(f"unknown lab flags: {', '.join(unknown)}")
        self.given = given

    @property
    def lab(self) -> str | None:
        return self.given.get("lab")

    @property
    def lab_file(self) -> str | None:
        return self.given.get("lab_file")

    @property
    def from_lock(self) -> str | None:
        return self.given.get("from_lock")

    def layer(self) -> dict[str, Any]:
        return flag_layer(self.given)
