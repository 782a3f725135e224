"""cobra_metalign: align metabolite identifiers of genome-scale models to BiGG.

A COBRApy plugin. ``match`` maps every metabolite to a universal BiGG id with
evidence; ``align`` applies the accepted mappings (renames, annotations, merges of
duplicates) to a copy of the model and returns it with an audit table;
``premerge`` brings several models into one namespace before merging them.

Heavy dependencies are imported only when used: ``import cobra_metalign`` loads
neither cobra, pandas, torch nor transformers.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from cobra_metalign._version import __version__

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "__version__",
    "match",
    "align",
    "premerge",
    "merge_models",
    "load_catalog",
    "read_model",
    "write_model",
    "AlignmentResult",
]

_LAZY = {
    "match": "cobra_metalign.matching.matcher",
    "align": "cobra_metalign.alignment",
    "premerge": "cobra_metalign.alignment",
    "merge_models": "cobra_metalign.alignment",
    "AlignmentResult": "cobra_metalign.alignment",
    "load_catalog": "cobra_metalign.catalog.store",
    "read_model": "cobra_metalign.io.model",
    "write_model": "cobra_metalign.io.model",
}


def __getattr__(name: str) -> Any:
    """Import public functions on first use (PEP 562)."""
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'cobra_metalign' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
