"""Every error labbuilder raises on purpose.

Each carries a one-line message that names the problem and the fix, and the exit code the
command line ends with. Only ``tasks.py`` turns them into an exit; nothing in the package
calls ``sys.exit``.
"""

from __future__ import annotations


class LabError(Exception):
    """Base class: a failure the user can act on."""

    exit_code = 1

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message


class ConfigError(LabError):
    """A setting, flag or lab file is wrong (bad name, subnet, size, release...)."""

    exit_code = 2


class AnswerFileError(LabError):
    """An answer-file key or value that Packstack would reject or silently ignore."""

    exit_code = 3

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


class TemplateError(LabError):
    """A template could not be rendered (names the file and line)."""

    exit_code = 4


class PreflightError(LabError):
    """The host cannot run the lab as planned (a FAIL check)."""

    exit_code = 5


class ToolError(LabError):
    """An outside tool (vagrant, virsh, ssh, libvirt...) failed."""

    exit_code = 6


class StateError(LabError):
    """The lab's recorded state does not allow the request (not rendered, not up...)."""

    exit_code = 7


class DeployError(LabError):
    """Packstack failed on the lab."""

    exit_code = 8


class VerifyError(LabError):
    """One or more verification checks failed."""

    exit_code = 9
