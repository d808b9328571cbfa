"""Which RDO releases are maintained upstream, said in --help, plan and preflight."""

from __future__ import annotations

import datetime

import pytest

from labbuilder.model import releases
from labbuilder.model.lab import RELEASES
from labbuilder.stages.preflight import check_release


def test_every_offered_release_has_a_status():
    assert sorted(releases.CATALOG) == sorted(RELEASES)


@pytest.mark.parametrize(
    ("name", "today", "status", "said"),
    [
        ("epoxy", datetime.date(2026, 9, 1), "OK", "epoxy (2025.1): maintained upstream"),
        ("epoxy", datetime.date(2026, 11, 29), "WARN", "that date has passed"),
        ("dalmatian", datetime.date(2026, 9, 1), "WARN", "end of life upstream"),
        ("caracal", datetime.date(2026, 9, 1), "WARN", "unmaintained upstream"),
        ("antelope", datetime.date(2026, 9, 1), "WARN", "RDO no longer updates"),
    ],
)
def test_preflight_says_where_the_release_stands(name, today, status, said):
    check = check_release(name, today)
    assert (check.name, check.status) == ("release", status)
    assert said in check.value
    assert "as of 2026-08-21" in check.value
    assert bool(check.remedy) == (status == "WARN")
    if status == "WARN":
        assert ("--release epoxy" in check.remedy) == (name != "epoxy")


def test_help_names_maintained_and_end_of_life_releases():
    text = releases.help_text()
    assert text.startswith("RDO release: epoxy (default; maintained upstream)")
    for name in ("dalmatian (end of life)", "caracal (unmaintained)", "antelope (unmaintained)"):
        assert name in text
