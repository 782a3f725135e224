"""A learned, calibrated decision over the matcher's evidence.

The matcher gathers evidence for each (model metabolite, candidate) pair and
judges it with the chemistry guards. :func:`pair_features` turns one such pair
into a fixed vector of numbers (:data:`FEATURES`); a :class:`DecisionModel` (a
logistic regression, shipped as plain JSON: no pickle) maps the vector to the
probability that the candidate is the metabolite's compound. The matcher then
proposes the most probable candidate and accepts it when the probability reaches
:attr:`DecisionModel.accept_threshold` *and* the guards allow it (no heavy-atom
formula mismatch, no clash of distinguishing name tokens, no generic-vs-specific
doubt); the guards bound the model, it decides only among what they allow.

``metalign train-decision`` (:mod:`cobra_metalign.training.decision`) rebuilds the
model from the open gold sets and writes, beside the coefficients, the feature
list, the hash of the training data, library versions and the cross-validated
and leave-one-set-out metrics.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from cobra_metalign.chem import FORMULA_RESULTS
from cobra_metalign.errors import MetalignError

logger = logging.getLogger(__name__)

__all__ = [
    "FEATURES",
    "ENCODER_FEATURES",
    "FORMULA_VERDICTS",
    "DecisionModel",
    "pair_features",
    "load_decision",
    "DECISION_FORMAT",
    "MODES",
]

#: How a model combines with the hand-set rules (see :class:`DecisionModel`).
MODES: tuple[str, ...] = ("hybrid", "replace")
#: Version of the JSON layout written by :meth:`DecisionModel.to_json`.
DECISION_FORMAT = 1

#: Verdicts of :func:`cobra_metalign.chem.compare_formulas` (``missing`` included).
FORMULA_VERDICTS: tuple[str, ...] = FORMULA_RESULTS

#: Features that read the name encoder (zero when no encoder is used).
ENCODER_FEATURES: tuple[str, ...] = ("encoder_cosine", "encoder_only")

#: The features of one (metabolite, candidate) pair, in order.
FEATURES: tuple[str, ...] = (
    # evidence kinds and their raw strengths
    "id_exact",
    "id_old",
    "id_variant",
    "own_bigg",
    "xref_strength",
    "xref_pieces",
    "xref_compounds",
    "inchikey_full",
    "inchikey_skeleton",
    "name_exact",
    "name_compounds",
    "name_is_id",
    "tfidf_cosine",
    *ENCODER_FEATURES,
    # chemistry
    "model_formula",
    *(f"formula_{verdict}" for verdict in FORMULA_VERDICTS if verdict != "missing"),
    "charge_known",
    "charge_difference",
    # distinguishing tokens
    "clash",
    "specificity",
    # the candidate among the others
    "rule_score",
    "rank",
    "lead",
    "rivals",
    "n_candidates",
    "twins",
    "id_similarity",
    "bigg_models",
    # the model as a whole: which organism's copies of BiGG compounds it uses
    "organism_tagged",
    "organism_share",
)


def _strength_count(strength: float, weights: Sequence[float]) -> int:
    """How many compounds a piece of evidence pointed to, read back from its weight."""
    for count, weight in enumerate(weights, start=1):
        if strength >= weight - 1e-9:
            return count
    return len(weights) + 1


def pair_features(
    candidate: Mapping[str, Any],
    metabolite: Mapping[str, Any],
    weights: Mapping[str, Any],
) -> dict[str, float]:
    """The features of one (metabolite, candidate) pair.

    Parameters
    ----------
    candidate : mapping
        What the matcher knows of the candidate: ``proposed`` (its BiGG id),
        ``strengths`` (``{kind: strength}``), ``labels`` (evidence labels),
        ``formula`` (the formula verdict), ``charge_difference`` (None when
        either charge is unknown), ``clash``, ``specificity``, ``score`` (the
        rule score), ``rank``, ``lead`` (score minus the best other score),
        ``rivals`` (other candidates with decisive evidence), ``n_candidates``,
        ``twins`` and ``bigg_models``.
    metabolite : mapping
        ``base_id`` and ``formula`` of the model metabolite.
    weights : mapping
        The matcher's evidence weights (to read how many compounds a name or
        cross-reference pointed to).

    Returns
    -------
    dict
        ``{feature: value}`` for every name of :data:`FEATURES`.
    """
    strengths = candidate["strengths"]
    labels = candidate["labels"]
    xref_labels = [lab for lab in labels if lab.startswith(("xref:", "idxref:"))]
    xref = float(strengths.get("xref", 0.0))
    name = float(strengths.get("name", 0.0))
    inchikey = float(strengths.get("inchikey", 0.0))
    tfidf = float(strengths.get("tfidf", 0.0)) / float(weights["tfidf"])
    encoder = float(strengths.get("encoder", 0.0)) / float(weights["encoder"])
    verdict = str(candidate["formula"])
    charge_difference = candidate.get("charge_difference")
    base_id = str(metabolite.get("base_id") or "").lower()
    proposed = str(candidate["proposed"])
    organism = str(candidate.get("organism") or "")
    features = {
        "id_exact": float("id=exact" in labels),
        "id_old": float(any(lab.startswith("id=old") for lab in labels)),
        "id_variant": float(any(lab.startswith("id=variant") for lab in labels)),
        "own_bigg": float(any(lab.startswith("xref:bigg.metabolite=") for lab in labels)),
        "xref_strength": xref,
        "xref_pieces": float(min(len(xref_labels), 5)),
        "xref_compounds": float(_strength_count(xref, weights["xref"])) if xref else 0.0,
        "inchikey_full": float(inchikey >= min(weights["inchikey=full"]) - 1e-9),
        "inchikey_skeleton": float(0.0 < inchikey < min(weights["inchikey=full"]) - 1e-9),
        "name_exact": float("name=exact" in labels),
        "name_compounds": (
            float(_strength_count(name, weights["name=exact"])) if "name=exact" in labels else 0.0
        ),
        "name_is_id": float("name=id" in labels),
        "tfidf_cosine": tfidf,
        "encoder_cosine": encoder,
        "encoder_only": float(encoder > 0.0 and tfidf == 0.0 and name == 0.0),
        "model_formula": float(bool(metabolite.get("formula"))),
        "charge_known": float(charge_difference is not None),
        "charge_difference": float(min(abs(charge_difference), 3)) if charge_difference else 0.0,
        "clash": float(bool(candidate["clash"])),
        "specificity": float(bool(candidate["specificity"])),
        "rule_score": float(candidate["score"]),
        "rank": float(min(candidate["rank"], 5)),
        "lead": float(candidate["lead"]),
        "rivals": float(min(candidate["rivals"], 3)),
        "n_candidates": float(min(candidate["n_candidates"], 6)),
        "twins": float(min(candidate["twins"], 3)),
        "id_similarity": (
            SequenceMatcher(None, base_id, proposed.lower()).ratio() if base_id else 0.0
        ),
        "bigg_models": math.log1p(max(int(candidate["bigg_models"]), 0)),
        "organism_tagged": float(bool(organism)),
        "organism_share": float(candidate.get("profile", {}).get(organism, 0.0))
        if organism
        else 0.0,
    }
    for other in FORMULA_VERDICTS:
        if other != "missing":
            features[f"formula_{other}"] = float(verdict == other)
    return features


@dataclass(frozen=True, eq=False)
class DecisionModel:
    """A logistic regression over :data:`FEATURES`, with its decision thresholds.

    Parameters
    ----------
    features : tuple of str
        The features it reads, in order (a subset of :data:`FEATURES`).
    mean, scale : numpy.ndarray
        Standardisation applied before the linear part.
    coef : numpy.ndarray
        One weight per feature.
    intercept : float
    accept_threshold : float
        Least probability to accept (chosen on the training folds for
        adjudicated precision >= 0.995).
    review_threshold : float
        Least probability to propose for review; below it, ``none``.
    mode : {"hybrid", "replace"}
        ``hybrid``: what the hand-set rules accept stays accepted and the model
        decides the rest (it learned on the rest); ``replace``: the model decides
        everything.
    metadata : dict
        Training data hash, versions, cross-validated metrics.
    """

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    accept_threshold: float
    review_threshold: float
    mode: str = "hybrid"
    metadata: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if not self.features or len(set(self.features)) != len(self.features):
            raise MetalignError("decision model: features must be a non-empty list without repeats")
        if not math.isfinite(self.intercept):
            raise MetalignError("decision model: the intercept must be a finite number")
        unknown = set(self.features) - set(FEATURES)
        if unknown:
            raise MetalignError(f"decision model reads unknown features {sorted(unknown)}")
        n = len(self.features)
        for label, values in (("mean", self.mean), ("scale", self.scale), ("coef", self.coef)):
            if np.shape(values) != (n,) or not np.all(np.isfinite(values)):
                raise MetalignError(f"decision model: {label} must hold {n} finite numbers")
        if self.mode not in MODES:
            raise MetalignError(f"decision model: mode {self.mode!r} is not one of {MODES}")
        if np.any(np.asarray(self.scale) <= 0):
            raise MetalignError("decision model: every scale must be positive")
        if not (0.0 <= self.review_threshold <= self.accept_threshold <= 1.0):
            raise MetalignError(
                "decision model: thresholds must satisfy 0 <= review <= accept <= 1 "
                f"(review {self.review_threshold}, accept {self.accept_threshold})"
            )

    @property
    def uses_encoder(self) -> bool:
        """Whether a non-zero weight reads an encoder feature."""
        return any(
            name in ENCODER_FEATURES and weight != 0.0
            for name, weight in zip(self.features, self.coef, strict=True)
        )

    def matrix(self, rows: Sequence[Mapping[str, float]]) -> np.ndarray:
        """The feature matrix of ``rows`` (dicts from :func:`pair_features`)."""
        return np.array([[row[name] for name in self.features] for row in rows], dtype=float)

    def probabilities(self, rows: Sequence[Mapping[str, float]] | np.ndarray) -> np.ndarray:
        """Probability that each candidate is the metabolite's compound.

        Parameters
        ----------
        rows : sequence of dict, or numpy.ndarray
            Feature dicts, or a matrix whose columns are :attr:`features`.

        Returns
        -------
        numpy.ndarray
        """
        matrix = rows if isinstance(rows, np.ndarray) else self.matrix(rows)
        if len(matrix) == 0:
            return np.zeros(0)
        logits = ((matrix - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -50, 50)))

    def to_dict(self) -> dict[str, Any]:
        """The model as plain JSON-able data."""
        return {
            "format": DECISION_FORMAT,
            "kind": "logistic_regression",
            "features": list(self.features),
            "mean": [float(v) for v in self.mean],
            "scale": [float(v) for v in self.scale],
            "coef": [float(v) for v in self.coef],
            "intercept": float(self.intercept),
            "accept_threshold": float(self.accept_threshold),
            "review_threshold": float(self.review_threshold),
            "mode": self.mode,
            "metadata": self.metadata,
        }

    def to_json(self, path: str | Path) -> Path:
        """Write the model as JSON (never pickle)."""
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=1, sort_keys=False) + "\n")
        return path

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "decision model") -> DecisionModel:
        """Build a model from :meth:`to_dict` data, checking every field."""
        if not isinstance(data, Mapping):
            raise MetalignError(f"{source}: not a JSON object")
        if data.get("format") != DECISION_FORMAT or data.get("kind") != "logistic_regression":
            raise MetalignError(
                f"{source}: not a decision model of format {DECISION_FORMAT} "
                f"(format {data.get('format')!r}, kind {data.get('kind')!r})"
            )
        try:
            return cls(
                features=tuple(str(f) for f in data["features"]),
                mean=np.asarray(data["mean"], dtype=float),
                scale=np.asarray(data["scale"], dtype=float),
                coef=np.asarray(data["coef"], dtype=float),
                intercept=float(data["intercept"]),
                accept_threshold=float(data["accept_threshold"]),
                review_threshold=float(data["review_threshold"]),
                mode=str(data.get("mode", "hybrid")),
                metadata=dict(data.get("metadata") or {}),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise MetalignError(f"{source}: malformed decision model ({error})") from error
        except MetalignError as error:
            raise MetalignError(f"{source}: {error}") from error

    @classmethod
    def from_json(cls, path: str | Path) -> DecisionModel:
        """Read a model written by :meth:`to_json`."""
        path = Path(path)
        try:
            data = json.loads(path.read_text())
        except OSError as error:
            raise MetalignError(f"{path}: cannot read the decision model ({error})") from error
        except ValueError as error:
            raise MetalignError(f"{path}: not valid JSON ({error})") from error
        return cls.from_dict(data, str(path))


def load_decision(path: str | Path | None = None) -> DecisionModel:
    """The packaged decision model, or one written by ``metalign train-decision``.

    Parameters
    ----------
    path : path-like, optional
        A JSON file; None reads the packaged ``data/decision.json``.

    Returns
    -------
    DecisionModel
    """
    if path is not None:
        return DecisionModel.from_json(path)
    packaged = resources.files("cobra_metalign") / "data" / "decision.json"
    if not packaged.is_file():
        raise MetalignError(
            "no decision model is packaged; build one with `metalign train-decision`"
        )
    return DecisionModel.from_dict(json.loads(packaged.read_text()), "packaged decision.json")
