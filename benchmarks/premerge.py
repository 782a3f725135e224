"""Pre-merge benchmark (issue 13): join template models, then check the result independently.

Two four-way sets, each merged with ``merge_models`` and default options:

* ``bu``: one strain, B. uniformis, built four ways (../shared/data/models/multi_tool:
  AGORA, CarveMe, gapseq, ModelSEED);
* ``own``: two BiGG models of ../shared/data/models/sbml_variety (E. coli core and
  iAF692) plus their ModelSEED translations, made here at run time with
  ../shared/data/reference/modelseed_to_bigg_aliases.tsv (ids ``cpdNNNNN_c0``,
  compartments ``c0``/``e0`` named ``Cytosol_0``/``Extracellular_0``, ModelSEED names
  and formulas, a ``seed.compound`` annotation and nothing else). Never written to disk.

For each set the merged model is checked by code written here, not the package's:

* duplicate groups left: same compartment (read here from the compartment id and
  name) and the same single-valued ``bigg.metabolite``, ``inchikey``,
  ``metanetx.chemical`` or ``seed.compound`` annotation, or the same normalized
  name (compartment tag removed, lower case, letters and digits) and the same
  heavy-atom formula; groups are connected components. Done when <= 8 and equal to
  the package's report;
* false joins: every merged metabolite's sources (``notes["metalign_sources"]``) are
  looked up in the input models; their heavy-atom formulas (when known) must agree
  and their compartments must read the same;
* no reaction dropped silently: every input reaction is among the sources of a
  merged reaction;
* the energy check is reported (sanity table with a row per input and the merge).

Usage::

    python benchmarks/premerge.py [--set bu|own|both] [--json OUT] [--show N]

A report, not a test: it exits 0 whatever the verdicts.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

import cobra

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
MULTI = DATA / "models" / "multi_tool"
VARIETY = DATA / "models" / "sbml_variety"
ALIASES = DATA / "reference" / "modelseed_to_bigg_aliases.tsv"

NAMESPACES = ("bigg.metabolite", "inchikey", "metanetx.chemical", "seed.compound")
#: {translated model: {ModelSEED-style id: the BiGG model's id}}: the truth of the own set.
TRUTH: dict[str, dict[str, str]] = {}
# Compartments, read independently of the package.
WORDS = {
    "cytosol": "c",
    "cytoplasm": "c",
    "extracellular": "e",
    "extracellularspace": "e",
    "extraorganism": "e",
    "periplasm": "p",
}
TAG = re.compile(r"(?:\s*\[[a-z]{1,2}\d?\]|[_-][a-z]{1,2}\d|\s*\([a-z]{1,2}\d?\))$")
ATOM = re.compile(r"([A-Z][a-z]?)(\d*)")


def read_compartment(cid: str, name: str = "") -> str:
    """c, C_c, c0, [c], Cytosol, Cytosol_0 -> c; otherwise the id itself."""
    text = str(cid).strip().strip("[]")
    if text.startswith("C_"):
        text = text[2:]
    if re.fullmatch(r"[a-z]0?", text):
        return text[0]
    for candidate in (text, name or ""):
        key = re.sub(r"[^a-z]", "", candidate.lower())
        if key in WORDS:
            return WORDS[key]
    return text


def single(value) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, (list, tuple)) and len(value) == 1:
        return str(value[0]).strip() or None
    return None


def heavy(formula) -> tuple | None:
    text = str(formula or "").strip()
    if not text or not re.fullmatch(r"(?:[A-Z][a-z]?\d*)+", text):
        return None
    counts: dict[str, int] = defaultdict(int)
    for element, number in ATOM.findall(text):
        counts[element] += int(number or 1)
    return tuple(sorted((e, n) for e, n in counts.items() if e != "H"))


def name_key(name) -> str:
    text = TAG.sub("", str(name or "").strip())
    return re.sub(r"[^a-z0-9]", "", text.lower())


def independent_groups(model: cobra.Model) -> list[list[str]]:
    """Duplicate groups by the issue's definition, as connected components."""
    names = dict(model.compartments)
    parent = {met.id: met.id for met in model.metabolites}

    def find(item):
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    seen: dict[tuple, str] = {}
    for met in model.metabolites:
        compartment = read_compartment(met.compartment, names.get(met.compartment, ""))
        keys = [
            (compartment, ns, value)
            for ns in NAMESPACES
            if (value := single(met.annotation.get(ns))) is not None
        ]
        atoms, key = heavy(met.formula), name_key(met.name)
        if atoms and key:
            keys.append((compartment, "name", key, atoms))
        for item in keys:
            if item in seen:
                parent[find(met.id)] = find(seen[item])
            else:
                seen[item] = met.id
    groups: dict[str, list[str]] = defaultdict(list)
    for met_id in parent:
        groups[find(met_id)].append(met_id)
    return sorted(sorted(ids) for ids in groups.values() if len(ids) > 1)


def sources(obj) -> list[tuple[str, str]]:
    text = str(obj.notes.get("metalign_sources", ""))
    found = []
    for part in text.split("; "):
        if ":" in part:
            model, ids = part.split(":", 1)
            found.extend((model, i) for i in ids.split(","))
    return found


def false_joins(merged: cobra.Model, inputs: dict[str, cobra.Model]) -> dict[str, list]:
    formula, generic, compartment, untraced = [], [], [], []
    for met in merged.metabolites:
        found = []
        for model_name, met_id in sources(met):
            model = inputs.get(model_name)
            if model is None or met_id not in model.metabolites:
                untraced.append(f"{met.id} <- {model_name}:{met_id}")
                continue
            found.append((model_name, model.metabolites.get_by_id(met_id), model))
        if not found:
            untraced.append(met.id)
            continue
        # Generic formulas (R, X: ACP as C11H21N2O7PRS against its full protein
        # formula) say nothing exact; they are listed apart.
        specific = {
            heavy(m.formula) for _, m, _ in found if not re.search(r"[RX]", str(m.formula or ""))
        }
        specific -= {None}
        everything = {heavy(m.formula) for _, m, _ in found} - {None}
        if len(everything) > 1 and len(specific) <= 1:
            generic.append(
                f"{met.id}: " + ", ".join(f"{n}:{m.id} {m.formula}" for n, m, _ in found)
            )
        if len(specific) > 1:
            formula.append(
                f"{met.id}: " + ", ".join(f"{n}:{m.id} {m.formula}" for n, m, _ in found)
            )
        places = {
            read_compartment(m.compartment, md.compartments.get(m.compartment, ""))
            for _, m, md in found
        }
        if len(places) > 1 or read_compartment(met.compartment) not in places:
            compartment.append(
                f"{met.id} ({met.compartment}): "
                + ", ".join(f"{n}:{m.id} {m.compartment}" for n, m, _ in found)
            )
    return {
        "formula": formula,
        "generic": generic,
        "compartment": compartment,
        "untraced": untraced,
    }


DESCRIPTORS = {"alpha", "beta", "cis", "trans", "l", "d", "r", "s", "e", "z", "meso"}


def descriptor_joins(merged: cobra.Model, inputs: dict[str, cobra.Model]) -> list[str]:
    """Merged metabolites joining two metabolites of ONE input whose names differ in stereo words.

    An input that holds ``Galactose`` and ``alpha-D-Galactose`` (or ``Cysteine`` and
    ``L-Cysteine``) as two metabolites tells them apart; joining them is a generic-vs-
    specific or anomer merge. Read here, independently of the package: words of each
    source name (split at spaces and punctuation, compartment tag removed) among
    ``DESCRIPTORS``; abbreviations (one word of at most five letters: ``glcn``, ``celb``)
    and KEGG ids used as names are skipped, so this check misses joins through them.
    """
    found = []
    for met in merged.metabolites:
        by_model: dict[str, dict[str, frozenset]] = defaultdict(dict)
        for model_name, met_id in sources(met):
            model = inputs.get(model_name)
            if model is None or met_id not in model.metabolites:
                continue
            name = TAG.sub("", str(model.metabolites.get_by_id(met_id).name or "")).lower()
            tokens = re.findall(r"[^\s\-_(),\[\]{}:;/+'.]+", name)
            if len(tokens) == 1 and len(tokens[0]) <= 5 or re.fullmatch(r"[a-z]\d{5}", name):
                continue  # an abbreviation (glcn, celb, s) or a KEGG id says nothing of stereo
            by_model[model_name][f"{met_id} {name!r}"] = frozenset(
                t for t in tokens if t in DESCRIPTORS
            )
        for model_name, words in by_model.items():
            if len(set(words.values())) > 1:
                found.append(f"{met.id}: {model_name}: " + ", ".join(words))
    return found


def input_holds_two(merged: cobra.Model, ids: list[str]) -> str:
    """An input model that holds two members of a group as two metabolites ("" if none)."""
    seen: dict[str, str] = {}
    for met_id in ids:
        for model_name in {m for m, _ in sources(merged.metabolites.get_by_id(met_id))}:
            if model_name in seen and seen[model_name] != met_id:
                return model_name
            seen[model_name] = met_id
    return ""


def one_input(merged: cobra.Model, ids: list[str]) -> str:
    """The input model that alone holds every member of a group ("" when several do)."""
    models = [{m for m, _ in sources(merged.metabolites.get_by_id(i))} for i in ids]
    if all(len(m) == 1 for m in models) and len(set().union(*models)) == 1:
        return next(iter(models[0]))
    return ""


def truth_check(merged: cobra.Model) -> dict[str, list]:
    """Own set only: each original BiGG metabolite should end as one merged metabolite.

    ``split``: an original compound found under two or more merged ids (a missed join);
    ``mixed``: a merged metabolite whose sources are two different original compounds.
    """
    where: dict[str, set[str]] = defaultdict(set)
    mixed = []
    for met in merged.metabolites:
        originals = set()
        for model_name, met_id in sources(met):
            original = TRUTH.get(model_name, {}).get(met_id, met_id)
            # Old BiGG ids (gln_DASH_L_c) and boundary copies (ac_e_boundary) name the
            # same compound as the new id and the compartment's own species.
            original = original.replace("_DASH_", "__").removesuffix("_boundary")
            originals.add(original)
            where[original].add(met.id)
        if len(originals) > 1:
            mixed.append(f"{met.id}: {sorted(originals)}")
    split = [f"{o}: {sorted(ids)}" for o, ids in sorted(where.items()) if len(ids) > 1]
    return {"split": split, "mixed": mixed}


def dropped_reactions(merged: cobra.Model, inputs: dict[str, cobra.Model]) -> list[str]:
    traced = {pair for reaction in merged.reactions for pair in sources(reaction)}
    return [
        f"{name}:{reaction.id}"
        for name, model in inputs.items()
        for reaction in model.reactions
        if (name, reaction.id) not in traced
    ]


# ------------------------------------------------------------------ data sets
def load_bu() -> dict[str, cobra.Model]:
    from cobra_metalign.io.model import read_model

    files = {
        "agora": "BU_agora.xml.gz",
        "carveme": "BU_carveme_hom.xml.gz",
        "gapseq": "BU_gapseq.xml.gz",
        "modelseed": "BU_modelSEED.sbml.gz",
    }
    return {name: read_model(MULTI / file) for name, file in files.items()}


def seed_translation(model: cobra.Model, name: str) -> cobra.Model:
    """A ModelSEED-style copy of a BiGG model (ids, compartments, names, formulas)."""
    table: dict[str, dict] = {}
    with open(ALIASES, newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if row["is_obsolete"] == "1" or row["bigg_id"] in table:
                continue
            table[row["bigg_id"]] = row
    copy = model.copy()
    copy.id = name
    codes = {cid: read_compartment(cid, cname) for cid, cname in copy.compartments.items()}
    words = {"c": "Cytosol_0", "e": "Extracellular_0", "p": "Periplasm_0"}
    new_ids = {}
    for met in copy.metabolites:
        code = codes.get(met.compartment, met.compartment)
        base = (
            met.id[: -len(met.compartment) - 1]
            if met.id.endswith("_" + met.compartment)
            else met.id
        )
        row = table.get(base)
        met.annotation = {}
        met.compartment = f"{code}0"
        if row is not None:
            new_ids[met] = (f"{row['seed_id']}_{code}0", row)
        met.name = f"{met.name}_{code}0"
    taken = {m.id for m in copy.metabolites}
    for met, (new, row) in new_ids.items():
        if new in taken:
            continue  # two BiGG ids with one SEED id: the second keeps its BiGG id and name
        taken.discard(met.id)
        TRUTH.setdefault(name, {})[new] = met.id
        met.id = new
        taken.add(new)
        met.annotation = {"seed.compound": row["seed_id"]}
        met.name = f"{row['name']}_{met.compartment}"
        met.formula = row["formula"] or None
    copy.repair()
    copy.compartments = {f"{code}0": words.get(code, code) for code in set(codes.values())}
    for reaction in copy.reactions:
        reaction.annotation = {}
    return copy


def load_own() -> dict[str, cobra.Model]:
    from cobra_metalign.io.model import read_model

    core = read_model(VARIETY / "textbook_ecolicore_L3_fbcv2_cobrapkg.xml.gz")
    iaf = read_model(VARIETY / "iAF692_L3_fbcv1.xml.gz")
    return {
        "ecoli_core": core,
        "iAF692": iaf,
        "ecoli_core_seed": seed_translation(core, "ecoli_core_seed"),
        "iAF692_seed": seed_translation(iaf, "iAF692_seed"),
    }


# ------------------------------------------------------------------ run
def run(label: str, inputs: dict[str, cobra.Model], show: int) -> dict:
    from cobra_metalign.alignment import merge_models

    start = time.perf_counter()
    result = merge_models(inputs)
    seconds = time.perf_counter() - start
    merged = result.model
    groups = independent_groups(merged)
    joins = false_joins(merged, inputs)
    descriptor = descriptor_joins(merged, inputs)
    inherited = {" ; ".join(ids): one_input(merged, ids) for ids in groups}
    holds_two = {" ; ".join(ids): input_holds_two(merged, ids) for ids in groups}
    dropped = dropped_reactions(merged, inputs)
    reads_back = read_back(merged)
    report = result.report
    kinds = result.reaction_table["kind"].value_counts().to_dict()
    sanity = result.sanity
    figures = {
        "set": label,
        "seconds": round(seconds, 1),
        "metabolites_plain": int(report.loc["plain", "metabolites"]),
        "metabolites_merged": int(report.loc["premerged", "metabolites"]),
        "reactions_plain": int(report.loc["plain", "reactions"]),
        "reactions_merged": int(report.loc["premerged", "reactions"]),
        "reactions_skipped_by_plain_cobra": int(report.loc["plain", "reactions_skipped"]),
        "reaction_kinds": {k: int(v) for k, v in kinds.items()},
        "independent_groups_plain": len(independent_groups(result_plain(inputs))),
        "independent_groups": len(groups),
        "report_groups": int(report.loc["premerged", "detected_groups"]),
        "counts_equal": len(groups) == int(report.loc["premerged", "detected_groups"]),
        "formula_false_joins": joins["formula"],
        "compartment_false_joins": joins["compartment"],
        "generic_formula_joins": joins["generic"],
        "same_input_stereo_word_joins": descriptor,
        "groups_inside_one_input": sum(1 for m in inherited.values() if m),
        "groups_an_input_holds_twice": sum(1 for m in holds_two.values() if m),
        "untraced_metabolites": len(joins["untraced"]),
        "dropped_reactions": len(dropped),
        "compartments": result.premerge.compartment_table.to_dict("records"),
        "joined_pairs": int((result.premerge.joins["verdict"] == "joined").sum()),
        "statuses": result.premerge.summary().to_dict(),
        "sanity": sanity.reset_index().to_dict("records"),
        "energy_check_reported": len(sanity) == len(inputs) + 1,
        "reads_back": reads_back,
    }
    if any(name in TRUTH for name in inputs):
        truth = truth_check(merged)
        figures["truth_split"] = truth["split"]
        figures["truth_mixed"] = truth["mixed"]
    figures["verdict"] = {
        "groups<=8": len(groups) <= 8,
        "count_equal": figures["counts_equal"],
        "no_formula_false_join": not joins["formula"],
        "no_compartment_false_join": not joins["compartment"],
        "no_same_input_stereo_join": not descriptor,
        "no_reaction_dropped": not dropped,
        "energy_check_reported": figures["energy_check_reported"],
        "reads_back_with_cobra": reads_back,
    }
    print(f"\n=== {label}: {seconds:.1f} s")
    print(report.to_string())
    print("reaction kinds:", figures["reaction_kinds"])
    print(result.premerge.summary().to_string())
    print(sanity.to_string(max_colwidth=60))
    print(f"independent duplicate groups: {len(groups)} (report: {figures['report_groups']})")
    names = {m.id: (m.name, m.formula) for m in merged.metabolites}
    reasons = dict(zip(result.duplicates["members"], result.duplicates["reason"], strict=True))
    print(
        f"  of which all members from one input: {figures['groups_inside_one_input']}; "
        f"an input holds two members as two metabolites: {figures['groups_an_input_holds_twice']}"
    )
    for ids in groups[:show]:
        key = " ; ".join(ids)
        where = f"only {inherited[key]}" if inherited[key] else "several models"
        twice = f"; {holds_two[key]} holds two" if holds_two[key] else ""
        print(
            "  ",
            [(i, *names[i]) for i in ids],
            f"| {where}{twice} |",
            reasons.get("; ".join(ids), "?")[:200],
        )
    for kind in ("formula", "generic", "compartment"):
        print(f"{kind} false joins: {len(joins[kind])}", joins[kind][:5])
    print(f"joins of two metabolites of one input differing in stereo words: {len(descriptor)}")
    for line in descriptor[:show]:
        print("  ", line[:250])
    print(
        "dropped reactions:",
        len(dropped),
        dropped[:5],
        "untraced metabolites:",
        joins["untraced"][:5],
    )
    if "truth_split" in figures:
        split, mixed = figures["truth_split"], figures["truth_mixed"]
        print(f"truth: {len(split)} compounds split over several ids", split[:20])
        print(f"truth: {len(mixed)} merged metabolites mixing compounds", mixed[:20])
    print("verdict:", figures["verdict"])
    return figures


def read_back(merged: cobra.Model) -> bool:
    """The merged model written as SBML reads back with cobra, same sizes."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "merged.xml"
        cobra.io.write_sbml_model(merged, str(path))
        again = cobra.io.read_sbml_model(str(path))
    return (len(again.metabolites), len(again.reactions)) == (
        len(merged.metabolites),
        len(merged.reactions),
    )


def result_plain(inputs: dict[str, cobra.Model]) -> cobra.Model:
    models = list(inputs.values())
    merged = models[0].copy()
    for other in models[1:]:
        merged.merge(other, inplace=True, objective="left")
    return merged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=("bu", "own", "both"), default="both")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--show", type=int, default=100, help="groups to print")
    args = parser.parse_args(argv)
    if not DATA.is_dir():
        print(f"no shared data at {DATA}", file=sys.stderr)
        return 0
    import logging

    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("cobra").setLevel(logging.ERROR)
    results = []
    if args.set in ("bu", "both"):
        results.append(run("bu", load_bu(), args.show))
    if args.set in ("own", "both"):
        results.append(run("own", load_own(), args.show))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
