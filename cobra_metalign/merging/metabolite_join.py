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
  BiGG ids in one group.

Members of a group are renamed, in their aligned copies, to the id of the group's
member with a BiGG id, else to the id of the member of the first model.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd
from scipy.cluster.hierarchy import DisjointSet

from cobra_metalign.annotations import id_as_xref, normalize_annotation
from cobra_metalign.chem import (
    compare_formulas,
    distinguishing_clash,
    parse_formula,
    specificity_difference,
)
from cobra_metalign.compartments import clean_name, split_id
from cobra_metalign.normalize import normalize_name

logger = logging.getLogger(__name__)

__all__ = [
    "JOIN_COLUMNS",
    "JOIN_NAMESPACES",
    "MetaboliteRecord",
    "join_metabolites",
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

_STRENGTH = {"inchikey": 0, "xref": 1, "name": 2, "proposal": 3}
#: Evidence kinds in the join table: ``bigg`` (same applied id), ``inchikey``, ``xref``,
#: ``name``, ``proposal`` (the matcher proposed, unapplied, the BiGG id another model
#: applied, and the names agree), ``compound`` (the same pair joined in another compartment).
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
    if formulas == "missing" and kind == "name":
        return "formula missing"
    if formulas not in (*_FORMULA_OK, "missing"):
        return f"formula {formulas}: {a.formula or '?'} vs {b.formula or '?'}"
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


def join_metabolites(
    models: Mapping[str, object],
    mapped: Mapping[str, Mapping[str, str]],
    proposed: Mapping[str, Mapping[str, str]] | None = None,
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
    pairs = _candidate_pairs(records)
    groups = _Groups(records)
    # The same id in two models is joined by the merge: allowed only when the heavy-atom
    # formulas agree (else the later copy is kept apart as ``{id}__{model}``). The same
    # applied compound under two ids (catalogue equivalents) is one compound too.
    rows: list[list] = []
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
    for record in records:
        proposal = (proposed or {}).get(record.model, {}).get(record.met_id)
        if record.bigg_id or not proposal or not record.name:
            continue
        key = normalize_name(record.name)
        for other in records_by_compound.get((record.compartment, proposal), []):
            if other.model == record.model or normalize_name(other.name) != key:
                continue
            pair = (record.key, other.key) if record.key < other.key else (other.key, record.key)
            pairs.setdefault(pair, ("proposal", f"{proposal}; name={key}"))
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
