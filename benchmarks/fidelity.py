"""Fidelity of `metalign fix` on SBML: what changes between input and output, per model.

For every SBML model under ../shared/data/models (or the folders given), the
model is read once, aligned with the packaged catalogue (no encoder), and the plan
is written into its own SBML document (:mod:`cobra_metalign.rewrite.sbml`), as
``metalign fix MODEL -o OUT.xml`` does. The output is then compared element by
element with the input (``tests/sbml_fidelity.py``): every difference must be one
the audit names. The table (markdown) gives, per model, the SBML level/version,
what the plan changed (species renamed, removed by merges, reactions rewired,
species annotated), the number of unexplained differences, whether cobra reads the
output with the same reactions and growth, and what cobra's own writer would lose
(kinetic laws, unit definitions, model history, gene-product labels) that the
patched output keeps.

Usage::

    python benchmarks/fidelity.py [FOLDER ...] > table.md
"""

from __future__ import annotations

import logging
import math
import sys
import tempfile
import time
from pathlib import Path

import libsbml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

from sbml_fidelity import unexplained_differences  # noqa: E402

from cobra_metalign.alignment import align  # noqa: E402
from cobra_metalign.catalog.store import load_catalog  # noqa: E402
from cobra_metalign.io.model import read_model, read_model_document, write_model  # noqa: E402
from cobra_metalign.rewrite.sbml import patch_document  # noqa: E402

DEFAULT = REPO.parent / "shared" / "data" / "models"


def kept(model) -> str:
    """Kinetic laws, unit definitions, history, gene labels of an SBML model."""
    laws = sum(r.isSetKineticLaw() for r in model.getListOfReactions())
    fbc = model.getPlugin("fbc")
    labels = 0
    if fbc is not None and hasattr(fbc, "getListOfGeneProducts"):
        labels = sum(g.isSetLabel() for g in fbc.getListOfGeneProducts())
    history = "yes" if model.isSetModelHistory() else "no"
    return f"{laws} / {model.getNumUnitDefinitions()} / {history} / {labels}"


def row(path: Path, catalog) -> str:
    started = time.perf_counter()
    model, document = read_model_document(path)
    before = document.clone()
    reactions = [r.id for r in model.reactions]
    growth = model.slim_optimize(error_value=float("nan"))
    result = align(model, catalog, inplace=True, plan_only=True)
    patch = patch_document(document, result.plan)
    text = patch.to_bytes().decode()
    seconds = time.perf_counter() - started
    after = libsbml.readSBMLFromString(text)
    problems = unexplained_differences(before, after, result.audit)
    with tempfile.TemporaryDirectory() as folder:
        written = write_model(patch, Path(folder) / "out.xml")
        again = read_model(written)  # with the repairs metalign applies to its input
    same = [r.id for r in again.reactions] == reactions
    regrowth = again.slim_optimize(error_value=float("nan"))
    same_growth = (math.isnan(growth) and math.isnan(regrowth)) or abs(growth - regrowth) < 1e-6
    statuses = result.audit["status"].value_counts()
    return (
        f"| {path.parent.name}/{path.name} | L{before.getLevel()}v{before.getVersion()} "
        f"| {len(reactions)} | {int(statuses.get('RENAMED', 0))} | {len(patch.renamed)} "
        f"| {len(patch.removed)} | {len(patch.reactions)} | {len(patch.annotated)} "
        f"| {len(problems)} | {'yes' if same else 'NO'} "
        f"| {growth:.4g} -> {regrowth:.4g}{'' if same_growth else ' (differs)'} "
        f"| {kept(after.getModel())} | {seconds:.1f} |"
    )


def main(folders: list[str]) -> None:
    logging.disable(logging.WARNING)
    catalog = load_catalog()
    paths = sorted(
        p
        for folder in (folders or [str(DEFAULT)])
        for p in Path(folder).rglob("*")
        if p.name.endswith((".xml", ".xml.gz", ".sbml", ".sbml.gz"))
    )
    print(
        "| model | SBML | reactions | RENAMED (audit) | species ids changed | species removed "
        "(merged) | reactions rewired | species annotated | unexplained differences "
        "| same reactions (cobra) | growth in -> out | kinetic laws / unit defs / history "
        "/ gene labels kept | s |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|---:|")
    for path in paths:
        try:
            print(row(path, catalog), flush=True)
        except Exception as error:  # noqa: BLE001 - a report: the row says what failed
            print(f"| {path.parent.name}/{path.name} | error: {type(error).__name__}: {error} |")


if __name__ == "__main__":
    main(sys.argv[1:])
