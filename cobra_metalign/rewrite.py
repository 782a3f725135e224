"""Apply a mapping to a model: rename, annotate and merge duplicate metabolites.

:func:`apply_matches` takes the frame of :func:`cobra_metalign.matcher.match`
(or a curated audit turned back into one) and rewrites a model as DESIGN.md
("Rewriting") says:

* a *unit* is either one accepted metabolite or a duplicate group: rows linked
  by ``duplicate_of`` and accepted rows of one compartment accepted to the same
  BiGG id (their new ids would collide);
* the survivor of a group is the member already holding the target id, else
  the one in most reactions, else the smallest id;
* every reaction of a merged-away metabolite is rewired onto the survivor with
  summed coefficients; a coefficient that sums to zero is removed; reactions that
  become empty or identical to another are flagged, never dropped;
* accepted metabolites are renamed ``{bigg_id}_{compartment}`` with the model's
  own compartment ids (or only annotated with ``rename=False``); the
  ``bigg.metabolite`` annotation is added, every annotation of every merged
  metabolite is kept on the survivor, original ids are recorded in the
  survivor's notes (``metalign_original_ids``);
* a target id already held by a metabolite that keeps it (and is not part of the
  unit) blocks the unit: nothing of it is applied and it is reported
  ``CONFLICT``. No two metabolites ever end with one id.

The model is copied unless ``inplace=True``; in place, every change is
registered with cobra's context so that ``with model:`` reverts it.
"""

from __future__ import annotations

import copy
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from itertools import combinations
from typing import TYPE_CHECKING, Any

import pandas as pd
from cobra.util.context import get_context

from cobra_metalign.audit import (
    ANNOTATED,
    AUDIT_COLUMNS,
    CONFLICT,
    KEPT,
    MERGED,
    REACTION_COLUMNS,
    REACTION_DUPLICATE,
    REACTION_EMPTIED,
    RENAMED,
    REVIEW,
    UNMATCHED,
    model_fingerprint,
)

if TYPE_CHECKING:  # pragma: no cover
    import cobra

logger = logging.getLogger(__name__)

__all__ = ["apply_matches", "NOTES_KEY", "MATCH_DECISIONS"]

#: Key of the survivor's notes that records the original ids of a renamed or merged metabolite.
NOTES_KEY = "metalign_original_ids"
#: Decisions a match frame may hold.
MATCH_DECISIONS: tuple[str, ...] = ("accept", "review", "none")

_APPLIED = "applied"
_REVIEW = "review"
_CONFLICT = "conflict"
_NONE = "none"
#: Coefficients closer to zero than this after summing are removed.
_ZERO = 1e-12

_STRING_COLUMNS = (
    "bigg_id",
    "bigg_name",
    "decision",
    "evidence",
    "candidates",
    "equivalents",
    "duplicate_of",
)


# ------------------------------------------------------------------- the plan
@dataclass
class _Unit:
    """Metabolites that end as one: the survivor first, then the merged-away members."""

    members: list[str]
    bigg: str
    final_id: str
    compartment: str

    @property
    def survivor(self) -> str:
        return self.members[0]

    @property
    def merged(self) -> list[str]:
        return self.members[1:]


@dataclass
class _Plan:
    order: list[str]
    state: dict[str, str]
    conflict: dict[str, bool]
    comment: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    units: list[_Unit] = field(default_factory=list)
    unit_of: dict[str, _Unit] = field(default_factory=dict)
    #: Members held back from a merge by the name guard: {member: survivor}.
    held: dict[str, str] = field(default_factory=dict)


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        root = item
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while self.parent.get(item, item) != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a: str, b: str) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            # Deterministic: the smaller id becomes the root.
            low, high = sorted((root_a, root_b))
            self.parent[high] = low


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value != value:
        return ""
    return str(value).strip()


def _normalize_matches(model: cobra.Model, matches: pd.DataFrame) -> pd.DataFrame:
    """Check a match frame against the model; fill absent rows and columns."""
    if not isinstance(matches, pd.DataFrame):
        raise TypeError(f"matches must be a pandas DataFrame, not {type(matches).__name__}")
    frame = matches.copy()
    if "metabolite_id" in frame.columns:
        frame = frame.set_index("metabolite_id")
    frame.index = frame.index.map(str)
    missing_columns = [c for c in ("bigg_id", "decision") if c not in frame.columns]
    if missing_columns:
        raise ValueError(f"the match frame lacks columns {missing_columns}")
    if frame.index.has_duplicates:
        dupes = sorted(set(frame.index[frame.index.duplicated()]))
        raise ValueError(f"the match frame repeats metabolite ids {dupes[:10]}")
    model_ids = [met.id for met in model.metabolites]
    unknown = sorted(set(frame.index) - set(model_ids))
    if unknown:
        raise ValueError(
            f"the match frame names {len(unknown)} metabolites not in model {model.id!r}: "
            f"{unknown[:10]}"
        )
    absent = [m for m in model_ids if m not in frame.index]
    if absent:
        logger.warning(
            "%d metabolites have no row in the match frame; they are left UNMATCHED (%s)",
            len(absent),
            ", ".join(absent[:5]),
        )
        filler = pd.DataFrame({"bigg_id": "", "decision": "none"}, index=pd.Index(absent))
        frame = pd.concat([frame, filler])
    for column in _STRING_COLUMNS:
        if column not in frame.columns:
            frame[column] = ""
        frame[column] = frame[column].map(_text)
    frame["decision"] = frame["decision"].str.lower().replace({"": "none"})
    bad = sorted(set(frame["decision"]) - set(MATCH_DECISIONS))
    if bad:
        raise ValueError(f"invalid decisions {bad} in the match frame; known: {MATCH_DECISIONS}")
    if "conflict" not in frame.columns:
        frame["conflict"] = False
    frame["conflict"] = frame["conflict"].map(
        lambda v: False if v is None or (isinstance(v, float) and v != v) else bool(v)
    )
    if "score" not in frame.columns:
        frame["score"] = 0.0
    frame["score"] = pd.to_numeric(frame["score"], errors="coerce").fillna(0.0).astype(float)
    return frame.loc[model_ids]


def _equivalents(value: str) -> set[str]:
    return {item.strip() for item in value.split(";") if item.strip()}


def _plan(
    model: cobra.Model,
    table: pd.DataFrame,
    *,
    rename: bool,
    accept_review: bool,
    name_guard: bool = True,
) -> _Plan:
    """Decide, without touching the model, what happens to every metabolite."""
    mets = {met.id: met for met in model.metabolites}
    order = list(mets)
    comp = {met_id: str(met.compartment or "") for met_id, met in mets.items()}
    n_reactions = {met_id: len(met.reactions) for met_id, met in mets.items()}
    rows = table.to_dict("index")
    bigg = {m: rows[m]["bigg_id"] for m in order}
    equiv = {m: _equivalents(rows[m]["equivalents"]) for m in order}
    state: dict[str, str] = {}
    conflict: dict[str, bool] = {}
    for met_id in order:
        row = rows[met_id]
        decision, has_target = row["decision"], bool(row["bigg_id"] or row["duplicate_of"])
        conflict[met_id] = bool(row["conflict"])
        if row["conflict"]:
            state[met_id] = _CONFLICT
        elif has_target and (decision == "accept" or (decision == "review" and accept_review)):
            state[met_id] = _APPLIED
        elif decision == "review" and has_target:
            state[met_id] = _REVIEW
        else:
            state[met_id] = _NONE
    plan = _Plan(order=order, state=state, conflict=conflict)

    def holds_own(met_id: str) -> bool:
        return bool(bigg[met_id]) and met_id == f"{bigg[met_id]}_{comp[met_id]}"

    def equivalent(a: str, b: str) -> bool:
        return bigg[a] in equiv[b] or bigg[b] in equiv[a]

    links = _UnionFind()
    # 1. duplicate_of links proposed by the matcher (or a curator), in three passes so
    #    that the outcome does not depend on the order of the metabolites.
    edges: list[tuple[str, str]] = []
    for met_id in order:
        other = rows[met_id]["duplicate_of"]
        if not other or other == met_id:
            continue
        if other not in mets:
            plan.comment[met_id].append(f"duplicate_of {other} is not in the model")
        elif comp[other] != comp[met_id]:
            plan.comment[met_id].append(
                f"duplicate_of {other} is in another compartment: not merged"
            )
        else:
            edges.append((met_id, other))
    # 1a. Strong evidence without any BiGG id (same InChIKey, or name+formula+xref).
    for met_id, other in edges:
        if (
            state[met_id] == _NONE
            and state[other] in (_NONE, _APPLIED)
            and not (bigg[met_id] or bigg[other])
        ):
            state[met_id] = _APPLIED
    # 1b. Linked rows accepted to different, non-equivalent ids: the evidence disagrees.
    snapshot = dict(state)
    for met_id, other in edges:
        if (
            snapshot[met_id] == _APPLIED
            and snapshot[other] == _APPLIED
            and bigg[met_id]
            and bigg[other]
            and bigg[met_id] != bigg[other]
            and not equivalent(met_id, other)
        ):
            state[met_id], conflict[met_id] = _CONFLICT, True
            plan.comment[met_id].append(
                f"mapped to {bigg[met_id]} but marked a duplicate of {other}, "
                f"mapped to {bigg[other]}"
            )
    # 1c. Join the rest.
    for met_id, other in edges:
        mine, theirs = state[met_id], state[other]
        if mine == _APPLIED and theirs == _APPLIED:
            if not bigg[met_id] or not bigg[other] or bigg[met_id] == bigg[other]:
                links.union(met_id, other)
            elif holds_own(met_id) and holds_own(other):
                # Both ids are BiGG ids the model already uses side by side: the
                # catalogue's equivalence alone is not enough to merge them.
                plan.comment[met_id].append(
                    f"equivalent of {other} ({bigg[other]}) but both already hold "
                    "BiGG ids: kept apart, review"
                )
            else:
                links.union(met_id, other)
        elif mine == _APPLIED and theirs == _NONE and not bigg[met_id]:
            links.union(met_id, other)  # an accepted merge into an unmapped metabolite
        elif mine == _APPLIED:
            plan.comment[met_id].append(
                f"proposed duplicate of {other} not merged: {other} is {theirs}"
            )
        elif mine != _CONFLICT:
            plan.comment[met_id].append(f"proposed duplicate of {other}, not applied")
    # 2. Accepted to the same BiGG id in the same compartment: the ids would collide.
    same_target: dict[tuple[str, str], list[str]] = defaultdict(list)
    for met_id in order:
        if state[met_id] == _APPLIED and bigg[met_id]:
            same_target[comp[met_id], bigg[met_id]].append(met_id)
    for members in same_target.values():
        for other in members[1:]:
            links.union(members[0], other)

    components: dict[str, list[str]] = defaultdict(list)
    for met_id in order:
        components[links.find(met_id)].append(met_id)
    for members in components.values():
        if len(members) == 1 and state[members[0]] != _APPLIED:
            continue
        unit = _make_unit(members, plan, bigg, equiv, comp, n_reactions, mets, rename, name_guard)
        if unit is not None:
            plan.units.append(unit)
    _resolve_collisions(plan, mets)
    for unit in plan.units:
        for member in unit.members:
            plan.unit_of[member] = unit
    return plan


def _make_unit(
    members: list[str],
    plan: _Plan,
    bigg: Mapping[str, str],
    equiv: Mapping[str, set[str]],
    comp: Mapping[str, str],
    n_reactions: Mapping[str, int],
    mets: Mapping[str, Any],
    rename: bool,
    name_guard: bool,
) -> _Unit | None:
    state = plan.state
    targets = [bigg[m] for m in members if state[m] == _APPLIED and bigg[m]]
    distinct = sorted(set(targets))

    def linked(a: str, b: str) -> bool:
        return any(
            (bigg[m] == a and b in equiv[m]) or (bigg[m] == b and a in equiv[m]) for m in members
        )

    consistent = all(linked(a, b) for a, b in combinations(distinct, 2))
    unmapped = [m for m in members if state[m] != _APPLIED]
    if (distinct and not consistent) or (distinct and unmapped):
        why = (
            f"inconsistent BiGG ids {', '.join(distinct)}"
            if not consistent
            else f"{', '.join(unmapped)} not accepted"
        )
        for member in members:
            plan.state[member], plan.conflict[member] = _CONFLICT, True
            plan.comment[member].append(f"duplicate group {', '.join(members)}: {why}")
        return None
    compartment = comp[members[0]]

    def has_target(met_id: str) -> bool:
        return any(met_id == f"{b}_{compartment}" for b in distinct)

    survivor = min(members, key=lambda m: (not has_target(m), -n_reactions[m], m))
    others = [m for m in members if m != survivor]
    if name_guard:
        # Stereoisomers and generic-vs-specific pairs (glucose, beta-D-glucose) that
        # map to one BiGG id are left for review, never merged automatically.
        kept = []
        for member in others:
            why = _name_difference(mets[survivor], mets[member])
            if why:
                state[member] = _REVIEW
                plan.held[member] = survivor
                plan.comment[member].append(
                    f"possible duplicate of {survivor} not merged, names differ ({why}): review"
                )
            else:
                kept.append(member)
        others = kept
        targets = [bigg[m] for m in (survivor, *others) if state[m] == _APPLIED and bigg[m]]
        distinct = sorted(set(targets))
    if bigg[survivor] and state[survivor] == _APPLIED:
        target = bigg[survivor]
    elif distinct:
        counts = Counter(targets)
        target = min(distinct, key=lambda b: (-counts[b], b))
    else:
        target = ""
    if target and rename and compartment:
        final_id = f"{target}_{compartment}"
    else:
        final_id = mets[survivor].id
    ordered = [survivor, *others]
    return _Unit(members=ordered, bigg=target, final_id=final_id, compartment=compartment)


def _name_difference(first: Any, second: Any) -> str:
    """Distinguishing or specificity differences between two metabolites' names ("" if none)."""
    from cobra_metalign.chem import distinguishing_clash, specificity_difference
    from cobra_metalign.compartments import clean_name

    name1 = clean_name(first.name or "", first.compartment)
    name2 = clean_name(second.name or "", second.compartment)
    if not name1 or not name2:
        return ""
    return "; ".join([*distinguishing_clash(name1, name2), *specificity_difference(name1, name2)])


def _resolve_collisions(plan: _Plan, mets: Mapping[str, Any]) -> None:
    """Block units whose final id another metabolite keeps, until no id is used twice."""
    while True:
        holders: dict[str, list[str]] = defaultdict(list)
        unit_of = {m: unit for unit in plan.units for m in unit.members}
        for met_id in plan.order:
            unit = unit_of.get(met_id)
            if unit is None:
                holders[met_id].append(met_id)
            elif met_id == unit.survivor:
                holders[unit.final_id].append(met_id)
        blocked: dict[int, tuple[_Unit, list[str]]] = {}
        for ids in holders.values():
            if len(ids) < 2:
                continue
            for met_id in ids:
                unit = unit_of.get(met_id)
                if unit is not None and unit.final_id != unit.survivor:
                    others = [i for i in ids if i != met_id]
                    blocked[id(unit)] = (unit, others)
        if not blocked:
            return
        for unit, others in blocked.values():
            plan.units.remove(unit)
            for member in unit.members:
                plan.state[member], plan.conflict[member] = _CONFLICT, True
                plan.comment[member].append(
                    f"target id {unit.final_id} is held by {', '.join(others)}: not applied"
                )
            logger.info(
                "Not applying %s -> %s: the id is held by %s",
                ", ".join(unit.members),
                unit.final_id,
                ", ".join(others),
            )


# -------------------------------------------------------------- model changes
def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _union_annotations(base: Mapping[str, Any], sources: Iterable[Mapping[str, Any]]) -> dict:
    """``base`` with every value of ``sources`` added; nothing removed, ``sbo`` kept single."""
    result = copy.deepcopy(dict(base))
    for source in sources:
        for key, value in source.items():
            if key == "sbo":
                result.setdefault(key, value)
                continue
            values = _as_list(value)
            if key not in result:
                unique = list(dict.fromkeys(values))
                result[key] = unique[0] if len(unique) == 1 else unique
                continue
            current = _as_list(result[key])
            new = [v for v in dict.fromkeys(values) if v not in current]
            if new:
                result[key] = current + new
    return result


def _xrefs_for(source: Any, bigg_id: str) -> dict[str, list[str]]:
    """Cross-references of ``bigg_id`` from a Catalog (or a mapping id -> {namespace: values})."""
    if source is None or not bigg_id:
        return {}
    entry = source.get(bigg_id)
    if entry is None:
        return {}
    xrefs = getattr(entry, "xrefs", entry)
    return {str(ns): _as_list(values) for ns, values in sorted(xrefs.items()) if values}


def _set_ids(model: cobra.Model, new_ids: Mapping[Any, str]) -> None:
    """Rename metabolites in bulk (swaps allowed), keeping the solver constraints in step."""
    if not new_ids:
        return
    items = list(new_ids.items())
    # Two phases through unique temporary names, so that a -> b, b -> a works.
    for number, (met, _) in enumerate(items):
        temporary = f"__metalign_tmp_{number}"
        model.constraints[met.id].name = temporary
        met._id = temporary  # bulk rename: the index is rebuilt once by repair()
    for met, new_id in items:
        model.constraints[met.id].name = new_id
        met._id = new_id
    model.repair()


def _restore_order(model: cobra.Model, metabolites: list) -> None:
    """Undo helper: put the metabolites back in their original order."""
    position = {id(met): i for i, met in enumerate(metabolites)}
    if len(model.metabolites) == len(metabolites) and all(
        id(met) in position for met in model.metabolites
    ):
        model.metabolites.sort(key=lambda met: position[id(met)])


def _set_stoichiometry(model: cobra.Model, stoichiometry: Mapping[Any, dict]) -> None:
    """Give reactions new ``{metabolite: coefficient}`` dicts; update links and the solver.

    cobra's ``Reaction.add_metabolites`` rewrites the solver row of every metabolite
    of the reaction on each call, which is quadratic for hub metabolites (``h_c``);
    here each changed solver row is written once.
    """
    rows: dict[Any, dict] = defaultdict(dict)
    for reaction, terms in stoichiometry.items():
        old = reaction._metabolites
        for met in set(old) | set(terms):
            coefficient = terms.get(met, 0.0)
            if old.get(met, 0.0) == coefficient and (met in old) == (met in terms):
                continue
            if met in terms:
                met._reaction.add(reaction)
            else:
                met._reaction.discard(reaction)
            if met.model is model:
                rows[met][reaction.forward_variable] = coefficient
                rows[met][reaction.reverse_variable] = -coefficient
        reaction._metabolites = terms
    for met, coefficients in rows.items():
        model.constraints[met.id].set_linear_coefficients(coefficients)


def _stoichiometry_key(reaction: Any, mirror: bool = False) -> tuple:
    sign = -1.0 if mirror else 1.0
    terms = tuple(
        sorted((met.id, round(sign * coef, 9)) for met, coef in reaction.metabolites.items())
    )
    forward, backward = reaction.upper_bound > 0, reaction.lower_bound < 0
    if mirror:
        forward, backward = backward, forward
    return terms, forward, backward


def _execute(
    model: cobra.Model, plan: _Plan, add_xrefs: Any, inplace: bool
) -> tuple[dict[str, str], pd.DataFrame]:
    """Apply the plan to ``model``; return {original id: final id} and the flagged reactions."""
    context = get_context(model) if inplace else None
    mets = {met.id: met for met in model.metabolites}
    final: dict[str, str] = {met_id: met_id for met_id in plan.order}
    for unit in plan.units:
        for member in unit.members:
            final[member] = unit.final_id

    touched: dict[str, dict[str, Any]] = {}
    rewire = [(unit, member) for unit in plan.units for member in unit.merged]
    if context is not None and rewire:
        # Registered first, so it runs last on leaving the context.
        context(partial(_restore_order, model, list(model.metabolites)))

    # 1. Annotations and notes of survivors and renamed metabolites.
    for unit in plan.units:
        survivor = mets[unit.survivor]
        sources = [mets[m].annotation for m in unit.merged]
        if unit.bigg:
            sources.append({"bigg.metabolite": unit.bigg})
            xrefs = _xrefs_for(add_xrefs, unit.bigg)
            if xrefs:
                sources.append(xrefs)
        annotation = _union_annotations(survivor.annotation, sources)
        if annotation != survivor.annotation:
            if context is not None:
                context(partial(setattr, survivor, "annotation", survivor.annotation))
            survivor.annotation = annotation
        if unit.merged or unit.final_id != unit.survivor:
            notes = dict(survivor.notes)
            recorded = [i.strip() for i in str(notes.get(NOTES_KEY, "")).split(";") if i.strip()]
            originals = list(dict.fromkeys([*recorded, *unit.members]))
            notes[NOTES_KEY] = "; ".join(originals)
            if context is not None:
                context(partial(setattr, survivor, "notes", survivor.notes))
            survivor.notes = notes

    # 2. Rewire every reaction of a merged-away metabolite onto its survivor.
    survivor_of = {mets[m]: mets[unit.survivor] for unit, m in rewire}
    reactions = {r for unit, m in rewire for r in mets[m].reactions}
    before: dict[Any, dict] = {}
    after: dict[Any, dict] = {}
    for reaction in sorted(reactions, key=lambda r: r.id):
        old = reaction._metabolites
        merged = sorted((m.id for m in old if m in survivor_of), key=plan.order.index)
        touched[reaction.id] = {
            "reaction": reaction,
            "original": reaction.build_reaction_string(),
            "merged": merged,
        }
        terms: dict = {}
        for met, coefficient in old.items():
            target = survivor_of.get(met, met)
            terms[target] = terms.get(target, 0.0) + coefficient
        before[reaction] = old
        after[reaction] = {m: c for m, c in terms.items() if abs(c) > _ZERO}
    _set_stoichiometry(model, after)
    if context is not None and before:
        # Runs after cobra has put the removed metabolites (and their rows) back.
        context(partial(_set_stoichiometry, model, before))

    # 3. Groups that held a merged-away metabolite now hold its survivor.
    merged_away = {mets[m] for _, m in rewire}
    for group in model.groups:
        gone = [m for m in group.members if m in merged_away]
        if not gone:
            continue
        original_members = group._members
        survivors = {mets[plan.unit_of[m.id].survivor] for m in gone}
        # A new set, so that the undo can put the original one (and its order) back.
        group._members = set(original_members)
        group.remove_members(gone)
        group.add_members([s for s in sorted(survivors, key=lambda s: s.id)])
        if context is not None:
            context(partial(setattr, group, "_members", original_members))

    # 4. Remove the merged-away metabolites (cobra registers its own undo).
    if merged_away:
        model.remove_metabolites(sorted(merged_away, key=lambda m: m.id))

    # 5. Rename.
    new_ids = {
        mets[unit.survivor]: unit.final_id for unit in plan.units if unit.final_id != unit.survivor
    }
    _set_ids(model, new_ids)
    if context is not None and new_ids:
        context(partial(_set_ids, model, {met: old for met, old in _old_ids(new_ids, mets)}))

    return final, _flag_reactions(model, touched, final)


def _old_ids(new_ids: Mapping[Any, str], mets: Mapping[str, Any]) -> list[tuple[Any, str]]:
    by_object = {id(met): met_id for met_id, met in mets.items()}
    return [(met, by_object[id(met)]) for met in new_ids]


def _flag_reactions(
    model: cobra.Model, touched: Mapping[str, Mapping[str, Any]], final: Mapping[str, str]
) -> pd.DataFrame:
    index: dict[tuple, list[str]] = defaultdict(list)
    for reaction in model.reactions:
        index[_stoichiometry_key(reaction)].append(reaction.id)
    rows = []
    for reaction_id in sorted(touched):
        record = touched[reaction_id]
        reaction = record["reaction"]
        merged = "; ".join(f"{m}->{final[m]}" for m in dict.fromkeys(record["merged"]))
        base = {
            "reaction_id": reaction.id,
            "name": reaction.name or "",
            "reaction": reaction.build_reaction_string(),
            "original": record["original"],
            "merged_metabolites": merged,
        }
        if not reaction.metabolites:
            rows.append({**base, "status": REACTION_EMPTIED, "duplicate_of": ""})
            continue
        same = set(index.get(_stoichiometry_key(reaction), ()))
        same |= set(index.get(_stoichiometry_key(reaction, mirror=True), ()))
        same.discard(reaction.id)
        if same:
            rows.append(
                {**base, "status": REACTION_DUPLICATE, "duplicate_of": "; ".join(sorted(same))}
            )
    frame = pd.DataFrame(rows, columns=list(REACTION_COLUMNS)).set_index("reaction_id")
    for row in frame.itertuples():
        logger.warning(
            "Reaction %s %s%s",
            row.Index,
            "became empty" if row.status == REACTION_EMPTIED else "is now identical to ",
            row.duplicate_of,
        )
    return frame


# ------------------------------------------------------------------- the audit
@dataclass(frozen=True)
class _Record:
    """What the audit shows of an original metabolite."""

    name: Any
    compartment: Any
    formula: Any
    charge: Any


def _charge_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _build_audit(
    original: Mapping[str, Any],
    table: pd.DataFrame,
    plan: _Plan,
    final: Mapping[str, str],
) -> pd.DataFrame:
    records = []
    rows = table.to_dict("index")
    for met_id in plan.order:
        met, row = original[met_id], rows[met_id]
        unit = plan.unit_of.get(met_id)
        comments = list(plan.comment.get(met_id, []))
        duplicate_of = row["duplicate_of"]
        decision = ""
        if unit is not None:
            if met_id == unit.survivor:
                if not unit.bigg:
                    status = UNMATCHED
                elif unit.final_id != met_id:
                    status = RENAMED
                elif met_id == f"{unit.bigg}_{unit.compartment}":
                    status = KEPT
                else:
                    status = ANNOTATED
                decision = "accept" if status != UNMATCHED else ""
                duplicate_of = ""
                if unit.merged:
                    comments.append(f"survivor of {', '.join(unit.merged)}")
            else:
                status, decision, duplicate_of = MERGED, "accept", unit.survivor
                comments.append(f"merged into {unit.survivor}")
            bigg_id = unit.bigg or row["bigg_id"]
        else:
            bigg_id = row["bigg_id"]
            state = plan.state[met_id]
            if state == _CONFLICT:
                status = CONFLICT
                if row["conflict"] and not comments:
                    comments.append("evidence disagrees")
            elif state == _REVIEW:
                status = REVIEW
                duplicate_of = plan.held.get(met_id, duplicate_of)
                if bigg_id:
                    target = f"{bigg_id}_{met.compartment}" if met.compartment else bigg_id
                    comments.append(f"proposed {target}, not applied")
            else:
                status = UNMATCHED
        records.append(
            {
                "metabolite_id": met_id,
                "name": met.name or "",
                "compartment": met.compartment or "",
                "status": status,
                "new_id": final[met_id],
                "bigg_id": bigg_id,
                "bigg_name": row["bigg_name"],
                "score": float(row["score"]),
                "decision": decision,
                "evidence": row["evidence"],
                "candidates": row["candidates"],
                "equivalents": row["equivalents"],
                "duplicate_of": duplicate_of,
                "conflict": bool(plan.conflict[met_id]),
                "formula": met.formula or "",
                "charge": _charge_text(met.charge),
                "comment": "; ".join(dict.fromkeys(comments)),
            }
        )
    return pd.DataFrame(records, columns=list(AUDIT_COLUMNS)).set_index("metabolite_id")


# ------------------------------------------------------------------- public API
def apply_matches(
    model: cobra.Model,
    matches: pd.DataFrame,
    *,
    rename: bool = True,
    inplace: bool = False,
    accept_review: bool = False,
    add_xrefs: Any = None,
    name_guard: bool = True,
) -> tuple[cobra.Model, pd.DataFrame, pd.DataFrame]:
    """Rewrite a model according to a match frame.

    Parameters
    ----------
    model : cobra.Model
        The model; left untouched unless ``inplace=True``.
    matches : pandas.DataFrame
        Indexed by metabolite id, with at least ``bigg_id`` and ``decision``
        (``accept``/``review``/``none``), and usually ``conflict``,
        ``duplicate_of``, ``equivalents``, ``bigg_name``, ``score``,
        ``evidence``, ``candidates`` (the frame of
        :func:`cobra_metalign.matcher.match`). Metabolites without a row are
        left ``UNMATCHED``.
    rename : bool, optional
        Rename accepted metabolites to ``{bigg_id}_{compartment}`` (default);
        when False they are only annotated (duplicates are still merged).
    inplace : bool, optional
        Change ``model`` itself. Inside ``with model:`` every change is reverted
        on exit. Default: work on ``model.copy()``.
    accept_review : bool, optional
        Also apply ``review`` rows that have a proposal (conflicts never).
    add_xrefs : Catalog or mapping, optional
        Also add the cross-references of each accepted id: a
        :class:`~cobra_metalign.catalog.Catalog`, or a mapping
        ``{bigg_id: {namespace: values}}``.
    name_guard : bool, optional
        Leave for review (status ``REVIEW``) a duplicate whose name differs from
        its survivor's by a distinguishing token or a stereo/specificity
        descriptor (``alpha-maltose`` vs ``beta-maltose``, ``glucose`` vs
        ``beta-D-glucose``) instead of merging it (default). Off when a curator
        accepted both rows (:func:`~cobra_metalign.audit.apply_audit`).

    Returns
    -------
    model : cobra.Model
        The rewritten model (``model`` itself when ``inplace=True``).
    audit : pandas.DataFrame
        One row per original metabolite, indexed by ``metabolite_id`` (see
        :mod:`cobra_metalign.audit`); ``attrs`` hold the model id, the input
        fingerprint and the options.
    reactions : pandas.DataFrame
        Flagged reactions (``REACTION_EMPTIED``, ``REACTION_DUPLICATE``),
        indexed by ``reaction_id``.

    Raises
    ------
    ValueError
        When the match frame lacks columns, repeats ids, names metabolites that
        are not in the model, or holds unknown decisions.

    Examples
    --------
    >>> from cobra_metalign.matcher import match
    >>> aligned, audit, flagged = apply_matches(model, match(model))
    >>> audit["status"].value_counts()
    """
    table = _normalize_matches(model, matches)
    fingerprint = model_fingerprint(model)
    plan = _plan(model, table, rename=rename, accept_review=accept_review, name_guard=name_guard)
    target = model if inplace else model.copy()
    original = {
        met.id: _Record(met.name, met.compartment, met.formula, met.charge)
        for met in model.metabolites
    }
    n_reactions = len(target.reactions)
    final, reactions = _execute(target, plan, add_xrefs, inplace)
    if len(target.reactions) != n_reactions:  # pragma: no cover - a bug, never user input
        raise RuntimeError("the rewrite changed the number of reactions")
    audit = _build_audit(original, table, plan, final)
    audit.attrs.update(
        {
            "model_id": str(model.id),
            "model_fingerprint": fingerprint,
            "rename": bool(rename),
            "accept_review": bool(accept_review),
        }
    )
    counts = audit["status"].value_counts()
    logger.info(
        "Rewrote %s: %s; %d reactions flagged",
        model.id,
        ", ".join(f"{status} {count}" for status, count in counts.items()),
        len(reactions),
    )
    return target, audit, reactions
