"""Exceptions raised by cobra_metalign.

Every error a user can cause with bad input derives from :class:`MetalignError`;
the CLI turns them into one clear message and a non-zero exit code
(:data:`EXIT_BAD_INPUT`). Usage errors (wrong options) exit with
:data:`EXIT_USAGE`, as click does.
"""

from __future__ import annotations

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_USAGE",
    "MetalignError",
    "ModelReadError",
    "ModelWriteError",
    "CatalogError",
    "DownloadError",
    "EncoderError",
    "AuditError",
]

#: Exit code for input the tool cannot use (unreadable model, bad audit...).
EXIT_BAD_INPUT = 1
#: Exit code for wrong command-line usage (click's own convention).
EXIT_USAGE = 2


class MetalignError(Exception):
    """Base class of every error cobra_metalign raises on bad input."""


class ModelReadError(MetalignError):
    """A model file could not be read; the message names the file and the cause."""


class ModelWriteError(MetalignError):
    """A model could not be written."""


class CatalogError(MetalignError):
    """A BiGG catalogue file is missing, corrupted or of an unknown format."""


class DownloadError(CatalogError):
    """Downloading the BiGG bulk file failed (HTTP error, stall, truncated or wrong content)."""


class EncoderError(MetalignError):
    """An encoder or adapter could not be loaded (missing, wrong checksum, unsafe format)."""


class AuditError(MetalignError):
    """An audit table does not fit its model or has invalid content."""
