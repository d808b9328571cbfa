"""How a check is named in reports: its suite, its host, and its test id without the host."""

from __future__ import annotations

SUITE_PREFIX = "test_"


def suite_of(module: str) -> str:
    """``labbuilder.verify.suites.test_nodes`` (or ``test_nodes.py``) -> ``nodes``."""
    base = module.rsplit("/", 1)[-1].removesuffix(".py").rsplit(".", 1)[-1]
    return base.removeprefix(SUITE_PREFIX)


def check_label(name: str, host_id: str) -> str:
    """The test id without the host: ``test_x[ssh://controller-eth0]`` -> ``test_x[eth0]``."""
    if not host_id or "[" not in name:
        return name
    base, _, params = name.partition("[")
    ids = params.removesuffix("]")
    if ids == host_id:
        return base
    if ids.startswith(f"{host_id}-"):
        ids = ids.removeprefix(f"{host_id}-")
    elif ids.endswith(f"-{host_id}"):
        ids = ids.removesuffix(f"-{host_id}")
    else:
        ids = ids.replace(f"-{host_id}-", "-", 1)
    return f"{base}[{ids}]"
