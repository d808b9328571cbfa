"""The checks ``invoke verify`` runs against a lab: pytest + testinfra modules shipped with
labbuilder, apart from the project's own tests.

Each ``test_<suite>.py`` names the roles it runs on (``testinfra_hosts``); the lab comes in
through ``LABBUILDER_INVENTORY`` and ``LABBUILDER_STAGE``, which ``labbuilder.verify.runner`` sets.
"""

from __future__ import annotations

SUITES = ("nodes", "services", "sockets", "endpoints", "ovs", "openstack", "e2e")
"""In the order they run and are reported."""
