"""Matching metabolites to BiGG: evidence from ids, cross-references, chemistry and names; the decision."""
