"""Benchmark the matcher against gold mappings, side by side with simple baselines.

A gold file is a TSV with ``source_id`` and ``gold_bigg`` and, for the table
form, ``name``, ``formula``, ``charge``, ``compartment`` and cross-reference
columns (``kegg``, ``chebi``, ``hmdb``, ``seed``, ``metanetx``, ``inchikey``).
The table is turned into a cobra model as a user would have it; with a
``model`` the gold ids are joined to that model's metabolites instead.

Scoring is per unique metabolite (``source_id_nocomp``, else the id without its
compartment), on the rows that have a gold id; rows without gold are unknown,
not wrong. Two figures are reported, and neither uses the package's own
equivalence groups (they are what is being tested):

strict
    A prediction is correct when it is the gold id (or one of several gold ids
    in a cell), directly or through BiGG's own old/new id pairs: those of the
    catalogue (:meth:`~cobra_metalign.catalog.store.Catalog.lookup_id`) and, when given,
    BiGG's old-id table (:func:`read_old_ids`, ``--old-ids``).
adjudicated (``adj_*``, when an :class:`Adjudication` is given)
    Also correct: a pair of ids judged ``SAME`` by hand, and a row judged
    ``GOLD_WRONG`` (the accepted id is right, the gold label is not). Every other
    disagreement, judged ``MATCHER_WRONG``, ``AMBIGUOUS`` or never judged, is
    wrong; :func:`disagreements` lists them so that they can be judged. The
    adjudication tables are evaluation data read at run time (``metalign
    benchmark --adjudicated DIR``); they are never shipped and never a matching rule.

Reported per method:

``precision``
    correct accepted / accepted.
``recall``
    correct accepted / gold ids present in the catalogue.
``f1``, ``review_rate`` (share sent to review), ``top1`` and ``top5`` (gold
among the candidates, strict), ``n`` (scored metabolites), ``accepted``;
``adj_correct``, ``adj_precision``, ``adj_recall``, ``adj_f1`` and
``unadjudicated`` (wrong acceptances nobody judged) with an adjudication.

Methods: the full pipeline; baselines ``exact_id``, ``name_equality`` (lower
case, non-alphanumerics stripped), ``tfidf_top1`` (nearest name at cosine >=
0.9); ``encoder_base`` (the encoder without adapter) or ``encoder_adapter``
(with one), nearest name at cosine >= 0.94 as in the MetaAlignGen study, when asked; and ablations: the pipeline
without each evidence source and without the chemistry guards.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cobra_metalign.annotations import normalize_xref
from cobra_metalign.catalog.store import Catalog, load_catalog
from cobra_metalign.errors import MetalignError
from cobra_metalign.matching.matcher import SOURCES, Matcher
from cobra_metalign.normalize import baseline_name_key

logger = logging.getLogger(__name__)

__all__ = [
    "Adjudication",
    "read_old_ids",
    "load_gold",
    "score_predictions",
    "judge",
    "disagreements",
    "run_benchmark",
]

#: Verdicts of an adjudication table that make a disagreement correct.
CREDITED_VERDICTS = frozenset({"SAME", "GOLD_WRONG"})
#: Columns an adjudication table must have.
ADJUDICATION_COLUMNS = ("source_id", "accepted", "gold", "verdict")

#: Gold-table columns read as cross-references, with their namespaces.
XREF_COLUMNS = {
    "kegg": "kegg.compound",
    "chebi": "chebi",
    "hmdb": "hmdb",
    "seed": "seed.compound",
    "metanetx": "metanetx.chemical",
    "inchikey": "inchikey",
}


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).strip()


@dataclass(frozen=True)
class Adjudication:
    """Disagreements between a matcher and a gold set, judged by hand.

    Parameters
    ----------
    rows : pandas.DataFrame
        At least ``source_id``, ``accepted``, ``gold`` and ``verdict`` (``SAME``,
        ``GOLD_WRONG``, ``MATCHER_WRONG``, ``AMBIGUOUS``).

    Notes
    -----
    ``SAME`` is a judgement on a pair of BiGG ids (one compound under two ids)
    and holds wherever the pair meets; ``GOLD_WRONG`` is a judgement on one row
    (metabolite, accepted id, gold id).
    """

    rows: pd.DataFrame

    @classmethod
    def read(cls, path: str | Path) -> Adjudication:
        """Read one adjudication TSV, or every ``*.tsv`` in a folder.

        Parameters
        ----------
        path : path-like

        Returns
        -------
        Adjudication

        Raises
        ------
        MetalignError
            When a file cannot be read or lacks a column.
        """
        path = Path(path)
        files = sorted(path.glob("*.tsv")) if path.is_dir() else [path]
        if not files:
            raise MetalignError(f"{path}: no adjudication tables (*.tsv) in this folder")
        frames = []
        for file in files:
            try:
                frame = pd.read_csv(file, sep="\t", dtype=str, keep_default_na=False)
            except Exception as error:  # noqa: BLE001 - any parse failure is bad input
                raise MetalignError(f"{file}: not a readable adjudication TSV ({error})") from error
            missing = set(ADJUDICATION_COLUMNS) - set(frame.columns)
            if missing:
                raise MetalignError(f"{file}: adjudication table lacks columns {sorted(missing)}")
            frames.append(frame)
        rows = pd.concat(frames, ignore_index=True)
        for column in ADJUDICATION_COLUMNS:
            rows[column] = rows[column].str.strip()
        return cls(rows)

    @cached_property
    def _pairs(self) -> dict[frozenset[str], str]:
        pairs: dict[frozenset[str], str] = {}
        for accepted, gold, verdict in zip(
            self.rows["accepted"], self.rows["gold"], self.rows["verdict"], strict=True
        ):
            if verdict == "SAME":
                pairs[frozenset((accepted, gold))] = verdict
        return pairs

    @cached_property
    def _by_row(self) -> dict[tuple[str, str, str], str]:
        return {
            (source, accepted, gold): verdict
            for source, accepted, gold, verdict in zip(
                self.rows["source_id"],
                self.rows["accepted"],
                self.rows["gold"],
                self.rows["verdict"],
                strict=True,
            )
        }

    def verdict(self, source_ids: Iterable[str], predicted: str, gold: str) -> str:
        """The judgement on accepting ``predicted`` for a metabolite whose gold is ``gold``.

        Parameters
        ----------
        source_ids : iterable of str
            The metabolite's ids (model id, gold-table id, unique-metabolite key).
        predicted : str
            The accepted BiGG id.
        gold : str
            The gold cell (ids separated by ``;``).

        Returns
        -------
        str
            The verdict, or ``""`` when nobody judged this disagreement.
        """
        options = [o.strip() for o in gold.split(";") if o.strip()]
        for option in options:
            if frozenset((predicted, option)) in self._pairs:
                return "SAME"
        for source in source_ids:
            for option in [gold, *options]:
                verdict = self._by_row.get((source, predicted, option))
                if verdict:
                    return verdict
        return ""


def read_old_ids(path: str | Path) -> dict[str, str]:
    """BiGG's own old/new id pairs, as universal ids.

    Parameters
    ----------
    path : path-like
        TSV with ``old_bigg_id`` and ``universal_bigg_id`` (and optionally
        ``bigg_id``, the compartmentalized new id): BiGG's old-id table. An old id
        that carries the new id's compartment (``guln_c`` for ``guln__L_c``) is
        read without it too.

    Returns
    -------
    dict
        ``{old universal id: new universal id}``.
    """
    path = Path(path)
    try:
        table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    except Exception as error:  # noqa: BLE001 - any parse failure is bad input
        raise MetalignError(f"{path}: not a readable old-id TSV ({error})") from error
    missing = {"old_bigg_id", "universal_bigg_id"} - set(table.columns)
    if missing:
        raise MetalignError(f"{path}: old-id table lacks columns {sorted(missing)}")
    pairs: dict[str, str] = {}
    new_ids = table["bigg_id"] if "bigg_id" in table else [""] * len(table)
    for old, new, universal in zip(
        table["old_bigg_id"], new_ids, table["universal_bigg_id"], strict=True
    ):
        old, universal = old.strip(), universal.strip()
        if not old or not universal:
            continue
        pairs.setdefault(old, universal)
        compartment = new[len(universal) + 1 :] if new.startswith(universal + "_") else ""
        if compartment and old.endswith("_" + compartment):
            pairs.setdefault(old[: -len(compartment) - 1], universal)
    return pairs


def load_gold(
    gold_path: str | Path, model_path: str | Path | None = None, *, use_xrefs: bool = True
) -> tuple[Any, pd.DataFrame]:
    """Read a gold file and build (or read) the model to match.

    Parameters
    ----------
    gold_path : path-like
        Gold TSV (may be gzip-compressed).
    model_path : path-like, optional
        A model whose metabolites the gold rows name (``source_id``).
    use_xrefs : bool, optional
        Put the table's cross-reference columns into the model's annotations.
        The ``recon3d`` column of Human-GEM is never used: it is where the gold
        ids come from.

    Returns
    -------
    tuple of (cobra.Model, pandas.DataFrame)
        The model and the gold frame indexed by the model's metabolite id, with
        ``unit`` (the unique-metabolite key), ``source_id`` (the gold table's id)
        and ``gold_bigg``.
    """
    import cobra

    gold_path = Path(gold_path)
    try:
        table = pd.read_csv(gold_path, sep="\t", dtype=str, keep_default_na=False)
    except Exception as error:  # noqa: BLE001 - any parse failure is bad input
        raise MetalignError(f"{gold_path}: not a readable gold TSV ({error})") from error
    missing = {"source_id", "gold_bigg"} - set(table.columns)
    if missing:
        raise MetalignError(f"{gold_path}: gold table lacks columns {sorted(missing)}")
    if model_path is not None:
        from cobra_metalign.compartments import split_id
        from cobra_metalign.io.model import read_model

        model = read_model(model_path)
        ids = {m.id for m in model.metabolites}
        aliases = {}
        for met in model.metabolites:
            base, compartment = split_id(met.id, met.compartment, model.compartments)
            aliases[f"{base}[{compartment}]"] = met.id
            aliases[f"{base}_{compartment}"] = met.id
        rows = []
        for record in table.to_dict("records"):
            source = record["source_id"].removeprefix("M_")
            met_id = source if source in ids else aliases.get(source)
            if met_id is None:
                logger.warning("%s: gold id %s not in the model", gold_path, source)
                continue
            unit = record.get("source_id_nocomp") or met_id
            rows.append(
                {
                    "metabolite_id": met_id,
                    "unit": unit,
                    "source_id": source,
                    "gold_bigg": record["gold_bigg"],
                }
            )
        gold = pd.DataFrame(rows).drop_duplicates("metabolite_id").set_index("metabolite_id")
        return model, gold

    model = cobra.Model(gold_path.name.split(".")[0])
    metabolites = []
    rows = []
    seen: set[str] = set()
    for record in table.to_dict("records"):
        source = _text(record["source_id"]).removeprefix("M_")
        if not source or source in seen:
            continue
        seen.add(source)
        compartment = _text(record.get("compartment")) or "c"
        met_id = re.sub(r"[^A-Za-z0-9_]", "_", source)
        met = cobra.Metabolite(
            met_id,
            name=_text(record.get("name")),
            formula=_text(record.get("formula")) or None,
            compartment=compartment,
        )
        charge = _text(record.get("charge"))
        if charge:
            try:
                met.charge = int(float(charge))
            except ValueError:
                pass
        if use_xrefs:
            annotation: dict[str, list[str]] = {}
            for column, namespace in XREF_COLUMNS.items():
                for value in re.split(r"[;|,]\s*", _text(record.get(column))):
                    pair = normalize_xref(namespace, value) if value else None
                    if pair:
                        annotation.setdefault(pair[0], []).append(pair[1])
            met.annotation = annotation
        metabolites.append(met)
        unit = _text(record.get("source_id_nocomp")) or source
        rows.append(
            {
                "metabolite_id": met_id,
                "unit": unit,
                "source_id": source,
                "gold_bigg": _text(record["gold_bigg"]),
            }
        )
    model.add_metabolites(metabolites)
    gold = pd.DataFrame(rows).set_index("metabolite_id")
    return model, gold


def _candidate_ids(candidates: str) -> list[str]:
    return [part.rsplit(":", 1)[0] for part in str(candidates).split("; ") if part]


def _units(predictions: pd.DataFrame, gold: pd.DataFrame) -> pd.DataFrame:
    """One row per unique metabolite with a gold id: the first of its rows decides."""
    joined = gold.join(predictions, how="inner")
    joined = joined[joined["gold_bigg"] != ""]
    joined.index.name = "metabolite_id"
    joined = joined.reset_index()
    if "source_id" not in joined:
        joined["source_id"] = joined["metabolite_id"]
    return joined.groupby("unit", sort=False).first()


def _strict_same(
    catalog: Catalog, predicted: str, expected: str, old_ids: Mapping[str, str] | None = None
) -> bool:
    """The gold id itself (one of several in a cell), directly or through BiGG's old ids."""
    if not predicted:
        return False
    old_ids = old_ids or {}
    for option in expected.split(";"):
        option = option.strip()
        if not option:
            continue
        if predicted == option or catalog.lookup_id(option) == predicted:
            return True
        if old_ids.get(option) == predicted or old_ids.get(predicted) == option:
            return True
    return False


def judge(
    catalog: Catalog,
    predicted: str,
    gold: str,
    *,
    old_ids: Mapping[str, str] | None = None,
    adjudication: Adjudication | None = None,
    source_ids: Iterable[str] = (),
) -> tuple[bool, bool]:
    """Whether ``predicted`` is right for a metabolite whose gold cell is ``gold``.

    The same judgement :func:`score_predictions` makes, for one prediction.

    Parameters
    ----------
    catalog : Catalog
        For BiGG's old ids (never its equivalence groups).
    predicted : str
        A BiGG id.
    gold : str
        The gold cell (ids separated by ``;``).
    old_ids : mapping, optional
        BiGG's old/new id pairs (:func:`read_old_ids`).
    adjudication : Adjudication, optional
        Hand judgements of disagreements.
    source_ids : iterable of str
        The metabolite's ids the adjudication may name (model id, gold-table id,
        unique-metabolite key).

    Returns
    -------
    tuple of (bool, bool)
        Strictly correct; correct after adjudication (``SAME`` or ``GOLD_WRONG``).
    """
    strict = _strict_same(catalog, predicted, gold, old_ids)
    if strict or adjudication is None or not predicted:
        return strict, strict
    verdict = adjudication.verdict(tuple(source_ids), predicted, gold)
    return False, verdict in CREDITED_VERDICTS


def _present(catalog: Catalog, expected: str, old_ids: Mapping[str, str] | None = None) -> bool:
    old_ids = old_ids or {}
    return any(
        catalog.lookup_id(option.strip()) or catalog.lookup_id(old_ids.get(option.strip(), ""))
        for option in expected.split(";")
    )


def _f1(precision: float, recall: float) -> float:
    if precision == precision and recall == recall and precision + recall > 0:
        return 2 * precision * recall / (precision + recall)
    return 0.0


def score_predictions(
    predictions: pd.DataFrame,
    gold: pd.DataFrame,
    catalog: Catalog,
    adjudication: Adjudication | None = None,
    old_ids: Mapping[str, str] | None = None,
) -> dict[str, float]:
    """Score predictions per unique metabolite, strictly and (optionally) after adjudication.

    Parameters
    ----------
    predictions : pandas.DataFrame
        Indexed by metabolite id with ``bigg_id``, ``decision`` and optionally
        ``candidates``.
    gold : pandas.DataFrame
        From :func:`load_gold`.
    catalog : Catalog
        Used for which gold ids exist and for BiGG's old ids, never for its
        equivalence groups.
    adjudication : Adjudication, optional
        Adds the ``adj_*`` figures.
    old_ids : mapping, optional
        BiGG's old/new id pairs (:func:`read_old_ids`).

    Returns
    -------
    dict
    """
    joined = _units(predictions, gold)
    n = len(joined)
    in_catalog = int(sum(_present(catalog, g, old_ids) for g in joined["gold_bigg"]))
    accepted = joined[joined["decision"] == "accept"]
    strict = [
        _strict_same(catalog, p, g, old_ids)
        for p, g in zip(accepted["bigg_id"], accepted["gold_bigg"], strict=True)
    ]
    correct = int(sum(strict))
    precision = correct / len(accepted) if len(accepted) else float("nan")
    recall = correct / in_catalog if in_catalog else float("nan")
    result = {
        "n": n,
        "gold_in_catalog": in_catalog,
        "accepted": len(accepted),
        "correct": correct,
        "precision": precision,
        "recall": recall,
        "f1": _f1(precision, recall),
        "review_rate": float((joined["decision"] == "review").mean()) if n else float("nan"),
    }
    if adjudication is not None:
        credited = 0
        unjudged = 0
        for (unit, row), ok in zip(accepted.iterrows(), strict, strict=True):
            if ok:
                continue
            verdict = adjudication.verdict(
                (row["metabolite_id"], row["source_id"], unit), row["bigg_id"], row["gold_bigg"]
            )
            credited += verdict in CREDITED_VERDICTS
            unjudged += verdict == ""
        adj_correct = correct + credited
        adj_precision = adj_correct / len(accepted) if len(accepted) else float("nan")
        adj_recall = adj_correct / in_catalog if in_catalog else float("nan")
        result.update(
            {
                "adj_correct": adj_correct,
                "adj_precision": adj_precision,
                "adj_recall": adj_recall,
                "adj_f1": _f1(adj_precision, adj_recall),
                "unadjudicated": unjudged,
            }
        )
    if "candidates" in joined:
        top = [_candidate_ids(c) for c in joined["candidates"].fillna("")]
        result["top1"] = float(
            np.mean(
                [
                    bool(t) and _strict_same(catalog, t[0], g, old_ids)
                    for t, g in zip(top, joined["gold_bigg"], strict=True)
                ]
            )
        )
        result["top5"] = float(
            np.mean(
                [
                    any(_strict_same(catalog, c, g, old_ids) for c in t[:5])
                    for t, g in zip(top, joined["gold_bigg"], strict=True)
                ]
            )
        )
    return result


def disagreements(
    predictions: pd.DataFrame,
    gold: pd.DataFrame,
    catalog: Catalog,
    adjudication: Adjudication | None = None,
    old_ids: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Accepted ids that are not the gold id (strictly), with the verdict on each.

    Parameters
    ----------
    predictions, gold, catalog, adjudication, old_ids
        As for :func:`score_predictions`.

    Returns
    -------
    pandas.DataFrame
        One row per unique metabolite: ``unit``, ``metabolite_id``,
        ``source_id``, ``name`` (when known), ``accepted``, ``gold``, ``evidence``
        and ``verdict`` (``""`` when nobody judged it: counted as wrong).
    """
    joined = _units(predictions, gold)
    rows = []
    for unit, row in joined[joined["decision"] == "accept"].iterrows():
        if _strict_same(catalog, row["bigg_id"], row["gold_bigg"], old_ids):
            continue
        verdict = (
            adjudication.verdict(
                (row["metabolite_id"], row["source_id"], unit), row["bigg_id"], row["gold_bigg"]
            )
            if adjudication is not None
            else ""
        )
        rows.append(
            {
                "unit": unit,
                "metabolite_id": row["metabolite_id"],
                "source_id": row["source_id"],
                "name": row.get("name", ""),
                "accepted": row["bigg_id"],
                "gold": row["gold_bigg"],
                "evidence": row.get("evidence", ""),
                "verdict": verdict,
            }
        )
    columns = [
        "unit",
        "metabolite_id",
        "source_id",
        "name",
        "accepted",
        "gold",
        "evidence",
        "verdict",
    ]
    return pd.DataFrame(rows, columns=columns)


def _baseline_exact_id(table: pd.DataFrame, catalog: Catalog) -> pd.DataFrame:
    bigg = [b if b in catalog else "" for b in table["base_id"]]
    return pd.DataFrame(
        {"bigg_id": bigg, "decision": ["accept" if b else "none" for b in bigg]}, index=table.index
    )


def _baseline_name_equality(table: pd.DataFrame, catalog: Catalog) -> pd.DataFrame:
    index: dict[str, set[str]] = {}
    for name, bigg_id in zip(catalog.name_table["name"], catalog.name_table["bigg_id"]):
        index.setdefault(baseline_name_key(name), set()).add(bigg_id)
    bigg = []
    for name in table["name"]:
        hits = index.get(baseline_name_key(str(name)), set())
        bigg.append(next(iter(hits)) if len(hits) == 1 else "")
    return pd.DataFrame(
        {"bigg_id": bigg, "decision": ["accept" if b else "none" for b in bigg]}, index=table.index
    )


def _baseline_nearest(
    table: pd.DataFrame, hits: list[list[tuple[str, float]]], threshold: float
) -> pd.DataFrame:
    bigg, decision, candidates = [], [], []
    for found in hits:
        top = found[0] if found else ("", 0.0)
        bigg.append(top[0])
        decision.append("accept" if top[1] >= threshold else "none")
        candidates.append("; ".join(f"{b}:{s:.2f}" for b, s in found[:5]))
    return pd.DataFrame(
        {"bigg_id": bigg, "decision": decision, "candidates": candidates}, index=table.index
    )


def run_benchmark(
    gold_path: str | Path,
    model_path: str | Path | None = None,
    *,
    use_xrefs: bool = True,
    catalog: Catalog | None = None,
    encoder: Any = None,
    ablations: bool = True,
    baselines: bool = True,
    adjudication: Adjudication | None = None,
    old_ids: Mapping[str, str] | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Run the pipeline, its ablations and the baselines on one gold file.

    Parameters
    ----------
    gold_path : path-like
    model_path : path-like, optional
    use_xrefs : bool, optional
        False for the "names + formula + charge only" run.
    catalog : Catalog, optional
    encoder : NameEncoder or str, optional
        When given, the pipeline uses it and the ``encoder_base`` (or, with an adapter,
        ``encoder_adapter``) baseline is run.
    ablations, baselines : bool, optional
    adjudication : Adjudication, optional
        Adds the adjudicated figures; the pipeline's disagreements with the gold
        are in ``frame.attrs["disagreements"]`` (a DataFrame).
    old_ids : mapping, optional
        BiGG's old/new id pairs (:func:`read_old_ids`), for scoring only.
    **options
        Passed to :class:`~cobra_metalign.matching.matcher.Matcher`.

    Returns
    -------
    pandas.DataFrame
        One row per method with the metrics of :func:`score_predictions` and
        ``seconds``; ``attrs["disagreements"]`` holds the pipeline's disagreements
        (see :func:`disagreements`).
    """
    from cobra_metalign.io.model import metabolite_table
    from cobra_metalign.matching.matcher import tfidf_index

    catalog = catalog if catalog is not None else load_catalog()
    model, gold = load_gold(gold_path, model_path, use_xrefs=use_xrefs)
    table = metabolite_table(model)
    results: dict[str, dict[str, float]] = {}
    found: dict[str, pd.DataFrame] = {}

    def score(frame: pd.DataFrame) -> dict[str, float]:
        return score_predictions(frame, gold, catalog, adjudication, old_ids)

    def run(label: str, **kwargs: Any) -> None:
        start = time.perf_counter()
        frame = Matcher(catalog, encoder, **{**options, **kwargs}).match_table(table)
        scores = score(frame)
        scores["seconds"] = time.perf_counter() - start
        results[label] = scores
        if label == "pipeline":
            found[label] = disagreements(frame, gold, catalog, adjudication, old_ids)
        logger.info("%s: %s", label, scores)

    run("pipeline", n_candidates=5)
    if ablations:
        sources = [s for s in SOURCES if s != "encoder" or encoder is not None]
        for source in sources:
            run(f"pipeline-no-{source}", sources=[s for s in sources if s != source])
        run("pipeline-no-guards", guards=False)
    if baselines:
        for label, function in (
            ("exact_id", _baseline_exact_id),
            ("name_equality", _baseline_name_equality),
        ):
            start = time.perf_counter()
            scores = score(function(table, catalog))
            scores["seconds"] = time.perf_counter() - start
            results[label] = scores
        names = [str(n or "") for n in table["clean_name"]]
        start = time.perf_counter()
        hits = tfidf_index(catalog).search(names, k=5)
        scores = score(_baseline_nearest(table, hits, 0.9))
        scores["seconds"] = time.perf_counter() - start
        results["tfidf_top1"] = scores
        if encoder is not None:
            start = time.perf_counter()
            matcher = Matcher(catalog, encoder)
            index = matcher._encoder_index()
            vectors = matcher._encoder().encode(names)
            hits = index.search(vectors, k=5)
            scores = score(_baseline_nearest(table, hits, 0.94))
            scores["seconds"] = time.perf_counter() - start
            label = "encoder_adapter" if matcher._encoder().has_adapter else "encoder_base"
            results[label] = scores
    frame = pd.DataFrame.from_dict(results, orient="index")
    frame.index.name = "method"
    frame.attrs["disagreements"] = found.get("pipeline")
    return frame


def format_results(frame: pd.DataFrame, columns: Iterable[str] | None = None) -> str:
    """Render a results frame as a fixed-width table."""
    columns = list(columns or [c for c in frame.columns if c != "correct"])
    return frame[columns].to_string(float_format=lambda x: f"{x:.3f}")
