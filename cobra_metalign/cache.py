"""User cache directory and atomic file writes."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import platformdirs

logger = logging.getLogger(__name__)

__all__ = ["cache_dir", "atomic_path", "sha256_file"]

#: Environment variable that overrides the cache directory (used by tests).
CACHE_ENV = "METALIGN_CACHE_DIR"


def cache_dir() -> Path:
    """Return (and create) the cobra_metalign cache directory.

    ``$METALIGN_CACHE_DIR`` when set, else the platform's user cache directory
    (``~/.cache/cobra_metalign`` on Linux).

    Returns
    -------
    pathlib.Path
    """
    path = Path(os.environ.get(CACHE_ENV) or platformdirs.user_cache_dir("cobra_metalign"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it onto ``target`` on success.

    The temporary file is removed if the block raises (including
    ``KeyboardInterrupt``), so a failed or interrupted write leaves neither a
    partial file nor a changed target.

    Parameters
    ----------
    target : path-like
        The final file name.

    Yields
    ------
    pathlib.Path
        A path in the same directory to write to.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    tmp = Path(tmp_name)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600 files; give the usual permissions
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def sha256_file(path: str | os.PathLike[str], chunk_size: int = 1 << 20) -> str:
    """Return the hex sha256 digest of a file.

    Parameters
    ----------
    path : path-like
    chunk_size : int, optional

    Returns
    -------
    str
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()
