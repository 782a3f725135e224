"""Apply a rewrite plan to a cobra model: rename, annotate and merge duplicate metabolites.

:func:`apply_matches` takes the frame of :func:`cobra_metalign.matching.matcher.match`
(or a curated audit turned back into one), makes the plan
(:func:`cobra_metalign.rewrite.plan.make_plan`: what every metabolite becomes, decided
once), checks it (:func:`cobra_metalign.rewrite.plan.check_plan`), turns it into the audit
and applies it to the model with :func:`apply_plan`:

* every reaction of a merged-away metabolite is rewired onto the survivor with
  the summed coefficients of the plan (a coefficient that sums to zero is removed);
  the reactions that become empty or identical to another are flagged in the plan,
  never dropped;
* survivors are renamed to their final ids, the ``bigg.metabolite`` annotation
  (and catalogue xrefs when asked) is added, every annotation of every merged
  metabolite is kept on the survivor, original ids are recorded in the survivor's
  notes (``metalign_original_ids``).

The same plan can be written into the SBML document the model came from instead
(:mod:`cobra_metalign.rewrite.sbml`), keeping everything cobra does not model.

The model is copied unless ``inplace=True``; in place, every change is
registered with cobra's context so that ``with model:`` reverts it.
"""

from __future__ import annotations

import copy
import itertools
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

import pandas as pd
from cobra.util.context import get_context

from cobra_metalign.fingerprint import model_fingerprint
from cobra_metalign.rewrite.plan import (
    MATCH_DECISIONS,
    NOTES_KEY,
    RewritePlan,
    build_audit,
    check_plan,
    make_plan,
)

if TYPE_CHECKING:  # pragma: no cover
    import cobra

logger = logging.getLogger(__name__)

__all__ = ["apply_matches", "plan_matches", "apply_plan", "NOTES_KEY", "MATCH_DECISIONS"]

#: Temporary ids used while renaming: never in the model (see _temporary_ids).
_TEMPORARY_PREFIX = "__metalign_tmp_"


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


def _temporary_ids(taken: Iterable[str], count: int) -> list[str]:
    """``count`` ids that are neither in ``taken`` nor constraint names of the model."""
    taken = set(taken)
    found: list[str] = []
    for number in itertools.count():
        if len(found) == count:
            return found
        candidate = f"{_TEMPORARY_PREFIX}{number}"
        if candidate not in taken:
            found.append(candidate)
    return found  # pragma: no cover - itertools.count never ends


def _set_ids(model: cobra.Model, new_ids: Mapping[Any, str]) -> None:
    """Rename metabolites in bulk (swaps allowed), keeping the solver constraints in step."""
    if not new_ids:
        return
    items = list(new_ids.items())
    # Two phases through temporary names no metabolite or constraint has, so that
    # a -> b, b -> a works.
    taken = {met.id for met in model.metabolites} | set(model.constraints.keys())
    temporaries = _temporary_ids(taken, len(items))
    for temporary, (met, _) in zip(temporaries, items, strict=True):
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


def apply_plan(model: cobra.Model, plan: RewritePlan, *, inplace: bool = False) -> cobra.Model:
    """Apply a checked plan to a cobra model.

    Parameters
    ----------
    model : cobra.Model
        The model the plan was made from (same metabolites and reactions).
    plan : RewritePlan
        From :func:`cobra_metalign.rewrite.plan.make_plan`.
    inplace : bool, optional
        Change ``model`` itself; inside ``with model:`` every change is reverted
        on exit. Default: change a copy.

    Returns
    -------
    cobra.Model
        The rewritten model.
    """
    target = model if inplace else model.copy()
    n_reactions = len(target.reactions)
    _execute(target, plan, inplace)
    if len(target.reactions) != n_reactions:  # pragma: no cover - a bug, never user input
        raise RuntimeError("the rewrite changed the number of reactions")
    return target


def _execute(model: cobra.Model, plan: RewritePlan, inplace: bool) -> None:
    """Apply the plan to ``model``."""
    context = get_context(model) if inplace else None
    mets = {met.id: met for met in model.metabolites}
    rewire = [(unit, member) for unit in plan.units for member in unit.merged]
    if context is not None and rewire:
        # Registered first, so it runs last on leaving the context.
        context(partial(_restore_order, model, list(model.metabolites)))
    # 0. Compartments taken from the id suffix of metabolites that had none.
    for met_id, compartment in plan.inferred.items():
        _set_undoable(context, mets[met_id], "compartment", compartment)
    # 1. Annotations and notes of survivors and renamed metabolites.
    _annotate_survivors(plan, mets, context)
    # 2. Rewire every reaction of a merged-away metabolite onto its survivor.
    _rewire(model, plan, mets, context)
    # 3. Groups that held a merged-away metabolite now hold its survivor.
    merged_away = {mets[m] for m in plan.merged_into}
    _regroup(model, plan, mets, merged_away, context)
    # 4. Remove the merged-away metabolites (cobra registers its own undo).
    if merged_away:
        model.remove_metabolites(sorted(merged_away, key=lambda m: m.id))
    # 5. Rename.
    new_ids = {mets[old]: new for old, new in plan.renames.items()}
    _set_ids(model, new_ids)
    if context is not None and new_ids:
        context(partial(_set_ids, model, {met: old for met, old in _old_ids(new_ids, mets)}))


def _set_undoable(context: Any, obj: Any, attribute: str, value: Any) -> None:
    """``setattr``, with its undo registered in ``context`` (when there is one)."""
    if context is not None:
        context(partial(setattr, obj, attribute, getattr(obj, attribute)))
    setattr(obj, attribute, value)


def _annotate_survivors(plan: RewritePlan, mets: Mapping[str, Any], context: Any) -> None:
    """Survivors get the annotations of their merged members and the plan's, and
    the original ids in their notes."""
    notes_of = plan.notes
    for unit in plan.units:
        survivor = mets[unit.survivor]
        sources = [mets[m].annotation for m in unit.merged]
        if unit.survivor in plan.annotations:
            sources.append(plan.annotations[unit.survivor])
        annotation = _union_annotations(survivor.annotation, sources)
        if annotation != survivor.annotation:
            _set_undoable(context, survivor, "annotation", annotation)
        if unit.survivor in notes_of:
            notes = dict(survivor.notes)
            recorded = [i.strip() for i in str(notes.get(NOTES_KEY, "")).split(";") if i.strip()]
            originals = list(dict.fromkeys([*recorded, *notes_of[unit.survivor]]))
            notes[NOTES_KEY] = "; ".join(originals)
            _set_undoable(context, survivor, "notes", notes)


def _rewire(model: cobra.Model, plan: RewritePlan, mets: Mapping[str, Any], context: Any) -> None:
    """Set the plan's summed stoichiometry on every reaction it changes."""
    before: dict[Any, dict] = {}
    after: dict[Any, dict] = {}
    for reaction_id, terms in plan.stoichiometry.items():
        reaction = model.reactions.get_by_id(reaction_id)
        before[reaction] = reaction._metabolites
        after[reaction] = {mets[m]: c for m, c in terms.items()}
    _set_stoichiometry(model, after)
    if context is not None and before:
        # Runs after cobra has put the removed metabolites (and their rows) back.
        context(partial(_set_stoichiometry, model, before))


def _regroup(
    model: cobra.Model,
    plan: RewritePlan,
    mets: Mapping[str, Any],
    merged_away: set[Any],
    context: Any,
) -> None:
    """Groups that held a merged-away metabolite hold its survivor instead."""
    survivor_of = plan.merged_into
    for group in model.groups:
        gone = [m for m in group.members if m in merged_away]
        if not gone:
            continue
        original_members = group._members
        survivors = {mets[survivor_of[m.id]] for m in gone}
        # A new set, so that the undo can put the original one (and its order) back.
        group._members = set(original_members)
        group.remove_members(gone)
        group.add_members(sorted(survivors, key=lambda s: s.id))
        if context is not None:
            context(partial(setattr, group, "_members", original_members))


def _old_ids(new_ids: Mapping[Any, str], mets: Mapping[str, Any]) -> list[tuple[Any, str]]:
    by_object = {id(met): met_id for met_id, met in mets.items()}
    return [(met, by_object[id(met)]) for met in new_ids]


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
        :func:`cobra_metalign.matching.matcher.match`). Metabolites without a row are
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
        :class:`~cobra_metalign.catalog.store.Catalog`, or a mapping
        ``{bigg_id: {namespace: values}}``.
    name_guard : bool, optional
        Leave for review (status ``REVIEW``) a duplicate whose name differs from
        its survivor's by a distinguishing token or a stereo/specificity
        descriptor (``alpha-maltose`` vs ``beta-maltose``, ``glucose`` vs
        ``beta-D-glucose``) instead of merging it (default). Off when a curator
        accepted both rows (:func:`~cobra_metalign.rewrite.audit.apply_audit`).

    Returns
    -------
    model : cobra.Model
        The rewritten model (``model`` itself when ``inplace=True``).
    audit : pandas.DataFrame
        One row per original metabolite, indexed by ``metabolite_id`` (see
        :mod:`cobra_metalign.rewrite.audit`); ``attrs`` hold the model id, the input
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
    >>> from cobra_metalign.matching.matcher import match
    >>> aligned, audit, flagged = apply_matches(model, match(model))
    >>> audit["status"].value_counts()
    """
    plan, audit, reactions = plan_matches(
        model,
        matches,
        rename=rename,
        accept_review=accept_review,
        add_xrefs=add_xrefs,
        name_guard=name_guard,
    )
    target = apply_plan(model, plan, inplace=inplace)
    return target, audit, reactions


def plan_matches(
    model: cobra.Model,
    matches: pd.DataFrame,
    *,
    rename: bool = True,
    accept_review: bool = False,
    add_xrefs: Any = None,
    name_guard: bool = True,
) -> tuple[RewritePlan, pd.DataFrame, pd.DataFrame]:
    """Make and check the plan of a rewrite, and its audit, without changing the model.

    Parameters are those of :func:`apply_matches`.

    Returns
    -------
    plan : RewritePlan
        Apply it with :func:`apply_plan` or :func:`cobra_metalign.rewrite.sbml.patch_document`.
    audit : pandas.DataFrame
    reactions : pandas.DataFrame
        The reactions the plan flags.

    Raises
    ------
    ValueError
        A bad match frame (see :func:`apply_matches`).
    cobra_metalign.rewrite.plan.PlanInvariantError
        The plan breaks an invariant (a bug).
    """
    fingerprint = model_fingerprint(model)
    plan = make_plan(
        model,
        matches,
        rename=rename,
        accept_review=accept_review,
        name_guard=name_guard,
        add_xrefs=add_xrefs,
    )
    check_plan(plan)
    audit = build_audit(plan)
    reactions = plan.flagged
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
        "Planned %s: %s; %d reactions flagged",
        model.id,
        ", ".join(f"{status} {count}" for status, count in counts.items()),
        len(reactions),
    )
    for row in reactions.itertuples():
        logger.warning(
            "Reaction %s %s%s",
            row.Index,
            "becomes empty" if row.status == "REACTION_EMPTIED" else "becomes identical to ",
            row.duplicate_of,
        )
    return plan, audit, reactions
