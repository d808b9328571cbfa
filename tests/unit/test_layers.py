"""The package's layers, read from the imports of every module with ``ast``.

base (``labbuilder``, ``errors``, ``names``, ``labdir``, ``reporter``, ``state``) < ``model``
(imports only ``errors`` and ``names``, the two leaves: pure checks that import nothing else) < ``render`` and ``adapters`` (not each other) < ``stages`` and ``verify`` (not each
other; so ``verify/suites`` reaches neither stages nor commands) < ``commands`` < ``tasks.py``
(only ``commands`` and ``errors``). A module may import its own layer and the ones allowed below.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

GROUPS = ("model", "render", "adapters", "stages", "verify", "commands")
ALLOWED = {
    "base": {"base"},
    "model": {"model", "errors", "names"},
    "render": {"base", "model", "render"},
    "adapters": {"base", "model", "adapters"},
    "stages": {"base", "model", "render", "adapters", "stages"},
    "verify": {"base", "model", "render", "adapters", "verify"},
    "commands": {"base", "model", "render", "adapters", "stages", "verify", "commands"},
    "tasks": {"commands", "errors"},
}


def layer_of(module: str) -> str | None:
    """The layer of a dotted module name (or of ``labbuilder.NAME`` imported from the package);
    None for modules outside the project."""
    parts = module.split(".")
    if parts[0] == "tasks":
        return "tasks"
    if parts[0] != "labbuilder":
        return None
    if len(parts) > 1 and parts[1] in GROUPS:
        return parts[1]
    return "base"


def imported(module: str, source: str) -> list[str]:
    """Every module ``source`` imports (at any depth: lazy imports count), as dotted names;
    ``from package import name`` counts as ``package.name``."""
    package = module.split(".")[:-1]
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            out += [f"{base}.{alias.name}" for alias in node.names]
    return out


def violations(module: str, source: str) -> list[str]:
    """``module imports target (layer -> layer)`` for each import its layer may not make."""
    mine = layer_of(module)
    assert mine is not None, module
    out = []
    for target in imported(module, source):
        theirs = layer_of(target)
        if theirs is None or theirs == mine:
            continue
        allowed = ALLOWED[mine]
        name = target.split(".")[1] if target.count(".") else ""
        ok = theirs in allowed or (theirs == "base" and name in allowed)
        if not ok:
            out.append(f"{module} imports {target} ({mine} -> {theirs})")
    return out


def project_modules() -> dict[str, str]:
    files = {"tasks": ROOT / "tasks.py"}
    for path in (ROOT / "labbuilder").rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        files[".".join(parts).removesuffix(".__init__")] = path
    return {name: Path(path).read_text(encoding="utf-8") for name, path in files.items()}


def test_the_leaves_model_may_use_import_nothing_else():
    modules = project_modules()
    for leaf in ("labbuilder.errors", "labbuilder.names"):
        assert [t for t in imported(leaf, modules[leaf]) if layer_of(t)] in (
            [],
            ["labbuilder.errors.ConfigError"],
        )


def test_no_module_imports_a_layer_above_its_own():
    modules = project_modules()
    assert len(modules) > 60 and "labbuilder.verify.suites.conftest" in modules
    found = [v for name, source in sorted(modules.items()) for v in violations(name, source)]
    assert found == []


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("labbuilder.model.lab", "from labbuilder.labdir import LabDir"),
        ("labbuilder.model.lab", "from labbuilder import state"),
        ("labbuilder.adapters.ssh", "from labbuilder.stages import vms"),
        ("labbuilder.adapters.ssh", "from labbuilder.render import answers"),
        ("labbuilder.render.answers", "import labbuilder.adapters.shell"),
        ("labbuilder.stages.vms", "from labbuilder.verify import runner"),
        ("labbuilder.stages.vms", "from labbuilder.commands.context import Flags"),
        ("labbuilder.stages.vms", "from ..commands import up"),
        ("labbuilder.verify.runner", "from labbuilder.stages import runner"),
        ("labbuilder.verify.suites.test_nodes", "from labbuilder.commands import up"),
        ("labbuilder.verify.report", "def f():\n    from labbuilder.stages import box\n"),
        ("labbuilder.reporter", "from labbuilder.adapters.vagrant import parse_vagrant_line"),
        ("labbuilder.state", "from labbuilder.model.lab import Lab"),
        ("labbuilder.model.planner", "from labbuilder import labdir"),
        ("tasks", "from labbuilder.model.settings import Settings"),
        ("tasks", "from labbuilder import reporter"),
    ],
)
def test_an_import_from_above_is_reported(module, source):
    assert violations(module, source) != []


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("labbuilder.model.lab", "from labbuilder.errors import ConfigError\nimport ipaddress"),
        ("labbuilder.model.planner", "from labbuilder.model import boxes"),
        ("labbuilder.model.planner", "from labbuilder import names"),
        ("labbuilder.state", "from labbuilder.labdir import LabDir"),
        ("labbuilder.stages.vms", "from labbuilder.adapters.libvirt import Virt"),
        ("labbuilder.stages.vms", "from . import box"),
        ("labbuilder.commands.up", "from labbuilder.stages import runner"),
        ("tasks", "from labbuilder import commands\nfrom labbuilder.errors import LabError"),
    ],
)
def test_an_import_from_below_is_allowed(module, source):
    assert violations(module, source) == []
