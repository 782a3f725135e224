"""Benchmark the matcher against gold mappings, side by side with simple baselines.

A gold file is a TSV with ``source_id`` and ``gold_bigg`` and, for the table
form, ``name``, ``formula``, ``charge``, ``compartment`` and cross-reference
columns (``kegg``, ``chebi``, ``hmdb``, ``seed``, ``metanetx``, ``inchikey``).
The table is turned into a cobra model as a user would have it; with a
``model`` the gold ids are joined to that model's metabolites instead.

Scoring is per unique metabolite (``source_id_nocomp``, else the id without its
compartment), on the rows that have a gold id; rows without gold are unknown,
not wrong. A prediction counts as correct when it is the gold id or an
equivalent BiGG id of it. Reported per method:

``precision``
    correct accepted / accepted.
``recall``
    correct accepted / gold ids present in the catalogue.
``f1``, ``review_rate`` (share sent to review), ``top1`` and ``top5`` (gold
among the candidates), ``n`` (scored metabolites), ``accepted``.

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
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cobra_metalign.annotations import normalize_xref
from cobra_metalign.catalog import Catalog, load_catalog
from cobra_metalign.errors import MetalignError
from cobra_metalign.matcher import SOURCES, Matcher
from cobra_metalign.normalize import baseline_name_key

logger = logging.getLogger(__name__)

__all__ = ["load_gold", "score_predictions", "run_benchmark"]

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
        ``unit`` (the unique-metabolite key) and ``gold_bigg``.
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
        from cobra_metalign.io import read_model

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
            rows.append({"metabolite_id": met_id, "unit": unit, "gold_bigg": record["gold_bigg"]})
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
            {"metabolite_id": met_id, "unit": unit, "gold_bigg": _text(record["gold_bigg"])}
        )
    model.add_metabolites(metabolites)
    gold = pd.DataFrame(rows).set_index("metabolite_id")
    return model, gold


def _candidate_ids(candidates: str) -> list[str]:
    return [part.rsplit(":", 1)[0] for part in str(candidates).split("; ") if part]


def score_predictions(
    predictions: pd.DataFrame, gold: pd.DataFrame, catalog: Catalog
) -> dict[str, float]:
    """Score predictions per unique metabolite.

    Parameters
    ----------
    predictions : pandas.DataFrame
        Indexed by metabolite id with ``bigg_id``, ``decision`` and optionally
        ``candidates``.
    gold : pandas.DataFrame
        From :func:`load_gold`.
    catalog : Catalog

    Returns
    -------
    dict
    """
    joined = gold.join(predictions, how="inner")
    joined = joined[joined["gold_bigg"] != ""]
    joined = joined.groupby("unit", sort=False).first()

    def same(predicted: str, expected: str) -> bool:
        """Gold cells may list several acceptable ids (``2kmb;4met2obut``)."""
        if not predicted:
            return False
        for option in expected.split(";"):
            option = option.strip()
            if predicted == option:
                return True
            option_id = catalog.lookup_id(option) or option
            if catalog.canonical(predicted) == catalog.canonical(option_id):
                return True
        return False

    def present(expected: str) -> bool:
        return any(catalog.lookup_id(option.strip()) for option in expected.split(";"))

    n = len(joined)
    in_catalog = int(sum(present(g) for g in joined["gold_bigg"]))
    accepted = joined[joined["decision"] == "accept"]
    correct = int(sum(same(p, g) for p, g in zip(accepted["bigg_id"], accepted["gold_bigg"])))
    precision = correct / len(accepted) if len(accepted) else float("nan")
    recall = correct / in_catalog if in_catalog else float("nan")
    f1 = (
        2 * precision * recall / (precision + recall)
        if precision == precision and recall == recall and precision + recall > 0
        else 0.0
    )
    result = {
        "n": n,
        "gold_in_catalog": in_catalog,
        "accepted": len(accepted),
        "correct": correct,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "review_rate": float((joined["decision"] == "review").mean()) if n else float("nan"),
    }
    if "candidates" in joined:
        top = [_candidate_ids(c) for c in joined["candidates"].fillna("")]
        result["top1"] = float(
            np.mean([bool(t) and same(t[0], g) for t, g in zip(top, joined["gold_bigg"])])
        )
        result["top5"] = float(
            np.mean([any(same(c, g) for c in t[:5]) for t, g in zip(top, joined["gold_bigg"])])
        )
    return result


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
    **options
        Passed to :class:`~cobra_metalign.matcher.Matcher`.

    Returns
    -------
    pandas.DataFrame
        One row per method with the metrics of :func:`score_predictions` and
        ``seconds``.
    """
    from cobra_metalign.io import metabolite_table
    from cobra_metalign.matcher import tfidf_index

    catalog = catalog if catalog is not None else load_catalog()
    model, gold = load_gold(gold_path, model_path, use_xrefs=use_xrefs)
    table = metabolite_table(model)
    results: dict[str, dict[str, float]] = {}

    def run(label: str, **kwargs: Any) -> None:
        start = time.perf_counter()
        frame = Matcher(catalog, encoder, **{**options, **kwargs}).match_table(table)
        scores = score_predictions(frame, gold, catalog)
        scores["seconds"] = time.perf_counter() - start
        results[label] = scores
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
            scores = score_predictions(function(table, catalog), gold, catalog)
            scores["seconds"] = time.perf_counter() - start
            results[label] = scores
        names = [str(n or "") for n in table["clean_name"]]
        start = time.perf_counter()
        hits = tfidf_index(catalog).search(names, k=5)
        scores = score_predictions(_baseline_nearest(table, hits, 0.9), gold, catalog)
        scores["seconds"] = time.perf_counter() - start
        results["tfidf_top1"] = scores
        if encoder is not None:
            start = time.perf_counter()
            matcher = Matcher(catalog, encoder)
            index = matcher._encoder_index()
            vectors = matcher._encoder().encode(names)
            hits = index.search(vectors, k=5)
            scores = score_predictions(_baseline_nearest(table, hits, 0.94), gold, catalog)
            scores["seconds"] = time.perf_counter() - start
            label = "encoder_adapter" if matcher._encoder().has_adapter else "encoder_base"
            results[label] = scores
    frame = pd.DataFrame.from_dict(results, orient="index")
    frame.index.name = "method"
    return frame


def format_results(frame: pd.DataFrame, columns: Iterable[str] | None = None) -> str:
    """Render a results frame as a fixed-width table."""
    columns = list(columns or [c for c in frame.columns if c != "correct"])
    return frame[columns].to_string(float_format=lambda x: f"{x:.3f}")
