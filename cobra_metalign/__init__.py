"""cobra_metalign: align metabolite identifiers of genome-scale models to BiGG.

A COBRApy plugin. Heavy dependencies (torch, transformers) are imported only when
a name actually needs the encoder.
"""

from __future__ import annotations

import logging

from cobra_metalign._version import __version__

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = ["__version__"]
