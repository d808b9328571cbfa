"""The one Jinja environment: StrictUndefined, templates from the checkout, errors with file:line.

Templates only substitute and loop; every value is computed in Python. Strings that land in the
Vagrantfile go through ``rb``, which writes a Ruby literal that cannot break out of its quotes.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labbuilder import PROJECT_ROOT
from labbuilder.errors import TemplateError

if TYPE_CHECKING:
    import jinja2

_RUBY_ESCAPES = {"\\": "\\\\", '"': '\\"', "#": "\\#", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def ruby_literal(value: object) -> str:
    """A Ruby literal for a bool, int or str (double-quoted, interpolation escaped)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        body = "".join(_RUBY_ESCAPES.get(ch, ch) for ch in value)
        if any(ord(ch) < 0x20 and ch not in "\n\r\t" for ch in value):
            raise TemplateError(f"control character in a Vagrantfile value {value!r}: remove it")
        return f'"{body}"'
    raise TemplateError(f"cannot write {type(value).__name__} {value!r} into a Vagrantfile")


@functools.cache
def environment(root: Path = PROJECT_ROOT) -> jinja2.Environment:
    import jinja2  # noqa: PLC0415 - loaded when a template is rendered, not at command start

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(root)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        # Ruby and INI are written verbatim; HTML templates (*.html.j2) escape every value
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
    )
    env.filters["rb"] = ruby_literal
    return env


def render(template: str, context: Mapping[str, Any], root: Path = PROJECT_ROOT) -> str:
    import jinja2  # noqa: PLC0415 - as in environment()

    try:
        return environment(root).get_template(template).render(context)
    except jinja2.TemplateSyntaxError as err:
        raise TemplateError(
            f"{err.filename or template}:{err.lineno}: {err.message}: fix the template"
        ) from err
    except jinja2.TemplateNotFound as err:
        raise TemplateError(f"template {err.name} not found under {root}: restore it") from err
    except jinja2.UndefinedError as err:
        raise TemplateError(
            f"{template}:{_template_line(err)}: {err.message}: the template uses a value "
            "the renderer does not provide"
        ) from err


def _template_line(err: BaseException) -> int | str:
    """The template line a Jinja runtime error came from (Jinja maps it into the traceback)."""
    tb = err.__traceback__
    line: int | str = "?"
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith((".j2", ".txt.j2")):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
