"""Unit tests keep what the code writes to the temporary directory (the full-output logs a
failed outside command leaves for the user) inside pytest's own, so no run leaves files in
/tmp. A short session directory, not each test's tmp_path: SSH control sockets made under it
must stay within the 108 bytes of a socket path."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def _session_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tmp")


@pytest.fixture(autouse=True)
def _temporary_files_under_pytest(_session_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(_session_tmp))
