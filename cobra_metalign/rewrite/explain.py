"""The audit's comments on rows a curator must decide: conflicts and boundary copies.

The matcher's ``evidence`` column lists what points to the proposed BiGG id
(``name=exact; xref:chebi=CHEBI:28938; formula=mismatch``) and, when other evidence
points elsewhere, ``conflict:nh4`` (other candidates named by an id, a
cross-reference or an InChIKey strong on its own) or ``conflict:formula`` (the
proposal's formula disagrees with the model's). :func:`conflict_comment` turns that
into one sentence a curator can act on; :func:`boundary_comment` says what a
boundary copy (``X_b``) is and why it is left as it is.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["evidence_items", "describe_evidence", "conflict_comment", "boundary_comment"]

#: One rival of a ``conflict:`` item: its id, and its own evidence in parentheses if given.
_RIVAL = re.compile(r"([^,()]+)(?:\(([^()]*)\))?")
#: Evidence labels that name a compound by themselves, and how the comment words them.
_PLAIN = {
    "id=exact": "the id",
    "name=exact": "the name",
    "name=id": "the name, spelled as the BiGG id",
    "inchikey=full": "the InChIKey",
}


def evidence_items(evidence: Any) -> list[str]:
    """The items of an ``evidence`` text (``"a; b"`` -> ``["a", "b"]``)."""
    return [item.strip() for item in str(evidence or "").split(";") if item.strip()]


def describe_evidence(item: str) -> str:
    """The words for one piece of hard evidence ("" for soft or guard items).

    Examples
    --------
    >>> describe_evidence("xref:chebi=CHEBI:28938")
    'cross-reference chebi:CHEBI:28938'
    >>> describe_evidence("idxref:seed.compound=cpd00013")
    'the id (seed.compound cpd00013)'
    >>> describe_evidence("id=old:glc_DASH_D"), describe_evidence("tfidf=0.91")
    ('the id (old BiGG id glc_DASH_D)', '')
    """
    if item in _PLAIN:
        return _PLAIN[item]
    kind, _, rest = item.partition(":")
    if kind == "xref":
        namespace, _, value = rest.partition("=")
        return f"cross-reference {namespace}:{value}" if value else f"cross-reference {rest}"
    if kind == "idxref":
        namespace, _, value = rest.partition("=")
        return f"the id ({namespace} {value})" if value else "the id"
    if item.startswith("id=old:"):
        return f"the id (old BiGG id {item[len('id=old:') :]})"
    if item.startswith("id=variant:"):
        return f"the id (read as {item[len('id=variant:') :]})"
    return ""


def _scores(candidates: Any) -> dict[str, str]:
    """``"nh3:0.98; nh4:0.98"`` -> ``{"nh3": "0.98", "nh4": "0.98"}``."""
    found = {}
    for item in evidence_items(candidates):
        bigg_id, _, score = item.rpartition(":")
        if bigg_id:
            found[bigg_id] = score
    return found


def _chemistry(formula: Any, charge: Any) -> str:
    formula = str(formula or "").strip()
    charge = str(charge if charge is not None else "").strip()
    if not formula:
        return "no formula in the model" + (f" (charge {charge})" if charge else "")
    return f"model formula {formula}" + (f", charge {charge}" if charge else "")


def conflict_comment(
    bigg_id: str, evidence: Any, candidates: Any, formula: Any = "", charge: Any = ""
) -> str:
    """Which candidates disagree and on what evidence ("" when the evidence names no conflict).

    Parameters
    ----------
    bigg_id : str
        The proposed BiGG id (the best candidate).
    evidence : str
        The matcher's ``evidence`` of the proposal.
    candidates : str
        The ``candidates`` column (``id:score; ...``).
    formula, charge : optional
        The model metabolite's formula and charge.

    Returns
    -------
    str

    Examples
    --------
    >>> conflict_comment("co2", "name=exact; conflict:cobalt2", "co2:0.90; cobalt2:0.90", "", 2)
    'conflict: the name names co2; an id, cross-reference or InChIKey names cobalt2 (0.90); no formula in the model (charge 2)'
    >>> conflict_comment("nh3", "xref:chebi=CHEBI:16134; formula=mismatch; conflict:formula",
    ...                  "nh3:0.70", "H4N", 1)
    'conflict: cross-reference chebi:CHEBI:16134 names nh3, but its formula differs from the model formula H4N, charge 1'
    """
    items = evidence_items(evidence)
    rivals: list[str] = []
    formula_conflict = False
    why: dict[str, str] = {}
    for item in items:
        if item.startswith("conflict:"):
            # ``conflict:nh4,nh3`` or, with the rivals' evidence, ``conflict:nh4(xref:chebi=...)``
            for other, evidence_of_other in _RIVAL.findall(item[len("conflict:") :]):
                other = other.strip()
                if other == "formula":
                    formula_conflict = True
                elif other:
                    rivals.append(other)
                    words = [describe_evidence(e) for e in evidence_items(evidence_of_other)]
                    why[other] = " and ".join(w for w in words if w)
    if not rivals and not formula_conflict:
        return ""
    named = [text for text in map(describe_evidence, items) if text]
    by = " and ".join(dict.fromkeys(named)) or "the best-scoring evidence"
    parts = [f"conflict: {by} names {bigg_id or 'a candidate'}"]
    scores = _scores(candidates)
    for other in rivals:
        score = f" ({scores[other]})" if other in scores else ""
        by_other = why.get(other) or "an id, cross-reference or InChIKey"
        parts.append(f"{by_other} names {other}{score}")
    mismatch = formula_conflict or "formula=mismatch" in items
    if mismatch:
        parts[0] += f", but its formula differs from the {_chemistry(formula, charge)}"
        return "; ".join(parts)
    parts.append(_chemistry(formula, charge))
    return "; ".join(parts)


def boundary_comment(bounded: str | None, merged_into: str | None, target: str = "") -> str:
    """The comment of a boundary copy (``X_b``) left as it is.

    Parameters
    ----------
    bounded : str or None
        The model's metabolite it is the boundary copy of (None when none is found).
    merged_into : str or None
        The metabolite accepting the row would merge it into (None when none would be).
    target : str, optional
        The id accepting the row would give it.

    Returns
    -------
    str

    Examples
    --------
    >>> boundary_comment("ac_e", "ac_e", "ac_e")
    'boundary copy of ac_e: leave as is (accepting it would merge it into ac_e and empty the exchange)'
    >>> boundary_comment("cpd15302_c0", "cpd00155_c0", "glycogen_c0")
    'boundary copy of cpd15302_c0: leave as is (accepting it would merge it into cpd00155_c0)'
    >>> boundary_comment(None, None, "orn_e")
    'boundary copy, no orn_e in the model: leave as is (accepting renames it)'
    """
    what = f"boundary copy of {bounded}" if bounded else "boundary copy"
    if merged_into and merged_into == bounded:
        return (
            f"{what}: leave as is (accepting it would merge it into {merged_into} and empty "
            "the exchange)"
        )
    if merged_into:
        return f"{what}: leave as is (accepting it would merge it into {merged_into})"
    if target:
        return f"{what}, no {target} in the model: leave as is (accepting renames it)"
    return f"{what}: leave as is"
