"""Where a class lives on the host: ``labs/.classes/<class>/``.

- ``allocation.yaml``: the seats (stable IDs, lab names, subnets); see ``model.classroom``
- ``accounts.yaml`` (0600): each student's OpenStack password
- ``results.json``: the last action on each lab, and its error
- ``settings/<lab>.yaml`` (0600): the resolved settings each lab was built with
- ``logs/<lab>.log``: the progress of the last batch action on that lab
- ``handouts/<lab>/``: handout.md, handout.html, ssh-config, clouds.yaml (0600)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CLASSES = ".classes"


@dataclass(frozen=True)
class ClassDir:
    root: Path

    @classmethod
    def of(cls, labs_dir: Path, name: str) -> ClassDir:
        return cls(labs_dir / CLASSES / name)

    @property
    def allocation(self) -> Path:
        return self.root / "allocation.yaml"

    @property
    def accounts(self) -> Path:
        return self.root / "accounts.yaml"

    @property
    def results(self) -> Path:
        return self.root / "results.json"

    def settings(self, lab: str) -> Path:
        return self.root / "settings" / f"{lab}.yaml"

    def log(self, lab: str) -> Path:
        return self.root / "logs" / f"{lab}.log"

    def handouts(self, lab: str) -> Path:
        return self.root / "handouts" / lab
