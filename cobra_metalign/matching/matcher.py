"""Map every metabolite of a model to a universal BiGG id, with evidence and a decision.

Evidence for a (model metabolite, catalogue entry) pair, strongest first:

``id``
    The model id without compartment equals a BiGG id (``id=exact``), an old
    BiGG id (``id=old``) or an id-style variant of one (``id=variant``:
    ``glc_DASH_D``, ``12ppd_R``).
``xref``
    An annotation equals a catalogue cross-reference in the same namespace; an id
    that is itself a cross-reference (``cpd00027``, ``C00031``, ``MNXM99``) counts
    too. An annotation ``bigg.metabolite`` is read as an id.
``inchikey``
    The full InChIKey is strong; its first block alone (``inchikey=skeleton``)
    means same skeleton, different stereo or charge.
``name``
    Normalized equality with a catalogue name or synonym.
``tfidf`` / ``encoder``
    Character n-gram TF-IDF and (when an encoder is given) encoder cosine
    nearest names.

Each kind gives a strength in [0, 1]; strengths of different kinds combine as a
noisy-or. Guards then act on the combined score: formulas that agree once
hydrogens are set aside (the charge explaining the difference) raise it, a
heavy-atom mismatch cuts it, a clash of distinguishing name tokens (numbers,
positions, stereo descriptors) or a generic-vs-specific difference forbids
automatic acceptance. Candidates that are equivalent BiGG ids (``mevR`` and
``mev__R``) are pooled; the canonical id is proposed unless the model already
uses one of them.

Decisions: ``accept`` (applied by :func:`cobra_metalign.align`), ``review``
(proposed, not applied), ``none``. A false merge is worse than a missed one, so
only a hard source of evidence (id, cross-reference, InChIKey, exact name) that
passes every guard with a clear margin is accepted.
"""

from __future__ import annotations

import logging
import re
import weakref
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cobra_metalign.annotations import id_as_xref
from cobra_metalign.catalog.store import Catalog, load_catalog
from cobra_metalign.chem import (
    MIXTURE_CARBONS,
    compare_formulas,
    distinguishing_clash,
    parse_formula,
    specificity_difference,
)
from cobra_metalign.errors import MetalignError
from cobra_metalign.matching.decision import FEATURES, DecisionModel, load_decision, pair_features
from cobra_metalign.matching.similarity import TfidfNameIndex
from cobra_metalign.normalize import normalize_bigg_id, normalize_name

if TYPE_CHECKING:  # pragma: no cover
    import cobra

    from cobra_metalign.matching.encoder import NameEncoder

logger = logging.getLogger(__name__)

__all__ = ["SOURCES", "MATCH_COLUMNS", "EVIDENCE_WEIGHTS", "Matcher", "match", "tfidf_index"]

#: Evidence sources the matcher can use (ablations switch them off one by one).
SOURCES: tuple[str, ...] = ("id", "xref", "inchikey", "name", "tfidf", "encoder")
#: Sources whose evidence may lead to automatic acceptance.
HARD_SOURCES = frozenset({"id", "xref", "inchikey", "name"})

#: Strength of each kind of evidence (documented in ``docs/matching.md``; a test checks
#: that the page and this table agree). Tuples are indexed by how many compounds (1, 2,
#: 3, more) the piece of evidence points to.
EVIDENCE_WEIGHTS: dict[str, float | tuple[float, ...]] = {
    "id=exact": 0.97,
    "id=old": 0.93,
    "id=variant": 0.90,
    "xref": (0.90, 0.80, 0.70, 0.55),
    "xref:bigg.metabolite": 0.95,
    "inchikey=full": (0.95, 0.85),
    "inchikey=skeleton": 0.50,
    "name=exact": (0.90, 0.60, 0.50),
    "name=id": 0.85,
    "tfidf": 0.80,
    "encoder": 0.75,
}
#: Least strength of one piece of id, cross-reference or InChIKey evidence that may lead
#: to acceptance (with an exact name, the other hard source); below it (an InChIKey
#: skeleton, a cross-reference shared by many compounds) evidence only proposes.
HARD_EVIDENCE_MIN = 0.70
#: Least strength of one piece of evidence for a rival to block acceptance or make a CONFLICT.
DECISIVE_EVIDENCE_MIN = 0.90


def _by_count(kind: str, count: int) -> float:
    weights = EVIDENCE_WEIGHTS[kind]
    assert isinstance(weights, tuple)
    return weights[min(count, len(weights)) - 1]


#: Columns of the frame :func:`match` returns.
MATCH_COLUMNS: tuple[str, ...] = (
    "base_id",
    "compartment",
    "name",
    "formula",
    "charge",
    "bigg_id",
    "bigg_name",
    "decision",
    "conflict",
    "score",
    "evidence",
    "candidates",
    "equivalents",
    "duplicate_of",
)

_FORMULA_RANK = {
    "equal": 0,
    "ok": 1,
    "h_only": 2,
    "charge": 3,
    "generic": 4,
    "missing": 5,
    "mismatch": 6,
}

_TFIDF: weakref.WeakKeyDictionary[Catalog, TfidfNameIndex] = weakref.WeakKeyDictionary()


def tfidf_index(catalog: Catalog) -> TfidfNameIndex:
    """The TF-IDF index of a catalogue's names, built once per catalogue object."""
    index = _TFIDF.get(catalog)
    if index is None:
        table = catalog.name_table
        index = TfidfNameIndex().fit(table["name"].tolist(), table["bigg_id"].tolist())
        _TFIDF[catalog] = index
    return index


@dataclass
class _Candidate:
    """Evidence gathered for one catalogue id."""

    strengths: dict[str, float] = field(default_factory=dict)
    labels: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, kind: str, strength: float, label: str) -> None:
        if strength > self.strengths.get(kind, 0.0):
            self.strengths[kind] = strength
        if label not in self.labels[kind]:
            self.labels[kind].append(label)


#: Kinds that all read the name: one family, so they are not counted twice.
_NAME_FAMILY = frozenset({"name", "tfidf", "encoder"})


#: Clashes of distinguishing tokens that name another isomer: they block acceptance even
#: when an id or cross-reference with agreeing chemistry points to the candidate.
_ISOMER_CLASHES = frozenset(
    {"stereo", "R/S", "E/Z", "cis/trans", "erythro/threo", "alpha/beta", "sugar", "carrier"}
)


def _own_bigg_annotation(group: _Group) -> bool:
    """Whether the model's own ``bigg.metabolite`` annotation names this candidate."""
    return any(label.startswith("xref:bigg.metabolite=") for label in group.labels)


def _noisy_or(strengths: dict[str, float]) -> float:
    """Combine independent kinds of evidence; the name-based kinds count once (their max)."""
    miss = 1.0
    name_family = 0.0
    for kind, strength in strengths.items():
        if kind in _NAME_FAMILY:
            name_family = max(name_family, strength)
        else:
            miss *= 1.0 - strength
    return 1.0 - miss * (1.0 - name_family)


@lru_cache(maxsize=1 << 18)
def _clash(name1: str, name2: str) -> tuple[str, ...]:
    return tuple(distinguishing_clash(name1, name2))


@lru_cache(maxsize=1 << 18)
def _specificity(name1: str, name2: str) -> tuple[str, ...]:
    return tuple(specificity_difference(name1, name2))


@lru_cache(maxsize=1 << 16)
def _formula_cmp(f1: str, f2: str, c1: float | None, c2: float | None) -> str:
    return compare_formulas(f1, f2, c1, c2)


def _charge_difference(charge: Any, charges: Iterable[int]) -> float | None:
    """Least difference between the model's charge and a candidate's (None when unknown)."""
    options = [c for c in charges if c is not None]
    if charge is None or not options:
        return None
    try:
        value = float(charge)
    except (TypeError, ValueError):
        return None
    if np.isnan(value):
        return None
    return min(abs(value - float(c)) for c in options)


def _one_molecule(formula: str) -> bool:
    """A formula of one defined molecule: no R/X group, no ``n`` repeat, not a mixture."""
    counts = parse_formula(formula)
    return (
        counts is not None
        and not (counts.get("R") or counts.get("X") or counts.get("n"))
        and counts.get("C", 0) < MIXTURE_CARBONS
    )


def _chain_class(formulas: tuple[str, ...]) -> bool:
    """A catalogue entry whose own (first) formula has an ``n`` repeat: a class of chain
    lengths ("a ubiquinone" ``C14H18O4(C5H8)n``), unlike an R that stands for a carrier
    (an acyl-[ACP] ``C10H17O2SR``)."""
    counts = parse_formula(formulas[0]) if formulas else None
    return counts is not None and bool(counts.get("n"))


@dataclass
class _Group:
    """Pooled evidence of equivalent catalogue ids, after guards."""

    key: str
    proposed: str
    score: float
    kinds: set[str]
    labels: list[str]
    formula: str
    clash: list[str]
    specificity: list[str]
    name_exact: bool
    #: the strongest single id, cross-reference or InChIKey evidence
    hard: float = 0.0
    #: strength of each kind of evidence
    strengths: dict[str, float] = field(default_factory=dict)
    #: least difference between the model's charge and the candidate's (None: unknown)
    charge_difference: float | None = None


_ORGANISM_TAGS: weakref.WeakKeyDictionary[Catalog, frozenset[str]] = weakref.WeakKeyDictionary()
_TAGGED = re.compile(r"^(.+?)_([A-Za-z]{2,4})$")


def organism_tags(catalog: Catalog) -> frozenset[str]:
    """Id suffixes that mark BiGG's organism copies of a compound (``_hs``, ``_cho``, ``_BS``).

    A suffix counts when at least 5 id stems carry it and another suffix too
    (``pail4p_hs`` and ``pail4p_cho``); computed once per catalogue.
    """
    tags = _ORGANISM_TAGS.get(catalog)
    if tags is None:
        stems: dict[str, set[str]] = defaultdict(set)
        for entry in catalog:
            found = _TAGGED.match(entry.id)
            if found and not entry.id.endswith("__" + found.group(2)):
                stems[found.group(1)].add(found.group(2))
        counts: dict[str, int] = defaultdict(int)
        for suffixes in stems.values():
            if len(suffixes) > 1:
                for suffix in suffixes:
                    counts[suffix] += 1
        tags = frozenset(tag for tag, count in counts.items() if count >= 5)
        _ORGANISM_TAGS[catalog] = tags
    return tags


def _rival_text(group: _Group) -> str:
    """A rival of a conflict with the piece of evidence that makes it one: ``nh4(xref:chebi=…)``."""
    for label in group.labels:
        if label.startswith(("id=", "xref:", "idxref:", "inchikey=full")) and not any(
            char in label for char in "(),;"
        ):
            return f"{group.proposed}({label})"
    return group.proposed


def _organism_tag(bigg_id: str, tags: frozenset[str]) -> str:
    found = _TAGGED.match(bigg_id)
    if found is None or bigg_id.endswith("__" + found.group(2)):
        return ""
    return found.group(2) if found.group(2) in tags else ""


#: The model's organism decides between BiGG's organism copies of a compound when at least
#: this many of the ids the rules accept carry an organism tag, and this share of them
#: carry the same one.
ORGANISM_MIN_ACCEPTED = 10
ORGANISM_MIN_SHARE = 0.8

_COPY_MAPS: weakref.WeakKeyDictionary[Catalog, dict[str, dict[str, str]]] = (
    weakref.WeakKeyDictionary()
)


def organism_copies(catalog: Catalog, tag: str) -> dict[str, str]:
    """Other organisms' copies of compounds that ``tag`` also has, mapped to ``tag``'s copy.

    ``organism_copies(catalog, "hs")`` maps ``pail4p_cho`` to ``pail4p_hs`` and
    ``gd1b_cho`` to ``gd1b_hs``; an id whose stem has no ``_hs`` copy is left out.
    Computed once per catalogue and tag.

    Parameters
    ----------
    catalog : Catalog
    tag : str
        An organism tag of :func:`organism_tags`.

    Returns
    -------
    dict
    """
    maps = _COPY_MAPS.setdefault(catalog, {})
    if tag not in maps:
        tags = organism_tags(catalog)
        mapping: dict[str, str] = {}
        for entry in catalog:
            other = _organism_tag(entry.id, tags)
            if other and other != tag:
                target = entry.id[: -len(other)] + tag
                if catalog.get(target) is not None:
                    mapping[entry.id] = target
        maps[tag] = mapping
    return maps[tag]


_LOWER_IDS: weakref.WeakKeyDictionary[Catalog, dict[str, tuple[str, ...]]] = (
    weakref.WeakKeyDictionary()
)


def _lower_ids(catalog: Catalog) -> dict[str, tuple[str, ...]]:
    """The catalogue's ids by their lower-case spelling (computed once per catalogue)."""
    ids = _LOWER_IDS.get(catalog)
    if ids is None:
        found: dict[str, list[str]] = defaultdict(list)
        for entry in catalog:
            found[entry.id.lower()].append(entry.id)
        ids = {key: tuple(value) for key, value in found.items()}
        _LOWER_IDS[catalog] = ids
    return ids


def _as_copies(
    hits: Iterable[str], copies: Mapping[str, str], found: dict[str, _Candidate]
) -> tuple[str, ...]:
    """``hits`` with other organisms' copies replaced by the model's organism's copy; the
    replaced id is named in the evidence of its replacement."""
    if not copies:
        return tuple(hits)
    mapped: list[str] = []
    for hit in hits:
        target = copies.get(hit)
        if target is not None:
            label = f"organism copy of {hit}"
            if label not in found[target].labels["organism"]:
                found[target].labels["organism"].append(label)
            hit = target
        mapped.append(hit)
    return tuple(dict.fromkeys(mapped))


def _similar_copies(
    hits: Iterable[tuple[str, float]],
    copies: Mapping[str, str] | None,
    found: dict[str, _Candidate],
) -> list[tuple[str, float]]:
    """Similarity hits with other organisms' copies replaced (the best similarity kept)."""
    if not copies:
        return list(hits)
    best: dict[str, float] = {}
    for bigg_id, similarity in hits:
        (target,) = _as_copies((bigg_id,), copies, found)
        best[target] = max(best.get(target, similarity), similarity)
    return list(best.items())


class Matcher:
    """Map metabolites to universal BiGG ids.

    Parameters
    ----------
    catalog : Catalog, optional
        The BiGG catalogue; :func:`~cobra_metalign.catalog.store.load_catalog` by default.
    encoder : NameEncoder or str, optional
        A :class:`~cobra_metalign.matching.encoder.NameEncoder`, or ``"minilm"`` for the
        packaged default. None (the default) uses no encoder.
    sources : collection of str, optional
        Evidence sources to use (subset of :data:`SOURCES`).
    guards : bool, optional
        Apply the chemistry guards (formula, distinguishing tokens, specificity).
    accept_threshold : float, optional
        Minimum score to accept.
    review_threshold : float, optional
        Minimum score to propose for review.
    margin : float, optional
        Minimum lead of the best candidate over the next (non-equivalent) one to accept.
    top_k : int, optional
        Nearest names taken from each similarity source.
    n_candidates : int, optional
        How many candidates the ``candidates`` column lists.
    guard_limit : int, optional
        How many of the best candidate groups (by evidence alone) the guards judge.
    similarity_accept : float or None, optional
        Minimum score at which a candidate found by name similarity alone is
        accepted, when its formula agrees and no other candidate comes near.
        None never accepts on similarity alone.
    decision : DecisionModel or str, optional
        A learned decision (:mod:`cobra_metalign.matching.decision`): ``"learned"``
        for the packaged one, a path to one written by ``metalign train-decision``,
        or a :class:`~cobra_metalign.matching.decision.DecisionModel`. None (the
        default) decides by the hand-set rules. The guards bound it either way.
    """

    def __init__(
        self,
        catalog: Catalog | None = None,
        encoder: NameEncoder | str | None = None,
        *,
        sources: Collection[str] = SOURCES,
        guards: bool = True,
        accept_threshold: float = 0.9,
        review_threshold: float = 0.5,
        margin: float = 0.05,
        top_k: int = 5,
        n_candidates: int = 3,
        guard_limit: int = 6,
        similarity_accept: float | None = None,
        decision: DecisionModel | str | None = None,
    ) -> None:
        unknown = set(sources) - set(SOURCES)
        if unknown:
            raise ValueError(f"unknown evidence sources {sorted(unknown)}; known: {SOURCES}")
        self.catalog = catalog if catalog is not None else load_catalog()
        self.encoder = encoder
        self.sources = frozenset(sources)
        self.guards = guards
        self.accept_threshold = accept_threshold
        self.review_threshold = review_threshold
        self.margin = margin
        self.top_k = top_k
        self.n_candidates = n_candidates
        self.guard_limit = guard_limit
        self.similarity_accept = similarity_accept
        if isinstance(decision, str):
            decision = load_decision(None if decision == "learned" else decision)
        self.decision = decision
        trained_with = (getattr(decision, "metadata", None) or {}).get("encoder")
        if decision is not None and trained_with and encoder is None:
            raise MetalignError(
                f"the decision model reads encoder features (trained with {trained_with}); "
                "give the same encoder (--encoder/--adapter)"
            )
        if decision is not None and hasattr(decision, "metadata") and encoder is not None:
            if not trained_with:
                logger.warning(
                    "the decision model was trained without an encoder; with one, the rule "
                    "scores it reads include encoder evidence it never saw"
                )

    # ------------------------------------------------------------------ API
    def match_model(self, model: cobra.Model) -> pd.DataFrame:
        """Match every metabolite of ``model`` (which is not changed).

        Parameters
        ----------
        model : cobra.Model

        Returns
        -------
        pandas.DataFrame
            Indexed by metabolite id, with the columns of :data:`MATCH_COLUMNS`.
        """
        from cobra_metalign.io.model import metabolite_table

        return self.match_table(metabolite_table(model))

    def match_table(self, table: pd.DataFrame) -> pd.DataFrame:
        """Match a metabolite table (see :func:`cobra_metalign.io.model.metabolite_table`).

        Parameters
        ----------
        table : pandas.DataFrame
            Indexed by metabolite id with ``base_id``, ``compartment``, ``name``,
            ``clean_name``, ``formula``, ``charge``, ``annotations`` and
            ``n_reactions``.

        Returns
        -------
        pandas.DataFrame
        """
        records = table.to_dict("index")
        ranked = self._rank_all(records)
        profile = self._organism_profile(records, ranked) if self.decision is not None else {}
        rows = []
        for met_id, row in records.items():
            rows.append(self._decide(met_id, row, *ranked[met_id], profile))
        result = pd.DataFrame(rows, columns=["metabolite_id", *MATCH_COLUMNS])
        result = result.set_index("metabolite_id")
        n_reactions = table["n_reactions"] if "n_reactions" in table else None
        self._mark_duplicates(result, records, n_reactions)
        return result

    # ------------------------------------------------------------- evidence
    def _hard_evidence(
        self, row: dict[str, Any], copies: Mapping[str, str] | None = None
    ) -> dict[str, _Candidate]:
        """Id, cross-reference, InChIKey and exact-name evidence for one metabolite.

        ``copies`` maps other organisms' copies of a compound to the model's own
        organism's copy (see :meth:`_organism_copies`); ids are never mapped.
        """
        found: dict[str, _Candidate] = defaultdict(_Candidate)
        copies = copies or {}
        base_id = str(row.get("base_id") or "")
        annotations = list(row.get("annotations") or ())
        if "id" in self.sources and base_id:
            self._id_evidence(base_id, found)
        if "xref" in self.sources:
            self._xref_evidence(base_id, annotations, found, copies)
        if "inchikey" in self.sources:
            self._inchikey_evidence(annotations, found, copies)
        if "name" in self.sources:
            key = normalize_name(str(row.get("clean_name") or row.get("name") or ""))
            hits = _as_copies(self.catalog.by_name(key), copies, found) if key else ()
            strength = _by_count("name=exact", len({self.catalog.canonical(h) for h in hits}))
            for hit in hits:
                found[hit].add("name", strength, "name=exact")
            spelled = self._name_as_id(str(row.get("name") or ""), base_id)
            for hit in _as_copies(spelled, copies, found):
                found[hit].add("name", EVIDENCE_WEIGHTS["name=id"], "name=id")
        return found

    def _name_as_id(self, name: str, base_id: str) -> tuple[str, ...]:
        """The BiGG ids a one-word name spells (Human-GEM "AKG", "PEP", "Pi", "gpi_sig"): an
        abbreviation, so it accepts only with a formula that agrees.

        Case is ignored only in names without an underscore: in BiGG ids a suffix's case
        carries meaning (``fru_b``, a boundary copy's name, is not ``fru_B``, beta-D-fructose).
        A name that repeats the model's own id is left to the id evidence.
        """
        name = name.strip()
        if len(name) < 2 or any(char.isspace() for char in name):
            return ()
        if base_id and name.lower() in {base_id.lower(), base_id.lower().replace("-", "_")}:
            return ()
        spelled = name.replace("-", "_")
        if "_" in name:
            hit = self.catalog.get(spelled)
            return (hit.id,) if hit is not None and hit.id == spelled else ()
        return _lower_ids(self.catalog).get(spelled.lower(), ())

    def _id_evidence(self, base_id: str, found: dict[str, _Candidate]) -> None:
        for position, variant in enumerate(normalize_bigg_id(base_id)):
            hit = self.catalog.lookup_id(variant)
            if hit is None:
                continue
            if position == 0 and hit == base_id:
                found[hit].add("id", EVIDENCE_WEIGHTS["id=exact"], "id=exact")
            elif hit != variant:
                found[hit].add("id", EVIDENCE_WEIGHTS["id=old"], f"id=old:{variant}")
            else:
                found[hit].add("id", EVIDENCE_WEIGHTS["id=variant"], f"id=variant:{variant}")

    def _xref_evidence(
        self,
        base_id: str,
        annotations: list[tuple[str, str]],
        found: dict[str, _Candidate],
        copies: Mapping[str, str],
    ) -> None:
        catalog = self.catalog
        own = id_as_xref(base_id) if base_id else None
        pairs = [(pair, "xref") for pair in annotations if pair[0] != "inchikey"]
        if own is not None:
            pairs.append((own, "idxref"))
        for (namespace, value), tag in pairs:
            if namespace == "bigg.metabolite":
                hit = next((h for h in map(catalog.lookup_id, normalize_bigg_id(value)) if h), None)
                if hit is not None:
                    found[hit].add(
                        "xref",
                        EVIDENCE_WEIGHTS["xref:bigg.metabolite"],
                        f"{tag}:bigg.metabolite={value}",
                    )
                continue
            hits = _as_copies(catalog.by_xref(namespace, value), copies, found)
            strength = _by_count("xref", len({catalog.canonical(h) for h in hits})) if hits else 0
            for hit in hits:
                found[hit].add("xref", strength, f"{tag}:{namespace}={value}")

    def _inchikey_evidence(
        self,
        annotations: list[tuple[str, str]],
        found: dict[str, _Candidate],
        copies: Mapping[str, str],
    ) -> None:
        for namespace, value in annotations:
            if namespace != "inchikey":
                continue
            full = _as_copies(self.catalog.by_inchikey(value), copies, found)
            for hit in full:
                found[hit].add("inchikey", _by_count("inchikey=full", len(full)), "inchikey=full")
            for hit in _as_copies(self.catalog.by_inchikey_block(value), copies, found):
                if hit not in full:
                    found[hit].add(
                        "inchikey", EVIDENCE_WEIGHTS["inchikey=skeleton"], "inchikey=skeleton"
                    )

    def _needs_similarity(self, found: dict[str, _Candidate]) -> bool:
        return not any(
            strength >= 0.9 and kind in {"id", "xref", "inchikey"}
            for cand in found.values()
            for kind, strength in cand.strengths.items()
        )

    def _similarity_evidence(
        self,
        records: dict[str, dict[str, Any]],
        candidates: dict[str, dict[str, _Candidate]],
        copies: Mapping[str, str] | None = None,
    ) -> None:
        pending = [
            met_id
            for met_id, found in candidates.items()
            if self._needs_similarity(found)
            and str(records[met_id].get("clean_name") or records[met_id].get("name") or "")
        ]
        if not pending:
            return
        names = [str(records[m].get("clean_name") or records[m].get("name")) for m in pending]
        if "tfidf" in self.sources:
            for met_id, hits in zip(
                pending, tfidf_index(self.catalog).search(names, k=self.top_k), strict=True
            ):
                for bigg_id, similarity in _similar_copies(hits, copies, candidates[met_id]):
                    candidates[met_id][bigg_id].add(
                        "tfidf", EVIDENCE_WEIGHTS["tfidf"] * similarity, f"tfidf={similarity:.2f}"
                    )
                # every id whose name equals the model's is as similar as the best of them:
                # the top-k cut must not break a tie between exact names (cpd11456
                # "Phosphatidylethanolamine": pe_hs and psetha_BS, same xref and name)
                exact = [c for c in candidates[met_id].values() if "name" in c.strengths]
                top = max(exact, key=lambda c: c.strengths.get("tfidf", 0.0), default=None)
                for cand in exact if top is not None and "tfidf" in top.strengths else ():
                    cand.add("tfidf", top.strengths["tfidf"], top.labels["tfidf"][0])
        if "encoder" in self.sources and self.encoder is not None:
            index = self._encoder_index()
            vectors = self._encoder().encode(names)
            for met_id, hits in zip(pending, index.search(vectors, k=self.top_k), strict=True):
                for bigg_id, similarity in _similar_copies(hits, copies, candidates[met_id]):
                    strength = EVIDENCE_WEIGHTS["encoder"] * max(0.0, float(similarity))
                    candidates[met_id][bigg_id].add(
                        "encoder", strength, f"encoder={similarity:.2f}"
                    )

    def _encoder(self) -> NameEncoder:
        from cobra_metalign.matching.encoder import load_encoder

        if isinstance(self.encoder, str):
            self.encoder = load_encoder(self.encoder)
        return self.encoder  # type: ignore[return-value]

    def _encoder_index(self):
        from cobra_metalign.matching.encoder import EmbeddingIndex

        encoder = self._encoder()
        cached = getattr(self, "_embedding_index", None)
        if cached is not None:
            return cached
        table = self.catalog.name_table
        key = f"{encoder.fingerprint}|{self.catalog.version}|{len(table)}"
        self._embedding_index = EmbeddingIndex.build(
            encoder, table["name"].tolist(), table["bigg_id"].tolist(), cache_key=key
        )
        return self._embedding_index

    # ------------------------------------------------------------- decision
    def _group(
        self, met_name: str, row: dict[str, Any], found: dict[str, _Candidate]
    ) -> list[_Group]:
        catalog = self.catalog
        pooled: dict[str, list[str]] = defaultdict(list)
        for bigg_id in found:
            pooled[catalog.canonical(bigg_id)].append(bigg_id)
        formula = str(row.get("formula") or "")
        charge = row.get("charge")
        charge = (
            None if charge is None or (isinstance(charge, float) and np.isnan(charge)) else charge
        )
        raw: list[tuple[float, str, list[str], dict[str, float], list[str], str]] = []
        for key, members in pooled.items():
            strengths: dict[str, float] = {}
            labels: list[str] = []
            for member in members:
                for kind, strength in found[member].strengths.items():
                    strengths[kind] = max(strengths.get(kind, 0.0), strength)
                for kind_labels in found[member].labels.values():
                    labels.extend(label for label in kind_labels if label not in labels)
            exact_members = [m for m in members if "id=exact" in found[m].labels.get("id", ())]
            # else the member the model's own BiGG annotation names
            exact_members = exact_members or [
                m
                for m in members
                if any(
                    label.startswith("xref:bigg.metabolite=")
                    for label in found[m].labels.get("xref", ())
                )
            ]
            proposed = exact_members[0] if exact_members else key
            raw.append((_noisy_or(strengths), proposed, members, strengths, labels, key))
        # the guards are costly: judge the groups that can still matter
        raw.sort(key=lambda item: (-item[0], item[1]))
        raw = raw[: self.guard_limit]
        verdicts = [
            self._formula_verdict(formula, charge, item[2]) if self.guards else "missing"
            for item in raw
        ]
        # a name shared by several compounds is ambiguous, unless the chemistry rules
        # out all but one of them (dolichol C100H164O: not the C95 dolichol, so the
        # "human liver homolog" mixture record dolichol__L)
        named = [i for i, item in enumerate(raw) if "name" in item[3]]
        compatible = [i for i in named if verdicts[i] != "mismatch"]
        if (
            len(named) > 1
            and len(compatible) == 1
            and verdicts[compatible[0]]
            in {
                "equal",
                "ok",
                "generic",
            }
        ):
            strengths = raw[compatible[0]][3]
            strengths["name"] = max(strengths["name"], 0.9)
            raw[compatible[0]] = (_noisy_or(strengths), *raw[compatible[0]][1:])
        groups: list[_Group] = []
        for (score, proposed, _members, strengths, labels, key), verdict in zip(
            raw, verdicts, strict=True
        ):
            entry = catalog[proposed]
            clash: list[str] = []
            specificity: list[str] = []
            name_exact = "name" in strengths
            class_record = False
            if self.guards:
                # a class of chain lengths (its own formula has an n repeat: "a ubiquinone"
                # C14H18O4(C5H8)n, dolichyl phosphate C20H37O4P(C5H8)n) is not the model's
                # compound when the model's formula names one molecule that fits it only as
                # a member (dolichyl phosphate C100H163O4P), nor when the model gives no
                # formula to say which member: generic vs specific, a curator decides. An R
                # or X standing for a carrier or an unknown part, and pooled mixture records
                # (the "human liver homolog" dolichols), are not classes.
                class_record = _chain_class(entry.formulas) and (
                    not formula or (verdict == "generic" and _one_molecule(formula))
                )
                if verdict in {"equal", "ok"}:
                    score = 1.0 - (1.0 - score) * 0.6
                    labels.append(f"formula={verdict}")
                elif verdict == "mismatch":
                    score *= 0.5
                    labels.append("formula=mismatch")
                elif verdict in {"h_only", "charge", "generic"}:
                    labels.append(f"formula={verdict}")
                id_or_xref = (
                    bool(set(strengths) & {"id", "xref", "inchikey"})
                    and max(strengths.get(k, 0.0) for k in ("id", "xref", "inchikey")) >= 0.9
                )
                # names are checked when they carry the match; an unambiguous id or
                # cross-reference with agreeing chemistry is not blocked by naming style
                if (
                    met_name
                    and not name_exact
                    and not (id_or_xref and verdict in {"equal", "ok", "h_only", "charge"})
                ):
                    clash = list(self._least_clash(met_name, entry.names))
                    if clash:
                        score *= 0.6
                        labels.append("clash:" + ",".join(clash))
                    else:
                        specificity = list(self._least_specificity(met_name, entry.names))
                        if specificity:
                            labels.append("specificity:" + ",".join(specificity))
                if met_name and not name_exact and not clash:
                    # an id or cross-reference with agreeing chemistry is not blocked by naming
                    # style, but is by a clash that names another isomer: another sugar family
                    # (gapseq Cellotetraose with a SEED xref to maltttr), stereo, anomer, carrier;
                    # checked against the entry's own BiGG name, since pooled synonyms such as a
                    # linkage formula "alpha-D-Glcp-(1->4)-..." name no family and would hide it
                    clash = [
                        c
                        for c in _clash(met_name, entry.name)
                        if c.split(" ", 1)[0] in _ISOMER_CLASHES
                    ]
                    if clash:
                        score *= 0.6
                        labels.append("clash:" + ",".join(clash))
            if self.guards and class_record:
                specificity.append("class record")
                labels.append("specificity:class record")
            groups.append(
                _Group(
                    key=key,
                    proposed=proposed,
                    score=score,
                    kinds=set(strengths),
                    labels=labels,
                    formula=verdict,
                    clash=clash,
                    specificity=specificity,
                    name_exact=name_exact,
                    hard=max(
                        (strengths.get(k, 0.0) for k in ("id", "xref", "inchikey")), default=0.0
                    ),
                    strengths=dict(strengths),
                    charge_difference=_charge_difference(charge, entry.charges),
                )
            )
        groups.sort(key=lambda g: (-g.score, g.proposed))
        return groups

    def _formula_verdict(self, formula: str, charge: Any, members: Iterable[str]) -> str:
        """Best agreement between the model formula and any formula of the members."""
        if not formula:
            return "missing"
        best: str | None = None
        for member in members:
            entry = self.catalog[member]
            charges = list(entry.charges) or [None]
            for index, candidate in enumerate(entry.formulas):
                candidate_charge = charges[index] if index < len(charges) else charges[0]
                verdict = _formula_cmp(formula, candidate, charge, candidate_charge)
                if best is None or _FORMULA_RANK[verdict] < _FORMULA_RANK[best]:
                    best = verdict
                    if best == "equal":
                        return best
        return best or "missing"

    @staticmethod
    def _least_clash(name: str, names: tuple[str, ...]) -> tuple[str, ...]:
        least: tuple[str, ...] | None = None
        for other in names[:12]:
            clash = _clash(name, other)
            if not clash:
                return []
            if least is None or len(clash) < len(least):
                least = clash
        return least or ()

    @staticmethod
    def _least_specificity(name: str, names: tuple[str, ...]) -> tuple[str, ...]:
        least: tuple[str, ...] | None = None
        for other in names[:12]:
            difference = _specificity(name, other)
            if not difference:
                return []
            if least is None or len(difference) < len(least):
                least = difference
        return least or ()

    def _rank_all(
        self, records: dict[str, dict[str, Any]]
    ) -> dict[str, tuple[list[_Group], list[str]]]:
        """Per metabolite, its candidate groups after the guards (best first by rule
        score) with the twins pooled into the best."""
        candidates = {met_id: self._hard_evidence(row) for met_id, row in records.items()}
        self._similarity_evidence(records, candidates)
        ranked = self._rank(records, candidates)
        organism = self._model_organism(records, ranked)
        copies = organism_copies(self.catalog, organism) if organism else {}
        touched = {m: r for m, r in records.items() if copies.keys() & candidates[m].keys()}
        if touched:
            # BiGG's organism copies (pail4p_hs, pail4p_cho) are one compound that names
            # cannot tell apart: the model's own organism, read from what the rules accept
            # elsewhere in it, picks the copy
            logger.info(
                "organism copies: %d metabolites weighed with the model's _%s copies",
                len(touched),
                organism,
            )
            again = {m: self._hard_evidence(row, copies) for m, row in touched.items()}
            self._similarity_evidence(touched, again, copies)
            ranked.update(self._rank(touched, again))
        return ranked

    def _rank(
        self, records: dict[str, dict[str, Any]], candidates: dict[str, dict[str, _Candidate]]
    ) -> dict[str, tuple[list[_Group], list[str]]]:
        ranked = {}
        for met_id, row in records.items():
            met_name = str(row.get("clean_name") or row.get("name") or "")
            groups = self._group(met_name, row, candidates[met_id])
            ranked[met_id] = self._pool_twins(groups, met_name) if groups else ([], [])
        return ranked

    def _model_organism(
        self,
        records: dict[str, dict[str, Any]],
        ranked: dict[str, tuple[list[_Group], list[str]]],
    ) -> str:
        """The organism tag the model's accepted ids carry, when one clearly dominates ("" else)."""
        counts = self._organism_counts(records, ranked)
        total = sum(counts.values())
        if total < ORGANISM_MIN_ACCEPTED:
            return ""
        tag, count = max(counts.items(), key=lambda item: (item[1], item[0]))
        return tag if count / total >= ORGANISM_MIN_SHARE else ""

    def _rule_of(self, groups: list[_Group], met_name: str) -> str:
        """What the hand-set rules decide for the best of ``groups``."""
        return self._rule_decision(
            groups[0],
            groups[1].score if len(groups) > 1 else 0.0,
            self._rivals(groups[0], groups[1:], met_name),
            met_name,
        )

    def _organism_profile(
        self,
        records: dict[str, dict[str, Any]],
        ranked: dict[str, tuple[list[_Group], list[str]]],
    ) -> dict[str, float]:
        """Which organism's copies of BiGG compounds the model uses.

        BiGG keeps organism copies of some compounds (``pail4p_hs``, ``pail4p_cho``,
        ``cdpdag_BS``) that names alone cannot tell apart. Counted over the ids the
        rules accept in this model: the share of each organism tag among the accepted
        ids that carry one ({} when fewer than 3 do).
        """
        counts = self._organism_counts(records, ranked)
        total = sum(counts.values())
        if total < 3:
            return {}
        return {tag: count / total for tag, count in counts.items()}

    def _organism_counts(
        self,
        records: dict[str, dict[str, Any]],
        ranked: dict[str, tuple[list[_Group], list[str]]],
    ) -> dict[str, int]:
        """How many of the ids the rules accept in this model carry each organism tag."""
        tags = organism_tags(self.catalog)
        counts: dict[str, int] = defaultdict(int)
        for met_id, (groups, _twins) in ranked.items():
            if not groups:
                continue
            tag = _organism_tag(groups[0].proposed, tags)
            row = records[met_id]
            met_name = str(row.get("clean_name") or row.get("name") or "")
            if tag and self._rule_of(groups, met_name) == "accept":
                counts[tag] += 1
        return counts

    def _pairs(
        self,
        groups: list[_Group],
        twins: list[str],
        row: dict[str, Any],
        profile: dict[str, float],
    ) -> list[dict[str, Any]]:
        """Per candidate group, its features and whether the guards allow accepting it."""
        met_name = str(row.get("clean_name") or row.get("name") or "")
        tags = organism_tags(self.catalog)
        pairs = []
        for rank, group in enumerate(groups):
            others = [g for g in groups if g is not group]
            rivals = self._rivals(group, others, met_name)
            candidate = {
                "proposed": group.proposed,
                "strengths": group.strengths,
                "labels": group.labels,
                "formula": group.formula,
                "charge_difference": group.charge_difference,
                "clash": group.clash,
                "specificity": group.specificity,
                "score": group.score,
                "rank": rank,
                "lead": group.score - max((g.score for g in others), default=0.0),
                "rivals": len(rivals),
                "n_candidates": len(groups),
                "twins": len(twins) if rank == 0 else 0,
                "bigg_models": self.catalog[group.proposed].models,
                "organism": _organism_tag(group.proposed, tags),
                "profile": profile,
            }
            features = pair_features(candidate, row, EVIDENCE_WEIGHTS)
            pairs.append(
                {
                    "features": features,
                    "allowed": self._guards_allow(group, others, rivals, row, met_name),
                }
            )
        return pairs

    def _rivals(self, group: _Group, others: list[_Group], met_name: str) -> list[_Group]:
        """Other candidates with a piece of evidence strong on its own (an id, the model's
        BiGG annotation, a cross-reference or InChIKey that names one compound).

        Cross-references that point to several compounds add up to a high score without
        being decisive, and never make a rival alone. When the model names ``group``
        exactly, a rival whose names are told apart from the model's name (D-arginine vs
        ``arg__L``, 13-cis-retinal vs ``retinal``) is no rival, whatever points to it.
        """
        rivals = [
            g
            for g in others
            if g.hard >= DECISIVE_EVIDENCE_MIN and g.formula != "mismatch" and not g.clash
        ]
        if group.name_exact and met_name:
            rivals = [
                g
                for g in rivals
                if not all(
                    _clash(met_name, other) or _specificity(met_name, other)
                    for other in self.catalog[g.proposed].names[:12]
                )
            ]
        return rivals

    def _guards_allow(
        self,
        group: _Group,
        others: list[_Group],
        rivals: list[_Group],
        row: dict[str, Any],
        met_name: str,
    ) -> bool:
        """Whether the guards and invariants allow accepting ``group`` at all: no heavy-atom
        formula mismatch, no clash of distinguishing tokens, no rival with decisive evidence
        and no generic-vs-specific doubt (unless an id names it), no anomer against its
        generic compound, no boundary copy."""
        if group.formula == "mismatch" or group.clash:
            return False
        exact_id = "id=exact" in group.labels
        if rivals and not exact_id:
            return False
        if str(row.get("base_id") or "").endswith("_b") and not exact_id:
            return False  # a boundary copy (cs_b, mfr_b are BiGG ids of their own)
        id_hit = exact_id or (any(lab.startswith("id=") for lab in group.labels) and not rivals)
        plausible_other = any(g.score >= self.review_threshold for g in others)
        if group.specificity and plausible_other and not id_hit:
            return False
        if not exact_id and met_name:
            names = self.catalog[group.proposed].names
            anomer = [
                d
                for d in self._least_specificity(met_name, names)
                if d.startswith("alpha/beta") and d.endswith("only in name1")
            ]
            if anomer:
                return False
        return True

    def candidate_table(self, table: pd.DataFrame) -> pd.DataFrame:
        """Every candidate the matcher weighs for each metabolite, with its features.

        This is what a :class:`~cobra_metalign.matching.decision.DecisionModel` reads
        (``metalign train-decision`` learns from it); no decision is taken.

        Parameters
        ----------
        table : pandas.DataFrame
            As for :meth:`match_table`.

        Returns
        -------
        pandas.DataFrame
            One row per (metabolite, candidate): ``metabolite_id``, ``bigg_id``,
            ``allowed`` (whether the guards allow accepting it), ``rule_decision``
            (what the hand-set rules decide, on the first candidate) and one
            column per name of
            :data:`~cobra_metalign.matching.decision.FEATURES`.
        """
        records = table.to_dict("index")
        ranked = self._rank_all(records)
        profile = self._organism_profile(records, ranked)
        rows = []
        for met_id, row in records.items():
            groups, twins = ranked[met_id]
            if not groups:
                continue
            pairs = self._pairs(groups, twins, row, profile)
            rule = self._rule_of(groups, str(row.get("clean_name") or row.get("name") or ""))
            for position, (group, pair) in enumerate(zip(groups, pairs, strict=True)):
                rows.append(
                    {
                        "metabolite_id": met_id,
                        "bigg_id": group.proposed,
                        "allowed": pair["allowed"],
                        "rule_decision": rule if position == 0 else "",
                        **pair["features"],
                    }
                )
        columns = ["metabolite_id", "bigg_id", "allowed", "rule_decision", *FEATURES]
        return pd.DataFrame(rows, columns=columns)

    def _decide(
        self,
        met_id: str,
        row: dict[str, Any],
        groups: list[_Group],
        twins: list[str],
        profile: dict[str, float],
    ) -> dict:
        met_name = str(row.get("clean_name") or row.get("name") or "")
        charge = row.get("charge")
        result: dict[str, Any] = {
            "metabolite_id": met_id,
            "base_id": row.get("base_id", ""),
            "compartment": row.get("compartment", ""),
            "name": row.get("name", ""),
            "formula": row.get("formula", ""),
            "charge": charge,
            "bigg_id": "",
            "bigg_name": "",
            "decision": "none",
            "conflict": False,
            "score": 0.0,
            "evidence": "",
            "candidates": "",
            "equivalents": "",
            "duplicate_of": "",
        }
        if not groups:
            return result
        rule_rivals = self._rivals(groups[0], groups[1:], met_name)
        rule = self._rule_decision(
            groups[0], groups[1].score if len(groups) > 1 else 0.0, rule_rivals, met_name
        )
        scores = [g.score for g in groups]
        probabilities = None
        pairs: list[dict[str, Any]] = []
        # strong evidence that disagrees with itself or with the chemistry is a conflict for a
        # curator whatever a learned decision would say: the rules keep those
        rule_best = groups[0]
        rule_conflict = (
            rule != "accept"
            and (rule_best.name_exact or rule_best.hard >= HARD_EVIDENCE_MIN)
            and (bool(rule_rivals) or rule_best.formula == "mismatch")
        )
        if (
            self.decision is not None
            and not rule_conflict
            and not (self.decision.mode == "hybrid" and rule == "accept")
        ):
            pairs = self._pairs(groups, twins, row, profile)
            probabilities = self.decision.probabilities([p["features"] for p in pairs])
        # a hybrid decision keeps what the rules accept and learns on the rest
        learned = probabilities is not None
        if learned:
            # the learned decision ranks the candidates by probability
            order = sorted(range(len(groups)), key=lambda i: (-probabilities[i], i))
            if order[0] != 0:
                twins = []  # pooled into the rule's best, which is no longer proposed
            groups = [groups[i] for i in order]
            pairs = [pairs[i] for i in order]
            scores = [float(probabilities[i]) for i in order]
        best = groups[0]
        entry = self.catalog[best.proposed]
        result["bigg_id"] = best.proposed
        result["bigg_name"] = entry.name
        result["score"] = round(float(scores[0]), 4)
        result["candidates"] = "; ".join(
            f"{g.proposed}:{s:.2f}"
            for g, s in zip(groups[: self.n_candidates], scores, strict=False)
        )
        equivalents = [*self.catalog.equivalents(best.proposed), *twins]
        result["equivalents"] = ";".join(
            dict.fromkeys(e for e in equivalents if e != best.proposed)
        )
        evidence = list(best.labels)
        if twins:
            evidence.append("twins:" + ",".join(twins))
        strong_elsewhere = self._rivals(best, groups[1:], met_name) if learned else rule_rivals
        # hard evidence names this compound: an exact name, an id, or a cross-reference or
        # InChIKey that points to few compounds; an InChIKey skeleton (other stereo) or a
        # cross-reference shared by many compounds is not enough to accept, even with a
        # similar name (UDP-N-acetyl-D-glucosaminouronate is not its epimer uacmamu)
        hard = best.name_exact or best.hard >= HARD_EVIDENCE_MIN
        decision = rule
        if learned:
            decision = self._learned_decision(scores[0], pairs[0]["allowed"])
            if self.decision.mode == "hybrid" and rule == "review" and decision == "none":
                decision = "review"
            evidence.append(f"p={scores[0]:.3f} (rule score {best.score:.2f})")
        elif self.decision is not None and rule == "accept":
            evidence.append("accepted by the rules")
        if decision != "accept" and hard and (strong_elsewhere or best.formula == "mismatch"):
            # strong evidence that disagrees with itself or with the chemistry: a curator decides
            result["conflict"] = True
            decision = "review"
            others = ",".join(_rival_text(g) for g in strong_elsewhere)
            evidence.append(f"conflict:{others or 'formula'}")
        if decision == "accept" and "id=exact" not in best.labels and met_name:
            # an anomer (alpha-/beta-cellobiose) is not its generic compound (cellobiose),
            # whatever the cross-references say: a curator decides
            anomer = [
                d
                for d in self._least_specificity(met_name, entry.names)
                if d.startswith("alpha/beta") and d.endswith("only in name1")
            ]
            if anomer:
                decision = "review"
                evidence.append("specificity:" + ",".join(anomer))
        if decision == "none":
            result["bigg_id"] = ""
            result["bigg_name"] = ""
        if (
            decision == "accept"
            and str(result["base_id"]).endswith("_b")
            and "id=exact" not in best.labels  # cs_b, mfr_b: BiGG ids of their own
        ):
            # a boundary copy (``_b``) of a real metabolite: renaming it would collide with,
            # and merging it would remove, the boundary condition; a curator decides
            decision = "review"
            evidence.append("boundary copy")
        result["decision"] = decision
        result["evidence"] = "; ".join(evidence)
        return result

    def _learned_decision(self, probability: float, allowed: bool) -> str:
        """Accept a candidate the guards allow when the model is confident enough."""
        assert self.decision is not None
        if probability >= self.decision.accept_threshold and allowed:
            return "accept"
        if probability >= self.decision.review_threshold:
            return "review"
        return "none"

    def _rule_decision(
        self, best: _Group, runner_up: float, strong_elsewhere: list[_Group], met_name: str
    ) -> str:
        """The hand-set decision rules (the default when no decision model is given)."""
        entry = self.catalog[best.proposed]
        own_bigg = _own_bigg_annotation(best)
        # generic-vs-specific names (glucose / alpha-D-glucose) block acceptance only when
        # another candidate is still plausible
        specific_doubt = bool(best.specificity) and runner_up >= self.review_threshold
        guard_ok = best.formula != "mismatch" and not best.clash and not specific_doubt
        hard = best.name_exact or best.hard >= HARD_EVIDENCE_MIN
        # an id (exact, old or variant) is strong: naming style (specificity) does not block it
        exact_id = "id=exact" in best.labels
        id_hit = exact_id or (
            any(label.startswith("id=") for label in best.labels) and not strong_elsewhere
        )
        if id_hit and best.formula != "mismatch" and not best.clash:
            return "accept"
        if (
            own_bigg
            and best.formula != "mismatch"
            and not best.clash
            and (best.name_exact or best.formula in {"equal", "ok"})
            and not any(
                _own_bigg_annotation(g)
                and g.formula == best.formula
                and _clash(entry.name, self.catalog[g.proposed].name)
                for g in strong_elsewhere
            )
        ):
            # the model's own BiGG annotation, agreeing with its name or its chemistry, decides
            # (when it names two ids, e.g. orn and orn__L, they must not be told apart by name)
            return "accept"
        if (
            hard
            and guard_ok
            and best.score >= self.accept_threshold
            and best.score - runner_up >= self.margin
            and not strong_elsewhere
        ):
            return "accept"
        if (
            self.similarity_accept is not None
            and guard_ok
            and best.formula in {"equal", "ok"}
            and not best.specificity
            and best.score >= self.similarity_accept
            and best.score - runner_up >= 2 * self.margin
            and not strong_elsewhere
        ):
            # a near-identical name with the same formula and no rival
            return "accept"
        if best.score >= self.review_threshold:
            return "review"
        return "none"

    def _pool_twins(
        self, groups: list[_Group], met_name: str = ""
    ) -> tuple[list[_Group], list[str]]:
        """Pool candidates the evidence cannot tell apart and the catalogue says are alike.

        BiGG holds some compounds under several ids that the catalogue does not
        link (``h2s`` and ``HC00250``). When the runner-up has exactly the same hard
        evidence as the best, compatible formulas and no clash of distinguishing
        name tokens, the two are read as one compound: the id most BiGG models use
        is proposed and the other is listed as an equivalent.
        """
        if len(groups) < 2 or "id=exact" in groups[0].labels:
            return groups, []

        def hard_labels(group: _Group) -> frozenset[str]:
            return frozenset(
                label
                for label in group.labels
                if label.split("=", 1)[0].split(":", 1)[0]
                in {"id", "xref", "idxref", "inchikey", "name"}
            )

        best = groups[0]
        key = hard_labels(best)
        if not key:
            return groups, []
        twins = [
            g
            for g in groups[1:]
            if (
                hard_labels(g) == key
                # both named exactly by the model, and tied: BiGG's unlinked duplicates
                # (3hbcoa/3hbycoa, 2kmb/4mtob) differ in a cross-reference or two
                or (best.name_exact and g.name_exact and g.kinds == best.kinds)
            )
            and best.score - g.score < self.margin
            and (g.formula == best.formula or "missing" in {g.formula, best.formula})
            and self._alike(best.proposed, g.proposed)
        ]
        if not twins:
            return groups, []
        pool = [best, *twins]

        def preference(group: _Group) -> tuple:
            names = self.catalog[group.proposed].names
            differs = bool(met_name) and bool(
                self._least_clash(met_name, names) or self._least_specificity(met_name, names)
            )
            return (
                differs,
                -self.catalog[group.proposed].models,
                len(group.proposed),
                group.proposed,
            )

        chosen = min(pool, key=preference)
        rest = [g for g in groups if g not in pool]
        others = [g.proposed for g in pool if g is not chosen]
        chosen.score = max(g.score for g in pool)
        return [chosen, *rest], others

    def _alike(self, first: str, second: str) -> bool:
        a, b = self.catalog[first], self.catalog[second]
        if a.formulas and b.formulas:
            if _formula_cmp(a.formulas[0], b.formulas[0], None, None) not in {
                "equal",
                "ok",
                "h_only",
            }:
                return False
        return not _clash(a.name, b.name) and not _specificity(a.name, b.name)

    # ----------------------------------------------------------- duplicates
    def _mark_duplicates(
        self,
        result: pd.DataFrame,
        records: dict[str, dict[str, Any]],
        n_reactions: pd.Series | None,
    ) -> None:
        """Fill ``duplicate_of``: same compartment and the same (or an equivalent) accepted id,
        or, without an accepted id, the same full InChIKey or the same name, formula and a
        shared cross-reference."""
        groups: dict[tuple[str, str], list[str]] = defaultdict(list)
        for met_id, row in result.iterrows():
            if str(row["base_id"]).endswith("_b"):
                # boundary copies (ModelSEED/COBRA ``_b`` convention) are not duplicates
                continue
            if row["decision"] == "accept" and row["bigg_id"]:
                groups[row["compartment"], self.catalog.canonical(row["bigg_id"])].append(met_id)
            elif row["decision"] != "accept":
                for key in self._unmapped_keys(records[met_id]):
                    groups[(row["compartment"], *key)].append(met_id)  # type: ignore[arg-type]

        def reactions(met_id: str) -> int:
            if n_reactions is None:
                return 0
            return int(n_reactions.get(met_id, 0))

        assigned: set[str] = set()
        for key, members in sorted(groups.items(), key=lambda item: str(item[0])):
            members = [m for m in dict.fromkeys(members) if m not in assigned]
            if len(members) < 2:
                continue
            target = key[1] if len(key) == 2 else ""

            def order(met_id: str, target: str = target) -> tuple:
                row = result.loc[met_id]
                base = records[met_id].get("base_id", "")
                return (
                    base != target,
                    base != row["bigg_id"] or not row["bigg_id"],
                    -reactions(met_id),
                    met_id,
                )

            ranked = sorted(members, key=order)
            survivor = ranked[0]
            for other in ranked[1:]:
                why = self._not_mergeable(records[other], records[survivor])
                if why:
                    # generic vs specific, anomers, stereoisomers or other heavy atoms in the
                    # model itself: never merged, a curator decides
                    if result.loc[other, "decision"] == "accept":
                        result.loc[other, "decision"] = "review"
                    evidence = str(result.loc[other, "evidence"])
                    result.loc[other, "evidence"] = (
                        f"{evidence}; not merged with {survivor}: {why}".lstrip("; ")
                    )
                    continue
                result.loc[other, "duplicate_of"] = survivor
                assigned.add(other)
            assigned.add(survivor)

    @staticmethod
    def _not_mergeable(row: dict[str, Any], survivor: dict[str, Any]) -> str:
        """Why two metabolites of the model must not be merged ('' when nothing says so)."""
        formula, other = str(row.get("formula") or ""), str(survivor.get("formula") or "")
        if formula and other and _formula_cmp(formula, other, None, None) == "mismatch":
            return f"formula {formula} vs {other}"
        name = str(row.get("clean_name") or row.get("name") or "")
        other_name = str(survivor.get("clean_name") or survivor.get("name") or "")
        if name and other_name and normalize_name(name) != normalize_name(other_name):
            told_apart = _clash(name, other_name) or _specificity(name, other_name)
            if told_apart:
                return ",".join(told_apart)
        return ""

    @staticmethod
    def _unmapped_keys(row: dict[str, Any]) -> list[tuple[str, str]]:
        keys: list[tuple[str, str]] = []
        annotations = list(row.get("annotations") or ())
        for namespace, value in annotations:
            if namespace == "inchikey":
                keys.append(("inchikey", value))
        name = normalize_name(str(row.get("clean_name") or row.get("name") or ""))
        formula = str(row.get("formula") or "")
        if name and formula:
            for namespace, value in annotations:
                if namespace not in {"inchikey", "bigg.metabolite"}:
                    keys.append(("namexref", f"{name}|{formula}|{namespace}:{value}"))
        return keys


def match(
    model: cobra.Model,
    catalog: Catalog | str | None = None,
    encoder: NameEncoder | str | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Map every metabolite of ``model`` to a universal BiGG id. The model is not changed.

    Parameters
    ----------
    model : cobra.Model
    catalog : Catalog or path, optional
        The BiGG catalogue (default: :func:`~cobra_metalign.catalog.store.load_catalog`).
    encoder : NameEncoder or str, optional
        A name encoder, ``"minilm"`` for the packaged one, or a model folder.
        None (default) uses the identifiers, cross-references, chemistry,
        names and TF-IDF only.
    **options
        Passed to :class:`Matcher` (``sources``, ``guards``, thresholds).

    Returns
    -------
    pandas.DataFrame
        Indexed by metabolite id with the columns :data:`MATCH_COLUMNS`:
        ``bigg_id``, ``bigg_name``, ``decision`` (accept/review/none), ``score``,
        ``evidence``, ``candidates`` (top 3), ``equivalents``, ``duplicate_of``...

    Examples
    --------
    >>> from cobra.io import load_model
    >>> table = match(load_model("textbook"))
    >>> table.loc["glc__D_e", ["bigg_id", "decision"]].tolist()
    ['glc__D', 'accept']
    """
    if isinstance(catalog, str) or hasattr(catalog, "__fspath__"):
        catalog = load_catalog(catalog)
    return Matcher(catalog, encoder, **options).match_model(model)
