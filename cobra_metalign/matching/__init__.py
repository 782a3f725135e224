"""Matching metabolites to BiGG: evidence from ids, cross-references, chemistry and names; the decision.

:func:`match` and :class:`Matcher` live in :mod:`cobra_metalign.matching.matcher`.
"""

from cobra_metalign.matching.matcher import Matcher, match

__all__ = ["Matcher", "match"]
