"""The one download routine, against a real HTTP server on 127.0.0.1 (no mocks): a complete
file or none, its sha256 checked, progress reported, one error naming URL and cause; and the
box fetch built on it (project sha256 first, the build archive when the mirror pruned it)."""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from labbuilder.adapters import http as downloads
from labbuilder.errors import ToolError
from labbuilder.model import boxes
from labbuilder.stages import box as boxfetch

BODY = b"box bytes " * 250_000  # 2.5 MB: three chunks of 1 MiB


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def served(tmp_path) -> Iterator[tuple[str, Path]]:
    """A real HTTP server on 127.0.0.1 serving the files of ``root``."""
    root = tmp_path / "www"
    root.mkdir()

    def handler(*args, **kwargs):
        return _Quiet(*args, directory=str(root), **kwargs)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()


def test_download_success_checks_sha_and_reports_progress(served, tmp_path):
    base, root = served
    (root / "f.box").write_bytes(BODY)
    seen: list[tuple[int, int | None]] = []
    target = tmp_path / "cache" / "f.box"
    digest = downloads.download(
        f"{base}/f.box",
        target,
        sha256=hashlib.sha256(BODY).hexdigest(),
        on_progress=lambda done, total: seen.append((done, total)),
    )
    assert digest == hashlib.sha256(BODY).hexdigest()
    assert target.read_bytes() == BODY
    assert seen[-1] == (len(BODY), len(BODY)) and len(seen) >= 2
    assert [p.name for p in target.parent.iterdir()] == ["f.box"]


def test_download_404_names_url_and_cause_and_leaves_nothing(served, tmp_path):
    base, _ = served
    target = tmp_path / "cache" / "gone.box"
    with pytest.raises(downloads.NotFound) as info:
        downloads.download(f"{base}/gone.box", target)
    assert info.value.message == f"cannot download {base}/gone.box: HTTP 404 File not found"
    assert list(target.parent.iterdir()) == []


def test_checksum_mismatch_leaves_no_partial_file(served, tmp_path):
    base, root = served
    (root / "f.box").write_bytes(BODY)
    target = tmp_path / "cache" / "f.box"
    with pytest.raises(ToolError) as info:
        downloads.download(f"{base}/f.box", target, sha256="0" * 64)
    assert f"cannot use {base}/f.box: its sha256 is {hashlib.sha256(BODY).hexdigest()}" in str(
        info.value
    )
    assert list(target.parent.iterdir()) == []


def test_unreachable_server_is_one_error(tmp_path):
    with pytest.raises(ToolError, match=r"^cannot download http://127\.0\.0\.1:9/x: .*refused"):
        downloads.download("http://127.0.0.1:9/x", tmp_path / "x")
    assert not (tmp_path / "x").exists() and not (tmp_path / "x.part").exists()


def _centos(base: str, **changes: object):
    box = boxes.centos_stream9("20250326.0")
    return replace(
        box,
        url=f"{base}/mirror/{box.url.rsplit('/', 1)[1]}",
        checksum_url=f"{base}/mirror/CHECKSUM",
        archive_url=f"{base}/archive/{box.url.rsplit('/', 1)[1]}",
        **changes,
    )


def test_the_kept_sha256_wins_and_a_pruned_build_comes_from_the_archive(served, tmp_path):
    base, root = served
    box = _centos(base, sha256=hashlib.sha256(BODY).hexdigest())
    (root / "archive").mkdir()
    (root / "archive" / box.url.rsplit("/", 1)[1]).write_bytes(BODY)  # mirror has neither
    path, source = boxfetch.fetch(box, tmp_path / "cache")
    assert path.read_bytes() == BODY
    assert source == "the sha256 kept in labbuilder/model/boxes.py"


def test_a_changed_file_on_the_mirror_is_refused_against_the_kept_sha256(served, tmp_path):
    base, root = served
    box = _centos(base, sha256=hashlib.sha256(b"the original").hexdigest())
    (root / "mirror").mkdir()
    name = box.url.rsplit("/", 1)[1]
    (root / "mirror" / name).write_bytes(BODY)
    (root / "mirror" / "CHECKSUM").write_text(
        f"SHA256 ({name}) = {hashlib.sha256(BODY).hexdigest()}\n"
    )
    with pytest.raises(ToolError, match="its sha256 is"):
        boxfetch.fetch(box, tmp_path / "cache")
    assert list((tmp_path / "cache").iterdir()) == []


def test_without_a_kept_sha256_the_published_checksum_is_used(served, tmp_path):
    base, root = served
    box = _centos(base, sha256=None)
    (root / "mirror").mkdir()
    name = box.url.rsplit("/", 1)[1]
    (root / "mirror" / name).write_bytes(BODY)
    (root / "mirror" / "CHECKSUM").write_text(
        f"SHA256 ({name}) = {hashlib.sha256(BODY).hexdigest()}\n"
    )
    path, source = boxfetch.fetch(box, tmp_path / "cache")
    assert path.read_bytes() == BODY
    assert source == f"the published {base}/mirror/CHECKSUM"


def test_a_pruned_build_without_a_kept_sha256_is_refused(served, tmp_path):
    base, root = served
    box = _centos(base, sha256=None)
    (root / "mirror").mkdir()
    (root / "mirror" / "CHECKSUM").write_text("")
    with pytest.raises(ToolError, match="cannot be verified"):
        boxfetch.fetch(box, tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


def test_the_pinned_build_points_at_the_centos_archive():
    box = boxes.centos_stream9("20250326.0")
    assert box.archive_url == (
        "https://kojihub.stream.centos.org/kojifiles/packages/CentOS-Stream-Vagrant/9/"
        "20250326.0/images/CentOS-Stream-Vagrant-9-20250326.0.x86_64.vagrant-libvirt.box"
    )
    assert boxes.centos_stream9("latest").archive_url is None


def test_progress_is_said_every_ten_percent():
    said: list[str] = []
    report = boxfetch.progress(said.append)
    total = 100 << 20
    for done in range(0, total + 1, 1 << 20):
        report(done, total)
    assert said[0] == "box download 0% (0 of 100 MiB)"
    assert said[-1] == "box download 100% (100 of 100 MiB)"
    assert len(said) == 11
