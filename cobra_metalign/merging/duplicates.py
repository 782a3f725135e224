"""Count the duplicate metabolites a merged model still holds, and say why each stayed.

The detector is deliberately simple and independent of the matcher, so that it
can check the matcher's work: two metabolites of one compartment are in one group
when they share a single-valued ``bigg.metabolite``, ``inchikey``,
``metanetx.chemical`` or ``seed.compound`` annotation, or the same name (compartment
tag removed, lower case, letters and digits only) and the same heavy-atom formula
(hydrogens set aside). Groups are the connected components of these links.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

import cobra
import pandas as pd
from scipy.cluster.hierarchy import DisjointSet

from cobra_metalign.chem import (
    compare_formulas,
    distinguishing_clash,
    parse_formula,
    specificity_difference,
)
from cobra_metalign.compartments import clean_name
from cobra_metalign.merging.metabolite_join import descriptor_difference

__all__ = ["DUPLICATE_COLUMNS", "DUPLICATE_NAMESPACES", "duplicate_groups"]

#: Annotations whose single shared value links two metabolites.
DUPLICATE_NAMESPACES = ("bigg.metabolite", "inchikey", "metanetx.chemical", "seed.compound")
#: Columns of the duplicate table.
DUPLICATE_COLUMNS = (
    "group",
    "compartment",
    "size",
    "members",
    "names",
    "formulas",
    "links",
    "reason",
)

_NON_ALNUM = re.compile(r"[^a-z0-9]")


def _single(value) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, Iterable):
        values = [str(v).strip() for v in value if str(v).strip()]
        return values[0] if len(values) == 1 else None
    return None


def name_key(name: str | None, compartment: str | None = None) -> str:
    """Lower-case letters and digits of a name without its compartment tag."""
    return _NON_ALNUM.sub("", clean_name(name or "", compartment).lower())


def heavy_formula(formula: str | None) -> str:
    """The formula without hydrogens, elements sorted (``""`` when unknown)."""
    counts = parse_formula(formula) if formula else None
    if not counts:
        return ""
    return "".join(f"{el}{n}" for el, n in sorted(counts.items()) if el != "H")


def _links(met: cobra.Metabolite) -> list[tuple[str, str]]:
    links = []
    for namespace in DUPLICATE_NAMESPACES:
        value = _single(met.annotation.get(namespace))
        if value:
            links.append((namespace, value))
    key, heavy = name_key(met.name, met.compartment), heavy_formula(met.formula)
    if key and heavy:
        links.append(("name+formula", f"{key}|{heavy}"))
    return links


def duplicate_groups(model: cobra.Model, reasons: pd.DataFrame | None = None) -> pd.DataFrame:
    """Groups of metabolites of ``model`` that look like one compound in one compartment.

    Parameters
    ----------
    model : cobra.Model
        A merged model.
    reasons : pandas.DataFrame, optional
        The join table of :func:`cobra_metalign.merging.metabolite_join.join_metabolites`;
        the reason a pair was not joined is looked up by the members' ids in the
        merged model (``merged_id``/``other_merged_id``).

    Returns
    -------
    pandas.DataFrame
        One row per group of two or more (columns :data:`DUPLICATE_COLUMNS`);
        ``reason`` says why the group was not joined.
    """
    sets = DisjointSet(met.id for met in model.metabolites)
    first: dict[tuple, str] = {}
    shared: dict[str, set[str]] = defaultdict(set)
    for met in model.metabolites:
        for namespace, value in _links(met):
            key = (met.compartment, namespace, value)
            if key in first:
                sets.merge(met.id, first[key])
                shared[met.id].add(f"{namespace}={value}")
                shared[first[key]].add(f"{namespace}={value}")
            else:
                first[key] = met.id
    members: dict[str, list[str]] = defaultdict(list)
    for met in model.metabolites:
        members[sets[met.id]].append(met.id)
    why = _pair_reasons(reasons)
    rows = []
    for ids in members.values():
        if len(ids) < 2:
            continue
        ids = sorted(ids)
        mets = [model.metabolites.get_by_id(i) for i in ids]
        links = sorted({link for i in ids for link in shared[i]})
        rows.append(
            [
                0,
                mets[0].compartment,
                len(ids),
                "; ".join(ids),
                "; ".join(str(m.name) for m in mets),
                "; ".join(str(m.formula or "?") for m in mets),
                "; ".join(links),
                _group_reason(mets, why),
            ]
        )
    frame = pd.DataFrame(rows, columns=list(DUPLICATE_COLUMNS))
    frame = frame.sort_values(["compartment", "members"]).reset_index(drop=True)
    frame["group"] = range(1, len(frame) + 1)
    return frame


def _pair_reasons(reasons: pd.DataFrame | None) -> dict[frozenset, str]:
    result: dict[frozenset, str] = {}
    if reasons is None or not len(reasons):
        return result
    rejected = reasons[reasons["verdict"] != "joined"]
    first = rejected["merged_id"] if "merged_id" in rejected else rejected["metabolite_id"]
    second = rejected["other_merged_id"] if "other_merged_id" in rejected else rejected["other_id"]
    for a, b, reason in zip(first, second, rejected["reason"], strict=True):
        result.setdefault(frozenset((a, b)), str(reason))
    return result


def _sources(met: cobra.Metabolite) -> list[str]:
    text = str(met.notes.get("metalign_sources", ""))
    return [s.split(":", 1)[0] for s in text.split("; ") if s]


def _group_reason(mets: list[cobra.Metabolite], why: dict[frozenset, str]) -> str:
    found = []
    for i, a in enumerate(mets):
        for b in mets[i + 1 :]:
            reason = why.get(frozenset((a.id, b.id)))
            if reason:
                found.append(f"{a.id}/{b.id}: {reason}")
    if found:
        return "; ".join(dict.fromkeys(found))
    models = [set(_sources(m)) for m in mets]
    if all(len(s) == 1 for s in models) and len(set().union(*models)) == 1:
        told = [
            f"{a.id}/{b.id}: {difference}"
            for i, a in enumerate(mets)
            for b in mets[i + 1 :]
            if (difference := _chemistry_difference(a, b))
        ]
        model = next(iter(models[0]))
        if told:
            return f"all from one model ({model}), which keeps them apart; " + "; ".join(told)
        return f"all from one model ({model}): left to its alignment's review"
    return "no evidence strong enough under the guards"


def _chemistry_difference(a: cobra.Metabolite, b: cobra.Metabolite) -> str:
    """What tells two metabolites apart by formula and name ("" when nothing does)."""
    formulas = compare_formulas(a.formula, b.formula, a.charge, b.charge)
    if formulas not in ("equal", "ok", "missing"):
        return f"formula {formulas}: {a.formula} ({a.charge}) vs {b.formula} ({b.charge})"
    first, second = clean_name(a.name or "", a.compartment), clean_name(b.name or "", b.compartment)
    if not first or not second:
        return ""
    clash = distinguishing_clash(first, second)
    if clash:
        return "names clash: " + ", ".join(clash)
    specific = specificity_difference(first, second)
    if specific:
        return "generic vs specific: " + ", ".join(specific)
    words = descriptor_difference(first, second)
    return "stereo/anomer words in one name only: " + ", ".join(sorted(words)) if words else ""
