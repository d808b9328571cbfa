from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from labbuilder.errors import ConfigError
from labbuilder.model.lockfile import LabLock, dump, load

DIGEST = "3f5a" * 16
LOCK = LabLock(
    lab="poc",
    release="epoxy",
    box_name="centos/stream9",
    box_version="20250326.0",
    box_sha256=DIGEST,
    packstack_version="openstack-packstack-26.0.0-1.el9s",
    kernel="5.14.0-570.el9.x86_64",
    created=datetime(2025, 3, 30, 8, 15, 2, tzinfo=UTC),
)
GOOD = f"""\
lab: poc
release: epoxy
box_name: centos/stream9
box_version: '20250326.0'
box_sha256: {DIGEST}
packstack_version: openstack-packstack-26.0.0-1.el9s
kernel: 5.14.0-570.el9.x86_64
created: '2025-03-30T08:15:02+00:00'
"""


@pytest.mark.parametrize(
    "lock",
    [
        LOCK,
        LabLock(
            lab="seed-ovs",
            release="caracal",
            box_name="labbuilder/debian-bookworm-test",
            box_version="1.10",
            box_sha256="0" * 64,
            packstack_version="26.0.0+stand-in",
            kernel="6.1.0-31-cloud-amd64",
            created=datetime(2025, 1, 1, 21, 0, tzinfo=timezone(timedelta(hours=9))),
        ),
        LabLock(
            lab="itest",
            release="epoxy",
            box_name="labbuilder/testbox",
            box_version=None,
            box_sha256=None,
            packstack_version="packstack 26.0.0+stand-in",
            kernel="6.1.0-31-cloud-amd64",
            created=datetime(2025, 6, 1, 9, 30, tzinfo=UTC),
        ),
    ],
)
def test_round_trip(lock: LabLock) -> None:
    assert load(dump(lock), "lab.lock") == lock


def test_dump_layout() -> None:
    text = dump(LOCK)
    assert text.startswith("# labbuilder lock file:")
    assert text.split("\n", 2)[2] == GOOD


def test_unknown_box_version_and_digest_are_null() -> None:
    text = dump(replace(LOCK, box_version=None, box_sha256=None))
    assert "box_version: null\nbox_sha256: null\n" in text


def test_load_accepts_an_unquoted_timestamp() -> None:
    text = GOOD.replace("'2025-03-30T08:15:02+00:00'", "2025-03-30T08:15:02+00:00")
    assert load(text, "lab.lock") == LOCK


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.replace("kernel: 5.14.0-570.el9.x86_64\n", ""), "lab.lock: missing key 'kernel'"),
        (GOOD + "box_url: https://example.org/x.box\n", "lab.lock: unknown key 'box_url'"),
        (GOOD.replace("'20250326.0'", "20250326.0"), "box_version must be a string, not float"),
        (GOOD.replace("release: epoxy", "release: ''"), "release is empty"),
        (GOOD.replace(DIGEST, DIGEST[:-1]), "is not a SHA-256 digest"),
        (GOOD.replace(DIGEST, DIGEST.upper()), "is not a SHA-256 digest"),
        (GOOD.replace(DIGEST, "''"), "box_sha256 is empty"),
        (GOOD.replace("box_version: '20250326.0'", "box_version: ''"), "box_version is empty"),
        (GOOD.replace("+00:00'", "'"), "has no time zone"),
        (GOOD.replace("'2025-03-30T08:15:02+00:00'", "yesterday"), "is not an ISO 8601 time"),
        ("- lab\n- poc\n", "expected a mapping of lock keys"),
        ("lab: [poc\n", "lab.lock: not valid YAML"),
        ("", "expected a mapping of lock keys"),
    ],
)
def test_load_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load(text, "lab.lock")
    assert message in str(raised.value)
    assert str(raised.value).startswith("lab.lock: ")
    assert "\n" not in str(raised.value)
