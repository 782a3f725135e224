"""The ``metalign`` command line: a thin click layer over the library (entry point :func:`main`)."""

from cobra_metalign.cli.app import main

__all__ = ["main"]
