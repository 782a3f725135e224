"""Name pairs for training and evaluating the encoder's LoRA adapter.

Two recipes build labelled pairs ``(name1, name2, label)`` from the BiGG catalogue
(label 1: the same compound, 0: different compounds):

``original``
    The MetaAlignGen recipe, made reproducible. A name is split on
    ``[,\\s\\-_()]+`` and its pieces are joined again with delimiters drawn from
    ``, space - _ ( )``; a negative does the same after dropping one piece (never
    the first). 1,500 positives and 1,500 negatives from catalogue names, drawn
    with :class:`random.Random` seeded explicitly (the original seeded with
    Python's randomized string hash, so its pairs cannot be regenerated; they can
    be read with :func:`read_pairs_jsonl`).
``synonyms``
    Positives are two different names of one compound (BiGG, ModelSEED, KEGG,
    MetaCyc, ChEBI... synonyms, pooled over equivalent BiGG ids). Negatives are
    *hard*: names of other compounds that look alike, mined as the character
    n-gram TF-IDF nearest names whose formula is compatible: isomers (same heavy
    atoms: stereo and position variants), chain-length neighbours and acid vs
    ester (heavy atoms differ only in carbon), and mono/di/tri-phosphates (they
    differ by PO3 units). Isomers are kept only when the two compounds are
    provably different (distinct InChIKeys, or a clash of distinguishing name
    tokens), so that duplicated BiGG entries never become negatives.
``near-miss``
    The matcher's own near misses on the open gold sets (:func:`near_miss_pairs`):
    positives are a model's metabolite name against a name of its correct
    compound; hard negatives are the same model name against a wrong candidate
    the matcher ranked at or above the correct one, or scored close to it,
    tagged by kind (anomer, cis-trans, stereo, positional, chain length,
    isomer, generic, phosphate, other). Only training families contribute; it is
    mixed with the synonyms recipe for training (``metalign train --recipe
    near-miss --data DIR``).

:func:`family_split` splits the catalogue by compound family (InChIKey first
block, else formula skeleton plus name stem, merged over equivalent ids and
shared names) so that held-out pairs share no family with training pairs, and
reports how many benchmark gold ids fall on each side.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd
from scipy.cluster.hierarchy import DisjointSet

from cobra_metalign.catalog.store import Catalog
from cobra_metalign.chem import distinguishing_clash, parse_formula, specificity_difference
from cobra_metalign.errors import MetalignError
from cobra_metalign.normalize import name_tokens, normalize_name

logger = logging.getLogger(__name__)

__all__ = [
    "RECIPES",
    "PIECE_SPLIT",
    "DELIMITERS",
    "NamePair",
    "FamilySplit",
    "split_pieces",
    "rejoin",
    "original_pairs",
    "synonym_pairs",
    "make_pairs",
    "NEAR_MISS_KINDS",
    "NEAR_MISS_COLUMNS",
    "near_miss_kind",
    "near_miss_frame",
    "near_miss_pairs",
    "read_pairs_jsonl",
    "write_pairs_jsonl",
    "pairs_frame",
    "pairs_sha256",
    "compound_names",
    "compound_families",
    "family_split",
]

#: Names of the pair recipes built from the catalogue alone (``near-miss`` also needs
#: the open gold sets, see :func:`near_miss_pairs`).
RECIPES: tuple[str, ...] = ("original", "synonyms")

#: How the original recipe splits a name into pieces.
PIECE_SPLIT = re.compile(r"[,\s\-_()]+")

#: Delimiters the original recipe joins pieces with.
DELIMITERS: tuple[str, ...] = (",", " ", "-", "_", "(", ")")

#: Formula relations accepted for hard negatives (see :func:`formula_relation`).
HARD_RELATIONS: tuple[str, ...] = ("isomer", "carbon", "phosphate")

_DESCRIPTOR_TOKENS = frozenset(
    {
        "alpha", "beta", "gamma", "delta", "epsilon", "omega", "cis", "trans", "erythro",
        "threo", "meso", "dextro", "levo", "racemic", "mono", "di", "tri", "tetra", "bis",
        "tris", "tetrakis", "acid", "ion", "anion", "cation", "form", "ate", "ite",
    }
)  # fmt: skip


@dataclass(frozen=True)
class NamePair:
    """Two metabolite names and whether they name the same compound.

    Attributes
    ----------
    name1, name2 : str
        The names.
    label : int
        1 for the same compound, 0 for different compounds.
    id1, id2 : str
        Canonical catalogue ids of the compounds the names come from; ``""`` when
        unknown (a pair read from a file whose name is not in the catalogue, or
        the altered name of an original-recipe negative).
    kind : str
        How the pair was made: ``delimiters``, ``drop_piece``, ``synonym``,
        ``isomer``, ``carbon``, ``phosphate``, ``random``, ``file``.
    """

    name1: str
    name2: str
    label: int
    id1: str = ""
    id2: str = ""
    kind: str = ""

    def __post_init__(self) -> None:
        if self.label not in (0, 1):
            raise ValueError(f"label must be 0 or 1, got {self.label!r}")


# --------------------------------------------------------------------------- helpers


def split_pieces(name: str) -> list[str]:
    """Split a name into the pieces of the original recipe (empty pieces dropped).

    Parameters
    ----------
    name : str

    Returns
    -------
    list of str

    Examples
    --------
    >>> split_pieces("(R)-3-Hydroxybutanoyl-[acyl-carrier protein]")
    ['R', '3', 'Hydroxybutanoyl', '[acyl', 'carrier', 'protein]']
    """
    return [piece for piece in PIECE_SPLIT.split(name) if piece]


def rejoin(pieces: Sequence[str], rng: random.Random) -> str:
    """Join pieces with delimiters drawn at random from :data:`DELIMITERS`.

    Parameters
    ----------
    pieces : sequence of str
    rng : random.Random

    Returns
    -------
    str
    """
    if not pieces:
        return ""
    parts = [pieces[0]]
    for piece in pieces[1:]:
        parts.append(rng.choice(DELIMITERS))
        parts.append(piece)
    return "".join(parts)


def compound_names(
    catalog: Catalog, compounds: Iterable[str] | None = None
) -> dict[str, tuple[str, ...]]:
    """Names of each compound, pooled over equivalent BiGG ids.

    Parameters
    ----------
    catalog : Catalog
    compounds : iterable of str, optional
        Restrict to these ids (any member of an equivalence group selects it).

    Returns
    -------
    dict of str to tuple of str
        Canonical id -> its names (preferred name of the canonical id first), in
        catalogue order, sorted by canonical id.
    """
    wanted = None if compounds is None else {catalog.canonical(i) for i in compounds}
    pooled: dict[str, dict[str, None]] = defaultdict(dict)
    for entry in catalog:
        canonical = catalog.canonical(entry.id)
        if wanted is not None and canonical not in wanted:
            continue
        for name in entry.names:
            name = name.strip()
            if name:
                pooled[canonical][name] = None
    result: dict[str, tuple[str, ...]] = {}
    for canonical in sorted(pooled):
        names = list(pooled[canonical])
        preferred = catalog[canonical].name.strip() if canonical in catalog else ""
        if preferred in pooled[canonical]:
            names.remove(preferred)
            names.insert(0, preferred)
        result[canonical] = tuple(names)
    return result


def _preferred_names(catalog: Catalog, compounds: Iterable[str] | None) -> list[tuple[str, str]]:
    """(name, canonical id) of each compound's preferred name, sorted by id."""
    return [
        (names[0], canonical)
        for canonical, names in compound_names(catalog, compounds).items()
        if names
    ]


# --------------------------------------------------------------------------- original recipe


def original_pairs(
    catalog: Catalog,
    n_positive: int = 1500,
    n_negative: int = 1500,
    seed: int = 0,
    compounds: Iterable[str] | None = None,
) -> list[NamePair]:
    """Pairs of the original MetaAlignGen recipe, reproducible with ``seed``.

    ``n_positive + n_negative`` distinct compounds are drawn; the first
    ``n_positive`` give positives (a name against its pieces rejoined with random
    delimiters), the others negatives (the same after dropping one piece other
    than the first, so negatives need names of at least two pieces). The name of
    a compound is its preferred catalogue name.

    Parameters
    ----------
    catalog : Catalog
    n_positive, n_negative : int, optional
        Numbers of pairs; fewer when the catalogue (or ``compounds``) is too small.
    seed : int, optional
        Seed of the :class:`random.Random` that draws everything.
    compounds : iterable of str, optional
        Draw from these compounds only (e.g. the training families).

    Returns
    -------
    list of NamePair
        Positives first, then negatives (as in the original file).
    """
    rng = random.Random(seed)
    candidates = _preferred_names(catalog, compounds)
    rng.shuffle(candidates)
    positives: list[NamePair] = []
    negatives: list[NamePair] = []
    for name, canonical in candidates:
        if len(positives) < n_positive:
            pieces = split_pieces(name)
            if not pieces:
                continue
            positives.append(
                NamePair(name, rejoin(pieces, rng), 1, canonical, canonical, "delimiters")
            )
        elif len(negatives) < n_negative:
            pieces = split_pieces(name)
            if len(pieces) < 2:
                continue
            drop = rng.randrange(1, len(pieces))
            kept = pieces[:drop] + pieces[drop + 1 :]
            negatives.append(NamePair(name, rejoin(kept, rng), 0, canonical, "", "drop_piece"))
        else:
            break
    if len(positives) < n_positive or len(negatives) < n_negative:
        logger.warning(
            "original recipe: only %d positives and %d negatives available (asked %d + %d)",
            len(positives),
            len(negatives),
            n_positive,
            n_negative,
        )
    return positives + negatives


# --------------------------------------------------------------------------- synonyms recipe


def _heavy_atoms(formula: str) -> dict[str, int] | None:
    counts = parse_formula(formula)
    if counts is None or "R" in counts or "n" in counts:
        return None
    return {element: count for element, count in counts.items() if element != "H" and count}


def formula_relation(formulas1: Sequence[str], formulas2: Sequence[str]) -> str | None:
    """How two compounds' formulas relate, for hard-negative mining.

    Parameters
    ----------
    formulas1, formulas2 : sequence of str
        Known formulas of each compound.

    Returns
    -------
    str or None
        ``isomer`` (the same atoms once hydrogens are set aside: stereo and
        position variants, and double-bond variants of one chain), ``carbon`` (only the carbon count differs, by 1 to 4:
        chain-length neighbours, acid vs methyl/ethyl ester), ``phosphate`` (they
        differ by whole PO3 units: mono/di/tri-phosphates), or None (missing,
        generic or unrelated formulas).

    Examples
    --------
    >>> formula_relation(["C10H12N5O13P3"], ["C10H12N5O10P2"])
    'phosphate'
    >>> formula_relation(["C16H31O2"], ["C18H35O2"])
    'carbon'
    """
    found: set[str] = set()
    for f1 in formulas1:
        a = _heavy_atoms(f1)
        if not a:
            continue
        for f2 in formulas2:
            b = _heavy_atoms(f2)
            if not b:
                continue
            if a == b:
                return "isomer"
            diff = {
                e: a.get(e, 0) - b.get(e, 0) for e in set(a) | set(b) if a.get(e, 0) != b.get(e, 0)
            }
            if set(diff) == {"C"} and 1 <= abs(diff["C"]) <= 4:
                found.add("carbon")
            elif set(diff) == {"P", "O"} and diff["O"] == 3 * diff["P"] and abs(diff["P"]) <= 2:
                found.add("phosphate")
    for relation in ("phosphate", "carbon"):
        if relation in found:
            return relation
    return None


def _full_inchikeys(catalog: Catalog, canonical: str) -> set[str]:
    keys: set[str] = set()
    for member in catalog.equivalents(canonical):
        entry = catalog.get(member)
        if entry is not None:
            keys.update(entry.xrefs.get("inchikey", ()))
    return keys


def _formulas(catalog: Catalog, canonical: str) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for member in catalog.equivalents(canonical):
        entry = catalog.get(member)
        if entry is not None:
            found.update(dict.fromkeys(entry.formulas))
    return tuple(found)


def synonym_pairs(
    catalog: Catalog,
    n_pairs: int = 3000,
    seed: int = 0,
    compounds: Iterable[str] | None = None,
    *,
    neighbours: int = 10,
    max_per_compound: int = 2,
) -> list[NamePair]:
    """Pairs of the synonyms recipe: real synonyms against look-alike compounds.

    Positives: two names of one compound whose normalized forms differ (so a
    pair is never a mere case or delimiter change), at most ``max_per_compound``
    per compound. Negatives: for an anchor name, the nearest names of other
    compounds by character n-gram TF-IDF (:class:`~cobra_metalign.matching.similarity.TfidfNameIndex`)
    whose formulas relate (:func:`formula_relation`); isomers only when the
    compounds have different InChIKeys or their names clash on a distinguishing
    token (:func:`~cobra_metalign.chem.distinguishing_clash`). A name of the
    anchor's own compound is never used as a negative. When too few hard
    negatives are found, random names of other compounds fill up (kind
    ``random``, logged).

    Parameters
    ----------
    catalog : Catalog
    n_pairs : int, optional
        Total number of pairs; half positives, half negatives.
    seed : int, optional
    compounds : iterable of str, optional
        Use these compounds only (both sides of every pair).
    neighbours : int, optional
        TF-IDF neighbours examined per anchor.
    max_per_compound : int, optional
        Most positives (and negatives) anchored on one compound.

    Returns
    -------
    list of NamePair
        Positives first, then negatives.
    """
    from cobra_metalign.matching.similarity import TfidfNameIndex

    rng = random.Random(seed)
    n_positive = n_pairs // 2
    n_negative = n_pairs - n_positive
    names_of = compound_names(catalog, compounds)
    keys_of = {c: {normalize_name(n) for n in names} for c, names in names_of.items()}

    # positives: rounds over the shuffled compounds, one pair per compound per round
    order = [c for c, names in names_of.items() if len(keys_of[c] - {""}) >= 2]
    rng.shuffle(order)
    positives: list[NamePair] = []
    for _ in range(max_per_compound):
        for canonical in order:
            if len(positives) >= n_positive:
                break
            by_key: dict[str, list[str]] = defaultdict(list)
            for name in names_of[canonical]:
                key = normalize_name(name)
                if key:
                    by_key[key].append(name)
            keys = sorted(by_key)
            key1, key2 = rng.sample(keys, 2)
            pair = (rng.choice(by_key[key1]), rng.choice(by_key[key2]))
            positives.append(NamePair(pair[0], pair[1], 1, canonical, canonical, "synonym"))
    if len(positives) < n_positive:
        logger.warning("synonyms recipe: only %d positives available", len(positives))

    # negatives: TF-IDF neighbours of other compounds with related formulas
    table = [(name, c) for c, names in names_of.items() for name in names]
    index = TfidfNameIndex().fit([n for n, _ in table], [c for _, c in table])
    anchors = [(name, c) for c, names in names_of.items() for name in names[:3]]
    rng.shuffle(anchors)
    negatives: list[NamePair] = []
    anchored: Counter[str] = Counter()
    seen: set[tuple[str, str]] = set()
    batch = 256
    kinds: Counter[str] = Counter()
    for start in range(0, len(anchors), batch):
        if len(negatives) >= n_negative:
            break
        chunk = [a for a in anchors[start : start + batch] if anchored[a[1]] < max_per_compound]
        hits = index.search([name for name, _ in chunk], k=neighbours + 1)
        for (anchor, canonical), found in zip(chunk, hits):
            if len(negatives) >= n_negative:
                break
            if anchored[canonical] >= max_per_compound:
                continue
            pair = _hard_negative(catalog, anchor, canonical, found, names_of, keys_of, rng)
            if pair is None or (pair.id1, pair.id2) in seen or (pair.id2, pair.id1) in seen:
                continue
            seen.add((pair.id1, pair.id2))
            negatives.append(pair)
            anchored[canonical] += 1
            kinds[pair.kind] += 1
    if len(negatives) < n_negative:
        missing = n_negative - len(negatives)
        logger.warning(
            "synonyms recipe: %d hard negatives found; %d random negatives fill up",
            len(negatives),
            missing,
        )
        ids = list(names_of)
        while len(negatives) < n_negative and len(ids) > 1:
            c1, c2 = rng.sample(ids, 2)
            name1, name2 = rng.choice(names_of[c1]), rng.choice(names_of[c2])
            if normalize_name(name2) in keys_of[c1]:
                continue
            negatives.append(NamePair(name1, name2, 0, c1, c2, "random"))
            kinds["random"] += 1
    logger.info(
        "synonyms recipe: %d positives, %d negatives (%s)",
        len(positives),
        len(negatives),
        ", ".join(f"{k}: {v}" for k, v in sorted(kinds.items())),
    )
    return positives + negatives


def _hard_negative(
    catalog: Catalog,
    anchor: str,
    canonical: str,
    found: list[tuple[str, float]],
    names_of: dict[str, tuple[str, ...]],
    keys_of: dict[str, set[str]],
    rng: random.Random,
) -> NamePair | None:
    """The nearest look-alike of another compound, or None."""
    formulas = _formulas(catalog, canonical)
    if not formulas:
        return None
    for other, _score in found:
        if other == canonical:
            continue
        relation = formula_relation(formulas, _formulas(catalog, other))
        if relation not in HARD_RELATIONS:
            continue
        # the other compound's names nearest in form: those not shared with the anchor
        options = [n for n in names_of[other] if normalize_name(n) not in keys_of[canonical]]
        if not options:
            continue
        name = min(options, key=lambda n: (_edit_gap(anchor, n), n))
        if relation == "isomer":
            keys1, keys2 = _full_inchikeys(catalog, canonical), _full_inchikeys(catalog, other)
            distinct_keys = bool(keys1 and keys2 and not keys1 & keys2)
            if not distinct_keys and not distinguishing_clash(anchor, name):
                continue
        return NamePair(anchor, name, 0, canonical, other, relation)
    return None


def _edit_gap(a: str, b: str) -> int:
    """A cheap dissimilarity: symmetric difference of lower-cased name tokens."""
    ta, tb = Counter(name_tokens(a)), Counter(name_tokens(b))
    return sum(((ta - tb) + (tb - ta)).values())


def make_pairs(
    recipe: str,
    catalog: Catalog,
    n_pairs: int = 3000,
    seed: int = 0,
    compounds: Iterable[str] | None = None,
) -> list[NamePair]:
    """Build pairs with a named recipe.

    Parameters
    ----------
    recipe : {"original", "synonyms"}
    catalog : Catalog
    n_pairs : int, optional
        Total pairs, half positives and half negatives.
    seed : int, optional
    compounds : iterable of str, optional
        Restrict to these compounds.

    Returns
    -------
    list of NamePair

    Raises
    ------
    ValueError
        For an unknown recipe.
    """
    if recipe == "original":
        half = n_pairs // 2
        return original_pairs(catalog, half, n_pairs - half, seed=seed, compounds=compounds)
    if recipe == "synonyms":
        return synonym_pairs(catalog, n_pairs, seed=seed, compounds=compounds)
    raise ValueError(f"unknown recipe {recipe!r}; choose one of {', '.join(RECIPES)}")


# --------------------------------------------------------------------------- near-miss recipe

#: Kinds of near-miss negatives, in the order a pair is tagged by (the first that applies).
NEAR_MISS_KINDS: tuple[str, ...] = (
    "anomer",
    "cis-trans",
    "stereo",
    "positional",
    "chain-length",
    "isomer",
    "generic",
    "phosphate",
    "other",
)

#: Columns :func:`near_miss_pairs` reads from a labelled candidate frame.
NEAR_MISS_COLUMNS: tuple[str, ...] = (
    "unit",
    "metabolite_name",
    "bigg_id",
    "rank",
    "rule_score",
    "label",
    "family",
)

# the feature of a distinguishing_clash() or specificity_difference() string -> its kind
_CLASH_KINDS: dict[str, str] = {
    "alpha/beta": "anomer",
    "cis/trans": "cis-trans",
    "E/Z": "cis-trans",
    "stereo": "stereo",
    "R/S": "stereo",
    "erythro/threo": "stereo",
    "optical": "stereo",
    "number": "positional",
    "greek": "positional",
    "omega": "positional",
    "chain": "chain-length",
}


def _clash_feature(text: str) -> str:
    return text.split(" ", 1)[0]


def near_miss_kind(name1: str, name2: str, relation: str | None = None) -> str:
    """What tells two compounds' names apart, as one of :data:`NEAR_MISS_KINDS`.

    The kind comes from the clashes of distinguishing tokens
    (:func:`~cobra_metalign.chem.distinguishing_clash`: ``anomer``,
    ``cis-trans``, ``stereo``, ``positional``, ``chain-length``, the first found
    in that order), else from a generic-vs-specific difference
    (:func:`~cobra_metalign.chem.specificity_difference`: ``generic``), else from
    the formula relation (:func:`formula_relation`: ``isomer``, ``carbon`` as
    ``chain-length``, ``phosphate``), else ``phosphate`` for a clash of phosphate
    multipliers (``ATP`` vs ``ADP`` named by words), else ``other`` (carriers,
    sugar families, other multipliers, unrelated formulas).

    Parameters
    ----------
    name1, name2 : str
    relation : str, optional
        :func:`formula_relation` of the two compounds.

    Returns
    -------
    str

    Examples
    --------
    >>> near_miss_kind("alpha-D-glucose", "beta-D-glucose")
    'anomer'
    >>> near_miss_kind("glucose 6-phosphate", "glucose 1-phosphate", "isomer")
    'positional'
    >>> near_miss_kind("ADP", "ATP", "phosphate")
    'phosphate'
    """
    found = set()
    for clash in distinguishing_clash(name1, name2):
        feature = _clash_feature(clash)
        if feature == "multiplier" and "phosph" in clash:
            found.add("phosphate")
        found.add(_CLASH_KINDS.get(feature, "other"))
    for kind in NEAR_MISS_KINDS[:5]:
        if kind in found:
            return kind
    if specificity_difference(name1, name2):
        return "generic"
    if relation == "carbon":
        return "chain-length"
    if relation in ("isomer", "phosphate"):
        return relation
    if "phosphate" in found:
        return "phosphate"
    return "other"


def near_miss_frame(loaded: Iterable[object]) -> pd.DataFrame:
    """The labelled candidates of several gold sets, with each metabolite's name.

    Parameters
    ----------
    loaded : iterable
        Objects with ``candidates`` (the labelled candidate frame of
        :func:`cobra_metalign.training.decision.build_dataset`) and ``table`` (the
        model's metabolite table, indexed by metabolite id, with ``clean_name``
        or ``name``), e.g. the values of :func:`build_dataset`'s result.

    Returns
    -------
    pandas.DataFrame
        The candidate rows with a ``metabolite_name`` column (the name the matcher
        matched: ``clean_name``, else ``name``).
    """
    frames = []
    for item in loaded:
        candidates = item.candidates.copy()  # type: ignore[attr-defined]
        table = item.table  # type: ignore[attr-defined]
        column = "clean_name" if "clean_name" in table else "name"
        names = table[column].fillna("").astype(str).to_dict()
        if column == "clean_name" and "name" in table:
            fallback = table["name"].fillna("").astype(str).to_dict()
            names = {k: v or fallback.get(k, "") for k, v in names.items()}
        candidates["metabolite_name"] = [names.get(m, "") for m in candidates["metabolite_id"]]
        frames.append(candidates)
    if not frames:
        return pd.DataFrame(columns=list(NEAR_MISS_COLUMNS))
    return pd.concat(frames, ignore_index=True)


def _heavy_sets(formulas: Sequence[str]) -> list[dict[str, int]]:
    return [atoms for atoms in (_heavy_atoms(f) for f in formulas) if atoms]


def near_miss_pairs(
    candidates: pd.DataFrame,
    catalog: Catalog,
    held_out_families: Iterable[str],
    *,
    families: dict[str, str] | None = None,
    score_gap: float = 0.3,
    max_negatives: int = 3,
    max_pairs: int | None = None,
    seed: int = 0,
) -> list[NamePair]:
    """Pairs mined from the matcher's near misses on labelled gold sets.

    For every gold metabolite (``unit``) with a correct candidate:

    - a positive: the model's metabolite name against the name of the correct
      compound (the best-ranked correct candidate) nearest to it whose normalized
      form differs from the model name's (the preferred name when none differs);
    - up to ``max_negatives`` hard negatives: the model's name against the
      nearest name of each wrong candidate ranked at or above the best correct
      one or scored within ``score_gap`` of it (rule score), in rank order.

    A negative is made only when the catalogue says the two compounds are
    different, never from equivalent BiGG ids (one canonical id) or compounds that
    share a normalized name, and only when they are *provably* different, as in
    :func:`synonym_pairs`: their heavy atoms differ, their full InChIKeys are
    distinct, or their names clash on a distinguishing token or differ in
    specificity (generic vs specific). A wrong label that nobody adjudicated may
    be one of BiGG's unlinked duplicates; this rule keeps those out. Each
    negative's ``kind`` is :func:`near_miss_kind`.

    Held-out families never contribute: a metabolite is skipped when its gold
    family (``family`` column) or its correct compound's family is held out, and
    a wrong candidate is skipped when its family is held out. Duplicate pairs
    (the same names, e.g. Human-GEM with and without cross-references) are kept
    once. With ``max_pairs``, the metabolites that give negatives are kept first
    (a seeded sample of them if they alone are too many), then a seeded sample
    of the others (positives only), whole metabolites at a time.

    Parameters
    ----------
    candidates : pandas.DataFrame
        Labelled candidate rows with the columns of :data:`NEAR_MISS_COLUMNS`
        (:func:`near_miss_frame` of :func:`~cobra_metalign.training.decision.build_dataset`).
    catalog : Catalog
    held_out_families : iterable of str
        Family keys (:func:`compound_families`) that must not contribute.
    families : dict of str to str, optional
        Catalogue id -> family; computed with :func:`compound_families` when
        not given.
    score_gap : float, optional
        A wrong candidate ranked below the correct one counts when its rule score
        is at least the correct one's minus this.
    max_negatives : int, optional
        Most negatives per metabolite.
    max_pairs : int, optional
        Most pairs in all (None: every pair).
    seed : int, optional
        Seeds the sample taken under ``max_pairs``.

    Returns
    -------
    list of NamePair
        Per metabolite its positive, then its negatives (kinds as above; the
        positive's kind is ``near-miss``).

    Raises
    ------
    ValueError
        When columns are missing or ``max_negatives`` is negative.
    """
    missing = [c for c in NEAR_MISS_COLUMNS if c not in candidates.columns]
    if missing:
        raise ValueError(f"the candidate frame lacks the columns {', '.join(missing)}")
    if max_negatives < 0:
        raise ValueError(f"max_negatives must be >= 0, got {max_negatives}")
    if max_pairs is not None and max_pairs < 1:
        raise ValueError(f"max_pairs must be >= 1, got {max_pairs}")
    held_out = frozenset(held_out_families)
    if families is None:
        families = compound_families(catalog)
    names_cache: dict[str, tuple[str, ...]] = {}

    def names_of(canonical: str) -> tuple[str, ...]:
        if canonical not in names_cache:
            names_cache[canonical] = compound_names(catalog, [canonical]).get(canonical, ())
        return names_cache[canonical]

    def family_of(canonical: str) -> str | None:
        for member in catalog.equivalents(canonical):
            if member in families:
                return families[member]
        return None

    units: list[list[NamePair]] = []
    seen: set[tuple[str, str]] = set()
    skipped: Counter[str] = Counter()
    ordered = candidates.sort_values(["unit", "rank"], kind="stable")
    for _unit, rows in ordered.groupby("unit", sort=False):
        model_name = str(rows["metabolite_name"].iloc[0] or "").strip()
        model_key = normalize_name(model_name)
        correct = rows[rows["label"].astype(bool)]
        if not model_key or correct.empty:
            continue
        if str(rows["family"].iloc[0]) in held_out:
            skipped["held-out family"] += 1
            continue
        right_ids = [catalog.canonical(b) for b in correct["bigg_id"].astype(str) if b in catalog]
        if not right_ids or any(family_of(c) in held_out for c in right_ids):
            skipped["held-out family" if right_ids else "correct id not in catalogue"] += 1
            continue
        right = right_ids[0]
        right_names = names_of(right)
        if not right_names:
            continue
        right_keys = {normalize_name(n) for c in right_ids for n in names_of(c)}
        different = [n for n in right_names if normalize_name(n) != model_key]
        positive = min(different, key=lambda n: (_edit_gap(model_name, n), n)) if different else ""
        positive = positive or right_names[0]
        unit_pairs = [NamePair(model_name, positive, 1, right, right, "near-miss")]
        right_formulas = [f for c in right_ids for f in _formulas(catalog, c)]
        right_heavy = _heavy_sets(right_formulas)
        right_inchikeys = set().union(*(_full_inchikeys(catalog, c) for c in right_ids))
        best_rank = float(correct["rank"].min())
        best_score = float(correct["rule_score"].max())
        wrong = rows[~rows["label"].astype(bool)]
        near = wrong[(wrong["rank"] <= best_rank) | (wrong["rule_score"] >= best_score - score_gap)]
        taken: set[str] = set()
        for bigg_id in near["bigg_id"].astype(str):
            if len(unit_pairs) > max_negatives:
                break
            if bigg_id not in catalog:
                continue
            other = catalog.canonical(bigg_id)
            if other in right_ids or other in taken:
                continue  # the catalogue says one compound (equivalent BiGG ids)
            if family_of(other) in held_out:
                skipped["wrong candidate in a held-out family"] += 1
                continue
            other_names = names_of(other)
            if any(normalize_name(n) in right_keys for n in other_names):
                skipped["shares a name with the correct compound"] += 1
                continue
            options = [n for n in other_names if normalize_name(n) != model_key]
            if not options:
                continue
            name = min(options, key=lambda n: (_edit_gap(model_name, n), n))
            other_formulas = _formulas(catalog, other)
            other_heavy = _heavy_sets(other_formulas)
            atoms_differ = bool(right_heavy and other_heavy) and not any(
                a == b for a in right_heavy for b in other_heavy
            )
            other_keys = _full_inchikeys(catalog, other)
            distinct_keys = bool(
                right_inchikeys and other_keys and not right_inchikeys & other_keys
            )
            told_apart = any(
                distinguishing_clash(a, name) or specificity_difference(a, name)
                for a in (model_name, positive)
            )
            if not (atoms_differ or distinct_keys or told_apart):
                skipped["not provably different"] += 1
                continue
            relation = formula_relation(right_formulas, other_formulas)
            kind = near_miss_kind(model_name, name, relation)
            if kind == "other" and positive != model_name:
                kind = near_miss_kind(positive, name, relation)
            taken.add(other)
            unit_pairs.append(NamePair(model_name, name, 0, right, other, kind))
        kept = [p for p in unit_pairs if (p.name1, p.name2) not in seen]
        seen.update((p.name1, p.name2) for p in kept)
        if kept:
            units.append(kept)
    if max_pairs is not None:
        rng = random.Random(seed)
        hard = [u for u in units if any(p.label == 0 for p in u)]
        easy = [u for u in units if all(p.label == 1 for p in u)]
        rng.shuffle(hard)
        rng.shuffle(easy)
        chosen: list[list[NamePair]] = []
        size = 0
        for unit in hard + easy:
            if size + len(unit) <= max_pairs:
                chosen.append(unit)
                size += len(unit)
        units = chosen
    pairs = [pair for unit in units for pair in unit]
    kinds = Counter(pair.kind for pair in pairs)
    logger.info(
        "near-miss recipe: %d pairs (%s); skipped: %s",
        len(pairs),
        ", ".join(f"{k}: {v}" for k, v in sorted(kinds.items())),
        ", ".join(f"{k}: {v}" for k, v in sorted(skipped.items())) or "none",
    )
    return pairs


# --------------------------------------------------------------------------- files


def read_pairs_jsonl(path: str | os.PathLike[str]) -> list[NamePair]:
    """Read pairs from a JSON-lines file of ``{"metabolite1", "metabolite2", "label"}``.

    This is the format of the original MetaAlignGen training pairs. Extra keys
    (``id1``, ``id2``, ``kind``, as :func:`write_pairs_jsonl` writes) are read too.

    Parameters
    ----------
    path : path-like

    Returns
    -------
    list of NamePair

    Raises
    ------
    MetalignError
        When the file is missing or a line is not a valid pair (the line number
        is given).
    """
    path = Path(path)
    pairs: list[NamePair] = []
    try:
        handle = open(path, encoding="utf-8")
    except OSError as error:
        raise MetalignError(f"{path}: cannot read the pairs file ({error})") from error
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                name1, name2 = record["metabolite1"], record["metabolite2"]
                label = record["label"]
                if not isinstance(name1, str) or not isinstance(name2, str):
                    raise TypeError("metabolite1 and metabolite2 must be strings")
                if isinstance(label, bool) or label not in (0, 1):
                    raise ValueError(f"label must be 0 or 1, got {label!r}")
                pairs.append(
                    NamePair(
                        name1,
                        name2,
                        int(label),
                        str(record.get("id1") or ""),
                        str(record.get("id2") or ""),
                        str(record.get("kind") or "file"),
                    )
                )
            except (ValueError, KeyError, TypeError) as error:
                raise MetalignError(f"{path}, line {number}: not a name pair ({error})") from error
    if not pairs:
        raise MetalignError(f"{path}: no pairs in the file")
    return pairs


def write_pairs_jsonl(pairs: Iterable[NamePair], path: str | os.PathLike[str]) -> Path:
    """Write pairs as JSON lines (``metabolite1``, ``metabolite2``, ``label``, ids, kind).

    Parameters
    ----------
    pairs : iterable of NamePair
    path : path-like

    Returns
    -------
    pathlib.Path
    """
    from cobra_metalign.cache import atomic_path

    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as handle:
        for pair in pairs:
            record = {
                "metabolite1": pair.name1,
                "metabolite2": pair.name2,
                "label": pair.label,
                "id1": pair.id1,
                "id2": pair.id2,
                "kind": pair.kind,
            }
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def pairs_frame(pairs: Iterable[NamePair]) -> pd.DataFrame:
    """Pairs as a DataFrame (columns ``name1, name2, label, id1, id2, kind``)."""
    return pd.DataFrame(
        [asdict(p) for p in pairs], columns=["name1", "name2", "label", "id1", "id2", "kind"]
    )


def pairs_sha256(pairs: Iterable[NamePair]) -> str:
    """sha256 over the names and labels of pairs, in order (the training data hash)."""
    digest = hashlib.sha256()
    for pair in pairs:
        digest.update(json.dumps([pair.name1, pair.name2, pair.label]).encode("utf-8") + b"\n")
    return digest.hexdigest()


# --------------------------------------------------------------------------- families


def _name_stem(name: str) -> str:
    """First substantive word of a name (no locant, stereo or multiplier), 6 letters."""
    for token in name_tokens(name):
        if len(token) >= 4 and token.isalpha() and token not in _DESCRIPTOR_TOKENS:
            return token[:6]
    key = normalize_name(name)
    return re.sub(r"[^a-z]", "", key)[:6] or key[:6]


def _skeleton(formulas: Sequence[str]) -> str:
    """Heavy atoms of the first parseable formula, e.g. ``C6O6`` ('' if none)."""
    for formula in formulas:
        counts = parse_formula(formula)
        if counts:
            heavy = {e: c for e, c in counts.items() if e not in ("H", "n") and c}
            return "".join(f"{e}{c if c != 1 else ''}" for e, c in sorted(heavy.items()))
    return ""


def compound_families(catalog: Catalog) -> dict[str, str]:
    """Assign every catalogue id to a compound family.

    A compound's keys are its InChIKey first blocks, or, without an InChIKey,
    its formula skeleton (heavy atoms) plus the stem of its preferred name.
    Families are the connected groups of ids that share a key, are equivalent
    BiGG ids, or share a normalized name (so that no name crosses families).

    Parameters
    ----------
    catalog : Catalog

    Returns
    -------
    dict of str to str
        id -> family key (the smallest key of its group, e.g. an InChIKey block
        such as ``WQZGKKKJIJFFOK`` or ``skel:C6O6|glucos``).
    """
    sets = DisjointSet()

    def union(a: str, b: str) -> None:
        for item in (a, b):
            if item not in sets:
                sets.add(item)
        sets.merge(a, b)

    for entry in catalog:
        node = f"id:{entry.id}"
        if node not in sets:
            sets.add(node)
        blocks = {key.split("-", 1)[0] for key in entry.xrefs.get("inchikey", ()) if key}
        if blocks:
            for block in sorted(blocks):
                union(node, f"ik:{block}")
        else:
            union(node, f"skel:{_skeleton(entry.formulas)}|{_name_stem(entry.name or entry.id)}")
        for other in entry.equivalents:
            if other in catalog:
                union(node, f"id:{other}")
        for name in entry.names:
            key = normalize_name(name)
            if key:
                union(node, f"name:{key}")
    # label each group by its smallest InChIKey block or skeleton key, else its smallest key
    label: dict[str, str] = {}
    for members in sets.subsets():
        keys = sorted(members)
        named = [k for k in keys if k.startswith(("ik:", "skel:"))]
        first = named[0] if named else keys[0]
        label[sets[first]] = first.split(":", 1)[1] if first.startswith("ik:") else first
    return {entry.id: label[sets[f"id:{entry.id}"]] for entry in catalog}


def _held_out(family: str, seed: int, fraction: float) -> bool:
    digest = hashlib.sha256(f"{seed}:{family}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


@dataclass
class FamilySplit:
    """A split of the catalogue's compounds into training and held-out families.

    Attributes
    ----------
    families : dict of str to str
        Catalogue id -> family key.
    test_families : frozenset of str
        Held-out family keys.
    train_ids, test_ids : frozenset of str
        Catalogue ids on each side.
    seed : int
    test_fraction : float
    gold_overlap : pandas.DataFrame
        Per gold file: ``gold_ids`` (distinct gold BiGG ids found in the
        catalogue), ``in_train`` and ``in_test`` (ids whose family is on each
        side), ``unknown`` (gold ids not in the catalogue). Empty without gold
        files.
    """

    families: dict[str, str]
    test_families: frozenset[str]
    train_ids: frozenset[str]
    test_ids: frozenset[str]
    seed: int
    test_fraction: float
    gold_overlap: pd.DataFrame = field(default_factory=pd.DataFrame)

    def side(self, bigg_id: str) -> str | None:
        """``"train"``, ``"test"`` or None (unknown id)."""
        family = self.families.get(bigg_id)
        if family is None:
            return None
        return "test" if family in self.test_families else "train"

    def summary(self) -> dict:
        """Counts of the split (JSON-serialisable)."""
        train_families = set(self.families.values()) - self.test_families
        return {
            "seed": self.seed,
            "test_fraction": self.test_fraction,
            "families_train": len(train_families),
            "families_test": len(self.test_families),
            "ids_train": len(self.train_ids),
            "ids_test": len(self.test_ids),
            "gold_overlap": self.gold_overlap.reset_index().to_dict("records"),
        }

    def split_pairs(
        self, pairs: Iterable[NamePair], catalog: Catalog
    ) -> tuple[list[NamePair], list[NamePair], int]:
        """Assign pairs to the training or the held-out side.

        A pair's compounds are its ids, or, when an id is empty, the catalogue
        compounds that carry its name (normalized). A pair goes to a side when
        all its known compounds are on that side; pairs that straddle the split
        or whose names are not in the catalogue at all are dropped.

        Parameters
        ----------
        pairs : iterable of NamePair
        catalog : Catalog

        Returns
        -------
        tuple of (list of NamePair, list of NamePair, int)
            Training pairs, held-out pairs, number dropped.
        """
        train: list[NamePair] = []
        test: list[NamePair] = []
        dropped = 0
        for pair in pairs:
            ids: set[str] = set()
            for bigg_id, name in ((pair.id1, pair.name1), (pair.id2, pair.name2)):
                if bigg_id:
                    ids.add(bigg_id)
                else:
                    ids.update(catalog.by_name(normalize_name(name)))
            sides = {self.side(i) for i in ids}
            if not ids or None in sides or len(sides) != 1:
                dropped += 1
            elif sides == {"test"}:
                test.append(pair)
            else:
                train.append(pair)
        return train, test, dropped


def _gold_ids(path: Path) -> set[str]:
    try:
        table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    except Exception as error:  # noqa: BLE001 - any parse failure is bad input
        raise MetalignError(f"{path}: not a readable gold TSV ({error})") from error
    if "gold_bigg" not in table.columns:
        raise MetalignError(f"{path}: gold table has no gold_bigg column")
    return {value.strip() for value in table["gold_bigg"] if value and value.strip()}


def family_split(
    catalog: Catalog,
    test_fraction: float = 0.2,
    seed: int = 0,
    gold_files: Iterable[str | os.PathLike[str]] = (),
) -> FamilySplit:
    """Split the catalogue's compounds by family into training and held-out parts.

    Each family (see :func:`compound_families`) is held out when a sha256 of
    ``seed`` and its key falls below ``test_fraction``, so the assignment of a
    family does not depend on the rest of the catalogue. Held-out compounds share
    no InChIKey skeleton, equivalent id or normalized name with training ones.

    Parameters
    ----------
    catalog : Catalog
    test_fraction : float, optional
        Expected fraction of families held out.
    seed : int, optional
    gold_files : iterable of path-like, optional
        Benchmark gold TSVs (column ``gold_bigg``); the split reports how many of
        their ids fall in training families (compounds the adapter has seen).

    Returns
    -------
    FamilySplit

    Raises
    ------
    ValueError
        If ``test_fraction`` is not in (0, 1).
    MetalignError
        If a gold file cannot be read.
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    families = compound_families(catalog)
    test_families = frozenset(
        f for f in set(families.values()) if _held_out(f, seed, test_fraction)
    )
    test_ids = frozenset(i for i, f in families.items() if f in test_families)
    train_ids = frozenset(families) - test_ids
    split = FamilySplit(families, test_families, train_ids, test_ids, seed, test_fraction)
    rows = []
    for gold in gold_files:
        path = Path(gold)
        resolved: set[str] = set()
        unknown = 0
        for value in _gold_ids(path):
            bigg_id = catalog.lookup_id(value)
            if bigg_id is None:
                unknown += 1
            else:
                resolved.add(bigg_id)
        sides = Counter(split.side(i) for i in resolved)
        rows.append(
            {
                "gold_file": path.name,
                "gold_ids": len(resolved),
                "in_train": sides.get("train", 0),
                "in_test": sides.get("test", 0),
                "unknown": unknown,
            }
        )
    if rows:
        split.gold_overlap = pd.DataFrame(rows).set_index("gold_file")
    logger.info(
        "family split: %d training and %d held-out families (%d and %d ids)",
        len(set(families.values()) - test_families),
        len(test_families),
        len(train_ids),
        len(test_ids),
    )
    return split
