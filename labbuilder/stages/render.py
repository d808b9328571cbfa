"""Render a lab directory: Vagrantfile, answers.txt, lab.yaml, secrets.yaml, inventory.json,
provision-plan.txt.

Everything is computed and validated in memory first; files are written only when all of it
passed, so bad input leaves nothing behind.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from labbuilder.adapters.packstack import answerfile
from labbuilder.adapters.packstack import schema as packstack_schema
from labbuilder.adapters.packstack.answerfile import Problem
from labbuilder.errors import AnswerFileError, ConfigError
from labbuilder.labdir import PRIVATE, PUBLIC, LabDir, write_files
from labbuilder.model import secrets
from labbuilder.model.lab import Lab
from labbuilder.model.planner import plan
from labbuilder.model.settings import Settings, to_mapping
from labbuilder.render import answers, inventory, owned, vagrantfile
from labbuilder.render.provisionplan import render_plan

SHOWN_GROUPS = 5
WHOLE_FILE = 10
"""From this many contradictions on, the fragment is most likely a whole generated answer file."""


@dataclass(frozen=True)
class Rendered:
    lab: Lab
    files: dict[str, tuple[str, int]]
    warnings: tuple[str, ...]
    ignored: tuple[str, ...] = ()
    """Every key Packstack would ignore, one line each (``warnings`` has their summary)."""


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


def ignored_summary(ignored: Sequence[Problem], groups: Mapping[str, str]) -> str:
    """One line for every key Packstack would ignore: how many, by Packstack's option group."""
    counts = Counter(groups.get(p.key, "other") for p in ignored).most_common()
    by_group = ", ".join(f"{group} {n}" for group, n in counts[:SHOWN_GROUPS])
    if len(counts) > SHOWN_GROUPS:
        rest = sum(n for _, n in counts[SHOWN_GROUPS:])
        by_group += f", {rest} in {len(counts) - SHOWN_GROUPS} other groups"
    noun = "key" if len(ignored) == 1 else "keys"
    return (
        f"{len(ignored)} answer-file {noun} Packstack would ignore in this configuration "
        f"({by_group}): `invoke render --show-ignored` lists them"
    )


def check_answers(
    sections: list[answers.Section],
    user: Mapping[str, str],
    schema: packstack_schema.Schema,
    implied: answers.Section | None = None,
) -> tuple[list[answers.Section], tuple[str, ...], tuple[str, ...]]:
    """The merged answers, warnings (ignored keys summarised in one line) and every ignored key.

    Raises AnswerFileError naming each key that contradicts the lab, each value the deployed
    service would refuse, and each key Packstack's schema refuses.
    """
    refused = owned.rejected(user)
    lab_keys = [*sections, *([implied] if implied else [])]
    rejected_keys = {r.key for r in refused}
    refused += [f for f in owned.contradictions(lab_keys, user) if f.key not in rejected_keys]
    kept = {key: value for key, value in user.items() if key not in {f.key for f in refused}}
    merged = answers.merge(sections, kept)
    problems = schema.check(answers.as_dict(merged))
    order = {key: i for i, key in enumerate(user)}
    found = [(f.key, f.message) for f in refused]
    found += [(p.key, p.message) for p in problems if p.severity == "error"]
    errors = [message for _, message in sorted(found, key=lambda f: order.get(f[0], -1))]
    ignored = [p for p in problems if p.ignored]
    groups = {p.key: schema.options[p.key].group for p in ignored if p.key in schema.options}
    warnings = [p.message for p in problems if p.severity == "warning" and not p.ignored]
    if ignored:
        warnings.append(ignored_summary(ignored, groups))
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        noun = "error" if len(errors) == 1 else "errors"
        summary = f"answers: {len(errors)} {noun}: {errors[0]}{more}"
        if len(refused) >= WHOLE_FILE:
            summary = (
                f"answers: {len(refused)} keys contradict the lab, as a whole Packstack answer "
                "file would: keep in the fragment only the keys you mean to change (listed above)"
            )
        raise AnswerFileError(
            summary,
            problems=[f"error: {e}" for e in errors] + [f"warning: {w}" for w in warnings],
        )
    return merged, tuple(warnings), tuple(p.message for p in ignored)


def render(settings: Settings, labdir: LabDir, *, kvm: bool, nested: bool, base: Path) -> Rendered:
    """Plan the lab and render its files in memory, validated; ``write`` puts them on disk."""
    lab = plan(settings, kvm=kvm, nested=nested)
    stored = (
        secrets.parse(labdir.secrets.read_text(encoding="utf-8"), str(labdir.secrets))
        if labdir.secrets.is_file()
        else None
    )
    password = secrets.choose(settings.password, stored)
    schema = packstack_schema.load_schema()
    sections, warnings, ignored = check_answers(
        answers.computed(lab, password), user_answers(settings, base), schema, answers.implied(lab)
    )
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
        "provision-plan.txt": (render_plan(lab), PUBLIC),
    }
    return Rendered(lab=lab, files=files, warnings=warnings, ignored=ignored)


def write(rendered: Rendered, labdir: LabDir) -> list[Path]:
    return write_files(labdir.root, rendered.files)
