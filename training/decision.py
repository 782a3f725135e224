"""Learn the matcher's decision from the open gold sets, and evaluate it honestly.

The data are the matcher's own candidates (:meth:`Matcher.candidate_table`) on the
open gold sets, each labelled correct when it is the gold id (directly or through
BiGG's old ids) or when a hand judgement credits it (``SAME``, ``GOLD_WRONG`` in
``benchmarks/adjudicated``); a disagreement nobody judged is wrong, as in the
benchmark's scorer. The gold sets are evaluation data: they are read at training
time from a folder the user names, never shipped, and only the coefficients leave.

Evaluation follows seed 2: leave one set out (Human-GEM with and without
cross-references is *one* group), learn on the others, pick the acceptance
threshold on the training groups alone (out-of-fold probabilities, folds by
compound family so that no family is in both), then run the real matcher with the
learned decision on the held-out set and score it with
:func:`cobra_metalign.benchmark.score_predictions`.
"""

from __future__ import annotations

import hashlib
import logging
import platform
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sklearn
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.preprocessing import StandardScaler

from cobra_metalign.benchmark import Adjudication, judge, load_gold, read_old_ids, score_predictions
from cobra_metalign.catalog.store import Catalog
from cobra_metalign.errors import MetalignError
from cobra_metalign.io.model import metabolite_table
from cobra_metalign.matching.decision import ENCODER_FEATURES, FEATURES, DecisionModel
from cobra_metalign.matching.matcher import Matcher
from cobra_metalign.normalize import normalize_name
from cobra_metalign.training.pairs import compound_families

logger = logging.getLogger(__name__)

__all__ = [
    "GoldSet",
    "EncodedOnce",
    "GOLD_SETS",
    "TARGET_PRECISION",
    "build_dataset",
    "fit_decision",
    "choose_thresholds",
    "leave_one_set_out",
    "family_cv",
    "format_markdown",
    "REPORT_COLUMNS",
]

#: Adjudicated precision the acceptance threshold is chosen for.
TARGET_PRECISION = 0.995


@dataclass(frozen=True)
class GoldSet:
    """One open gold set: where its files are, and which held-out group it belongs to."""

    name: str
    group: str
    gold: str
    model: str | None = None
    use_xrefs: bool = True


#: The open gold sets under ``../shared/data`` (paths relative to that folder).
GOLD_SETS: tuple[GoldSet, ...] = (
    GoldSet("humangem_names", "Human-GEM", "benchmarks/humangem_gold.tsv.gz", use_xrefs=False),
    GoldSet("humangem_xrefs", "Human-GEM", "benchmarks/humangem_gold.tsv.gz"),
    GoldSet("vmh", "VMH", "benchmarks/vmh_gold.tsv.gz"),
    GoldSet(
        "bacteroides",
        "Bacteroides",
        "benchmarks/memome_bacteroides_seed2bigg_gold.tsv",
        "models/modelseed_namespace/bacteroides_bacc_sp_cf_L2v4_seed.xml.gz",
    ),
    GoldSet(
        "gapseq_model",
        "gapseq",
        "benchmarks/gemsembler_BU_gapseq_gold.tsv",
        "models/multi_tool/BU_gapseq.xml.gz",
    ),
)


@dataclass
class LoadedSet:
    """A gold set read and matched: its metabolite table, gold frame and candidates."""

    spec: GoldSet
    table: pd.DataFrame
    gold: pd.DataFrame
    candidates: pd.DataFrame


def _family(catalog: Catalog, families: dict[str, str], gold: str, name: str) -> str:
    for option in (o.strip() for o in gold.split(";")):
        found = catalog.lookup_id(option) if option else None
        if found is not None:
            return families.get(catalog.canonical(found), found)
    return "name:" + normalize_name(name)


def load_set(
    spec: GoldSet,
    data_dir: Path,
    matcher: Matcher,
    adjudication: Adjudication | None,
    old_ids: dict[str, str],
    families: dict[str, str],
) -> LoadedSet:
    """Read one gold set, list the matcher's candidates and label them.

    Parameters
    ----------
    spec : GoldSet
    data_dir : Path
        The folder holding ``benchmarks/`` and ``models/``.
    matcher : Matcher
    adjudication : Adjudication or None
    old_ids : dict
    families : dict
        Catalogue id -> compound family (:func:`compound_families`).

    Returns
    -------
    LoadedSet
    """
    model_path = data_dir / spec.model if spec.model else None
    model, gold = load_gold(data_dir / spec.gold, model_path, use_xrefs=spec.use_xrefs)
    table = metabolite_table(model)
    gold = gold[gold["gold_bigg"] != ""]
    # one metabolite per unique compound, the first, as the scorer counts them
    first = gold.reset_index().groupby("unit", sort=False).first()
    keep = set(first["metabolite_id"])
    # the whole model, as the matcher sees it (the organism profile counts every metabolite),
    # then the rows of the metabolites scored
    candidates = matcher.candidate_table(table)
    candidates = candidates[candidates["metabolite_id"].isin(keep)].reset_index(drop=True)
    by_met = gold.loc[list(keep & set(gold.index))]
    strict, adjudicated = [], []
    for met_id, bigg_id in zip(candidates["metabolite_id"], candidates["bigg_id"], strict=True):
        row = by_met.loc[met_id]
        ok = judge(
            matcher.catalog,
            bigg_id,
            row["gold_bigg"],
            old_ids=old_ids,
            adjudication=adjudication,
            source_ids=(met_id, row["source_id"], row["unit"]),
        )
        strict.append(ok[0])
        adjudicated.append(ok[1])
    candidates["label_strict"] = np.array(strict, dtype=bool)
    candidates["label"] = np.array(adjudicated, dtype=bool)
    candidates["set"] = spec.name
    candidates["group"] = spec.group
    candidates["unit"] = [
        f"{spec.name}:{by_met.loc[m, 'unit']}" for m in candidates["metabolite_id"]
    ]
    names = table["name"].to_dict()
    candidates["family"] = [
        _family(matcher.catalog, families, by_met.loc[m, "gold_bigg"], str(names.get(m, m)))
        for m in candidates["metabolite_id"]
    ]
    logger.info(
        "%s: %d metabolites, %d candidates, %d correct",
        spec.name,
        len(keep),
        len(candidates),
        int(candidates["label"].sum()),
    )
    return LoadedSet(spec, table, gold, candidates)


def _judgements(data_dir: Path) -> tuple[Adjudication | None, dict[str, str]]:
    """The hand judgements and BiGG's old ids under ``data_dir`` (when present)."""
    adjudication_dir = data_dir / "benchmarks" / "adjudicated"
    adjudication = Adjudication.read(adjudication_dir) if adjudication_dir.is_dir() else None
    old_path = data_dir / "reference" / "bigg_1.6_old_ids_obo.tsv"
    old_ids = read_old_ids(old_path) if old_path.is_file() else {}
    return adjudication, old_ids


class EncodedOnce:
    """An encoder that encodes each distinct name once (for an evaluation: its weights do not
    change meanwhile). Everything else is the wrapped encoder's.

    The leave-one-set-out evaluation runs the matcher several times over each held-out
    model (the rules, then each learned variant), and each run would encode the model's
    names again.

    Parameters
    ----------
    encoder : NameEncoder
    """

    def __init__(self, encoder: Any) -> None:
        self.encoder = encoder
        self._vectors: dict[tuple[str, bool], np.ndarray] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.encoder, name)

    def encode(self, names: Sequence[str], *args: Any, normalize: bool = True, **kwargs: Any):
        """:meth:`NameEncoder.encode`, reusing the vector of each name already encoded."""
        names = list(names)
        new = [n for n in dict.fromkeys(names) if (n, normalize) not in self._vectors]
        if new:
            vectors = self.encoder.encode(new, *args, normalize=normalize, **kwargs)
            self._vectors.update({(n, normalize): v for n, v in zip(new, vectors, strict=True)})
        if not names:
            return self.encoder.encode(names, *args, normalize=normalize, **kwargs)
        return np.stack([self._vectors[(n, normalize)] for n in names])


def _encoded_once(encoder: Any) -> Any:
    if encoder is None or isinstance(encoder, EncodedOnce):
        return encoder
    if isinstance(encoder, str):
        from cobra_metalign.matching.encoder import load_encoder

        encoder = load_encoder(encoder)
    return EncodedOnce(encoder)


def build_dataset(
    data_dir: str | Path,
    catalog: Catalog,
    *,
    encoder: Any = None,
    sets: Sequence[GoldSet] = GOLD_SETS,
) -> dict[str, LoadedSet]:
    """Read every gold set and label the matcher's candidates.

    Parameters
    ----------
    data_dir : path-like
        The shared data folder (``../shared/data``).
    catalog : Catalog
    encoder : NameEncoder or str, optional
        Gives the encoder features their values.
    sets : sequence of GoldSet

    Returns
    -------
    dict of str to LoadedSet
    """
    data_dir = Path(data_dir)
    adjudication, old_ids = _judgements(data_dir)
    families = compound_families(catalog)
    matcher = Matcher(catalog, _encoded_once(encoder), n_candidates=5)
    loaded = {}
    for spec in sets:
        missing = [p for p in (spec.gold, spec.model) if p and not (data_dir / p).exists()]
        if missing:
            raise MetalignError(f"{data_dir}: gold set {spec.name} lacks {missing}")
        loaded[spec.name] = load_set(spec, data_dir, matcher, adjudication, old_ids, families)
    return loaded


def dataset_hash(frame: pd.DataFrame) -> str:
    """sha256 of the training rows (features and labels), independent of row order."""
    columns = ["unit", "bigg_id", *FEATURES, "label"]
    rows = frame[columns].astype(str).agg("|".join, axis=1).sort_values()
    digest = hashlib.sha256()
    for row in rows:
        digest.update(row.encode() + b"\n")
    return digest.hexdigest()


# ---------------------------------------------------------------- learning


def rule_accepted(frame: pd.DataFrame) -> pd.Series:
    """Per candidate row, whether the hand-set rules accept its metabolite."""
    accepted = frame.loc[frame["rule_decision"] == "accept", "unit"]
    return frame["unit"].isin(set(accepted))


def _training_rows(frame: pd.DataFrame, mode: str) -> pd.DataFrame:
    """The rows a decision of ``mode`` learns from: all, or (hybrid) those the rules leave."""
    return frame[~rule_accepted(frame)] if mode == "hybrid" else frame


def _features_of(use_encoder: bool) -> tuple[str, ...]:
    return tuple(f for f in FEATURES if use_encoder or f not in ENCODER_FEATURES)


def _fit_estimator(kind: str, x: np.ndarray, y: np.ndarray, seed: int = 0):
    if kind == "logistic":
        scaler = StandardScaler().fit(x)
        scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
        model = LogisticRegression(C=1.0, max_iter=5000).fit((x - scaler.mean_) / scale, y)
        return ("logistic", scaler.mean_, scale, model)
    if kind == "trees":
        model = HistGradientBoostingClassifier(
            max_iter=200, learning_rate=0.05, max_leaf_nodes=15, random_state=seed
        ).fit(x, y)
        return ("trees", None, None, model)
    raise ValueError(f"unknown classifier {kind!r}")


def _predict(fitted, x: np.ndarray) -> np.ndarray:
    kind, mean, scale, model = fitted
    if kind == "logistic":
        return model.predict_proba((x - mean) / scale)[:, 1]
    return model.predict_proba(x)[:, 1]


def _oof(frame: pd.DataFrame, features: tuple[str, ...], kind: str, folds: int = 5) -> np.ndarray:
    """Out-of-fold probabilities, folds by compound family."""
    x = frame[list(features)].to_numpy(float)
    y = frame["label"].to_numpy(int)
    out = np.zeros(len(frame))
    if frame["family"].nunique() < 2 or len(set(y)) < 2:
        raise MetalignError(
            f"cannot cross-validate the decision: {frame['family'].nunique()} compound "
            f"families and {len(set(y))} label values among {len(frame)} candidates"
        )
    splitter = GroupKFold(n_splits=min(folds, frame["family"].nunique()))
    for train, test in splitter.split(x, y, frame["family"].to_numpy()):
        out[test] = _predict(_fit_estimator(kind, x[train], y[train]), x[test])
    return out


def _unit_best(frame: pd.DataFrame, probability: np.ndarray) -> pd.DataFrame:
    """Per unique metabolite, the most probable candidate."""
    scored = frame.assign(p=probability)
    scored = scored.sort_values(["unit", "p", "rank"], ascending=[True, False, True])
    return scored.groupby("unit", sort=False).first()


def choose_thresholds(
    frame: pd.DataFrame, probability: np.ndarray, target: float = TARGET_PRECISION
) -> tuple[float, float]:
    """Acceptance and review thresholds from out-of-fold probabilities.

    Acceptance: the lowest probability at which the accepted candidates (the most
    probable per metabolite, where the guards allow it) keep adjudicated precision
    >= ``target`` from there up. Review: the probability above which 95% of the
    metabolites whose most probable candidate is correct fall (a curator sees
    nearly every right proposal).

    Parameters
    ----------
    frame : pandas.DataFrame
        Candidate rows with ``unit``, ``rank``, ``allowed`` and ``label``.
    probability : numpy.ndarray
    target : float

    Returns
    -------
    tuple of (float, float)
    """
    best = _unit_best(frame, probability)
    acceptable = best[best["allowed"]]
    # precision of everything accepted at each distinct probability (ties accepted together)
    by_p = acceptable.groupby("p")["label"].agg(["sum", "count"]).sort_index(ascending=False)
    precision = by_p["sum"].cumsum() / by_p["count"].cumsum()
    ok = precision[precision >= target]
    accept = float(ok.index[-1]) if len(ok) else 1.0
    right = np.sort(best.loc[best["label"], "p"].to_numpy())
    review = float(right[int(0.05 * len(right))]) if len(right) else 0.5
    return accept, min(review, accept)


def fit_decision(
    frame: pd.DataFrame, *, use_encoder: bool = False, folds: int = 5, mode: str = "hybrid"
) -> DecisionModel:
    """Fit the logistic decision on candidate rows, thresholds from family folds.

    Parameters
    ----------
    frame : pandas.DataFrame
        Labelled candidate rows (:func:`build_dataset`).
    use_encoder : bool
        Read the encoder features.
    folds : int
    mode : {"hybrid", "replace"}
        ``hybrid`` learns only on the metabolites the rules do not accept.

    Returns
    -------
    DecisionModel
    """
    full = frame
    frame = _training_rows(frame, mode)
    features = _features_of(use_encoder)
    oof = _oof(frame, features, "logistic", folds)
    accept, review = choose_thresholds(frame, oof)
    x = frame[list(features)].to_numpy(float)
    _kind, mean, scale, model = _fit_estimator("logistic", x, frame["label"].to_numpy(int))
    return DecisionModel(
        features=features,
        mean=np.asarray(mean, float),
        scale=np.asarray(scale, float),
        coef=np.asarray(model.coef_[0], float),
        intercept=float(model.intercept_[0]),
        accept_threshold=accept,
        review_threshold=review,
        mode=mode,
        metadata={
            "training_rows": len(frame),
            "training_units": int(frame["unit"].nunique()),
            "training_positives": int(frame["label"].sum()),
            "sets": sorted(frame["set"].unique()),
            "data_sha256": dataset_hash(full),
            "oof_brier": float(np.mean((oof - frame["label"].to_numpy(float)) ** 2)),
            "target_precision": TARGET_PRECISION,
            "versions": {
                "python": platform.python_version(),
                "scikit-learn": sklearn.__version__,
                "numpy": np.__version__,
                "pandas": pd.__version__,
            },
            "trained": time.strftime("%Y-%m-%d", time.gmtime()),
        },
    )


@dataclass
class EstimatorDecision:
    """Any fitted estimator as a matcher decision (for evaluation only; never shipped)."""

    fitted: Any
    features: tuple[str, ...]
    accept_threshold: float
    review_threshold: float
    mode: str = "hybrid"

    def __post_init__(self) -> None:
        self._known: dict[tuple[float, ...], float] = {}

    def precompute(self, frame: pd.DataFrame) -> None:
        """Predict every candidate row at once (trees predict slowly one row at a time)."""
        x = frame[list(self.features)].to_numpy(float)
        self._known.update(zip(map(tuple, x), _predict(self.fitted, x), strict=True))

    def probabilities(self, rows: Sequence[dict[str, float]]) -> np.ndarray:
        if not len(rows):
            return np.zeros(0)
        x = np.array([[row[f] for f in self.features] for row in rows], float)
        keys = list(map(tuple, x))
        if all(key in self._known for key in keys):
            return np.array([self._known[key] for key in keys])
        return _predict(self.fitted, x)


def _estimator_decision(
    frame: pd.DataFrame, kind: str, use_encoder: bool, folds: int = 5, mode: str = "hybrid"
) -> EstimatorDecision:
    frame = _training_rows(frame, mode)
    features = _features_of(use_encoder)
    accept, review = choose_thresholds(frame, _oof(frame, features, kind, folds))
    x = frame[list(features)].to_numpy(float)
    fitted = _fit_estimator(kind, x, frame["label"].to_numpy(int))
    return EstimatorDecision(fitted, features, accept, review, mode)


def _score(
    loaded: LoadedSet, matcher: Matcher, catalog: Catalog, adjudication, old_ids
) -> dict[str, float]:
    predictions = matcher.match_table(loaded.table)
    return score_predictions(predictions, loaded.gold, catalog, adjudication, old_ids)


def leave_one_set_out(
    data: dict[str, LoadedSet],
    catalog: Catalog,
    *,
    data_dir: str | Path,
    variants: Iterable[tuple[str, str, bool, str]] = (
        ("logistic", "logistic", False, "hybrid"),
        ("trees", "trees", False, "hybrid"),
    ),
    encoder: Any = None,
    rules: bool = True,
    folds: int = 5,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Leave one group out: learn on the others, run the matcher on it, score it.

    Parameters
    ----------
    data : dict of str to LoadedSet
        From :func:`build_dataset` (built with ``encoder`` when a variant reads it).
    catalog : Catalog
    data_dir : path-like
        For the adjudication tables and BiGG's old ids (scoring).
    variants : iterable of (label, classifier, use_encoder, mode)
        ``classifier`` is ``"logistic"`` or ``"trees"``; ``mode`` as for
        :func:`fit_decision`.
    encoder : NameEncoder or str, optional
        The encoder the matcher uses for every variant (and the rules row).
    rules : bool
        Also score today's hand-set rules.
    folds : int
        Family folds for choosing each acceptance threshold.
    progress : callable, optional
        Called with a line of text after each run.

    Returns
    -------
    pandas.DataFrame
        One row per (held-out set, method) with strict and adjudicated figures
        and the thresholds used.
    """
    adjudication, old_ids = _judgements(Path(data_dir))
    encoder = _encoded_once(encoder)
    frame = pd.concat([d.candidates for d in data.values()], ignore_index=True)
    rows = []
    for group in dict.fromkeys(d.spec.group for d in data.values()):
        train = frame[frame["group"] != group]
        decisions = {
            label: _estimator_decision(train, kind, use_encoder, folds, mode)
            for label, kind, use_encoder, mode in variants
        }
        for loaded in (d for d in data.values() if d.spec.group == group):
            # every candidate of the whole model, predicted in one batch per method
            everything = Matcher(catalog, encoder).candidate_table(loaded.table)
            methods: dict[str, Any] = {"rules": None} if rules else {}
            methods.update(decisions)
            for label, decision in methods.items():
                if decision is not None:
                    decision.precompute(everything)
                matcher = Matcher(catalog, encoder, n_candidates=5, decision=decision)
                scores = _score(loaded, matcher, catalog, adjudication, old_ids)
                scores.update(
                    held_out=loaded.spec.name,
                    method=label,
                    accept_threshold=getattr(decision, "accept_threshold", float("nan")),
                )
                rows.append(scores)
                if progress is not None:
                    progress(
                        f"{loaded.spec.name} {label}: P {scores['precision']:.3f} "
                        f"R {scores['recall']:.3f} adj P "
                        f"{scores.get('adj_precision', float('nan')):.3f} "
                        f"R {scores.get('adj_recall', float('nan')):.3f}"
                    )
    return pd.DataFrame(rows)


def family_cv(
    frame: pd.DataFrame, *, use_encoder: bool = False, folds: int = 5, mode: str = "hybrid"
) -> dict:
    """Cross-validated figures of the logistic decision, folds by compound family.

    Computed on the candidate rows (the matcher's within-model duplicate step is
    not rerun), per unique metabolite: the most probable candidate, accepted when
    allowed and above the threshold chosen on the other folds; in ``hybrid`` mode
    what the rules accept stays accepted.
    """
    features = _features_of(use_encoder)
    units = frame["unit"].nunique()
    positives = int(frame.groupby("unit")["label"].any().sum())
    accepted = correct = 0
    if mode == "hybrid":
        by_rules = frame[(frame["rule_decision"] == "accept")]
        accepted, correct = len(by_rules), int(by_rules["label"].sum())
    rest = _training_rows(frame, mode)
    x = rest[list(features)].to_numpy(float)
    y = rest["label"].to_numpy(int)
    n_splits = min(folds, rest["family"].nunique()) if len(set(y)) > 1 else 0
    splits = (
        GroupKFold(n_splits=n_splits).split(x, y, rest["family"].to_numpy())
        if n_splits > 1
        else ()  # nothing left to learn from
    )
    for train, test in splits:
        part = rest.iloc[train]
        if part["family"].nunique() < 2 or part["label"].nunique() < 2:
            continue  # too little to learn a threshold from: nothing added in this fold
        accept, _review = choose_thresholds(part, _oof(part, features, "logistic", folds))
        fitted = _fit_estimator("logistic", x[train], y[train])
        best = _unit_best(rest.iloc[test], _predict(fitted, x[test]))
        chosen = best[best["allowed"] & (best["p"] >= accept)]
        accepted += len(chosen)
        correct += int(chosen["label"].sum())
    return {
        "mode": mode,
        "units": int(units),
        "units_with_a_correct_candidate": positives,
        "accepted": accepted,
        "adj_precision": correct / accepted if accepted else float("nan"),
        "adj_recall_of_reachable": correct / positives if positives else float("nan"),
    }


#: Columns of the leave-one-set-out table, as :func:`format_markdown` shows them.
REPORT_COLUMNS: tuple[str, ...] = (
    "held_out",
    "method",
    "precision",
    "recall",
    "adj_precision",
    "adj_recall",
    "review_rate",
    "accept_threshold",
)


def format_markdown(table: pd.DataFrame) -> str:
    """The leave-one-set-out table as Markdown (strict and adjudicated P / R)."""
    header = ["held out", "method", "strict P / R", "adjudicated P / R", "review", "accept at"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in table.to_dict("records"):
        threshold = row.get("accept_threshold")
        lines.append(
            "| "
            + " | ".join(
                [
                    str(row["held_out"]),
                    str(row["method"]),
                    f"{row['precision']:.3f} / {row['recall']:.3f}",
                    f"{row.get('adj_precision', float('nan')):.3f} / "
                    f"{row.get('adj_recall', float('nan')):.3f}",
                    f"{row['review_rate']:.3f}",
                    "–" if threshold != threshold else f"{threshold:.3f}",
                ]
            )
            + " |"
        )
    return "\n".join(lines)
