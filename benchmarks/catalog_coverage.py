#!/usr/bin/env python
"""Measure a BiGG catalogue against the BiGG 1.6 reference pieces in ../shared/data/reference.

Prints: share of the 9,088 BiGG 1.6 universal ids present; formula and charge
coverage (over the ids present, and over the ids for which carveme's BiGG table
has a formula/charge); cross-reference coverage per namespace; how many of
BiGG's old ids resolve to the right universal id; and the load time.

Usage::

    python benchmarks/catalog_coverage.py [--catalog PATH] [--reference DIR] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pandas as pd

from cobra_metalign.catalog.store import Catalog, packaged_catalog_path
from cobra_metalign.normalize import normalize_bigg_id

DEFAULT_REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "data" / "reference"


def measure(catalog_path: Path, reference: Path) -> dict:
    """Compute the coverage figures."""
    start = time.perf_counter()
    catalog = Catalog.load(catalog_path)
    load_seconds = time.perf_counter() - start
    universal = pd.read_csv(reference / "bigg_1.6_universal_names_obo.tsv", sep="\t", dtype=str)
    ids = universal["universal_bigg_id"].dropna().unique()
    present = [i for i in ids if i in catalog]
    carveme = pd.read_csv(
        reference / "bigg_universe_carveme_metabolites.tsv.gz", sep="\t", dtype=str
    )
    with_formula_ref = set(carveme.loc[carveme["formula"].notna(), "universal_bigg_id"])
    with_charge_ref = set(carveme.loc[carveme["charge"].notna(), "universal_bigg_id"])
    old = pd.read_csv(reference / "bigg_1.6_old_ids_obo.tsv", sep="\t", dtype=str)
    resolved = 0
    for row in old.itertuples(index=False):
        compartment = row.bigg_id[len(row.universal_bigg_id) + 1 :]
        base = row.old_bigg_id
        if compartment and base.endswith("_" + compartment):
            base = base[: -len(compartment) - 1]
        hits = {catalog.lookup_id(v) for v in normalize_bigg_id(base)} - {None}
        resolved += row.universal_bigg_id in hits
    xrefs: dict[str, int] = {}
    for bigg_id in present:
        for namespace, values in catalog[bigg_id].xrefs.items():
            if values:
                xrefs[namespace] = xrefs.get(namespace, 0) + 1
    n = len(ids)
    return {
        "catalog": str(catalog_path),
        "version": catalog.version,
        "load_seconds": round(load_seconds, 3),
        "bigg16_universal_ids": n,
        "present": len(present),
        "present_share": round(len(present) / n, 4),
        "with_formula": sum(1 for i in present if catalog[i].formulas),
        "with_formula_share": round(sum(1 for i in present if catalog[i].formulas) / n, 4),
        "formula_where_carveme_has_one": round(
            sum(1 for i in with_formula_ref if i in catalog and catalog[i].formulas)
            / max(1, len(with_formula_ref)),
            4,
        ),
        "with_charge": sum(1 for i in present if catalog[i].charges),
        "charge_where_carveme_has_one": round(
            sum(1 for i in with_charge_ref if i in catalog and catalog[i].charges)
            / max(1, len(with_charge_ref)),
            4,
        ),
        "xrefs_per_namespace": dict(sorted(xrefs.items(), key=lambda kv: -kv[1])),
        "old_ids_checked": len(old),
        "old_ids_resolved": resolved,
        "equivalence_groups": catalog.info()["equivalence_groups"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--catalog", type=Path, default=packaged_catalog_path())
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if not args.reference.is_dir():
        print(f"reference data not found at {args.reference}", file=sys.stderr)
        return 1
    result = measure(args.catalog, args.reference)
    width = max(len(k) for k in result)
    for key, value in result.items():
        if isinstance(value, dict):
            print(f"{key}:")
            for namespace, count in value.items():
                share = count / result["bigg16_universal_ids"]
                print(f"  {namespace:<20} {count:>6}  ({share:.1%})")
        else:
            print(f"{key:<{width}}  {value}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
