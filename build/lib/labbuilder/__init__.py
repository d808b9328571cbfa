"""labbuilder: OpenStack proof-of-concept labs (Packstack/RDO) on one Linux host."""

from __future__ import annotations

from pathlib import Path

__version__ = "0.1.0"

#: The checkout that holds Vagrantfile.j2, answers/ and provision/.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
