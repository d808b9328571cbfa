"""Render a lab directory: Vagrantfile, answers.txt, lab.yaml, secrets.yaml, inventory.json.

Everything is computed and validated in memory first; files are written only when all of it
passed, so bad input leaves nothing behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from labbuilder.adapters.packstack import answerfile
from labbuilder.adapters.packstack import schema as packstack_schema
from labbuilder.errors import ConfigError
from labbuilder.labdir import PRIVATE, PUBLIC, LabDir, write_files
from labbuilder.model import secrets
from labbuilder.model.lab import Lab
from labbuilder.model.planner import plan
from labbuilder.model.settings import Settings, to_mapping
from labbuilder.render import answers, inventory, vagrantfile


@dataclass(frozen=True)
class Rendered:
    lab: Lab
    files: dict[str, tuple[str, int]]
    warnings: tuple[str, ...]


def user_answers(settings: Settings, base: Path) -> dict[str, str]:
    """The answers fragment file (if any) with ``--set`` keys on top."""
    out: dict[str, str] = {}
    if settings.answers_file:
        path = (base / settings.answers_file).resolve()
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as err:
            raise ConfigError(
                f"cannot read answers file {path} ({err.strerror}): check --answers-file"
            ) from None
        out.update(answerfile.parse(text, str(path)))
    for key, value in settings.answers.items():
        out.update([answerfile.parse_assignment(f"{key}={value}")])
    return out


def prepare(settings: Settings, labdir: LabDir, *, kvm: bool, nested: bool, base: Path) -> Rendered:
    lab = plan(settings, kvm=kvm, nested=nested)
    stored = (
        secrets.parse(labdir.secrets.read_text(encoding="utf-8"), str(labdir.secrets))
        if labdir.secrets.is_file()
        else None
    )
    password = secrets.choose(settings.password, stored)
    schema = packstack_schema.load_schema()
    sections = answers.merge(answers.computed(lab, password), user_answers(settings, base))
    problems = schema.check(answers.as_dict(sections))
    packstack_schema.raise_for(problems, "answers")
    warnings = tuple(p.message for p in problems if p.severity == "warning")
    saved = to_mapping(settings)
    saved.pop("password")
    files = {
        "Vagrantfile": (vagrantfile.render_vagrantfile(lab), PUBLIC),
        "answers.txt": (answers.render_answers(lab, sections, schema.version), PRIVATE),
        "lab.yaml": (
            "# Settings of this lab as last rendered; used by later commands for this lab.\n"
            + yaml.safe_dump(saved, sort_keys=False),
            PUBLIC,
        ),
        "secrets.yaml": (secrets.dump(password), PRIVATE),
        "inventory.json": (inventory.dumps(lab), PUBLIC),
    }
    return Rendered(lab=lab, files=files, warnings=warnings)


def write(rendered: Rendered, labdir: LabDir) -> list[Path]:
    return write_files(labdir.root, rendered.files)
