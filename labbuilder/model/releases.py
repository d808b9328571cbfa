"""The RDO releases a lab can run on CentOS Stream 9, and where each stands upstream.

Facts as of 2026-08-21, the last change of openstack/releases ``data/series_status.yaml``
(read 2026-11-29): epoxy (2025.1) maintained, scheduled to become unmaintained on 2026-10-02;
dalmatian (2024.2) end of life since 2026-04-29; caracal (2024.1) and antelope (2023.1)
unmaintained. RDO stops updating a release's CloudSIG repositories once it leaves maintenance
(RDO release cadence). Packstack versions: what RDO's ``cloud9s-openstack-<name>-release`` tags
ship (redhat-openstack/rdoinfo). Flamingo (2025.2) and later need CentOS Stream 10, for which RDO
builds no Packstack, so they are not offered.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

FACTS_AS_OF = datetime.date(2026, 8, 21)


@dataclass(frozen=True)
class Release:
    name: str
    series: str
    status: str  # as openstack/releases says: maintained, unmaintained, end of life
    packstack: str  # the Packstack RDO ships for it on CentOS Stream 9
    changes_on: datetime.date | None = None  # the next status change, when scheduled
    next_status: str = ""

    @property
    def maintained(self) -> bool:
        return self.status == "maintained"

    def describe(self) -> str:
        """``epoxy (2025.1): maintained upstream, scheduled to become unmaintained 2026-10-02``."""
        text = f"{self.name} ({self.series}): {self.status} upstream"
        if self.changes_on:
            text += f", scheduled to become {self.next_status} {self.changes_on.isoformat()}"
        return text


CATALOG = {
    "epoxy": Release(
        "epoxy", "2025.1", "maintained", "26.0.0", datetime.date(2026, 10, 2), "unmaintained"
    ),
    "dalmatian": Release("dalmatian", "2024.2", "end of life", "25.0.0"),
    "caracal": Release("caracal", "2024.1", "unmaintained", "24.0.0 (rc1)"),
    "antelope": Release("antelope", "2023.1", "unmaintained", "22.0.0"),
}


def help_text() -> str:
    """The ``--release`` help: maintained releases first, then the others."""
    maintained = [r.name for r in CATALOG.values() if r.maintained]
    others = [f"{r.name} ({r.status})" for r in CATALOG.values() if not r.maintained]
    return (
        f"RDO release: {', '.join(maintained)} (default; maintained upstream), "
        f"or {', '.join(others)} (as of {FACTS_AS_OF.isoformat()})"
    )


def status_check(name: str, today: datetime.date) -> tuple[str, str]:
    """Preflight's verdict on a release: (OK or WARN, the line to show)."""
    release = CATALOG[name]
    said = f"{release.describe()} (openstack/releases as of {FACTS_AS_OF.isoformat()})"
    if not release.maintained:
        return "WARN", f"{said}: RDO no longer updates its packages"
    if release.changes_on and today >= release.changes_on:
        return "WARN", f"{said}: that date has passed; check https://releases.openstack.org"
    return "OK", said
