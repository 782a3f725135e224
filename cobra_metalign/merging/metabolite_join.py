"""Join the same compound across aligned template models, BiGG id or not.

After each model is aligned (:func:`cobra_metalign.alignment.align`), compounds
with an applied BiGG id share one id in every model. The others (``REVIEW``,
``CONFLICT``, ``UNMATCHED``) keep their own ids, so a merge would duplicate them.
:func:`join_metabolites` matches them across models by the same kinds of evidence
as the single-model path and under the same guards:

Evidence (same compartment, different models, at least one side without an
applied BiGG id):

1. ``inchikey``: a full InChIKey in common;
2. ``xref``: a ``metanetx.chemical``, ``seed.compound``, ``kegg.compound`` or
   ``bigg.metabolite`` value in common (ids such as ``cpd00027`` count as their
   own cross-reference);
3. ``name``: the same normalized name (:func:`cobra_metalign.normalize.normalize_name`)
   with both formulas known.

Guards (every one must hold; the pair is reported with the reason otherwise):

- formulas equal, or differing only by hydrogens explained by the charge
  (:func:`cobra_metalign.chem.compare_formulas` ``equal``/``ok``); a missing
  formula is tolerated only for identifier evidence (1, 2);
- no distinguishing clash between the names (stereo, numbers, chains...);
- no generic-vs-specific difference, unless the full InChIKeys agree (the key
  encodes stereo);
- never two metabolites of one model in one group, never two different applied
  BiGG ids in one group (but see the twin rule below);
- two metabolites of one model end in one group only as two copies of a compound
  (:func:`own_model_difference`: no other InChIKey, formula, stereo or specificity), so
  evidence from another model never merges a model's ``Galactose`` with its own
  ``alpha-D-Galactose``.

Three more rules work on compounds the models did map (``species`` and ``catalog`` need
the catalogue; ``twin`` uses it when given):

- ``species``: a metabolite mapped to one BiGG id whose own formula and charge are
  exactly another id's catalogue formula and charge and not its own id's, while another
  model maps the same source id (``cpd00013`` in two ModelSEED-namespace models) to
  that other id, moves to it (gapseq's ``cpd00013`` "NH3" with H4N, +1 is ammonium);
- ``twin``: two BiGG ids that BiGG itself lists twice for one compound (``melib`` and
  ``6dg``, ``benzcoa`` and ``bzcoa``, ``gly_gln`` and ``gly_gln__L``), chosen differently
  by different models, become one: the models wrote the same name, the heavy-atom
  formulas agree, and no guard speaks against it (:func:`twin_verdict`);
- ``catalog``: a metabolite left for review with a proposed BiGG id joins a metabolite
  mapped to that id (in another model or its own) when the catalogue lists its name
  for that id (or its name is one of its own identifiers), its full InChIKey is one of
  the id's keys, its formula and charge are the catalogue's, and it is a copy of
  that metabolite and of every metabolite its own model mapped there: same full
  InChIKey, formula, charge and MetaNetX id, names that neither clash nor differ in
  specificity (gapseq's ``cpd16736`` named "C04051" next to its own ``cpd02506``).

Members of a group are renamed, in their aligned copies, to the id of the group's
member with a BiGG id, else to the id of the member of the first model.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd
from scipy.cluster.hierarchy import DisjointSet

from cobra_metalign.annotations import id_as_xref, normalize_annotation
from cobra_metalign.chem import (
    compare_formulas,
    distinguishing_clash,
    inchikey_blocks,
    parse_charge,
    parse_formula,
    specificity_difference,
)
from cobra_metalign.compartments import clean_name, split_id
from cobra_metalign.normalize import normalize_name

logger = logging.getLogger(__name__)

__all__ = [
    "DESCRIPTOR_WORDS",
    "JOIN_COLUMNS",
    "JOIN_NAMESPACES",
    "MetaboliteRecord",
    "bigg_twins",
    "copy_difference",
    "descriptor_difference",
    "join_metabolites",
    "own_model_difference",
    "reassign_species",
    "records_of",
    "source_ids",
    "twin_verdict",
    "veto_formula_merges",
]

#: Namespaces whose shared value is identifier evidence.
JOIN_NAMESPACES = (
    "inchikey",
    "metanetx.chemical",
    "seed.compound",
    "kegg.compound",
    "bigg.metabolite",
)

#: Columns of the join table (one row per pair considered).
JOIN_COLUMNS = (
    "model",
    "metabolite_id",
    "other_model",
    "other_id",
    "compartment",
    "evidence",
    "verdict",
    "reason",
    "merged_id",
    "other_merged_id",
)

_STRENGTH = {"inchikey": 0, "xref": 1, "name": 2, "catalog": 3, "proposal": 4}
#: Evidence kinds in the join table: ``bigg`` (same applied id), ``inchikey``, ``xref``,
#: ``name``, ``proposal`` (the matcher proposed, unapplied, the BiGG id another model
#: applied, and the names agree), ``compound`` (the same pair joined in another compartment),
#: ``catalog`` (the catalogue lists the name, InChIKey and formula for the proposed id),
#: ``twin`` (two BiGG ids of one compound), ``species`` (moved to the id its formula fits).
_FORMULA_OK = ("equal", "ok")


@dataclass
class MetaboliteRecord:
    """What the join knows of one metabolite of one aligned model."""

    model: str
    met_id: str
    compartment: str
    name: str
    formula: str
    charge: object
    bigg_id: str  # the applied compound (smallest equivalent BiGG id), "" when unmapped
    base_id: str = ""
    xrefs: set[tuple[str, str]] = field(default_factory=set)

    @property
    def key(self) -> tuple[str, str]:
        return self.model, self.met_id


def records_of(model_name: str, model, mapped: Mapping[str, str]) -> list[MetaboliteRecord]:
    """One record per metabolite of an aligned model.

    Parameters
    ----------
    model_name : str
    model : cobra.Model
        An aligned copy.
    mapped : mapping
        ``{metabolite id in the aligned model: applied BiGG id}``.
    """
    records = []
    compartments = list(model.compartments)
    for met in model.metabolites:
        xrefs = {
            pair for pair in normalize_annotation(met.annotation) if pair[0] in JOIN_NAMESPACES
        }
        base, _ = split_id(met.id, met.compartment, compartments)
        own = id_as_xref(base)
        if own is not None and own[0] in JOIN_NAMESPACES:
            xrefs.add(own)
        records.append(
            MetaboliteRecord(
                model=model_name,
                met_id=met.id,
                compartment=str(met.compartment or ""),
                name=clean_name(met.name or "", met.compartment),
                formula=str(met.formula or ""),
                charge=met.charge,
                bigg_id=mapped.get(met.id, ""),
                base_id=base,
                xrefs=xrefs,
            )
        )
    return records


def _verdict(a: MetaboliteRecord, b: MetaboliteRecord, kind: str) -> str:
    """``""`` when the pair may be joined, else the reason it may not."""
    if a.bigg_id and b.bigg_id:
        return f"different BiGG ids {a.bigg_id} and {b.bigg_id}"
    formulas = compare_formulas(a.formula, b.formula, a.charge, b.charge)
    if formulas == "missing" and kind in ("name", "catalog"):
        return "formula missing"
    if formulas not in (*_FORMULA_OK, "missing"):
        return f"formula {formulas}: {a.formula or '?'} vs {b.formula or '?'}"
    if kind == "catalog":
        # The catalogue lists this name for the id, and the full InChIKey (stereo
        # included) and formula fit it: the names differ in wording, not in compound.
        return ""
    if a.name and b.name:
        clash = distinguishing_clash(a.name, b.name)
        if clash:
            return "names clash: " + ", ".join(clash)
        if kind != "inchikey":
            specific = specificity_difference(a.name, b.name)
            if specific:
                return "generic vs specific: " + ", ".join(specific)
    return ""


def _merge_into(model, met_id: str, target_id: str) -> None:
    """Rewire every reaction of ``met_id`` onto ``target_id`` (coefficients summed), drop it."""
    met = model.metabolites.get_by_id(met_id)
    target = model.metabolites.get_by_id(target_id)
    for reaction in list(met.reactions):
        coefficient = reaction.metabolites[met]
        reaction.add_metabolites({target: coefficient, met: -coefficient})
    notes = [n for n in str(target.notes.get("metalign_joined_from", "")).split(",") if n]
    target.notes = {**target.notes, "metalign_joined_from": ",".join([*notes, met_id])}
    target.annotation = _union(dict(target.annotation), met.annotation)
    model.remove_metabolites([met])
    logger.info(
        "Merged %s into %s in %s (same compound in another model)", met_id, target_id, model.id
    )


def _union(base: dict, other) -> dict:
    for key, value in other.items():
        if key == "sbo":
            continue
        values = [value] if isinstance(value, str) else list(value)
        current = base.get(key)
        current = (
            [] if current is None else [current] if isinstance(current, str) else list(current)
        )
        new = current + [v for v in values if v not in current]
        base[key] = new[0] if len(new) == 1 else new
    return base


def _specific(formula: str) -> bool:
    return bool(formula) and not any(symbol in formula for symbol in ("R", "X"))


def _heavy(formula: str) -> tuple:
    counts = parse_formula(formula) or {}
    return tuple(sorted((k, v) for k, v in counts.items() if k != "H"))


def _fits(formula: str, charge, catalogue_formulas) -> bool:
    return any(
        compare_formulas(formula, known, charge, None) not in ("mismatch",)
        for known in catalogue_formulas
    )


def veto_formula_merges(
    model, matches: pd.DataFrame, catalog=None, model_name: str | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """Demote to ``review`` accepted matches that would merge different heavy-atom formulas.

    Within one compartment, metabolites accepted to one BiGG id are merged by the
    rewrite. When their formulas (specific ones: no ``R``/``X``) differ in atoms
    other than hydrogen (gapseq's Maltodextrin C24H42O21 and Amylose C30H52O26 both
    proposed as ``14glun``), the ones whose formula fits none of the catalogue's
    formulas for that id are demoted; when the catalogue cannot tell, all but the
    first are.

    Parameters
    ----------
    model : cobra.Model
    matches : pandas.DataFrame
        The matcher's frame (indexed by metabolite id).
    catalog : Catalog, optional
    model_name : str, optional
        How the log names the model (default its id).

    Returns
    -------
    (pandas.DataFrame, list of str)
        A corrected copy of ``matches`` and the ids demoted.
    """
    frame = matches.copy()
    if not len(frame) or "decision" not in frame.columns:
        return frame, []
    if "metabolite_id" in frame.columns:
        frame = frame.set_index("metabolite_id")
    formulas = {
        met.id: (str(met.formula or ""), met.charge, met.compartment) for met in model.metabolites
    }
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for met_id, row in frame.iterrows():
        if row["decision"] == "accept" and row["bigg_id"] and met_id in formulas:
            groups[(formulas[met_id][2], str(row["bigg_id"]))].append(str(met_id))
    demoted: list[str] = []
    for (_, bigg_id), ids in groups.items():
        specific = [i for i in ids if _specific(formulas[i][0])]
        heavy = {_heavy(formulas[i][0]) for i in specific}
        if len(ids) < 2 or len(heavy) < 2:
            continue
        entry = catalog.get(bigg_id) if catalog is not None else None
        known = tuple(getattr(entry, "formulas", ()) or ())
        fitting = [i for i in specific if known and _fits(formulas[i][0], formulas[i][1], known)]
        reference = {_heavy(formulas[i][0]) for i in fitting}
        if len(reference) != 1:  # the catalogue cannot tell: keep the first formula only
            reference = {_heavy(formulas[specific[0]][0])}
        for met_id in specific:
            if _heavy(formulas[met_id][0]) in reference:
                continue
            demoted.append(met_id)
            frame.loc[met_id, "decision"] = "review"
            logger.warning(
                "Not merging %s (%s) into %s of %s: other heavy-atom formula",
                met_id,
                formulas[met_id][0],
                bigg_id,
                model_name or model.id,
            )
    return frame, demoted


def _heavy_clash(a: MetaboliteRecord, b: MetaboliteRecord) -> bool:
    """Both formulas specific and different once hydrogens are set aside."""
    return _specific(a.formula) and _specific(b.formula) and _heavy(a.formula) != _heavy(b.formula)


def _row(a: MetaboliteRecord, b: MetaboliteRecord, evidence: str, reason: str) -> list:
    return [a.model, a.met_id, b.model, b.met_id, b.compartment, evidence, reason]


def own_model_difference(first: MetaboliteRecord, second: MetaboliteRecord) -> str:
    """``""`` when two metabolites of one model may be one compound, else why not.

    A model that holds a compound twice (gapseq's ``cpd00108`` and ``cpd01112``,
    both "Galactose") may have them joined; one that holds a generic and a
    specific form (``Galactose`` and ``alpha-D-Galactose``), two stereo forms or
    two InChIKeys keeps them apart: full InChIKeys, when both are given, share a
    key; formulas are equal or differ by the charge's hydrogens; the names neither
    clash nor differ in specificity or stereo/anomer words (a name that is one of
    the metabolite's own identifiers, gapseq's "C04051", is not compared).
    """
    keys, other_keys = _full_keys(first), _full_keys(second)
    if keys and other_keys and not keys & other_keys:
        return "InChIKeys differ"
    formulas = compare_formulas(first.formula, second.formula, first.charge, second.charge)
    if formulas not in (*_FORMULA_OK, "missing"):
        return f"formula {formulas}: {first.formula or '?'} vs {second.formula or '?'}"
    if not first.name or not second.name:
        return ""
    if _name_is_identifier(first) or _name_is_identifier(second):
        return ""
    # Multiplier counts are left to the formula check ("Dimethylsulfide" is no clash
    # with "Dimethyl sulfide", and a real one changes the heavy atoms).
    clash = [c for c in distinguishing_clash(first.name, second.name) if not c.startswith("mult")]
    if clash:
        return "names clash: " + ", ".join(clash)
    specific = specificity_difference(first.name, second.name)
    if specific:
        return "generic vs specific: " + ", ".join(specific)
    words = descriptor_difference(first.name, second.name)
    if words:
        return "stereo/anomer words in one name only: " + ", ".join(sorted(words))
    return ""


class _Groups:
    """Groups of records (scipy's DisjointSet) that keep one member per model and one BiGG id."""

    def __init__(self, records: list[MetaboliteRecord]) -> None:
        self.sets = DisjointSet(r.key for r in records)
        #: members of each group, in the order they joined, by the group's root
        self.members = {r.key: [r] for r in records}

    def find(self, key):
        return self.sets[key]

    def union(self, a: MetaboliteRecord, b: MetaboliteRecord, checked: bool = True) -> str:
        ra, rb = self.sets[a.key], self.sets[b.key]
        if ra == rb:
            return ""
        left, right = self.members[ra], self.members[rb]
        if checked:
            for label, side in (("unmapped", False), ("mapped", True)):
                found = [r.model for r in left + right if bool(r.bigg_id) is side]
                twice = sorted({m for m in found if found.count(m) > 1})
                if twice:
                    return f"would join two {label} metabolites of " + ", ".join(twice)
            biggs = {r.bigg_id for r in left + right if r.bigg_id}
            if len(biggs) > 1:
                return "would join different BiGG ids " + ", ".join(sorted(biggs))
            # Transitively too: never two specific formulas with other heavy atoms.
            formulas = {r.formula for r in left + right if _specific(r.formula)}
            if len({_heavy(f) for f in formulas}) > 1:
                return "would join different heavy-atom formulas " + ", ".join(sorted(formulas))
            # Two metabolites one model keeps apart join only as two copies of one compound.
            for first in left:
                for second in right:
                    if first.model != second.model:
                        continue
                    differ = own_model_difference(first, second)
                    if differ:
                        return (
                            f"would join {first.met_id} ({first.name or '?'}) and "
                            f"{second.met_id} ({second.name or '?'}) of {first.model}: {differ}"
                        )
        self.sets.merge(ra, rb)
        del self.members[ra], self.members[rb]
        self.members[self.sets[ra]] = left + right
        return ""


def _candidate_pairs(records: list[MetaboliteRecord]):
    """Pairs of records of different models sharing evidence: {(a, b): (kind, label)}."""
    index: dict[tuple, list[MetaboliteRecord]] = defaultdict(list)
    for record in records:
        for namespace, value in record.xrefs:
            kind = "inchikey" if namespace == "inchikey" else "xref"
            index[(record.compartment, kind, f"{namespace}={value}")].append(record)
        key = normalize_name(record.name) if record.name else ""
        if key and record.formula:
            index[(record.compartment, "name", key)].append(record)
    pairs: dict[tuple, tuple[str, str]] = {}
    for (_, kind, label), members in index.items():
        if len(members) < 2 or len(members) > 50:
            continue
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if a.model == b.model or (a.bigg_id and a.bigg_id == b.bigg_id):
                    continue
                pair = (a.key, b.key) if a.key < b.key else (b.key, a.key)
                best = pairs.get(pair)
                if best is None or _STRENGTH[kind] < _STRENGTH[best[0]]:
                    pairs[pair] = (kind, label)
    return pairs


_ID_STEREO = re.compile(r"__([A-Za-z]+)$")
_SOURCE_SUFFIX = re.compile(r"(?:_[A-Za-z]{1,2}\d?|\[[A-Za-z0-9_]+\])$")


def _full_keys(record: MetaboliteRecord) -> set[str]:
    return {v for ns, v in record.xrefs if ns == "inchikey" and inchikey_blocks(v) is not None}


def _catalog_keys(entry) -> set[str]:
    return set((getattr(entry, "xrefs", None) or {}).get("inchikey", ()))


def _fits_exactly(formula: str, charge, entry) -> bool:
    """``formula`` and ``charge`` are one of the catalogue entry's (element counts, charge)."""
    if entry is None or not formula or not entry.formulas:
        return False
    same = any(compare_formulas(formula, known) == "equal" for known in entry.formulas)
    if not same:
        return False
    charge = parse_charge(charge)
    return not entry.charges or (charge is not None and charge in entry.charges)


#: Name words that tell stereoisomers, anomers and isomers apart; a name with one that the
#: other lacks may be the specific form of a generic one (``N-Acetyl-beta-neuraminate`` and
#: ``Neu5Ac``), whatever :func:`cobra_metalign.chem.specificity_difference` makes of it.
DESCRIPTOR_WORDS = frozenset(
    {"alpha", "beta", "cis", "trans", "l", "d", "r", "s", "e", "z", "meso", "\u03b1", "\u03b2"}
)
_WORD = re.compile(r"[^\s\-_(),\[\]{}:;/+'.]+")


def descriptor_difference(first: str, second: str) -> set[str]:
    """Stereo/anomer words (:data:`DESCRIPTOR_WORDS`) in one name and not the other."""
    words = [
        {w for w in _WORD.findall(str(name or "").lower()) if w in DESCRIPTOR_WORDS}
        for name in (first, second)
    ]
    return words[0] ^ words[1]


def _name_is_identifier(record: MetaboliteRecord) -> bool:
    """The record's name is one of its own cross-reference values (gapseq's "C04051")."""
    name = record.name.strip().lower()
    return bool(name) and any(value.lower() == name for _, value in record.xrefs)


def _catalogue_vouches(record: MetaboliteRecord, bigg_id: str, catalog) -> bool:
    """The catalogue lists the record's name (or it is an id), a full InChIKey and its formula."""
    entry = catalog.get(bigg_id) if catalog is not None else None
    if entry is None or not record.name:
        return False
    named = _name_is_identifier(record) or bigg_id in catalog.by_name(normalize_name(record.name))
    return (
        named
        and bool(_full_keys(record) & _catalog_keys(entry))
        and _fits_exactly(record.formula, record.charge, entry)
    )


def copy_difference(record: MetaboliteRecord, other: MetaboliteRecord) -> str:
    """``""`` when two records are copies of one compound, else what tells them apart.

    Both must have a full InChIKey and they must be equal; formulas equal element for
    element and charges known and equal; ``metanetx.chemical`` equal when both have
    one; the names neither clash (unless the record's name is one of its own
    identifiers) nor differ in specificity or in stereo/anomer words
    (``Galactose`` vs ``alpha-D-Galactose`` stays apart even when a tool gave both
    the same key).
    """
    keys, other_keys = _full_keys(record), _full_keys(other)
    if not keys or keys != other_keys:
        return "InChIKeys not both given and equal"
    if compare_formulas(record.formula, other.formula) != "equal":
        return f"formulas differ: {record.formula or '?'} vs {other.formula or '?'}"
    charge = parse_charge(record.charge)
    if charge is None or charge != parse_charge(other.charge):
        return f"charges not both known and equal: {record.charge} vs {other.charge}"
    mnx = {v for ns, v in record.xrefs if ns == "metanetx.chemical"}
    other_mnx = {v for ns, v in other.xrefs if ns == "metanetx.chemical"}
    if mnx and other_mnx and mnx != other_mnx:
        return "MetaNetX ids differ"
    if not record.name or not other.name:
        return "name missing"
    if _name_is_identifier(record):
        return ""
    clash = distinguishing_clash(record.name, other.name)
    if clash:
        return "names clash: " + ", ".join(clash)
    specific = specificity_difference(record.name, other.name)
    if specific:
        return "generic vs specific: " + ", ".join(specific)
    words = descriptor_difference(record.name, other.name)
    if words:
        return "stereo/anomer words in one name only: " + ", ".join(sorted(words))
    return ""


def source_ids(original_ids: str) -> set[tuple[str, str]]:
    """Identifiers that are cross-references among a metabolite's original ids.

    ``"cpd00013_c0"`` gives ``{("seed.compound", "cpd00013")}``; ids that are no
    cross-reference (``nh4_c``) give nothing.
    """
    found = set()
    for original in str(original_ids or "").split(","):
        base = _SOURCE_SUFFIX.sub("", original.strip().removeprefix("M_"))
        pair = id_as_xref(base) if base else None
        if pair is not None:
            found.add(pair)
    return found


def reassign_species(
    records: list[MetaboliteRecord], catalog, sources: Mapping[str, Mapping[str, str]]
) -> list[list]:
    """Move a mapped metabolite to the BiGG id its formula and charge are (``species``).

    A record mapped to ``x`` whose formula and charge are exactly the catalogue's for
    ``y`` and not for ``x`` moves to ``y`` when a record of another model with the same
    source id (a ModelSEED, KEGG or MetaNetX id among the original ids), in the same
    compartment, is mapped to ``y``, that record's formula and charge are the same or
    unknown, and the record's own model has no ``y`` there. Changes ``records`` in place; returns join
    rows (evidence ``species:...``).
    """
    if catalog is None:
        return []
    index: dict[tuple[str, tuple[str, str]], list[MetaboliteRecord]] = defaultdict(list)
    held: set[tuple[str, str, str]] = set()
    for record in records:
        if record.bigg_id:
            held.add((record.model, record.compartment, record.bigg_id))
            for pair in source_ids(sources.get(record.model, {}).get(record.met_id, "")):
                index[(record.compartment, pair)].append(record)
    rows = []
    for (_, pair), members in index.items():
        for record in members:
            if not record.formula or parse_charge(record.charge) is None:
                continue
            own = catalog.get(record.bigg_id)
            if _fits_exactly(record.formula, record.charge, own):
                continue
            for other in members:
                target = other.bigg_id
                if (
                    other.model == record.model
                    or target == record.bigg_id
                    or (record.model, record.compartment, target) in held
                    or compare_formulas(record.formula, other.formula) not in ("equal", "missing")
                    or parse_charge(other.charge) not in (None, parse_charge(record.charge))
                    or not _fits_exactly(record.formula, record.charge, catalog.get(target))
                ):
                    continue
                logger.info(
                    "%s of %s: %s %+d is %s, not %s (as %s maps %s)",
                    record.met_id,
                    record.model,
                    record.formula,
                    parse_charge(record.charge),
                    target,
                    record.bigg_id,
                    other.model,
                    pair[1],
                )
                held.discard((record.model, record.compartment, record.bigg_id))
                held.add((record.model, record.compartment, target))
                evidence = (
                    f"species:{pair[0]}={pair[1]}; {record.formula} {record.charge} is "
                    f"{target}, not {record.bigg_id}"
                )
                record.bigg_id = target
                rows.append(_row(other, record, evidence, ""))
                break
    return rows


def twin_verdict(
    first: list[MetaboliteRecord],
    second: list[MetaboliteRecord],
    catalog=None,
) -> str:
    """``""`` when two BiGG ids applied in one compartment are one compound, else why not.

    ``first`` and ``second`` are the records mapped to each id in one compartment.
    All must hold:

    - no model holds both ids there (a model that has both tells them apart:
      CarveMe's ``glc__D`` and ``glc__bD``, ``nh3`` and ``nh4``);
    - both sides have a specific formula, all with the same heavy atoms, and the
      catalogue's formulas for the two ids (when both are known) share heavy atoms;
    - the catalogue does not give the ids different charges (charge species: ``nh3``
      0, ``nh4`` +1) or disjoint InChIKeys, and the ids do not end in different
      stereo tags (``glc__D``, ``glc__bD``);
    - full InChIKeys of the two sides, when both have one, are shared, or all are
      keys the catalogue gives both ids;
    - the models wrote the same name on both sides (normalized), and no pair of
      names clashes (:func:`cobra_metalign.chem.distinguishing_clash`) or differs in
      specificity (:func:`cobra_metalign.chem.specificity_difference`).
    """
    x, y = first[0].bigg_id, second[0].bigg_id
    both = sorted({r.model for r in first} & {r.model for r in second})
    if both:
        verb = "holds" if len(both) == 1 else "hold"
        return f"{', '.join(both)} {verb} both {x} and {y}"
    formulas = {r.formula for r in first + second if _specific(r.formula)}
    if not any(_specific(r.formula) for r in first) or not any(
        _specific(r.formula) for r in second
    ):
        return "formula missing"
    if len({_heavy(f) for f in formulas}) > 1:
        return "other heavy-atom formulas " + ", ".join(sorted(formulas))
    ex = catalog.get(x) if catalog is not None else None
    ey = catalog.get(y) if catalog is not None else None
    if ex is not None and ey is not None:
        if ex.formulas and ey.formulas:
            heavy_x = {_heavy(f) for f in ex.formulas if _specific(f)}
            heavy_y = {_heavy(f) for f in ey.formulas if _specific(f)}
            if heavy_x and heavy_y and not heavy_x & heavy_y:
                return "catalogue formulas differ in heavy atoms"
        if ex.charges and ey.charges and not set(ex.charges) & set(ey.charges):
            return (
                f"charge species: {x} {'/'.join(map(str, ex.charges))}, "
                f"{y} {'/'.join(map(str, ey.charges))} in the catalogue"
            )
        keys_x, keys_y = _catalog_keys(ex), _catalog_keys(ey)
        if keys_x and keys_y and not keys_x & keys_y:
            return "the catalogue gives the two ids different InChIKeys"
    tag_x, tag_y = _ID_STEREO.search(x), _ID_STEREO.search(y)
    if tag_x and tag_y and tag_x.group(1) != tag_y.group(1):
        return f"stereo tags of the ids differ: {tag_x.group(1)} vs {tag_y.group(1)}"
    own_x = set().union(*(_full_keys(r) for r in first))
    own_y = set().union(*(_full_keys(r) for r in second))
    if own_x and own_y and not own_x & own_y:
        shared = (
            _catalog_keys(ex) & _catalog_keys(ey) if ex is not None and ey is not None else set()
        )
        if not (own_x | own_y) <= shared:
            return "InChIKeys differ: " + ", ".join(sorted(own_x | own_y))
    names_x = {r.name for r in first if r.name}
    names_y = {r.name for r in second if r.name}
    if not {normalize_name(n) for n in names_x} & {normalize_name(n) for n in names_y}:
        return "names differ: " + " / ".join(sorted(names_x)[:1] + sorted(names_y)[:1])
    for a in sorted(names_x):
        for b in sorted(names_y):
            clash = distinguishing_clash(a, b)
            if clash:
                return "names clash: " + ", ".join(clash)
            specific = specificity_difference(a, b)
            if specific:
                return "generic vs specific: " + ", ".join(specific)
            words = descriptor_difference(a, b)
            if words:
                return "stereo/anomer words in one name only: " + ", ".join(sorted(words))
    return ""


def bigg_twins(
    records: list[MetaboliteRecord], catalog=None
) -> tuple[dict[tuple[str, str], str], list[list]]:
    """BiGG ids applied in one compartment that name one compound (:func:`twin_verdict`).

    Candidates are ids whose records share a normalized name, a full InChIKey or a
    ``metanetx.chemical``/``seed.compound`` value. Accepted pairs are grouped (a group
    never holds two ids one model holds, nor two heavy-atom formulas); each group
    keeps the id of its member in the earliest model.

    Returns
    -------
    (dict, list)
        ``{(compartment, id): kept id}`` for the ids that give way, and join rows
        (evidence ``twin:...``) for every pair considered.
    """
    order: dict[str, int] = {}
    compounds: dict[tuple[str, str], list[MetaboliteRecord]] = defaultdict(list)
    for record in records:
        order.setdefault(record.model, len(order))
        if record.bigg_id:
            compounds[(record.compartment, record.bigg_id)].append(record)
    index: dict[tuple, set[str]] = defaultdict(set)
    for (compartment, bigg), members in compounds.items():
        for record in members:
            if record.name:
                index[(compartment, "name", normalize_name(record.name))].add(bigg)
            for namespace, value in record.xrefs:
                if namespace in ("inchikey", "metanetx.chemical", "seed.compound"):
                    index[(compartment, namespace, value)].add(bigg)
    candidates: dict[tuple[str, str, str], str] = {}
    for (compartment, kind, value), ids in index.items():
        if 1 < len(ids) <= 6:
            for x in ids:
                for y in ids:
                    if x < y:
                        candidates.setdefault((compartment, x, y), f"{kind}={value}")
    rows: list[list] = []
    sets = DisjointSet(compounds)
    for (compartment, x, y), label in sorted(candidates.items()):
        first, second = compounds[(compartment, x)], compounds[(compartment, y)]
        reason = twin_verdict(first, second, catalog)
        if not reason:
            group = set(sets.subset((compartment, x))) | set(sets.subset((compartment, y)))
            members = [r for key in group for r in compounds[key]]
            models = [r.model for r in members]
            formulas = {_heavy(r.formula) for r in members if _specific(r.formula)}
            if len(models) != len(set(models)):
                reason = "would join two ids of one model"
            elif len(formulas) > 1:
                reason = "would join different heavy-atom formulas"
            else:
                sets.merge((compartment, x), (compartment, y))
        a = min(first, key=lambda r: order[r.model])
        b = min(second, key=lambda r: order[r.model])
        rows.append(_row(a, b, f"twin:{x}={y}; {label}", reason))
    kept: dict[tuple[str, str], str] = {}
    for group in sets.subsets():
        if len(group) < 2:
            continue
        keeper = min(group, key=lambda key: (min(order[r.model] for r in compounds[key]), key))
        for key in group:
            if key != keeper:
                kept[key] = keeper[1]
    return kept, rows


def join_metabolites(
    models: Mapping[str, object],
    mapped: Mapping[str, Mapping[str, str]],
    proposed: Mapping[str, Mapping[str, str]] | None = None,
    catalog=None,
    sources: Mapping[str, Mapping[str, str]] | None = None,
) -> tuple[pd.DataFrame, dict[tuple[str, str], str]]:
    """Match metabolites without a BiGG id across aligned models; rename the joined ones.

    Parameters
    ----------
    models : mapping
        ``{name: aligned cobra.Model}``, in input order; changed in place (ids of
        joined metabolites).
    mapped : mapping
        ``{name: {metabolite id: applied BiGG id}}``.
    proposed : mapping, optional
        ``{name: {metabolite id: BiGG id proposed but not applied}}`` (``REVIEW``,
        ``CONFLICT``): evidence when another model applied that id to a metabolite
        of the same normalized name.
    catalog : Catalog, optional
        Needed by the ``species`` and ``catalog`` rules (module documentation),
        which do not run without it; the ``twin`` rule checks it when given.
    sources : mapping, optional
        ``{name: {metabolite id: original ids, comma-separated}}``, for the
        ``species`` rule.

    Returns
    -------
    (pandas.DataFrame, dict)
        One row per pair considered (columns :data:`JOIN_COLUMNS`); ``verdict``
        is ``joined`` or ``not joined`` with the ``reason``; ``merged_id`` and
        ``other_merged_id`` are the ids the two have in the merged model. Then the renames applied,
        ``{(model, old id): new id}``.
    """
    order = {name: number for number, name in enumerate(models)}
    records = [r for name, model in models.items() for r in records_of(name, model, mapped[name])]
    by_key = {r.key: r for r in records}
    # Mapped compounds first: a metabolite mapped to the wrong charge species moves to
    # the right one, and two BiGG ids of one compound become one.
    rows: list[list] = reassign_species(records, catalog, sources or {})
    twins, twin_rows = bigg_twins(records, catalog)
    rows.extend(twin_rows)
    for record in records:
        if record.bigg_id:
            record.bigg_id = twins.get((record.compartment, record.bigg_id), record.bigg_id)
    pairs = _candidate_pairs(records)
    groups = _Groups(records)
    # The same id in two models is joined by the merge: allowed only when the heavy-atom
    # formulas agree (else the later copy is kept apart as ``{id}__{model}``). The same
    # applied compound under two ids (catalogue equivalents) is one compound too.
    new_ids: dict[tuple[str, str], str] = {}
    first_by_id: dict[str, MetaboliteRecord] = {}
    first_mapped: dict[tuple[str, str], MetaboliteRecord] = {}
    records_by_compound: dict[tuple[str, str], list[MetaboliteRecord]] = defaultdict(list)
    for record in records:
        if record.bigg_id:
            first_mapped.setdefault((record.compartment, record.bigg_id), record)
            records_by_compound[(record.compartment, record.bigg_id)].append(record)
        first = first_by_id.setdefault(record.met_id, record)
        if first is record:
            continue
        if first.bigg_id and record.bigg_id and first.bigg_id != record.bigg_id:
            continue  # moved to another species: renamed with its group below
        if _heavy_clash(first, record):
            reason = f"same id, other heavy-atom formula: {first.formula} vs {record.formula}"
            new_ids[record.key] = f"{record.met_id}__{record.model}"
            rows.append(_row(first, record, "id", reason))
        else:
            groups.union(first, record, checked=False)
    for record in records:
        first = first_mapped.get((record.compartment, record.bigg_id)) if record.bigg_id else None
        if first is None or first.met_id == record.met_id or record.key in new_ids:
            continue
        if _heavy_clash(first, record):
            reason = (
                f"same BiGG compound, other heavy-atom formula: {first.formula} vs {record.formula}"
            )
        else:
            reason = groups.union(first, record)
        if reason:
            rows.append(_row(first, record, f"bigg:{record.bigg_id}", reason))
    late: list[list] = []  # refused catalogue copies: listed after the other evidence
    for record in records:
        proposal = (proposed or {}).get(record.model, {}).get(record.met_id)
        if record.bigg_id or not proposal or not record.name:
            continue
        proposal = twins.get((record.compartment, proposal), proposal)
        key = normalize_name(record.name)
        members = records_by_compound.get((record.compartment, proposal), [])
        # A copy the catalogue vouches for, identical to every member of its own model.
        vouched = _catalogue_vouches(record, proposal, catalog)
        own = [o for o in members if o.model == record.model]
        refused = {o.key: copy_difference(record, o) for o in members} if vouched else {}
        blocked = next((refused[o.key] for o in own if refused.get(o.key)), "")
        for other in members:
            pair = (record.key, other.key) if record.key < other.key else (other.key, record.key)
            if vouched and not blocked and not refused[other.key]:
                pairs[pair] = ("catalog", f"{proposal}; name={key}; inchikey; formula")
            elif other.model != record.model and normalize_name(other.name) == key:
                pairs.setdefault(pair, ("proposal", f"{proposal}; name={key}"))
            elif vouched and other.model == record.model:
                label = f"catalog:{proposal}; name={key}"
                late.append(_row(other, record, label, blocked or refused[other.key]))
    rows_ranked = sorted(pairs.items(), key=lambda item: (_STRENGTH[item[1][0]], item[0]))
    for (ka, kb), (kind, label) in rows_ranked:
        a, b = by_key[ka], by_key[kb]
        reason = _verdict(a, b, kind) or groups.union(a, b)
        rows.append(
            [a.model, a.met_id, b.model, b.met_id, a.compartment, f"{kind}:{label}", reason]
        )
    # A compound joined in one compartment is the same compound in the others.
    identity: dict[tuple[str, str], str] = {}
    for members in groups.members.values():
        biggs = {r.bigg_id for r in members if r.bigg_id}
        if len(biggs) == 1:
            bigg = next(iter(biggs))
            for r in members:
                if not r.bigg_id and r.base_id:
                    identity[(r.model, r.base_id)] = bigg
    for record in records:
        bigg = identity.get((record.model, record.base_id))
        if record.bigg_id or bigg is None:
            continue
        other = first_mapped.get((record.compartment, bigg))
        if other is None or groups.find(other.key) == groups.find(record.key):
            continue
        reason = _verdict(other, record, "inchikey") or groups.union(other, record)
        rows.append(
            [
                other.model,
                other.met_id,
                record.model,
                record.met_id,
                record.compartment,
                f"compound:{record.base_id}={bigg} in another compartment",
                reason,
            ]
        )
    rows.extend(late)
    for (model_name, met_id), apart in new_ids.items():
        met = models[model_name].metabolites.get_by_id(met_id)
        met.notes = {**met.notes, "metalign_kept_apart_from": met_id}
        met.id = apart
    # Group targets and renames: per model, the keeper (its mapped member, else its only
    # member) takes the target id; a second member of the same model is merged into it.
    renames: dict[tuple[str, str], str] = {}
    merges: list[tuple[str, str, str]] = []
    for members in groups.members.values():
        current = {r.key: new_ids.get(r.key, r.met_id) for r in members}
        if len(members) < 2 or len(set(current.values())) == 1:
            continue
        members = sorted(members, key=lambda r: (not r.bigg_id, order[r.model]))
        target = current[members[0].key]
        by_model: dict[str, list[MetaboliteRecord]] = defaultdict(list)
        for member in members:
            by_model[member.model].append(member)
        for model_name, own in by_model.items():
            keeper, others = own[0], own[1:]
            taken = target in models[model_name].metabolites and current[keeper.key] != target
            if taken and target not in {current[r.key] for r in own}:
                logger.warning(
                    "Not joining %s of %s into %s: that id is another metabolite of the model",
                    keeper.met_id,
                    model_name,
                    target,
                )
                continue
            if current[keeper.key] != target:
                renames[keeper.key] = target
            for other in others:
                merges.append((model_name, current[other.key], target))
                renames.pop(other.key, None)
                new_ids[other.key] = target
    for (model_name, met_id), target in renames.items():
        model = models[model_name]
        met = model.metabolites.get_by_id(new_ids.get((model_name, met_id), met_id))
        met.notes = {**met.notes, "metalign_joined_from": met_id}
        met.id = target
        new_ids[(model_name, met_id)] = target
    for model_name, met_id, target in merges:
        _merge_into(models[model_name], met_id, target)
    for model in models.values():
        model.repair()
    frame = pd.DataFrame(rows, columns=list(JOIN_COLUMNS[:6]) + ["reason"])
    frame.insert(len(frame.columns) - 1, "verdict", "")
    joined = frame["reason"] == ""
    frame.loc[joined, "verdict"] = "joined"
    frame.loc[~joined, "verdict"] = "not joined"

    def final(model_name: str, met_id: str) -> str:
        return new_ids.get((model_name, met_id), met_id)

    frame["merged_id"] = [
        final(m, i) for m, i in zip(frame["model"], frame["metabolite_id"], strict=True)
    ]
    frame["other_merged_id"] = [
        final(m, i) for m, i in zip(frame["other_model"], frame["other_id"], strict=True)
    ]
    logger.info(
        "Cross-model join: %d pairs joined, %d not, %d metabolites renamed",
        int(joined.sum()),
        int((~joined).sum()),
        len(new_ids),
    )
    return frame.reset_index(drop=True), new_ids
