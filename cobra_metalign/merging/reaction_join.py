"""Merge aligned models: one metabolite per id, one reaction per stoichiometry.

cobra's ``Model.merge`` joins metabolites by id but keeps only the first of two
reactions sharing an id, whatever their equations, and keeps both copies of one
reaction named differently. :func:`combine_models` instead:

- joins metabolites by id (annotations united, the first model's other fields);
- joins a reaction into one of another model with the same stoichiometry (also
  written backwards): gene rules combined with ``or``, the widest bounds, the
  source ids recorded (kind ``joined``);
- keeps a reaction whose id is taken by a reaction with another stoichiometry
  under ``{id}__{model}`` (kind ``renamed``), never dropping it;
- adds the others as they are (kind ``added``; the first model's are ``kept``).

Every metabolite and reaction of the result records where it came from in its
notes: ``metalign_sources`` = ``model:original id; model:original id``.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping

import cobra
import pandas as pd

logger = logging.getLogger(__name__)

__all__ = ["REACTION_KINDS", "REACTION_JOIN_COLUMNS", "combine_models", "SOURCES_NOTE"]

#: What happened to each reaction of each input.
REACTION_KINDS = ("kept", "added", "joined", "renamed")
#: Columns of the reaction table.
REACTION_JOIN_COLUMNS = ("model", "reaction_id", "merged_id", "kind", "same_id", "comment")
#: Notes key recording sources of merged metabolites and reactions.
SOURCES_NOTE = "metalign_sources"


def _signature(reaction: cobra.Reaction) -> tuple:
    return tuple(sorted((met.id, round(coef, 9)) for met, coef in reaction.metabolites.items()))


def _mirror(signature: tuple) -> tuple:
    return tuple(sorted((met_id, -coef) for met_id, coef in signature))


def _add_source(notes: dict, label: str) -> dict:
    current = [s for s in str(notes.get(SOURCES_NOTE, "")).split("; ") if s]
    if label not in current:
        current.append(label)
    return {**notes, SOURCES_NOTE: "; ".join(current)}


def _union_annotation(base: dict, other: Mapping) -> dict:
    result = copy.deepcopy(base)
    for key, value in other.items():
        if key == "sbo":
            result.setdefault(key, value)
            continue
        values = [value] if isinstance(value, str) else list(value)
        if key not in result:
            result[key] = values[0] if len(values) == 1 else values
            continue
        current = [result[key]] if isinstance(result[key], str) else list(result[key])
        new = [v for v in dict.fromkeys(values) if v not in current]
        if new:
            result[key] = current + new
    return result


def _or_rules(first: str, second: str) -> str:
    first, second = first.strip(), second.strip()
    if not first or first == second:
        return second or first
    if not second:
        return first
    return f"({first}) or ({second})"


def combine_models(
    models: Mapping[str, cobra.Model],
    original_ids: Mapping[str, Mapping[str, str]] | None = None,
    model_id: str = "merged",
) -> tuple[cobra.Model, pd.DataFrame]:
    """Merge aligned models into one (see the module documentation).

    Parameters
    ----------
    models : mapping
        ``{name: aligned cobra.Model}``, in order; the first one's objective is kept.
        Not changed.
    original_ids : mapping, optional
        ``{name: {metabolite id in the aligned model: original id(s)}}`` for the
        provenance notes (default: the ids as they are).
    model_id : str, optional

    Returns
    -------
    (cobra.Model, pandas.DataFrame)
        The merged model and one row per input reaction (:data:`REACTION_JOIN_COLUMNS`).
    """
    original_ids = original_ids or {}
    names = list(models)
    merged = models[names[0]].copy()
    merged.id = model_id
    compartment_names = dict(merged.compartments)
    rows = []
    first = names[0]
    first_ids = original_ids.get(first, {})
    for met in merged.metabolites:
        met.notes = _add_source(dict(met.notes), f"{first}:{first_ids.get(met.id, met.id)}")
    signatures: dict[tuple, cobra.Reaction] = {}
    sources: dict[str, set[str]] = {}
    for reaction in merged.reactions:
        reaction.notes = _add_source(dict(reaction.notes), f"{first}:{reaction.id}")
        signatures.setdefault(_signature(reaction), reaction)
        sources[reaction.id] = {first}
        rows.append((first, reaction.id, reaction.id, "kept", True, ""))
    for name in names[1:]:
        model = models[name]
        ids = original_ids.get(name, {})
        new_mets = []
        for met in model.metabolites:
            label = f"{name}:{ids.get(met.id, met.id)}"
            if met.id in merged.metabolites:
                target = merged.metabolites.get_by_id(met.id)
                target.annotation = _union_annotation(dict(target.annotation), met.annotation)
                target.notes = _add_source(dict(target.notes), label)
                continue
            twin = met.copy()
            twin.notes = _add_source(dict(met.notes), label)
            new_mets.append(twin)
        merged.add_metabolites(new_mets)
        for cid, cname in model.compartments.items():
            if cname and not compartment_names.get(cid):
                compartment_names[cid] = cname
            compartment_names.setdefault(cid, cname)
        new_reactions = []
        for reaction in model.reactions:
            signature = _signature(reaction)
            mirrored = False
            match = signatures.get(signature) if signature else None
            if match is None and signature:
                match = signatures.get(_mirror(signature))
                mirrored = match is not None
            if match is not None and name not in sources.get(match.id, {name}):
                lower, upper = reaction.bounds
                if mirrored:
                    lower, upper = -upper, -lower
                match.bounds = (min(match.lower_bound, lower), max(match.upper_bound, upper))
                rule = _or_rules(match.gene_reaction_rule, reaction.gene_reaction_rule)
                if rule != match.gene_reaction_rule:
                    match.gene_reaction_rule = rule
                match.notes = _add_source(dict(match.notes), f"{name}:{reaction.id}")
                sources[match.id].add(name)
                comment = "written backwards" if mirrored else ""
                rows.append(
                    (name, reaction.id, match.id, "joined", match.id == reaction.id, comment)
                )
                continue
            new_id, kind, comment = reaction.id, "added", ""
            if new_id in merged.reactions or new_id in sources:
                base, number = f"{reaction.id}__{name}", 2
                new_id = base
                while new_id in merged.reactions or new_id in sources:
                    new_id, number = f"{base}{number}", number + 1
                kind = "renamed"
                comment = f"id {reaction.id} is another reaction (other stoichiometry)"
            twin = cobra.Reaction(
                new_id,
                name=reaction.name,
                subsystem=reaction.subsystem,
                lower_bound=reaction.lower_bound,
                upper_bound=reaction.upper_bound,
            )
            twin.add_metabolites(
                {merged.metabolites.get_by_id(m.id): c for m, c in reaction.metabolites.items()}
            )
            twin.gene_reaction_rule = reaction.gene_reaction_rule
            twin.annotation = copy.deepcopy(reaction.annotation)
            twin.notes = _add_source(dict(reaction.notes), f"{name}:{reaction.id}")
            sources[new_id] = {name}
            signatures.setdefault(signature, twin)
            new_reactions.append(twin)
            rows.append((name, reaction.id, new_id, kind, new_id == reaction.id, comment))
        merged.add_reactions(new_reactions)
        for gene in model.genes:
            if gene.id in merged.genes:
                target = merged.genes.get_by_id(gene.id)
                if not target.name and gene.name:
                    target.name = gene.name
    merged.compartments = compartment_names
    table = pd.DataFrame(rows, columns=list(REACTION_JOIN_COLUMNS))
    counts = table["kind"].value_counts()
    logger.info(
        "Combined %d models: %s",
        len(names),
        ", ".join(f"{kind} {int(counts.get(kind, 0))}" for kind in REACTION_KINDS),
    )
    return merged, table
