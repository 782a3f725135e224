#!/usr/bin/env python
"""Score mergem's BiGG translation of a model beside cobra_metalign's matcher, on one gold table.

mergem (PyPI ``mergem``, GPL-3) translates a model's ids with ``mergem MODEL -t bigg``; its
output keeps the species order, so each original metabolite is paired with its translated
id by position. A metabolite counts as "accepted" by mergem when its id changed to a BiGG
id. Both tools are scored with :func:`cobra_metalign.benchmark.score_predictions`.

Usage (mergem must be installed: ``pip install mergem``)::

    python benchmarks/mergem_peer.py GOLD.tsv [MODEL.xml[.gz]] [--no-xrefs] [--adjudicated DIR] [--old-ids TSV]

Without a model, the model is built from the gold table as ``metalign benchmark`` builds it
(with its cross-references unless ``--no-xrefs``) and written to SBML for mergem.

With an adjudication folder (``../shared/data/benchmarks/adjudicated``) the adjudicated
figures are added (see :class:`cobra_metalign.benchmark.Adjudication`); with BiGG's old-id
table (``../shared/data/reference/bigg_1.6_old_ids_obo.tsv``) old/new id pairs count as correct.
"""

from __future__ import annotations

import argparse
import gzip
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import libsbml
import pandas as pd

from cobra_metalign.benchmark import Adjudication, load_gold, read_old_ids, score_predictions
from cobra_metalign.catalog.store import load_catalog
from cobra_metalign.compartments import split_id
from cobra_metalign.io.model import metabolite_table
from cobra_metalign.matching.matcher import Matcher


def _species(path: Path) -> list[tuple[str, str]]:
    model = libsbml.readSBMLFromFile(str(path)).getModel()
    return [(s.getId().removeprefix("M_"), s.getCompartment()) for s in model.getListOfSpecies()]


def run_mergem(
    model_path: Path, workdir: Path
) -> tuple[list[tuple[str, str]], list[str], float, float]:
    """Run mergem on ``model_path``; return (original species, translated ids, seconds, peak MB)."""
    plain = workdir / "input.xml"
    opener = gzip.open if model_path.suffix == ".gz" else open
    with opener(model_path, "rb") as source, open(plain, "wb") as target:
        shutil.copyfileobj(source, target)  # mergem cannot read .gz
    output = workdir / "translated.xml"
    start = time.perf_counter()
    subprocess.run(
        ["mergem", str(plain), "-t", "bigg", "-o", str(output)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    original = _species(plain)
    translated = [sid for sid, _ in _species(output)]
    if len(original) != len(translated):
        raise RuntimeError("mergem changed the number of species; cannot pair them by position")
    return original, translated, seconds, peak


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("gold", type=Path)
    parser.add_argument("model", type=Path, nargs="?")
    parser.add_argument("--no-xrefs", action="store_true")
    parser.add_argument("--adjudicated", type=Path)
    parser.add_argument("--old-ids", type=Path)
    args = parser.parse_args(argv)
    if shutil.which("mergem") is None:
        print("mergem is not installed (pip install mergem==1.1.0)", file=sys.stderr)
        return 1
    gold_path = args.gold
    workdir = tempfile.TemporaryDirectory()
    model_path = args.model
    if model_path is None:
        from cobra.io import write_sbml_model

        built, _ = load_gold(gold_path, use_xrefs=not args.no_xrefs)
        model_path = Path(workdir.name) / "from_gold.xml"
        write_sbml_model(built, str(model_path))
    adjudication = Adjudication.read(args.adjudicated) if args.adjudicated else None
    old_ids = read_old_ids(args.old_ids) if args.old_ids else None
    catalog = load_catalog()
    model, gold = load_gold(gold_path, model_path)
    with tempfile.TemporaryDirectory() as tmp:
        original, translated, seconds, peak = run_mergem(model_path, Path(tmp))
    rows = {}
    for (sid, _compartment), new in zip(original, translated, strict=True):
        met = model.metabolites.get_by_id(sid) if sid in model.metabolites else None
        if met is None:
            continue
        base, _ = split_id(new, met.compartment, model.compartments)
        changed = new != sid and catalog.lookup_id(base) is not None
        rows[sid] = {
            "bigg_id": base if changed else "",
            "decision": "accept" if changed else "none",
        }
    mergem_scores = score_predictions(
        pd.DataFrame.from_dict(rows, orient="index"), gold, catalog, adjudication, old_ids
    )
    start = time.perf_counter()
    ours = Matcher(catalog).match_table(metabolite_table(model))
    our_seconds = time.perf_counter() - start
    our_scores = score_predictions(ours, gold, catalog, adjudication, old_ids)
    table = pd.DataFrame(
        {
            "mergem 1.1.0 (-t bigg)": {**mergem_scores, "seconds": seconds, "peak_MB": peak},
            "cobra_metalign match": {**our_scores, "seconds": our_seconds},
        }
    ).T
    columns = ["n", "accepted", "precision", "recall", "f1"]
    if adjudication is not None:
        columns += ["adj_precision", "adj_recall", "adj_f1"]
    print(table[[*columns, "seconds", "peak_MB"]].to_string(float_format=lambda x: f"{x:.3f}"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
