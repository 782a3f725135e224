"""Reading and writing models: SBML (with its safety checks), JSON, YAML, MAT; the metabolite table.

The public functions live in :mod:`cobra_metalign.io.model` and are importable from here.
"""

from cobra_metalign.io.model import (
    FORMATS,
    format_of,
    metabolite_table,
    model_stem,
    read_model,
    read_model_document,
    validate,
    write_model,
)

__all__ = [
    "FORMATS",
    "format_of",
    "metabolite_table",
    "model_stem",
    "read_model",
    "read_model_document",
    "validate",
    "write_model",
]
