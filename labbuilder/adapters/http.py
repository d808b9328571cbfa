"""HTTP downloads into a local cache: the one routine every file download goes through.

A download goes to ``<target>.part`` beside the target and is renamed into place only when it
is complete and, if a sha256 was given, matches it; a failed or interrupted download leaves no
file behind. Every failure is one ``ToolError`` naming the URL and the cause.
"""

from __future__ import annotations

import contextlib
import hashlib
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from labbuilder.errors import ToolError

CHUNK = 1 << 20
Progress = Callable[[int, int | None], None]
"""Called with (bytes so far, total bytes or None when the server does not say)."""


class NotFound(ToolError):
    """The server answered 404: the file is not (or no longer) published there."""


def _cause(err: BaseException) -> str:
    if isinstance(err, urllib.error.HTTPError):
        return f"HTTP {err.code} {err.reason}"
    if isinstance(err, urllib.error.URLError):
        return str(err.reason)
    if isinstance(err, OSError) and err.strerror:
        return err.strerror
    return str(err) or type(err).__name__


def _fail(url: str, err: BaseException) -> ToolError:
    kind = NotFound if isinstance(err, urllib.error.HTTPError) and err.code == 404 else ToolError
    return kind(f"cannot download {url}: {_cause(err)}")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def get_text(url: str, timeout: float = 30) -> str:
    """A small text file (a CHECKSUM list) read whole."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - http(s) only
            data: bytes = resp.read()
    except (urllib.error.URLError, OSError, ValueError) as err:
        raise _fail(url, err) from None
    return data.decode("utf-8", errors="replace")


def download(
    url: str,
    target: Path,
    *,
    sha256: str | None = None,
    on_progress: Progress | None = None,
    timeout: float = 60,
) -> str:
    """Fetch ``url`` into ``target`` (atomically); the file's sha256.

    With ``sha256`` the file must match it, else nothing is kept and ToolError says so.
    """
    if not url.startswith(("http://", "https://")):
        raise ToolError(f"cannot download {url}: only http:// and https:// URLs are fetched")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp, partial.open("wb") as out:  # noqa: S310
            length = resp.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            done = 0
            while chunk := resp.read(CHUNK):
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if on_progress is not None:
                    on_progress(done, total)
        if total is not None and done != total:
            raise ToolError(f"cannot download {url}: got {done} of {total} bytes")
    except ToolError:
        partial.unlink(missing_ok=True)
        raise
    except (urllib.error.URLError, OSError, ValueError) as err:
        partial.unlink(missing_ok=True)
        raise _fail(url, err) from None
    except BaseException:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise
    actual = digest.hexdigest()
    if sha256 is not None and actual != sha256.lower():
        partial.unlink(missing_ok=True)
        raise ToolError(
            f"cannot use {url}: its sha256 is {actual}, expected {sha256.lower()} "
            "(a changed or corrupted file); nothing was kept"
        )
    partial.replace(target)
    return actual
