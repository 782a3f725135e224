"""User cache directory, atomic file writes and all-or-nothing output sets.

:func:`atomic_path` writes one file atomically. :func:`write_outputs` writes a
set of files (a model, its audit, its reactions table, a backup) as one
transaction: each is written to a hidden temporary file beside its target and
checked, and only when all of them are ready are they moved into place; a
target that did not exist before is created exclusively (a file that appeared
there during the run is never replaced), and a failure or an interruption at
any point leaves none of the new files behind. :func:`check_output_path` refuses
an unusable target (an input, a directory, a file in the way, a folder that
cannot be written) before any work starts.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from cobra_metalign.errors import MetalignError, ModelWriteError

logger = logging.getLogger(__name__)

__all__ = [
    "cache_dir",
    "atomic_path",
    "sha256_file",
    "Output",
    "check_output_path",
    "write_outputs",
    "TEMP_PREFIX",
]

#: Prefix of the hidden temporary files :func:`write_outputs` writes beside its targets.
TEMP_PREFIX = ".metalign-tmp-"

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
    # the name is chosen before the file exists, so that a signal at any point
    # (even right after the file is created) finds it in the ``finally`` below
    tmp = target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp"
    try:
        _create_new(tmp)
        yield tmp
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _create_new(path: Path) -> None:
    """Create an empty file that must not exist yet, with the usual permissions (umask)."""
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))


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


# ------------------------------------------------------------------ output sets
@dataclass(frozen=True)
class Output:
    """One file of an all-or-nothing output set (see :func:`write_outputs`).

    Attributes
    ----------
    path : pathlib.Path
        The target file.
    write : callable
        ``write(tmp)`` writes the whole file at ``tmp`` (a path in the target's
        folder whose name ends with the target's name, so its suffix tells the
        format).
    label : str
        What the file is, for messages (``model``, ``audit``...).
    check : callable, optional
        ``check(tmp)`` reads the written file back and raises when it is not
        usable; the set is then not written.
    replace : bool
        Replace an existing target (``--overwrite``, ``--in-place``). Without
        it the target is created exclusively at the end, and a file that
        appeared there during the run makes the whole set fail.
    mode : int, optional
        Permission bits to give the file (e.g. those of the input it replaces).
    """

    path: Path
    write: Callable[[Path], object]
    label: str = "output"
    check: Callable[[Path], object] | None = None
    replace: bool = False
    mode: int | None = None


def _same_file(first: Path, second: Path) -> bool:
    try:
        if first.exists() and second.exists():
            return first.samefile(second)
    except OSError:
        pass
    return first.resolve() == second.resolve()


def check_output_path(
    path: str | os.PathLike[str],
    *,
    label: str = "output",
    inputs: Iterable[str | os.PathLike[str]] = (),
    overwrite: bool = False,
) -> Path:
    """Refuse an output path that cannot or must not be written, before any work.

    Parameters
    ----------
    path : path-like
        The intended output file.
    label : str, optional
        What the file is, for the message.
    inputs : iterable of path-like, optional
        Input files the output must not be (whatever path spelling or link).
    overwrite : bool, optional
        Whether an existing file may be replaced.

    Returns
    -------
    pathlib.Path
        The absolute path.

    Raises
    ------
    cobra_metalign.errors.ModelWriteError
        The path is an input, a directory, an existing file (without
        ``overwrite``), below something that is not a folder, or in a folder
        that cannot be written.
    """
    path = Path(os.path.abspath(Path(path).expanduser()))
    for source in inputs:
        source = Path(source).expanduser()
        if _same_file(path, source):
            raise ModelWriteError(
                f"refusing to write the {label} over the input {source}; choose another path"
            )
    if path.is_dir():
        raise ModelWriteError(f"cannot write the {label} {path}: it is a directory")
    if os.path.lexists(path) and not overwrite:
        raise ModelWriteError(f"{path} already exists; pass --overwrite to replace it")
    folder = path.parent
    while not folder.exists():
        if os.path.lexists(folder):  # a dangling link
            raise ModelWriteError(f"cannot write the {label} {path}: {folder} is a broken link")
        folder = folder.parent
    if not folder.is_dir():
        raise ModelWriteError(f"cannot write the {label} {path}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ModelWriteError(
            f"cannot write the {label} {path}: the folder {folder} is not writable"
        )
    return path


def _temporary_name(path: Path) -> Path:
    """A fresh hidden name beside ``path`` that ends with its name (so with its suffix)."""
    return path.parent / f"{TEMP_PREFIX}{secrets.token_hex(6)}-{path.name}"


def _write_failure(output: Output, tmp: Path, error: BaseException) -> ModelWriteError:
    if isinstance(error, OSError) and not isinstance(error, MetalignError):
        cause = error.strerror or str(error)
        if error.errno == errno.ENOSPC:
            cause = "No space left on device"
    else:
        cause = " ".join(str(error).split()) or type(error).__name__
        if not isinstance(error, MetalignError):
            cause = f"{type(error).__name__}: {cause}"
    cause = cause.replace(str(tmp), str(output.path))
    return ModelWriteError(f"cannot write the {output.label} {output.path}: {cause}")


_NO_LINKS = {errno.EPERM, errno.EXDEV, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP}


def _create_exclusively(tmp: Path, target: Path) -> None:
    """Move ``tmp`` onto ``target``, which must not exist (FileExistsError otherwise)."""
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise
    except OSError as error:
        if error.errno not in _NO_LINKS:
            raise
        # no hard links here: reserve the name, then move over the reservation
        os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        os.replace(tmp, target)
    else:
        tmp.unlink()


class _Transaction:
    """The state of one :func:`write_outputs` call: staged, created and replaced files."""

    def __init__(self, outputs: Sequence[Output]) -> None:
        self.staged: list[tuple[Output, Path]] = []
        self.created: list[Path] = []
        self.replaced: list[tuple[Path, Path | None]] = []
        self.folders: list[Path] = []  # created here: removed again on failure
        for output in outputs:
            folder = Path(output.path).parent
            while not folder.exists() and folder not in self.folders:
                self.folders.append(folder)
                folder = folder.parent

    def stage(self, output: Output) -> None:
        """Write (and check) ``output`` as a hidden temporary file beside its target."""
        tmp = _temporary_name(output.path)
        self.staged.append((output, tmp))  # before the file exists: always cleaned up
        try:
            output.path.parent.mkdir(parents=True, exist_ok=True)
            _create_new(tmp)
            output.write(tmp)
            if output.check is not None:
                output.check(tmp)
            if output.mode is not None:
                os.chmod(tmp, output.mode)
        except Exception as error:
            raise _write_failure(output, tmp, error) from error

    def move(self, output: Output, tmp: Path) -> None:
        """Move a staged file onto its target: replacing it, or creating it exclusively."""
        target = output.path
        if output.replace and os.path.lexists(target):
            aside: Path | None = _temporary_name(target)
            self.replaced.append((target, aside))
            try:
                os.link(target, aside)  # the old file, to put back on failure
            except OSError:
                self.replaced[-1] = (target, None)
            os.replace(tmp, target)
            return
        try:
            _create_exclusively(tmp, target)
        except FileExistsError as error:
            raise ModelWriteError(
                f"{target} appeared while metalign was running; it was not replaced "
                "(nothing was written; pass --overwrite to replace it)"
            ) from error
        except OSError as error:
            raise _write_failure(output, tmp, error) from error
        self.created.append(target)

    def clean_up(self, done: bool) -> None:
        """Remove temporary files; unless ``done``, undo every move and created folder."""
        for _, tmp in self.staged:
            with contextlib.suppress(OSError):
                tmp.unlink()
        if not done:
            self._undo_moves()
        for _, aside in self.replaced:
            if aside is not None:
                with contextlib.suppress(OSError):
                    aside.unlink()
        if not done:
            for folder in sorted(self.folders, key=lambda f: len(f.parts), reverse=True):
                with contextlib.suppress(OSError):
                    folder.rmdir()  # only when empty

    def _undo_moves(self) -> None:
        for target in self.created:
            with contextlib.suppress(OSError):
                target.unlink()
        for target, aside in self.replaced:
            if aside is not None:
                with contextlib.suppress(OSError):
                    os.replace(aside, target)


def write_outputs(outputs: Sequence[Output]) -> list[Path]:
    """Write a set of files all-or-nothing.

    Every file is first written (and checked) as a hidden temporary file
    beside its target. Only when all succeeded are they moved into place, in
    the given order: a target without ``replace`` is created exclusively, a
    target with ``replace`` is replaced atomically. Any failure or interruption
    (an exception, ``KeyboardInterrupt``, ``SystemExit`` from a signal) removes
    every temporary file, removes the targets this call created and puts
    back the ones it replaced.

    Parameters
    ----------
    outputs : sequence of Output

    Returns
    -------
    list of pathlib.Path
        The written targets.

    Raises
    ------
    cobra_metalign.errors.ModelWriteError
        Naming the file that could not be written (or read back) and why,
        e.g. "No space left on device", or the target that appeared during
        the run.
    """
    transaction = _Transaction(outputs)
    done = False
    try:
        for output in outputs:
            transaction.stage(output)
        for output, tmp in transaction.staged:
            transaction.move(output, tmp)
        done = True
        for output in outputs:
            logger.info("Wrote %s: %s", output.label, output.path)
    finally:
        transaction.clean_up(done)
    return [output.path for output in outputs]
