"""The ``metalign`` command line: a thin click layer over the library (entry point :func:`run`)."""

from cobra_metalign.cli.app import main, run

__all__ = ["main", "run"]
