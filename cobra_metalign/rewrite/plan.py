"""The rewrite plan: what happens to every metabolite, as plain data, decided once.

:func:`make_plan` reads a match frame (:func:`cobra_metalign.matching.matcher.match`, or a
curated audit turned back into one) and the model, and decides, without touching
the model, as DESIGN.md ("Rewriting") says:

* a *unit* (:class:`MergeUnit`) is either one accepted metabolite or a duplicate
  group: rows linked by ``duplicate_of`` and accepted rows of one compartment
  accepted to the same BiGG id (their new ids would collide);
* the survivor of a group is the member already holding the target id, else the
  one in most reactions, else the smallest id;
* a renamed id keeps the suffix its model uses for the compartment
  (:func:`~cobra_metalign.compartments.suffix_convention`): ``_c`` stays ``_c``
  even when the compartment's id is ``C_c``; ``_c0`` stays ``_c0``;
* a metabolite without a compartment takes it from its id suffix when that is
  unambiguous, and is otherwise never merged (nor renamed);
* automatic plans (the matcher's, not a curator's) never merge members whose names
  differ by a stereo or specificity descriptor, whose heavy-atom formulas differ,
  whose formulas use R-group or polymer notation that cannot be compared, or
  whose charges differ on one formula, nor a boundary copy (``X_b``,
  ``X_e_boundary``) with the metabolite it bounds; such members stay ``REVIEW`` with the
  reason (a boundary copy left unapplied is ``BOUNDARY``). An accepted row whose evidence is only similarity (TF-IDF, encoder) or
  an InChIKey skeleton is ``REVIEW`` too;
* a target id already held by a metabolite that keeps it (and is not part of the
  unit) blocks the unit (``CONFLICT``); no two metabolites ever end with one id.

The plan then lists, as public data, the renames, the merge groups with the summed
stoichiometry of every reaction they touch, the annotations and notes to add and
the reactions to flag. :func:`check_plan` verifies the invariants of the plan
before anything is applied; :func:`build_audit` turns it into the audit table.
It is applied to a cobra model by :func:`cobra_metalign.rewrite.cobra_model.apply_plan` or to
the SBML document itself by :mod:`cobra_metalign.rewrite.sbml`.
"""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import combinations
from typing import TYPE_CHECKING, Any

import pandas as pd
from scipy.cluster.hierarchy import DisjointSet

from cobra_metalign.compartments import (
    COMPARTMENT_CODES,
    compartment_aliases,
    decode_sbml_id,
    split_id,
    suffix_convention,
)
from cobra_metalign.rewrite.explain import boundary_comment, conflict_comment
from cobra_metalign.schema import (
    ANNOTATED,
    AUDIT_COLUMNS,
    BOUNDARY,
    CONFLICT,
    KEPT,
    MATCH_DECISIONS,
    MERGED,
    REACTION_COLUMNS,
    REACTION_DUPLICATE,
    REACTION_EMPTIED,
    RENAMED,
    REVIEW,
    UNMATCHED,
)

if TYPE_CHECKING:  # pragma: no cover
    import cobra

logger = logging.getLogger(__name__)

__all__ = [
    "NOTES_KEY",
    "MATCH_DECISIONS",
    "MergeUnit",
    "RewritePlan",
    "PlanInvariantError",
    "make_plan",
    "check_plan",
    "build_audit",
    "normalize_matches",
    "hard_evidence",
    "boundary_copy",
]

#: Key of the survivor's notes that records the original ids of a renamed or merged metabolite.
NOTES_KEY = "metalign_original_ids"

#: States of a metabolite in a plan.
APPLIED, PENDING, BLOCKED, NONE = "applied", "review", "conflict", "none"
#: Coefficients closer to zero than this after summing are removed.
ZERO = 1e-12
#: Evidence labels that never suffice on their own for an automatic acceptance.
SOFT_EVIDENCE = ("tfidf", "encoder", "inchikey=skeleton")
#: Start of the comment on an id suffix that names another compartment than the attribute.
_SUFFIX_NOTE = "id suffix names compartment"
#: compare_formulas outcomes that forbid an automatic merge, and why.
_FORMULA_BLOCKS = {
    "mismatch": "heavy-atom formulas differ",
    "generic": "R-group or polymer formula cannot be compared",
    "charge": "same formula, different charge",
}

_STRING_COLUMNS = (
    "bigg_id",
    "bigg_name",
    "decision",
    "evidence",
    "candidates",
    "equivalents",
    "duplicate_of",
)


class PlanInvariantError(RuntimeError):
    """A plan breaks an invariant: a bug in the planner, never the user's input.

    The message names the metabolite (row) concerned; nothing has been written.
    """


@dataclass(frozen=True)
class MergeUnit:
    """Metabolites that end as one.

    Attributes
    ----------
    members : tuple of str
        The survivor first, then the merged-away members (original ids).
    bigg_id : str
        The BiGG id the unit is mapped to ("" for a merge without one).
    final_id : str
        The survivor's id after the rewrite.
    compartment : str
        The compartment of every member.
    """

    members: tuple[str, ...]
    bigg_id: str
    final_id: str
    compartment: str

    @property
    def survivor(self) -> str:
        """The member that stays."""
        return self.members[0]

    @property
    def merged(self) -> tuple[str, ...]:
        """The members removed, their reactions rewired onto the survivor."""
        return self.members[1:]


@dataclass(frozen=True)
class _Record:
    """What the audit shows of an original metabolite."""

    name: Any
    compartment: Any
    formula: Any
    charge: Any


@dataclass
class RewritePlan:
    """Everything a rewrite does, decided before the model is touched.

    Attributes
    ----------
    model_id : str
    order : list of str
        Every original metabolite id, in model order.
    table : pandas.DataFrame
        The normalized match frame (one row per metabolite, in ``order``).
    units : list of MergeUnit
        Accepted metabolites and duplicate groups.
    state : dict
        ``applied``, ``review``, ``conflict`` or ``none`` per metabolite.
    conflict : dict
        Whether each metabolite is reported ``CONFLICT``.
    comment : dict
        Reasons per metabolite, shown in the audit ``comment``.
    held : dict
        Members held back from a merge by a guard: ``{member: survivor}``.
    compartment : dict
        The compartment of each metabolite the plan used (inferred from the id
        suffix when the model gave none; "" when unknown).
    suffix : dict
        The id suffix of each compartment (``{"C_c": "_c"}``).
    digit_prefix : str
        ``"_"`` when the model writes ids that would start with a digit with a
        leading underscore (``_10fthf_c``, as SBML exporters without ``M_`` do): a
        renamed id follows that convention.
    annotations : dict
        ``{survivor id: {namespace: [values]}}`` to add (``bigg.metabolite`` and,
        when asked, the catalogue's cross-references).
    stoichiometry : dict
        ``{reaction id: {metabolite id: coefficient}}`` after the merge, for every
        reaction a merged-away metabolite is in (original ids; the survivor holds
        the summed coefficients, zeros removed).
    flagged : pandas.DataFrame
        Reactions that become empty or identical to another (``REACTION_COLUMNS``).
    inferred : dict
        ``{metabolite id: compartment}`` for metabolites without a compartment whose id
        suffix names one unambiguously: the compartment is set (SBML requires one).
    automatic : bool
        True for the matcher's plan (guards on), False for a curator's.
    rename, accept_review : bool
        The options the plan was made with.
    """

    model_id: str
    order: list[str]
    table: pd.DataFrame
    state: dict[str, str]
    conflict: dict[str, bool]
    comment: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    units: list[MergeUnit] = field(default_factory=list)
    held: dict[str, str] = field(default_factory=dict)
    compartment: dict[str, str] = field(default_factory=dict)
    suffix: dict[str, str] = field(default_factory=dict)
    digit_prefix: str = ""
    annotations: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    stoichiometry: dict[str, dict[str, float]] = field(default_factory=dict)
    flagged: pd.DataFrame = field(default_factory=pd.DataFrame)
    inferred: dict[str, str] = field(default_factory=dict)
    automatic: bool = True
    rename: bool = True
    accept_review: bool = False
    records: dict[str, _Record] = field(default_factory=dict, repr=False)

    @property
    def unit_of(self) -> dict[str, MergeUnit]:
        """``{metabolite id: its unit}`` for every member of a unit."""
        return {member: unit for unit in self.units for member in unit.members}

    @property
    def final_ids(self) -> dict[str, str]:
        """``{original id: id after the rewrite}`` (merged members: the survivor's final id)."""
        final = {met_id: met_id for met_id in self.order}
        for unit in self.units:
            for member in unit.members:
                final[member] = unit.final_id
        return final

    @property
    def renames(self) -> dict[str, str]:
        """``{survivor id: new id}`` for every survivor whose id changes."""
        return {u.survivor: u.final_id for u in self.units if u.final_id != u.survivor}

    @property
    def merged_into(self) -> dict[str, str]:
        """``{merged-away id: survivor id}`` (original ids)."""
        return {m: u.survivor for u in self.units for m in u.merged}

    @property
    def notes(self) -> dict[str, list[str]]:
        """``{survivor id: original ids to record under NOTES_KEY}`` for renamed or merged units."""
        return {
            u.survivor: list(u.members) for u in self.units if u.merged or u.final_id != u.survivor
        }

    def units_frame(self) -> pd.DataFrame:
        """The units as a table: survivor, merged members, BiGG id, final id, compartment."""
        rows = [
            {
                "survivor": u.survivor,
                "merged": "; ".join(u.merged),
                "bigg_id": u.bigg_id,
                "final_id": u.final_id,
                "compartment": u.compartment,
            }
            for u in self.units
        ]
        return pd.DataFrame(
            rows, columns=["survivor", "merged", "bigg_id", "final_id", "compartment"]
        )

    def target_id(self, bigg_id: str, compartment: str) -> str:
        """The id a metabolite mapped to ``bigg_id`` gets in ``compartment``."""
        new_id = f"{bigg_id}{self.suffix.get(compartment, '_' + compartment)}"
        return self.digit_prefix + new_id if new_id[:1].isdigit() else new_id


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value != value:
        return ""
    return str(value).strip()


def _indexed_matches(matches: pd.DataFrame) -> pd.DataFrame:
    """A copy indexed by metabolite id (text); refused without its columns or with repeats."""
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
    return frame


def _with_model_rows(frame: pd.DataFrame, model_ids: list[str], model_id: Any) -> pd.DataFrame:
    """Refuse rows of unknown metabolites; add ``none`` rows for those without one."""
    unknown = sorted(set(frame.index) - set(model_ids))
    if unknown:
        raise ValueError(
            f"the match frame names {len(unknown)} metabolites not in model {model_id!r}: "
            f"{unknown[:10]}"
        )
    absent = [m for m in model_ids if m not in frame.index]
    if not absent:
        return frame
    logger.warning(
        "%d metabolites have no row in the match frame; they are left UNMATCHED (%s)",
        len(absent),
        ", ".join(absent[:5]),
    )
    filler = pd.DataFrame({"bigg_id": "", "decision": "none"}, index=pd.Index(absent))
    return pd.concat([frame, filler])


def normalize_matches(model: cobra.Model, matches: pd.DataFrame) -> pd.DataFrame:
    """Check a match frame against the model; fill absent rows and columns.

    Parameters
    ----------
    model : cobra.Model
    matches : pandas.DataFrame
        Indexed by metabolite id (or with a ``metabolite_id`` column), with at
        least ``bigg_id`` and ``decision``.

    Returns
    -------
    pandas.DataFrame
        One row per model metabolite, in model order, every column of
        :data:`_STRING_COLUMNS` as text, ``conflict`` bool and ``score`` float.

    Raises
    ------
    TypeError, ValueError
        A frame that is not a DataFrame, lacks columns, repeats ids, names
        metabolites that are not in the model or holds unknown decisions.
    """
    model_ids = [met.id for met in model.metabolites]
    frame = _with_model_rows(_indexed_matches(matches), model_ids, model.id)
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


def hard_evidence(evidence: str) -> bool | None:
    """Whether an evidence text holds something besides similarity and InChIKey skeletons.

    Parameters
    ----------
    evidence : str
        The ``evidence`` column (``id=exact; name=exact``, ``inchikey=skeleton; tfidf=0.84``).

    Returns
    -------
    bool or None
        None for an empty text (nothing to judge), else True when at least one
        item is not TF-IDF, encoder or InChIKey-skeleton evidence.

    Examples
    --------
    >>> hard_evidence("inchikey=skeleton; tfidf=0.84")
    False
    >>> hard_evidence("xref:kegg.compound=C00031; tfidf=0.9")
    True
    """
    items = [item.strip() for item in str(evidence or "").split(";") if item.strip()]
    if not items:
        return None
    return any(not item.startswith(SOFT_EVIDENCE) for item in items)


# ------------------------------------------------------------------- planning
def _compartments(model: cobra.Model, plan: RewritePlan) -> None:
    """Fill ``plan.compartment`` and ``plan.suffix``; comment on inferred or disagreeing ones."""
    known = sorted(str(c) for c in model.compartments if str(c).strip())
    # a suffix may also name a BiGG compartment the model does not use (ac_b in e)
    codes = sorted(set(known) | set(COMPARTMENT_CODES))
    pairs = []
    for met in model.metabolites:
        own = str(met.compartment or "").strip()
        if own:
            plan.compartment[met.id] = own
            pairs.append((met.id, own))
            base, _ = split_id(met.id, own)
            if base == decode_sbml_id(met.id):
                # nothing cut: does the suffix name another compartment of the model?
                _, other = split_id(met.id, None, [c for c in codes if c != own])
                if other and other != own and not (compartment_aliases(other) & {own}):
                    plan.comment[met.id].append(
                        f"{_SUFFIX_NOTE} {other}, the compartment attribute is {own}"
                    )
            continue
        _, inferred = split_id(met.id, None, known)
        plan.compartment[met.id] = inferred
        if inferred:
            plan.inferred[met.id] = inferred
            plan.comment[met.id].append(f"no compartment: {inferred} taken from the id suffix")
        else:
            plan.comment[met.id].append("no compartment, none in the id: never merged")
        pairs.append((met.id, inferred))
    plan.suffix = suffix_convention(pairs)
    if any(met_id[:1] == "_" and met_id[1:2].isdigit() for met_id in plan.order):
        plan.digit_prefix = "_"


def _initial_state(plan: RewritePlan, rows: Mapping[str, Mapping[str, Any]]) -> None:
    for met_id in plan.order:
        row = rows[met_id]
        decision, has_target = row["decision"], bool(row["bigg_id"] or row["duplicate_of"])
        plan.conflict[met_id] = bool(row["conflict"])
        if row["conflict"]:
            plan.state[met_id] = BLOCKED
        elif has_target and (decision == "accept" or (decision == "review" and plan.accept_review)):
            plan.state[met_id] = APPLIED
        elif decision == "review" and has_target:
            plan.state[met_id] = PENDING
        else:
            plan.state[met_id] = NONE
        if (
            plan.automatic
            and plan.state[met_id] == APPLIED
            and row["bigg_id"]
            and hard_evidence(row["evidence"]) is False
        ):
            plan.state[met_id] = PENDING
            plan.comment[met_id].append(
                "evidence is only similarity or an InChIKey skeleton: review"
            )


def make_plan(
    model: cobra.Model,
    matches: pd.DataFrame,
    *,
    rename: bool = True,
    accept_review: bool = False,
    name_guard: bool = True,
    add_xrefs: Any = None,
) -> RewritePlan:
    """Decide, without touching the model, what happens to every metabolite.

    Parameters
    ----------
    model : cobra.Model
    matches : pandas.DataFrame
        A match frame (see :func:`normalize_matches`).
    rename : bool, optional
        Rename accepted metabolites (default) or only annotate them.
    accept_review : bool, optional
        Also apply ``review`` rows that have a proposal.
    name_guard : bool, optional
        An automatic plan (default): members whose names, formulas or charges
        tell them apart and rows accepted on similarity alone are left for review.
        False for rows a curator accepted.
    add_xrefs : Catalog or mapping, optional
        Also annotate accepted metabolites with the catalogue's cross-references.

    Returns
    -------
    RewritePlan
    """
    table = normalize_matches(model, matches)
    mets = {met.id: met for met in model.metabolites}
    order = list(mets)
    plan = RewritePlan(
        model_id=str(model.id),
        order=order,
        table=table,
        state={},
        conflict={},
        automatic=bool(name_guard),
        rename=bool(rename),
        accept_review=bool(accept_review),
    )
    plan.records = {
        m.id: _Record(m.name, m.compartment, m.formula, m.charge) for m in model.metabolites
    }
    _compartments(model, plan)
    comp = plan.compartment
    n_reactions = {met_id: len(met.reactions) for met_id, met in mets.items()}
    rows = table.to_dict("index")
    bigg = {m: rows[m]["bigg_id"] for m in order}
    equiv = {m: _equivalents(rows[m]["equivalents"]) for m in order}
    _initial_state(plan, rows)
    state = plan.state

    links = DisjointSet(order)
    # 1. duplicate_of links proposed by the matcher (or a curator), in three passes so
    #    that the outcome does not depend on the order of the metabolites.
    edges = _duplicate_edges(plan, rows, set(mets))
    _settle_edges(plan, edges, bigg, equiv)
    _join_edges(plan, edges, bigg, links)
    # 2. Accepted to the same BiGG id in the same compartment: the ids would collide.
    same_target: dict[tuple[str, str], list[str]] = defaultdict(list)
    for met_id in order:
        if state[met_id] == APPLIED and bigg[met_id] and comp[met_id]:
            same_target[comp[met_id], bigg[met_id]].append(met_id)
    for members in same_target.values():
        for other in members[1:]:
            links.merge(members[0], other)

    components: dict[str, list[str]] = defaultdict(list)
    for met_id in order:
        components[links[met_id]].append(met_id)
    for members in components.values():
        if len(members) == 1 and state[members[0]] != APPLIED:
            continue
        unit = _make_unit(members, plan, bigg, equiv, n_reactions, mets)
        if unit is not None:
            plan.units.append(unit)
    _resolve_collisions(plan)
    _annotations(plan, add_xrefs)
    _reaction_changes(model, plan)
    return plan


def _duplicate_edges(
    plan: RewritePlan, rows: Mapping[str, Mapping[str, Any]], known: set[str]
) -> list[tuple[str, str]]:
    """``duplicate_of`` links within one known compartment; the others are commented."""
    comp = plan.compartment
    edges: list[tuple[str, str]] = []
    for met_id in plan.order:
        other = rows[met_id]["duplicate_of"]
        if not other or other == met_id:
            continue
        if other not in known:
            plan.comment[met_id].append(f"duplicate_of {other} is not in the model")
        elif not comp[met_id] or not comp[other]:
            plan.comment[met_id].append(
                f"duplicate_of {other} not merged: a compartment is unknown"
            )
        elif comp[other] != comp[met_id]:
            plan.comment[met_id].append(
                f"duplicate_of {other} is in another compartment: not merged"
            )
        else:
            edges.append((met_id, other))
    return edges


def _settle_edges(
    plan: RewritePlan,
    edges: list[tuple[str, str]],
    bigg: Mapping[str, str],
    equiv: Mapping[str, set[str]],
) -> None:
    """Apply links without BiGG ids; block links whose two BiGG ids disagree."""
    state, conflict = plan.state, plan.conflict
    # Strong evidence without any BiGG id (same InChIKey, or name+formula+xref).
    for met_id, other in edges:
        if (
            state[met_id] == NONE
            and state[other] in (NONE, APPLIED)
            and not (bigg[met_id] or bigg[other])
        ):
            state[met_id] = APPLIED
    # Linked rows accepted to different, non-equivalent ids: the evidence disagrees.
    snapshot = dict(state)
    for met_id, other in edges:
        if (
            snapshot[met_id] == APPLIED
            and snapshot[other] == APPLIED
            and bigg[met_id]
            and bigg[other]
            and bigg[met_id] != bigg[other]
            and bigg[met_id] not in equiv[other]
            and bigg[other] not in equiv[met_id]
        ):
            state[met_id], conflict[met_id] = BLOCKED, True
            plan.comment[met_id].append(
                f"mapped to {bigg[met_id]} but marked a duplicate of {other}, "
                f"mapped to {bigg[other]}"
            )


def _join_edges(
    plan: RewritePlan,
    edges: list[tuple[str, str]],
    bigg: Mapping[str, str],
    links: DisjointSet,
) -> None:
    """Join the linked rows that may be merged; comment on the others."""
    state, comp = plan.state, plan.compartment

    def holds_own(met_id: str) -> bool:
        return bool(bigg[met_id]) and met_id == plan.target_id(bigg[met_id], comp[met_id])

    for met_id, other in edges:
        mine, theirs = state[met_id], state[other]
        if mine == APPLIED and theirs == APPLIED:
            if not bigg[met_id] or not bigg[other] or bigg[met_id] == bigg[other]:
                links.merge(met_id, other)
            elif holds_own(met_id) and holds_own(other):
                # Both ids are BiGG ids the model already uses side by side: the
                # catalogue's equivalence alone is not enough to merge them.
                plan.comment[met_id].append(
                    f"equivalent of {other} ({bigg[other]}) but both already hold "
                    "BiGG ids: kept apart, review"
                )
            else:
                links.merge(met_id, other)
        elif mine == APPLIED and theirs == NONE and not bigg[met_id]:
            links.merge(met_id, other)  # an accepted merge into an unmapped metabolite
        elif mine == APPLIED:
            plan.comment[met_id].append(
                f"proposed duplicate of {other} not merged: {other} is {theirs}"
            )
        elif mine != BLOCKED:
            plan.comment[met_id].append(f"proposed duplicate of {other}, not applied")


def boundary_copy(met_id: str, compartment: str | None) -> bool:
    """Whether a metabolite is the boundary copy of another (``X_b``, ``X_e_boundary``).

    Examples
    --------
    >>> boundary_copy("so4_e_boundary", "e"), boundary_copy("ac_b", "e"), boundary_copy("ac_e", "e")
    (True, True, False)
    """
    decoded = decode_sbml_id(met_id)
    base, _ = split_id(met_id, compartment)
    return decoded.endswith("_boundary") or base.endswith(("_b", "_boundary"))


def _bounded(plan: RewritePlan, met_id: str, compartment: str | None) -> str | None:
    """The metabolite a boundary copy bounds, read from the ids (``acgam_b`` -> ``acgam_e``,
    ``cpd00027_b`` -> ``cpd00027_e0``), preferring the copy's own compartment; None if no
    single one is found."""
    decoded = decode_sbml_id(met_id)
    for tag in ("_boundary", "_b"):
        if decoded.endswith(tag):
            decoded = decoded[: -len(tag)]
            break
    known = sorted({c for c in plan.compartment.values() if c})
    stem, _ = split_id(decoded, None, known)
    found = [
        other
        for other in plan.order
        if other != met_id
        and not boundary_copy(other, plan.compartment.get(other))
        and split_id(other, plan.compartment.get(other))[0] in (stem, decoded)
    ]
    same = [other for other in found if plan.compartment.get(other) == compartment]
    chosen = same or found
    return chosen[0] if len(chosen) == 1 else None


def _guard(plan: RewritePlan, survivor: Any, member: Any) -> str:
    """Why ``member`` must not be merged into ``survivor`` automatically ("" if it may)."""
    from cobra_metalign.chem import compare_formulas

    if boundary_copy(survivor.id, survivor.compartment) != boundary_copy(
        member.id, member.compartment
    ):
        return "a boundary copy is not the metabolite it bounds"

    outcome = compare_formulas(survivor.formula, member.formula, survivor.charge, member.charge)
    if outcome in _FORMULA_BLOCKS:
        return (
            f"{_FORMULA_BLOCKS[outcome]} ({survivor.formula or '?'} {survivor.charge}, "
            f"{member.formula or '?'} {member.charge})"
        )
    why = (
        _name_difference(survivor, member)
        or _descriptor_difference(survivor, member)
        or _id_only_link(plan, survivor, member)
    )
    return f"names differ ({why})" if why else ""


def _id_only_link(plan: RewritePlan, survivor: Any, member: Any) -> str:
    """Two real names that differ, linked by nothing but an id variant ("" otherwise).

    iMM904 holds ``cer2_24_c`` "Ceramide 2 (Phytosphingosine n-C24:0)" and ``cer2__24_c``
    "Ceramide 2 (Sphinganine n-C24:0OH)": the second's id reads as a variant of the first's
    BiGG id, but the names say two compounds, and no formula tells them apart.
    """
    from cobra_metalign.normalize import normalize_name

    table = plan.table
    if "evidence" not in table.columns or member.id not in table.index:
        return ""
    items = [i.strip() for i in str(table.at[member.id, "evidence"]).split(";") if i.strip()]
    if not items or not all(item.startswith("id=") for item in items):
        return ""
    names = []
    for met in (survivor, member):
        name = str(met.name or "").strip()
        if not name or name == met.id:
            return ""  # no real name to compare
        names.append(normalize_name(name))
    return "" if names[0] == names[1] else "only an id variant links two different names"


#: Name tokens that tell stereoisomers, anomers and isomers apart (``L``-, ``alpha``-, ``(R)``-,
#: ``cis``-, ``E``-); a name with one that the other lacks may be the specific form of a generic.
_DESCRIPTORS = frozenset(
    {"alpha", "beta", "cis", "trans", "l", "d", "r", "s", "e", "z", "meso", "\u03b1", "\u03b2"}
)
#: Words of a name: split at spaces and punctuation, not at ``_`` (an id used as a name,
#: ``glc__D_c``, is one word, not a ``D`` descriptor).
_TOKEN = re.compile(r"[^\s\-(),\[\]{}:;/+'.,]+")


def _descriptor_difference(first: Any, second: Any) -> str:
    """Stereo, anomer or isomer descriptors one name carries and the other does not ("" if none).

    The last guard before a merge, whatever the rest of the names says:
    ``N-Acetyl-beta-neuraminate`` is not merged into ``Neu5Ac``, nor ``D-Galactose`` into
    ``Galactose`` (generic vs specific goes to review).
    """
    from cobra_metalign.compartments import clean_name

    tokens = []
    for met in (first, second):
        name = clean_name(met.name or "", met.compartment).lower()
        tokens.append({t for t in _TOKEN.findall(name) if t in _DESCRIPTORS})
    if not (first.name and second.name) or tokens[0] == tokens[1]:
        return ""
    only = [
        f"{', '.join(sorted(a - b))} only in {met.id}"
        for a, b, met in ((tokens[0], tokens[1], first), (tokens[1], tokens[0], second))
        if a - b
    ]
    return "stereo/anomer descriptors differ: " + "; ".join(only)


def _guarded_members(
    plan: RewritePlan, survivor: str, others: list[str], mets: Mapping[str, Any]
) -> list[str]:
    """The members the merge guard lets join ``survivor``; the others go to review."""
    kept = []
    for member in others:
        why = _guard(plan, mets[survivor], mets[member])
        if why:
            plan.state[member] = PENDING
            plan.held[member] = survivor
            plan.comment[member].append(
                f"possible duplicate of {survivor} not merged, {why}: review"
            )
        else:
            kept.append(member)
    return kept


def _unit_target(plan: RewritePlan, bigg: Mapping[str, str], members: tuple[str, ...]) -> str:
    """The survivor's applied BiGG id, else the most common applied one of the unit."""
    survivor = members[0]
    if bigg[survivor] and plan.state[survivor] == APPLIED:
        return bigg[survivor]
    targets = [bigg[m] for m in members if plan.state[m] == APPLIED and bigg[m]]
    if not targets:
        return ""
    counts = Counter(targets)
    return min(sorted(set(targets)), key=lambda b: (-counts[b], b))


def _make_unit(
    members: list[str],
    plan: RewritePlan,
    bigg: Mapping[str, str],
    equiv: Mapping[str, set[str]],
    n_reactions: Mapping[str, int],
    mets: Mapping[str, Any],
) -> MergeUnit | None:
    state = plan.state
    targets = [bigg[m] for m in members if state[m] == APPLIED and bigg[m]]
    distinct = sorted(set(targets))

    def linked(a: str, b: str) -> bool:
        return any(
            (bigg[m] == a and b in equiv[m]) or (bigg[m] == b and a in equiv[m]) for m in members
        )

    consistent = all(linked(a, b) for a, b in combinations(distinct, 2))
    unmapped = [m for m in members if state[m] != APPLIED]
    if (distinct and not consistent) or (distinct and unmapped):
        why = (
            f"inconsistent BiGG ids {', '.join(distinct)}"
            if not consistent
            else f"{', '.join(unmapped)} not accepted"
        )
        for member in members:
            plan.state[member], plan.conflict[member] = BLOCKED, True
            plan.comment[member].append(f"duplicate group {', '.join(members)}: {why}")
        return None
    compartment = plan.compartment[members[0]]

    def has_target(met_id: str) -> bool:
        return any(met_id == plan.target_id(b, compartment) for b in distinct)

    survivor = min(members, key=lambda m: (not has_target(m), -n_reactions[m], m))
    others = [m for m in members if m != survivor]
    if plan.automatic:
        others = _guarded_members(plan, survivor, others, mets)
    target = _unit_target(plan, bigg, (survivor, *others))
    if target and plan.rename and compartment:
        final_id = plan.target_id(target, compartment)
    else:
        final_id = mets[survivor].id
    return MergeUnit(
        members=(survivor, *others), bigg_id=target, final_id=final_id, compartment=compartment
    )


def _name_difference(first: Any, second: Any) -> str:
    """Distinguishing or specificity differences between two metabolites' names ("" if none)."""
    from cobra_metalign.chem import distinguishing_clash, specificity_difference
    from cobra_metalign.compartments import clean_name

    name1 = clean_name(first.name or "", first.compartment)
    name2 = clean_name(second.name or "", second.compartment)
    if not name1 or not name2:
        return ""
    return "; ".join([*distinguishing_clash(name1, name2), *specificity_difference(name1, name2)])


def _resolve_collisions(plan: RewritePlan) -> None:
    """Block units whose final id another metabolite keeps, until no id is used twice."""
    while True:
        blocked = _colliding_units(plan)
        if not blocked:
            return
        for unit, others in blocked.values():
            plan.units.remove(unit)
            for member in unit.members:
                plan.state[member], plan.conflict[member] = BLOCKED, True
                plan.comment[member].append(
                    f"target id {unit.final_id} is held by {', '.join(others)}: not applied"
                )
            logger.info(
                "Not applying %s -> %s: the id is held by %s",
                ", ".join(unit.members),
                unit.final_id,
                ", ".join(others),
            )


def _colliding_units(plan: RewritePlan) -> dict[int, tuple[MergeUnit, list[str]]]:
    """Units that would take an id another metabolite ends with, and those others."""
    holders: dict[str, list[str]] = defaultdict(list)
    unit_of = plan.unit_of
    for met_id in plan.order:
        unit = unit_of.get(met_id)
        if unit is None:
            holders[met_id].append(met_id)
        elif met_id == unit.survivor:
            holders[unit.final_id].append(met_id)
    blocked: dict[int, tuple[MergeUnit, list[str]]] = {}
    for ids in holders.values():
        if len(ids) < 2:
            continue
        for met_id in ids:
            unit = unit_of.get(met_id)
            if unit is not None and unit.final_id != unit.survivor:
                blocked[id(unit)] = (unit, [i for i in ids if i != met_id])
    return blocked


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _annotations(plan: RewritePlan, add_xrefs: Any) -> None:
    """``bigg.metabolite`` (and catalogue xrefs) to add to each mapped survivor."""
    for unit in plan.units:
        if not unit.bigg_id:
            continue
        added: dict[str, list[str]] = {"bigg.metabolite": [unit.bigg_id]}
        entry = add_xrefs.get(unit.bigg_id) if add_xrefs is not None else None
        if entry is not None:
            xrefs = getattr(entry, "xrefs", entry)
            for namespace, values in sorted(xrefs.items()):
                if values:
                    added.setdefault(str(namespace), []).extend(
                        v for v in _as_list(values) if v not in added.get(str(namespace), [])
                    )
        plan.annotations[unit.survivor] = added


# ------------------------------------------------------------------ reactions
def _key(terms: Iterable[tuple[str, float]], lower: float, upper: float, mirror: bool) -> tuple:
    sign = -1.0 if mirror else 1.0
    ordered = tuple(sorted((met_id, round(sign * coef, 9)) for met_id, coef in terms))
    forward, backward = upper > 0, lower < 0
    if mirror:
        forward, backward = backward, forward
    return ordered, forward, backward


def _reaction_string(reaction: Any, terms: Mapping[str, float]) -> str:
    """cobra's reaction string of ``reaction`` with the stoichiometry ``terms`` (final ids)."""
    import cobra

    copy = cobra.Reaction(
        reaction.id, lower_bound=reaction.lower_bound, upper_bound=reaction.upper_bound
    )
    copy.add_metabolites({cobra.Metabolite(m): c for m, c in terms.items()})
    return copy.build_reaction_string()


def _reaction_changes(model: cobra.Model, plan: RewritePlan) -> None:
    """Summed stoichiometry of every reaction a merge touches, and the reactions to flag."""
    survivor_of = plan.merged_into
    final = plan.final_ids
    touched = sorted(
        {r.id: r for m in survivor_of for r in model.metabolites.get_by_id(m).reactions}.values(),
        key=lambda r: r.id,
    )
    for reaction in touched:
        terms: dict[str, float] = {}
        for met, coefficient in reaction.metabolites.items():
            target = survivor_of.get(met.id, met.id)
            terms[target] = terms.get(target, 0.0) + coefficient
        plan.stoichiometry[reaction.id] = {m: c for m, c in terms.items() if abs(c) > ZERO}
    if not touched:  # nothing merged: no reaction to flag
        plan.flagged = pd.DataFrame([], columns=list(REACTION_COLUMNS)).set_index("reaction_id")
        return
    position = {met_id: number for number, met_id in enumerate(plan.order)}
    index: dict[tuple, list[str]] = defaultdict(list)
    finals: dict[str, dict[str, float]] = {}
    for reaction in model.reactions:
        if reaction.id in plan.stoichiometry:
            terms = {final[m]: c for m, c in plan.stoichiometry[reaction.id].items()}
        else:
            terms = {final[m.id]: c for m, c in reaction.metabolites.items()}
        finals[reaction.id] = terms
        index[_key(terms.items(), reaction.lower_bound, reaction.upper_bound, False)].append(
            reaction.id
        )
    rows = []
    for reaction in touched:
        terms = finals[reaction.id]
        merged = [m.id for m in reaction.metabolites if m.id in survivor_of]
        merged.sort(key=position.__getitem__)
        base = {
            "reaction_id": reaction.id,
            "name": reaction.name or "",
            "reaction": _reaction_string(reaction, terms),
            "original": reaction.build_reaction_string(),
            "merged_metabolites": "; ".join(f"{m}->{final[m]}" for m in dict.fromkeys(merged)),
        }
        if not terms:
            rows.append({**base, "status": REACTION_EMPTIED, "duplicate_of": ""})
            continue
        lower, upper = reaction.lower_bound, reaction.upper_bound
        same = set(index.get(_key(terms.items(), lower, upper, False), ()))
        same |= set(index.get(_key(terms.items(), lower, upper, True), ()))
        same.discard(reaction.id)
        if same:
            rows.append(
                {**base, "status": REACTION_DUPLICATE, "duplicate_of": "; ".join(sorted(same))}
            )
    plan.flagged = pd.DataFrame(rows, columns=list(REACTION_COLUMNS)).set_index("reaction_id")


# ----------------------------------------------------------------- invariants
def check_plan(plan: RewritePlan) -> None:
    """Verify the invariants of a plan before anything is applied.

    * every unit lies in one known compartment;
    * an automatic plan merges no members whose heavy-atom formulas differ, whose
      formulas use R-group/polymer notation that differs, or whose charges differ
      on one formula;
    * an automatic plan applies no BiGG id on similarity or an InChIKey skeleton alone;
    * a metabolite already holding the id its BiGG mapping gives is never renamed
      away nor merged into another;
    * the survivor of each unit follows the documented rule;
    * no two metabolites end with one id.

    Parameters
    ----------
    plan : RewritePlan

    Raises
    ------
    PlanInvariantError
        Naming the metabolite and the broken invariant. A violation is a bug in
        the planner: nothing must be written.
    """
    rows = plan.table
    bigg = rows["bigg_id"].to_dict()
    evidence = rows["evidence"].to_dict()
    _check_final_ids(plan, bigg)
    for unit in plan.units:
        _check_unit(plan, unit)
        if not plan.automatic:
            continue
        for member in unit.merged:
            _check_automatic_merge(plan, unit, member)
        for member in unit.members:
            if bigg[member] and hard_evidence(evidence[member]) is False:
                _violation(
                    member,
                    f"accepted as {bigg[member]} on similarity alone ({evidence[member]})",
                )


def _check_final_ids(plan: RewritePlan, bigg: Mapping[str, str]) -> None:
    """No two metabolites end with one id; one holding its BiGG id keeps it."""
    seen: dict[str, str] = {}
    unit_of = plan.unit_of
    for met_id in plan.order:
        unit = unit_of.get(met_id)
        final = unit.final_id if unit is not None else met_id
        if unit is None or met_id == unit.survivor:
            if final in seen:
                _violation(met_id, f"ends with id {final}, as does {seen[final]}")
            seen[final] = met_id
        own = (
            bigg[met_id]
            and plan.compartment.get(met_id)
            and met_id == plan.target_id(bigg[met_id], plan.compartment[met_id])
        )
        if own and unit is not None and (met_id != unit.survivor or final != met_id):
            _violation(met_id, f"already holds its BiGG id but would become {final}")


def _check_unit(plan: RewritePlan, unit: MergeUnit) -> None:
    """One known compartment; the member holding the target id survives."""
    comps = {plan.compartment[m] for m in unit.members}
    if len(unit.members) > 1 and (len(comps) != 1 or "" in comps):
        _violation(
            unit.survivor,
            f"merge across compartments {sorted(comps)}: {', '.join(unit.members)}",
        )
    holders = [m for m in unit.members if m == plan.target_id(unit.bigg_id, unit.compartment)]
    if unit.bigg_id and holders and unit.survivor not in holders:
        _violation(holders[0], f"holds the target id of its group but {unit.survivor} survives")


def _check_automatic_merge(plan: RewritePlan, unit: MergeUnit, member: str) -> None:
    """No boundary copy merged with an inner one; no formula or charge that blocks."""
    from cobra_metalign.chem import compare_formulas

    if boundary_copy(member, plan.compartment[member]) != boundary_copy(
        unit.survivor, plan.compartment[unit.survivor]
    ):
        _violation(member, f"automatic merge of a boundary copy with {unit.survivor}")
    survivor = plan.records[unit.survivor]
    record = plan.records[member]
    outcome = compare_formulas(survivor.formula, record.formula, survivor.charge, record.charge)
    if outcome in _FORMULA_BLOCKS:
        _violation(
            member,
            f"automatic merge into {unit.survivor}: {_FORMULA_BLOCKS[outcome]} "
            f"({survivor.formula} vs {record.formula})",
        )


def _violation(met_id: str, what: str) -> None:
    raise PlanInvariantError(
        f"rewrite plan invariant violated at metabolite {met_id}: {what}. "
        "This is a bug in cobra_metalign; nothing was written."
    )


# ------------------------------------------------------------------- the audit
def _charge_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _unit_status(plan: RewritePlan, unit: MergeUnit, met_id: str) -> str:
    if met_id != unit.survivor:
        return MERGED
    if not unit.bigg_id:
        return UNMATCHED
    if unit.final_id != met_id:
        return RENAMED
    if met_id == plan.target_id(unit.bigg_id, unit.compartment):
        return KEPT
    return ANNOTATED


def build_audit(plan: RewritePlan) -> pd.DataFrame:
    """The audit table of a plan: one row per original metabolite.

    Parameters
    ----------
    plan : RewritePlan

    Returns
    -------
    pandas.DataFrame
        Indexed by ``metabolite_id``, columns :data:`~cobra_metalign.rewrite.audit.AUDIT_COLUMNS`.
    """
    records = []
    rows = plan.table.to_dict("index")
    final = plan.final_ids
    unit_of = plan.unit_of
    # the metabolite that ends with an id (a merged one ends with its survivor's)
    holder = {final[m]: m for m in plan.order if unit_of.get(m) is None or m == final[m]}
    holder.update({u.final_id: u.survivor for u in plan.units})
    for met_id in plan.order:
        met, row = plan.records[met_id], rows[met_id]
        unit = unit_of.get(met_id)
        comments = list(plan.comment.get(met_id, []))
        duplicate_of = row["duplicate_of"]
        decision = ""
        if unit is not None:
            status = _unit_status(plan, unit, met_id)
            if status == MERGED:
                decision, duplicate_of = "accept", unit.survivor
                comments.append(f"merged into {unit.survivor}")
            else:
                decision = "accept" if status != UNMATCHED else ""
                duplicate_of = ""
                if unit.merged:
                    comments.append(f"survivor of {', '.join(unit.merged)}")
            bigg_id = unit.bigg_id or row["bigg_id"]
        else:
            bigg_id = row["bigg_id"]
            state = plan.state[met_id]
            if state == BLOCKED:
                status = CONFLICT
                if row["conflict"]:
                    # which candidates disagree, and on what evidence, before other notes
                    why = conflict_comment(
                        bigg_id, row["evidence"], row["candidates"], met.formula, met.charge
                    )
                    comments.insert(0, why or "evidence disagrees")
            elif state == PENDING:
                status = REVIEW
                duplicate_of = plan.held.get(met_id, duplicate_of)
                compartment = plan.compartment.get(met_id, "")
                target = ""
                if bigg_id:
                    target = plan.target_id(bigg_id, compartment) if compartment else bigg_id
                if boundary_copy(met_id, met.compartment):
                    # its own status, so that a curator can filter the boundary copies out
                    status = BOUNDARY
                    merged_into = plan.held.get(met_id) or holder.get(target)
                    bounded = _bounded(plan, met_id, met.compartment)
                    # its ``_b`` suffix is the boundary convention, not a compartment
                    comments = [boundary_comment(bounded, merged_into, target)] + [
                        c for c in comments if not c.startswith(_SUFFIX_NOTE)
                    ]
                elif target:
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
