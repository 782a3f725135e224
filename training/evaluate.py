"""Held-out evaluation of name encoders against the TF-IDF baseline.

Everything is measured on compound families held out of training
(:func:`~cobra_metalign.training.pairs.family_split`):

- **pair accuracy**: cosine similarity of each held-out pair against a threshold
  chosen, per method, on pairs of the *training* split (the best accuracy
  there); ROC AUC is reported beside it, as it needs no threshold;
- **retrieval**: a name of a held-out compound is searched among all catalogue
  names; top-1 and top-5 count a hit when the compound (or an equivalent BiGG
  id) ranks first, or in the first five. The query's own name, and any name of
  its compound with the same normalized form, are left out of the search, so a
  hit means finding the compound through a genuinely different name.

Methods: any number of :class:`~cobra_metalign.matching.encoder.NameEncoder` (the base
encoder, trained adapters) and the character n-gram TF-IDF baseline of
:class:`~cobra_metalign.matching.similarity.TfidfNameIndex`. Encoders always score in
eval mode (:meth:`NameEncoder.encode`).
"""

from __future__ import annotations

import logging
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from cobra_metalign.catalog.store import Catalog
from cobra_metalign.matching.encoder import EmbeddingIndex, NameEncoder
from cobra_metalign.matching.similarity import TfidfNameIndex, light_form
from cobra_metalign.normalize import normalize_name
from cobra_metalign.training.pairs import (
    RECIPES,
    FamilySplit,
    NamePair,
    compound_names,
    make_pairs,
)

logger = logging.getLogger(__name__)

__all__ = [
    "TFIDF",
    "EvalSets",
    "build_eval_sets",
    "retrieval_queries",
    "best_threshold",
    "roc_auc",
    "anchor_wins",
    "evaluate",
    "format_markdown",
]

#: Row label of the TF-IDF baseline.
TFIDF = "tfidf"


@dataclass
class EvalSets:
    """Held-out data for :func:`evaluate`.

    Attributes
    ----------
    pair_sets : dict of str to (list of NamePair, list of NamePair)
        Per set name: pairs of the training split (to choose thresholds) and
        held-out pairs (to measure accuracy).
    queries : list of (str, str)
        Retrieval queries: a name of a held-out compound and its canonical id.
    names : list of str
        Every catalogue name (the search space).
    ids : list of str
        Canonical id of each name.
    catalog_version : str
    """

    pair_sets: dict[str, tuple[list[NamePair], list[NamePair]]]
    queries: list[tuple[str, str]]
    names: list[str]
    ids: list[str]
    catalog_version: str = ""
    _rows: dict[tuple[str, str], int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._rows = {
            (name, bigg_id): i for i, (name, bigg_id) in enumerate(zip(self.names, self.ids))
        }

    def summary(self) -> dict[str, Any]:
        """Sizes of the sets (JSON-serialisable)."""
        return {
            "pair_sets": {
                key: {"threshold_pairs": len(train), "held_out_pairs": len(test)}
                for key, (train, test) in self.pair_sets.items()
            },
            "retrieval_queries": len(self.queries),
            "catalogue_names": len(self.names),
            "catalog_version": self.catalog_version,
        }


def retrieval_queries(
    names_of: Mapping[str, Sequence[str]],
    compounds: Iterable[str],
    max_queries: int = 1000,
    seed: int = 0,
) -> list[tuple[str, str]]:
    """Pick one query name per held-out compound that has another name to find.

    Parameters
    ----------
    names_of : mapping of str to sequence of str
        Canonical id -> names (:func:`~cobra_metalign.training.pairs.compound_names`).
    compounds : iterable of str
        Canonical ids to draw from (the held-out ones).
    max_queries : int, optional
        Most queries (a seeded sample when there are more compounds).
    seed : int, optional

    Returns
    -------
    list of (str, str)
        ``(name, canonical id)``, sorted by id.
    """
    rng = random.Random(seed)
    eligible = []
    for canonical in sorted(set(compounds)):
        names = [n for n in names_of.get(canonical, ()) if normalize_name(n)]
        if len({normalize_name(n) for n in names}) >= 2:
            eligible.append((canonical, names))
    if len(eligible) > max_queries:
        eligible = sorted(rng.sample(eligible, max_queries))
    return [(rng.choice(names), canonical) for canonical, names in eligible]


def build_eval_sets(
    catalog: Catalog,
    split: FamilySplit,
    *,
    recipes: Sequence[str] = RECIPES,
    n_threshold: int = 1000,
    n_test: int = 1000,
    seed: int = 0,
    extra: Mapping[str, tuple[Sequence[NamePair], Sequence[NamePair]]] | None = None,
    max_queries: int = 1000,
) -> EvalSets:
    """Build the held-out pair sets and retrieval queries of a family split.

    Parameters
    ----------
    catalog : Catalog
    split : FamilySplit
    recipes : sequence of str, optional
        A pair set per recipe: ``n_threshold`` pairs of the training split (seed
        ``seed``, as the training pairs) and ``n_test`` held-out pairs (seed
        ``seed + 1``).
    n_threshold, n_test : int, optional
    seed : int, optional
    extra : mapping, optional
        More pair sets, e.g. the original MetaAlignGen pairs split by family:
        name -> (training-split pairs, held-out pairs).
    max_queries : int, optional

    Returns
    -------
    EvalSets
    """
    pair_sets: dict[str, tuple[list[NamePair], list[NamePair]]] = {}
    for recipe in recipes:
        train = make_pairs(recipe, catalog, n_threshold, seed=seed, compounds=split.train_ids)
        test = make_pairs(recipe, catalog, n_test, seed=seed + 1, compounds=split.test_ids)
        pair_sets[recipe] = (train, test)
    for key, (train, test) in (extra or {}).items():
        pair_sets[key] = (list(train), list(test))
    names_of = compound_names(catalog)
    held_out = {catalog.canonical(i) for i in split.test_ids}
    queries = retrieval_queries(names_of, held_out, max_queries=max_queries, seed=seed)
    names = [name for names in names_of.values() for name in names]
    ids = [canonical for canonical, names in names_of.items() for _ in names]
    return EvalSets(pair_sets, queries, names, ids, catalog_version=catalog.version)


# --------------------------------------------------------------------------- metrics


def best_threshold(scores: Sequence[float], labels: Sequence[int]) -> tuple[float, float]:
    """The threshold with the best accuracy (predict "same" when score >= threshold).

    Candidate thresholds lie midway between consecutive distinct scores (and
    below/above all of them); ties in accuracy go to the lowest threshold.

    Parameters
    ----------
    scores : sequence of float
    labels : sequence of int

    Returns
    -------
    tuple of (float, float)
        Threshold and its accuracy.
    """
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    if scores.size == 0:
        return 0.5, float("nan")
    values = np.unique(scores)
    candidates = np.concatenate(
        [[values[0] - 1e-6], (values[:-1] + values[1:]) / 2, [values[-1] + 1e-6]]
    )
    order = np.argsort(scores, kind="stable")
    sorted_scores, sorted_labels = scores[order], labels[order]
    # number of positives and negatives below each candidate
    below = np.searchsorted(sorted_scores, candidates, side="left")
    positives_below = np.concatenate([[0], np.cumsum(sorted_labels)])[below]
    negatives_below = below - positives_below
    total_positive = int(labels.sum())
    correct = negatives_below + (total_positive - positives_below)
    best = int(np.argmax(correct))
    return float(candidates[best]), float(correct[best] / len(labels))


def roc_auc(scores: Sequence[float], labels: Sequence[int]) -> float:
    """Area under the ROC curve (ties count one half); NaN without both classes."""
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    n_pos = int(labels.sum())
    n_neg = len(labels) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = pd.Series(scores).rank(method="average").to_numpy()
    return float((ranks[labels == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _accuracy(scores: np.ndarray, labels: np.ndarray, threshold: float) -> float:
    if len(labels) == 0:
        return float("nan")
    return float(((scores >= threshold).astype(int) == labels).mean())


# --------------------------------------------------------------------------- methods


class _Method:
    """Vectors of names under one method (rows L2-normalised)."""

    def __init__(self, catalogue_vectors: np.ndarray | sp.csr_matrix, embed: Any) -> None:
        self.catalogue = catalogue_vectors
        self.embed = embed


def _encoder_method(
    encoder: NameEncoder, sets: EvalSets, batch_size: int, show_progress_bar: bool | None
) -> _Method:
    index = EmbeddingIndex.build(
        encoder,
        sets.names,
        sets.ids,
        cache_key=f"training-eval|{sets.catalog_version}",
        batch_size=batch_size,
        show_progress_bar=show_progress_bar,
    )

    def embed(names: Sequence[str]) -> np.ndarray:
        return encoder.encode(
            list(names), batch_size=batch_size, show_progress_bar=show_progress_bar
        )

    return _Method(index.vectors, embed)


def _tfidf_method(sets: EvalSets) -> _Method:
    index = TfidfNameIndex().fit(sets.names, sets.ids)
    vectorizer = index.vectorizer_

    def embed(names: Sequence[str]) -> sp.csr_matrix:
        return vectorizer.transform([light_form(n) for n in names]).tocsr()

    return _Method(embed(sets.names), embed)


def _pair_scores(method: _Method, pairs: Sequence[NamePair]) -> np.ndarray:
    if not pairs:
        return np.zeros(0)
    unique = list(dict.fromkeys([p.name1 for p in pairs] + [p.name2 for p in pairs]))
    row = {name: i for i, name in enumerate(unique)}
    vectors = method.embed(unique)
    left = vectors[[row[p.name1] for p in pairs]]
    right = vectors[[row[p.name2] for p in pairs]]
    if sp.issparse(left):
        return np.asarray(left.multiply(right).sum(axis=1)).ravel()
    return np.einsum("ij,ij->i", left, right).astype(np.float64)


def _retrieval(method: _Method, sets: EvalSets, chunk: int = 256) -> tuple[float, float]:
    if not sets.queries:
        return float("nan"), float("nan")
    ids = np.asarray(sets.ids, dtype=object)
    unique_ids, codes = np.unique(ids, return_inverse=True)
    order = np.argsort(codes, kind="stable")
    starts = np.flatnonzero(np.r_[True, codes[order][1:] != codes[order][:-1]])
    keys = [normalize_name(n) for n in sets.names]
    by_compound_key: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, (bigg_id, key) in enumerate(zip(sets.ids, keys)):
        by_compound_key[bigg_id, key].append(i)
    query_rows = [sets._rows[q] for q in sets.queries]
    code_of = {bigg_id: c for c, bigg_id in enumerate(unique_ids)}
    top1 = top5 = 0
    for start in range(0, len(query_rows), chunk):
        rows = query_rows[start : start + chunk]
        queries = method.catalogue[rows]
        scores = queries @ method.catalogue.T
        scores = scores.toarray() if sp.issparse(scores) else np.asarray(scores)
        scores = scores.astype(np.float32, copy=False)
        for local, row in enumerate(rows):
            bigg_id = sets.queries[start + local][1]
            scores[local, by_compound_key[bigg_id, keys[row]]] = -np.inf
        grouped = np.maximum.reduceat(scores[:, order], starts, axis=1)
        k = min(5, grouped.shape[1])
        top = np.argpartition(-grouped, k - 1, axis=1)[:, :k]
        for local, candidates in enumerate(top):
            ranked = candidates[np.lexsort((candidates, -grouped[local, candidates]))]
            target = code_of[sets.queries[start + local][1]]
            if ranked[0] == target:
                top1 += 1
            if target in ranked:
                top5 += 1
    n = len(sets.queries)
    return top1 / n, top5 / n


def anchor_wins(pairs: Sequence[NamePair], scores: Sequence[float]) -> float:
    """Share of negatives scored below the positive of the same first name (anchor).

    For the near-miss pairs (a model name against its compound and against the
    matcher's look-alikes) this is the question that matters: does the method put
    the right compound above the near miss, for the same name? Ties count one
    half; negatives whose anchor has no positive in ``pairs`` are left out.

    Parameters
    ----------
    pairs : sequence of NamePair
    scores : sequence of float
        The method's score of each pair.

    Returns
    -------
    float
        NaN when no negative has a positive with the same anchor.
    """
    positive: dict[str, float] = {}
    for pair, score in zip(pairs, scores, strict=True):
        if pair.label == 1:
            positive[pair.name1] = max(score, positive.get(pair.name1, -np.inf))
    wins = []
    for pair, score in zip(pairs, scores, strict=True):
        if pair.label == 0 and pair.name1 in positive:
            best = positive[pair.name1]
            wins.append(1.0 if best > score else 0.5 if best == score else 0.0)
    return float(np.mean(wins)) if wins else float("nan")


def _score_method(method: _Method, sets: EvalSets) -> dict[str, float]:
    row: dict[str, float] = {}
    for key, (train, test) in sets.pair_sets.items():
        train_scores = _pair_scores(method, train)
        threshold, train_accuracy = best_threshold(train_scores, [p.label for p in train])
        test_scores = _pair_scores(method, test)
        test_labels = np.asarray([p.label for p in test], dtype=np.int64)
        row[f"{key}_accuracy"] = _accuracy(test_scores, test_labels, threshold)
        row[f"{key}_auc"] = roc_auc(test_scores, test_labels)
        row[f"{key}_threshold"] = threshold
        row[f"{key}_train_accuracy"] = train_accuracy
        row[f"{key}_anchor_wins"] = anchor_wins(test, test_scores)
    row["top1"], row["top5"] = _retrieval(method, sets)
    row["queries"] = float(len(sets.queries))
    return row


def evaluate(
    sets: EvalSets,
    encoders: Mapping[str, NameEncoder],
    *,
    tfidf: bool = True,
    batch_size: int = 64,
    show_progress_bar: bool | None = None,
) -> pd.DataFrame:
    """Score encoders and the TF-IDF baseline on held-out families.

    Catalogue embeddings are cached per (encoder fingerprint, catalogue version)
    through :meth:`EmbeddingIndex.build`.

    Parameters
    ----------
    sets : EvalSets
    encoders : mapping of str to NameEncoder
        Label -> encoder (e.g. ``{"base": ..., "adapter": ...}``).
    tfidf : bool, optional
        Add the TF-IDF baseline (row ``"tfidf"``).
    batch_size : int, optional
    show_progress_bar : bool or None, optional

    Returns
    -------
    pandas.DataFrame
        One row per method (index ``method``); per pair set ``<set>_accuracy``
        (held-out, at the threshold chosen on the training split),
        ``<set>_auc``, ``<set>_threshold``, ``<set>_train_accuracy``,
        ``<set>_anchor_wins`` (:func:`anchor_wins`, NaN for sets without
        anchored negatives); then ``top1``, ``top5`` and ``queries`` (retrieval).
    """
    rows: dict[str, dict[str, float]] = {}
    if tfidf:
        rows[TFIDF] = _score_method(_tfidf_method(sets), sets)
        logger.info("evaluated %s", TFIDF)
    for label, encoder in encoders.items():
        rows[label] = _score_method(
            _encoder_method(encoder, sets, batch_size, show_progress_bar), sets
        )
        logger.info("evaluated %s", label)
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "method"
    return frame


def format_markdown(frame: pd.DataFrame) -> str:
    """A Markdown table of :func:`evaluate` results (accuracies and top-k in percent).

    Parameters
    ----------
    frame : pandas.DataFrame

    Returns
    -------
    str
    """
    sets = [c.removesuffix("_accuracy") for c in frame.columns if c.endswith("_accuracy")]
    sets = [s for s in sets if not s.endswith("_train")]
    header = ["method"]
    for key in sets:
        header += [f"{key} pair acc.", f"{key} AUC", f"{key} thr."]
    # the anchor comparison only where a set has negatives anchored on a positive's name
    anchored = [
        k for k in sets if f"{k}_anchor_wins" in frame and frame[f"{k}_anchor_wins"].notna().any()
    ]
    header += [f"{key} anchor wins" for key in anchored]
    header += ["top-1", "top-5"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for method, row in frame.iterrows():
        cells = [str(method)]
        for key in sets:
            cells += [
                f"{100 * row[f'{key}_accuracy']:.1f}%",
                f"{row[f'{key}_auc']:.3f}",
                f"{row[f'{key}_threshold']:.3f}",
            ]
        cells += [f"{100 * row[f'{key}_anchor_wins']:.1f}%" for key in anchored]
        cells += [f"{100 * row['top1']:.1f}%", f"{100 * row['top5']:.1f}%"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
