"""Answer-file text: Packstack's format in, {key: value} out; misreadable lines refused."""

from __future__ import annotations

import configparser

import pytest

from labbuilder.adapters.packstack.answerfile import (
    Problem,
    format_value_ok,
    parse,
    parse_assignment,
    raise_for,
    value_error,
)
from labbuilder.errors import AnswerFileError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CONFIG_A=1\nCONFIG_B=2\n", {"CONFIG_A": "1", "CONFIG_B": "2"}),
        ("[general]\nCONFIG_A=1\n", {"CONFIG_A": "1"}),
        ("# comment\n; also a comment\n\n   \nCONFIG_A=1", {"CONFIG_A": "1"}),
        ("  # indented comment\nCONFIG_A=1", {"CONFIG_A": "1"}),
        ("CONFIG_A = spaced  \n", {"CONFIG_A": "spaced"}),
        ("CONFIG_A=\n", {"CONFIG_A": ""}),
        ("CONFIG_PW=50%off%(x)s\n", {"CONFIG_PW": "50%off%(x)s"}),
        ("CONFIG_A=value # not a comment\n", {"CONFIG_A": "value # not a comment"}),
        ("CONFIG_M=extnet:br-ex,a=b\n", {"CONFIG_M": "extnet:br-ex,a=b"}),
        ("[general]\r\nCONFIG_A=1\r\nCONFIG_B=2\r\n", {"CONFIG_A": "1", "CONFIG_B": "2"}),
        ("EXCLUDE_SERVERS=10.1.1.20\n", {"EXCLUDE_SERVERS": "10.1.1.20"}),
        ("", {}),
    ],
)
def test_parse_accepts_packstack_format(text: str, expected: dict[str, str]) -> None:
    assert parse(text, "answers.txt") == expected


@pytest.mark.parametrize(
    "text",
    [
        "[general]\nCONFIG_A = spaced\nCONFIG_PW=50%off\nCONFIG_B=x # y\nCONFIG_E=\n",
        "[general]\n# c\n; c\nCONFIG_M=extnet:br-ex\n",
    ],
)
def test_parse_reads_what_packstack_reads(text: str) -> None:
    """Packstack reads answer files with RawConfigParser; both readers must agree."""
    reader = configparser.RawConfigParser()
    reader.optionxform = str  # type: ignore[assignment,method-assign]
    reader.read_string(text)
    assert parse(text, "a.txt") == dict(reader["general"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CONFIG_A=1\nCONFIG_A=2\n", "answers.txt:2: duplicate key CONFIG_A (first on line 1)"),
        ("CONFIG_A=1\nconfig_b=2\n", "answers.txt:2: key 'config_b' is not upper case"),
        ("\nOS_PASSWORD=x\n", "answers.txt:2: 'OS_PASSWORD' is not a Packstack key"),
        ("CONFIG_A 1\n", "answers.txt:1: expected KEY=VALUE"),
        ("CONFIG_A: 1\n", "answers.txt:1: expected KEY=VALUE"),
        ("CONFIG-A=1\n", "answers.txt:1: 'CONFIG-A' is not a Packstack key"),
        ("CONFIG_A=1\n  CONFIG_B=2\n", "answers.txt:2: indented line"),
        ("[other]\nCONFIG_A=1\n", "answers.txt:1: section [other] is not read by Packstack"),
        ("CONFIG_A=1\n[general]\n", "answers.txt:2: [general] after the first key"),
        ("[general]\n[general]\n", "answers.txt:2: second [general] (first on line 1)"),
        ("CONFIG_A=a\0b\n", "answers.txt:1: NUL character"),
        ("CONFIG_A=one\rtwo\n", "answers.txt:2: expected KEY=VALUE"),
    ],
)
def test_parse_names_source_and_line(text: str, expected: str) -> None:
    with pytest.raises(AnswerFileError) as caught:
        parse(text, "answers.txt")
    assert str(caught.value).startswith(expected)
    assert caught.value.exit_code == 3


def test_parse_reports_every_bad_line() -> None:
    with pytest.raises(AnswerFileError) as caught:
        parse("CONFIG_A=1\nbad\nCONFIG_A=2\nCONFIG_B=ok\n", "f.txt")
    assert str(caught.value).endswith("(and 1 more)")
    assert [line.split(":")[1] for line in caught.value.problems] == ["2", "3"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CONFIG_HEAT_INSTALL=y", ("CONFIG_HEAT_INSTALL", "y")),
        ("CONFIG_X=a=b", ("CONFIG_X", "a=b")),
        ("CONFIG_X=", ("CONFIG_X", "")),
        ("CONFIG_X=50%", ("CONFIG_X", "50%")),
    ],
)
def test_parse_assignment(text: str, expected: tuple[str, str]) -> None:
    assert parse_assignment(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CONFIG_X", "missing '='"),
        ("config_x=1", "not upper case"),
        ("X=1", "not a Packstack key"),
        ("EXCLUDE_SERVERS_X=1", "not a Packstack key"),
        ("CONFIG_X=a\nb", "spans more than one line"),
        ("CONFIG_X=a\rb", "spans more than one line"),
        ("CONFIG_X=a\0", "NUL"),
        ("CONFIG_X= padded", "whitespace"),
    ],
)
def test_parse_assignment_refuses(text: str, expected: str) -> None:
    with pytest.raises(AnswerFileError) as caught:
        parse_assignment(text)
    assert expected in str(caught.value)
    assert "use --set CONFIG_KEY=VALUE" in str(caught.value)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("P@ss%w0rd", True),
        ("", True),
        ("a b", True),
        ("line\nbreak", False),
        ("carriage\rreturn", False),
        ("nul\0", False),
        (" lead", False),
        ("trail\t", False),
    ],
)
def test_format_value_ok(value: str, ok: bool) -> None:
    assert format_value_ok(value) is ok
    assert (value_error(value) is None) is ok


ERR_A = Problem("CONFIG_A", "CONFIG_A: bad - fix A")
ERR_B = Problem("CONFIG_B", "CONFIG_B: bad - fix B")
WARN_C = Problem("CONFIG_C", "CONFIG_C: ignored - remove it", "warning")


@pytest.mark.parametrize(
    ("problems", "message", "listed"),
    [
        ([ERR_A], "answers.txt: 1 error: CONFIG_A: bad - fix A", ["error: CONFIG_A: bad - fix A"]),
        (
            [WARN_C, ERR_A, ERR_B],
            "answers.txt: 2 errors: CONFIG_A: bad - fix A (and 1 more)",
            [
                "error: CONFIG_A: bad - fix A",
                "error: CONFIG_B: bad - fix B",
                "warning: CONFIG_C: ignored - remove it",
            ],
        ),
    ],
)
def test_raise_for_errors(problems: list[Problem], message: str, listed: list[str]) -> None:
    with pytest.raises(AnswerFileError) as caught:
        raise_for(problems, "answers.txt")
    assert str(caught.value) == message
    assert caught.value.problems == listed


@pytest.mark.parametrize("problems", [[], [WARN_C]])
def test_raise_for_passes_warnings(problems: list[Problem]) -> None:
    assert raise_for(problems, "answers.txt") is None
