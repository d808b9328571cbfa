"""Names checked before any path is built from them (the CLI side is in test_cli.py)."""

from __future__ import annotations

import pytest

from labbuilder import names
from labbuilder.errors import ConfigError
from labbuilder.labdir import LabDir


@pytest.mark.parametrize(
    ("check", "name", "ok"),
    [
        (names.check_lab, "poc", True),
        (names.check_lab, "class-1", True),
        (names.check_lab, "x" * 20, True),
        (names.check_lab, "x" * 21, False),
        (names.check_lab, "\u00fc" * 200, False),
        (names.check_lab, "caf\u00e9", False),
        (names.check_lab, "../x", False),
        (names.check_lab, "a/b", False),
        (names.check_lab, "Bad Name", False),
        (names.check_lab, "lab\n", False),
        (names.check_lab, "x-", False),
        (names.check_lab, "1lab", False),
        (names.check_box, "centos-stream-9", True),
        (names.check_box, "labbuilder/centos-stream-9-20250326.0", True),
        (names.check_box, "a/../b", False),
        (names.check_box, "a//b", False),
        (names.check_box, "box/", False),
        (names.check_box, "b" * 200, False),
        (names.check_box, "b\u00f6x", False),
        (names.check_box, "box\n", False),
        (names.check_node, "compute12", True),
        (names.check_node, "../controller", False),
        (names.check_node, "c" * 300, False),
    ],
)
def test_names(check, name, ok):
    if ok:
        assert check(name) == name
        return
    with pytest.raises(ConfigError) as info:
        check(name)
    assert info.value.exit_code == 2
    assert "\n" not in info.value.message and len(info.value.message) < 200


def test_long_names_are_cut_short_in_the_message():
    with pytest.raises(ConfigError, match=r"\(300 characters\)"):
        names.check_node("c" * 300)


def test_no_lab_directory_is_built_from_a_bad_name(tmp_path):
    with pytest.raises(ConfigError):
        LabDir.of(tmp_path, "../escape")
    assert LabDir.of(tmp_path, "ok").root == tmp_path / "ok"
