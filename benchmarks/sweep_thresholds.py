#!/usr/bin/env python
"""Sweep matcher options on the open benchmark sets and print precision and recall.

Usage::

    python benchmarks/sweep_thresholds.py                       # the default grid
    python benchmarks/sweep_thresholds.py "[{'accept_threshold': 0.85}]"

Each grid entry is a dict of :class:`cobra_metalign.matching.matcher.Matcher` options. Only the
open sets in ../shared/data/benchmarks are used (never ../shared/holdout).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from cobra_metalign.benchmark import load_gold, score_predictions
from cobra_metalign.catalog.store import load_catalog
from cobra_metalign.io.model import metabolite_table
from cobra_metalign.matching.matcher import Matcher

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SETS = {
    "humangem_names": ("benchmarks/humangem_gold.tsv.gz", None, False),
    "humangem_xrefs": ("benchmarks/humangem_gold.tsv.gz", None, True),
    "vmh": ("benchmarks/vmh_gold.tsv.gz", None, True),
    "bacteroides": (
        "benchmarks/memome_bacteroides_seed2bigg_gold.tsv",
        "models/modelseed_namespace/bacteroides_bacc_sp_cf_L2v4_seed.xml.gz",
        True,
    ),
    "gapseq": ("benchmarks/gemsembler_BU_gapseq_gold.tsv", None, True),
}
DEFAULT_GRID = [
    {},
    {"accept_threshold": 0.85},
    {"accept_threshold": 0.95},
    {"margin": 0.1},
    {"similarity_accept": 0.8},
    {"guards": False},
]


def main(argv: list[str]) -> int:
    if not DATA.is_dir():
        print(f"benchmark data not found at {DATA}", file=sys.stderr)
        return 1
    grid = ast.literal_eval(argv[0]) if argv else DEFAULT_GRID
    catalog = load_catalog()
    tables = {}
    for name, (gold, model, xrefs) in SETS.items():
        loaded, gold_frame = load_gold(
            DATA / gold, DATA / model if model else None, use_xrefs=xrefs
        )
        tables[name] = (metabolite_table(loaded), gold_frame)
    for options in grid:
        cells = []
        for name, (table, gold_frame) in tables.items():
            scores = score_predictions(
                Matcher(catalog, **options).match_table(table), gold_frame, catalog
            )
            cells.append(f"{name} P={scores['precision']:.3f} R={scores['recall']:.3f}")
        print(f"{options}: " + " | ".join(cells), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
