"""Chemistry guards: formulas, charges, InChIKeys and distinguishing name tokens.

Every automatic match must pass these guards (see DESIGN.md, "Matching"):
formulas equal once hydrogens are set aside and the charge difference explains
them (:func:`compare_formulas`), and no clash of the tokens that tell two
compounds apart (:func:`distinguishing_clash`). A generic name against a
specific one (``glucose`` vs ``alpha-D-glucose``) is not a clash but goes to
review (:func:`specificity_difference`).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cobra_metalign.normalize import ELEMENT_SYMBOLS, prepare_name

__all__ = [
    "FORMULA_RESULTS",
    "compare_formulas",
    "distinguishing_clash",
    "inchikey_blocks",
    "parse_charge",
    "parse_formula",
    "specificity_difference",
]

# ---------------------------------------------------------------------------
# Formulas
# ---------------------------------------------------------------------------

#: Every value :func:`compare_formulas` can return.
FORMULA_RESULTS: tuple[str, ...] = (
    "equal",
    "ok",
    "h_only",
    "charge",
    "generic",
    "missing",
    "mismatch",
)

#: Placeholder strings that mean "no formula" (case matters: "Na" is sodium).
_MISSING_TEXT = frozenset(
    {"", "NA", "N/A", "n/a", "na", "nan", "NaN", "NAN", "None", "none", "NONE", "null", "NULL"}
    | {"-", "?", "ND", "nd", "unknown", "Unknown"}
)
#: Symbols of generic groups, counted under the key "R".
_GENERIC_SYMBOLS = frozenset({"R", "X"})
_HYDRATE_SEPARATORS = re.compile(r"[.·•*]")


class _FormulaError(ValueError):
    """Raised internally on text that is not a formula."""


def _read_number(text: str, pos: int) -> tuple[int | None, int]:
    """The integer written at ``pos`` (None when there is none) and the position after it."""
    start = pos
    while pos < len(text) and text[pos].isdigit():
        pos += 1
    return (int(text[start:pos]) if pos > start else None), pos


def _parse_subgroup(text: str, pos: int, depth: int) -> tuple[Counter[str], int, bool]:
    """A ``(...)`` or ``[...]`` group opening at ``pos`` with its multiplier (``n``: polymer)."""
    closing = ")" if text[pos] == "(" else "]"
    inner, pos, polymer = _parse_group(text, pos + 1, depth + 1)
    if pos >= len(text) or text[pos] != closing or not inner:
        raise _FormulaError("unbalanced or empty group")
    factor, pos = _read_number(text, pos + 1)
    if factor is None:
        factor = 1
        if pos < len(text) and text[pos] == "n":
            polymer = True
            pos += 1
    return Counter({element: count * factor for element, count in inner.items()}), pos, polymer


def _parse_element(text: str, pos: int) -> tuple[str, int, int]:
    """The element (``R`` for a generic group) at ``pos``, its count, the position after."""
    char = text[pos]
    symbol = char
    if pos + 1 < len(text) and text[pos + 1].islower() and char + text[pos + 1] in ELEMENT_SYMBOLS:
        symbol = char + text[pos + 1]
    if symbol not in ELEMENT_SYMBOLS and symbol not in _GENERIC_SYMBOLS:
        raise _FormulaError(f"unknown element {symbol}")
    count, pos = _read_number(text, pos + len(symbol))
    return ("R" if symbol in _GENERIC_SYMBOLS else symbol), (1 if count is None else count), pos


def _parse_group(text: str, pos: int, depth: int) -> tuple[Counter[str], int, bool]:
    """Parse from ``pos`` up to an unmatched ``)`` or the end.

    Returns the counts, the position reached and whether a ``(...)n`` repeat
    of unknown length was seen.
    """
    counts: Counter[str] = Counter()
    polymer = False
    while pos < len(text):
        char = text[pos]
        if char in "([":
            inner, pos, inner_polymer = _parse_subgroup(text, pos, depth)
            polymer = polymer or inner_polymer
            counts.update(inner)
        elif char in ")]":
            if depth == 0:
                raise _FormulaError("unbalanced group")
            return counts, pos, polymer
        elif char.isupper():
            element, count, pos = _parse_element(text, pos)
            counts[element] += count
        else:
            raise _FormulaError(f"unexpected {char!r}")
    if depth:
        raise _FormulaError("unclosed group")
    return counts, pos, polymer


def _parse_hydrate(text: str) -> tuple[Counter[str], bool]:
    """Counts of a formula whose parts a hydrate separator joins (``CuSO4.5H2O``)."""
    total: Counter[str] = Counter()
    polymer = False
    for index, part in enumerate(_HYDRATE_SEPARATORS.split(text)):
        factor = 1
        if index:
            digits = len(part) - len(part.lstrip("0123456789"))
            if digits:
                factor = int(part[:digits])
                part = part[digits:]
        if not part:
            raise _FormulaError("empty part")
        counts, _, part_polymer = _parse_group(part, 0, 0)
        polymer = polymer or part_polymer
        for element, count in counts.items():
            total[element] += count * factor
    return total, polymer


def parse_formula(formula: object) -> dict[str, int] | None:
    """Element counts of a molecular formula.

    Parameters
    ----------
    formula : str
        A formula such as ``C6H12O6`` or ``C10H12N5O13P3``. Also accepted:
        generic groups ``R``/``X`` (``C5H8NO4R``, ``CH3OR2``: counted under the
        key ``"R"``, ``X`` included), parenthesised or bracketed groups with a
        multiplier (``Ca(OH)2``), a polymer repeat ``(C6H10O5)n`` (the group
        counted once and the key ``"n"`` set to 1: generic), and hydrates
        (``CuSO4.5H2O``). Whitespace is ignored.

    Returns
    -------
    dict of str to int or None
        Counts of each element (zero counts left out), plus ``"R"`` and ``"n"``
        when present. None for a missing value (None, NaN, ``""``, ``NA``,
        ``nan``, ``-``) and for anything that is not a formula (lower-case
        garbage, unknown symbols, charges or ``?`` inside the text).

    Examples
    --------
    >>> parse_formula("C6H12O6")
    {'C': 6, 'H': 12, 'O': 6}
    >>> parse_formula("C5H8NO4R")
    {'C': 5, 'H': 8, 'N': 1, 'O': 4, 'R': 1}
    >>> parse_formula("(C6H10O5)n")
    {'C': 6, 'H': 10, 'O': 5, 'n': 1}
    >>> parse_formula("C6H12O6?") is None
    True
    """
    if not isinstance(formula, str):
        return None
    text = "".join(formula.split())
    if text in _MISSING_TEXT:
        return None
    try:
        total, polymer = _parse_hydrate(text)
    except _FormulaError:
        return None
    result = {element: count for element, count in total.items() if count}
    if not result:
        return None
    if polymer:
        result["n"] = 1
    return result


def parse_charge(charge: object) -> int | None:
    """An integer charge, or None when missing or not a whole number.

    Parameters
    ----------
    charge : object
        ``-1``, ``-1.0``, ``"-1"``, ``"1-"``, ``"+2"``, numpy numbers; None, NaN
        and empty strings are missing.

    Returns
    -------
    int or None

    Examples
    --------
    >>> parse_charge("2-")
    -2
    >>> parse_charge(float("nan")) is None
    True
    """
    if charge is None or isinstance(charge, bool):
        return None
    if isinstance(charge, str):
        text = charge.strip()
        match = re.fullmatch(r"([+-]?)(\d+)([+-]?)", text)
        if not match or (match.group(1) and match.group(3)):
            return None
        value = int(match.group(2))
        return -value if "-" in (match.group(1), match.group(3)) else value
    try:
        value = float(charge)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if math.isnan(value) or not value.is_integer():
        return None
    return int(value)


def _as_counts(formula: object) -> dict[str, int] | None:
    if isinstance(formula, Mapping):
        counts = {str(k): int(v) for k, v in formula.items() if v}
        return counts or None
    return parse_formula(formula)


def _is_generic(counts: Mapping[str, int]) -> bool:
    return bool(counts.get("R") or counts.get("n"))


#: Carbon count from which a formula is read as a pooled mixture or polymer record.
MIXTURE_CARBONS = 300


def _is_mixture(counts: Mapping[str, int]) -> bool:
    return counts.get("C", 0) >= MIXTURE_CARBONS


def compare_formulas(
    f1: object,
    f2: object,
    charge1: object = None,
    charge2: object = None,
    *,
    max_h_diff: int = 3,
) -> str:
    """Compare two formulas (and charges) of a candidate pair.

    Parameters
    ----------
    f1, f2 : str or mapping
        Formulas as text (see :func:`parse_formula`) or element counts.
    charge1, charge2 : int, float or str, optional
        Charges; None or NaN when unknown (see :func:`parse_charge`).
    max_h_diff : int, default 3
        Largest hydrogen difference reported as ``h_only`` when the charges do
        not explain it; a larger one is a ``mismatch`` (a saturated against an
        unsaturated chain differs by two hydrogens per double bond).

    Returns
    -------
    str
        One of:

        ``equal``
            Identical element counts (and charges equal or unknown).
        ``ok``
            Only hydrogens differ, and the charge difference explains them:
            ``H1 - H2 == charge1 - charge2`` (one proton per unit of charge;
            ``C5H8NO4`` -1 against ``C5H9NO4`` 0).
        ``h_only``
            Only hydrogens differ (by at most ``max_h_diff``); a charge is
            unknown or does not explain the difference. Review.
        ``charge``
            Identical element counts but different known charges (a redox pair
            such as Fe2+/Fe3+, or inconsistent data). Review.
        ``generic``
            One side has generic groups (``R``, ``X``) or an ``n`` repeat and
            its other atoms fit within the other side; or both are generic and
            differ; or one side is a pooled mixture or polymer record (at least
            :data:`MIXTURE_CARBONS` carbons: ``C1080H1768O10`` for a dolichol
            mixture) and the other a single molecule. Cannot be judged atom by
            atom. Two mixture records are compared as usual (``C1936...`` against
            ``C1660...`` is a mismatch).
        ``missing``
            A formula is missing or cannot be parsed.
        ``mismatch``
            Atoms other than hydrogen differ (``C10H12N5O13P3`` ATP against
            ``C10H12N5O10P2`` ADP), a generic side does not fit, or hydrogens
            differ by more than ``max_h_diff`` without a charge to explain it.

    Examples
    --------
    >>> compare_formulas("C5H8NO4", "C5H9NO4", -1, 0)
    'ok'
    >>> compare_formulas("C10H12N5O13P3", "C10H12N5O10P2", -4, -3)
    'mismatch'
    """
    p1 = _as_counts(f1)
    p2 = _as_counts(f2)
    if p1 is None or p2 is None:
        return "missing"
    c1 = parse_charge(charge1)
    c2 = parse_charge(charge2)
    if p1 == p2:
        if c1 is not None and c2 is not None and c1 != c2 and not _is_generic(p1):
            return "charge"
        return "equal"
    generic1, generic2 = _is_generic(p1), _is_generic(p2)
    if generic1 or generic2:
        if generic1 and generic2:
            return "generic"
        generic, specific = (p1, p2) if generic1 else (p2, p1)
        fits = all(
            specific.get(element, 0) >= count
            for element, count in generic.items()
            if element not in ("H", "R", "n")
        )
        return "generic" if fits else "mismatch"
    if _is_mixture(p1) != _is_mixture(p2):
        # a pooled formula of a chain-length mixture (VMH/BiGG "human liver homolog"
        # dolichols: C1080H1768O10) against one molecule cannot be judged atom by atom
        return "generic"
    heavy1 = {k: v for k, v in p1.items() if k != "H"}
    heavy2 = {k: v for k, v in p2.items() if k != "H"}
    if heavy1 != heavy2:
        return "mismatch"
    dh = p1.get("H", 0) - p2.get("H", 0)
    if c1 is not None and c2 is not None and c1 - c2 == dh:
        return "ok"
    return "h_only" if abs(dh) <= max_h_diff else "mismatch"


# ---------------------------------------------------------------------------
# InChIKeys
# ---------------------------------------------------------------------------

_INCHIKEY = re.compile(r"(?:INCHIKEY\s*[=:]\s*)?([A-Z]{14})-([A-Z]{8,10})-([A-Z])")


def inchikey_blocks(key: object) -> tuple[str, str, str] | None:
    """Split an InChIKey into its three blocks.

    The first block (14 letters) encodes the skeleton; the second stereo,
    isotopes and version; the third the protonation. Equal first blocks mean
    the same skeleton with possibly different stereo or charge.

    Parameters
    ----------
    key : str
        ``WQZGKKKJIJFFOK-GASJEMHNSA-N``; an ``InChIKey=`` prefix, surrounding
        whitespace and lower case are accepted.

    Returns
    -------
    tuple of (str, str, str) or None
        None when ``key`` is not an InChIKey.

    Examples
    --------
    >>> inchikey_blocks("InChIKey=WQZGKKKJIJFFOK-GASJEMHNSA-N")
    ('WQZGKKKJIJFFOK', 'GASJEMHNSA', 'N')
    """
    if not isinstance(key, str):
        return None
    match = _INCHIKEY.fullmatch(key.strip().upper())
    return (match.group(1), match.group(2), match.group(3)) if match else None


# ---------------------------------------------------------------------------
# Distinguishing tokens of names
# ---------------------------------------------------------------------------

# "C16:0", "n-C18:1", "16:0/18:1"
_CHAIN_NOTATION = re.compile(r"(?<![a-z0-9])(?:n-?)?c?(\d{1,2}):(\d{1,2})(?![0-9])")
# "(R)", "(2R,3S)", "(7Z,10Z)", "(24r)"
_PAREN_GROUP = re.compile(r"\(([0-9a-z,'\s]+)\)")
_STEREO_ITEM = re.compile(r"(\d*)'?([rsez]|rs|sr)")
# "24r", "2e", "9z" outside parentheses
_GLUED_STEREO = re.compile(r"(?<![a-z0-9])(\d+)'?([rsez])(?![a-z0-9])")
# "n-3", "omega-6" (after the chain notation is taken out)
_OMEGA = re.compile(r"(?<![a-z0-9])(?:n|omega|w)\s?-?\s?(\d{1,2})(?![0-9a-z-])")
# numbers with their primes: 5' is not 5
_NUMBER = re.compile(r"\d+'*")
_WORD = re.compile(r"[^\W_]+")
_FINE_TOKEN = re.compile(r"[^\W\d_]+|\d+")

_CHAIN_STEMS: dict[str, int] = {
    "triacont": 30,
    "nonacos": 29,
    "octacos": 28,
    "heptacos": 27,
    "hexacos": 26,
    "pentacos": 25,
    "tetracos": 24,
    "tricos": 23,
    "docos": 22,
    "heneicos": 21,
    "henicos": 21,
    "eicos": 20,
    "icos": 20,
    "nonadec": 19,
    "octadec": 18,
    "heptadec": 17,
    "hexadec": 16,
    "pentadec": 15,
    "tetradec": 14,
    "tridec": 13,
    "dodec": 12,
    "undec": 11,
    "dec": 10,
    "non": 9,
    "oct": 8,
    "hept": 7,
    "hex": 6,
    "pent": 5,
    "but": 4,
    "prop": 3,
    "eth": 2,
    "meth": 1,
}
_DOUBLE_BONDS = {"": None, "di": 2, "tri": 3, "tetra": 4, "penta": 5, "hexa": 6}
# Systematic chain names: stem, optional "a-di/tri..." multiplier, an/en/yn, suffix.
_SYSTEMATIC_CHAIN = re.compile(
    "("
    + "|".join(sorted(_CHAIN_STEMS, key=len, reverse=True))
    + r")(?:a(di|tri|tetra|penta|hexa))?(an|en|yn)(?=oate|oic|oyl|al|ol|one|e|amide|amine|yl)"
)
# Trivial names of acyl chains (matched at the start of a word): length, double bonds.
_TRIVIAL_CHAINS: dict[str, tuple[int, int | None]] = {
    "formate": (1, 0),
    "formyl": (1, 0),
    "acetate": (2, 0),
    "acetyl": (2, 0),
    "propionate": (3, 0),
    "propionyl": (3, 0),
    "butyrate": (4, 0),
    "butyryl": (4, 0),
    "crotonate": (4, 1),
    "crotonoyl": (4, 1),
    "crotonyl": (4, 1),
    "valerate": (5, 0),
    "valeryl": (5, 0),
    "caproate": (6, 0),
    "caproyl": (6, 0),
    "enanthate": (7, 0),
    "caprylate": (8, 0),
    "capryloyl": (8, 0),
    "caprylyl": (8, 0),
    "pelargonate": (9, 0),
    "caprate": (10, 0),
    "laurate": (12, 0),
    "lauroyl": (12, 0),
    "myristate": (14, 0),
    "myristoyl": (14, 0),
    "myristoleate": (14, 1),
    "myristoleoyl": (14, 1),
    "palmitate": (16, 0),
    "palmitoyl": (16, 0),
    "palmitoleate": (16, 1),
    "palmitoleoyl": (16, 1),
    "margarate": (17, 0),
    "stearate": (18, 0),
    "stearoyl": (18, 0),
    "oleate": (18, 1),
    "oleoyl": (18, 1),
    "oleyl": (18, 1),
    "elaidate": (18, 1),
    "elaidoyl": (18, 1),
    "vaccenate": (18, 1),
    "vaccenoyl": (18, 1),
    "linoleate": (18, 2),
    "linoleoyl": (18, 2),
    "linolenate": (18, 3),
    "linolenoyl": (18, 3),
    "arachidate": (20, 0),
    "arachidoyl": (20, 0),
    "arachidonate": (20, 4),
    "arachidonoyl": (20, 4),
    "behenate": (22, 0),
    "behenoyl": (22, 0),
    "erucate": (22, 1),
    "erucoyl": (22, 1),
    "lignocerate": (24, 0),
    "lignoceroyl": (24, 0),
    "nervonate": (24, 1),
    "nervonoyl": (24, 1),
    "cerotate": (26, 0),
    "cerotoyl": (26, 0),
}
_TRIVIAL_PREFIXES = tuple(sorted(_TRIVIAL_CHAINS, key=len, reverse=True))
_GENERIC_CHAIN_WORDS = ("acyl", "fatty", "alkyl", "alkenyl")

_MULTIPLIERS: tuple[tuple[str, int], ...] = (
    ("tetrakis", 4),
    ("pentakis", 5),
    ("hexakis", 6),
    ("tetra", 4),
    ("penta", 5),
    ("hexa", 6),
    ("hepta", 7),
    ("octa", 8),
    ("mono", 1),
    ("tris", 3),
    ("bis", 2),
    ("tri", 3),
    ("di", 2),
)
# Roots that take a multiplier, matched at the start of the rest of the word.
_MULTIPLIED_ROOTS = tuple(
    sorted(
        (
            "phosphate",
            "phosphoryl",
            "phospho",
            "sulfate",
            "sulfo",
            "hydroxy",
            "hydrogen",
            "hydro",
            "methyl",
            "ethyl",
            "acetyl",
            "amino",
            "amine",
            "amide",
            "oxo",
            "keto",
            "carboxylate",
            "carboxy",
            "acylglycerol",
            "acylglycero",
            "acyl",
            "nucleotide",
            "saccharide",
            "peptide",
            "chloro",
            "fluoro",
            "bromo",
            "iodo",
            "nitro",
            "glucosyl",
            "galactosyl",
            "mannosyl",
            "fucosyl",
            "sialyl",
            "glutamate",
            "glutamyl",
        ),
        key=len,
        reverse=True,
    )
)
# Short roots count only when they are the whole rest of the word ("diol", "triene").
_EXACT_ROOTS = frozenset({"ol", "one", "ene", "yne", "al", "oate"})
# Roots whose bare form counts as one ("phosphate" against "bisphosphate").
_IMPLICIT_ONE = frozenset(
    {
        "phosphate",
        "phospho",
        "sulfate",
        "hydroxy",
        "methyl",
        "amino",
        "oxo",
        "carboxylate",
        "acylglycerol",
        "acylglycero",
        "acyl",
        "nitro",
        "chloro",
        "glucosyl",
        "galactosyl",
        "mannosyl",
    }
)

_GREEK_WORDS = frozenset(
    {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "kappa", "omega"}
)


@dataclass(frozen=True)
class _Features:
    """Distinguishing features of one name (multisets as sorted tuples)."""

    stereo_dl: tuple[str, ...]
    rs: tuple[tuple[str, str], ...]
    ez: tuple[tuple[str, str], ...]
    cis_trans: tuple[str, ...]
    erythro_threo: tuple[str, ...]
    anomeric: tuple[str, ...]
    optical: tuple[str, ...]
    numbers: tuple[str, ...]
    omega: tuple[str, ...]
    greek: tuple[str, ...]
    chains: tuple[tuple[int, int | None], ...]
    multipliers: tuple[tuple[str, int], ...]
    generic_chain: bool
    sugar_family: tuple[str, ...] = ()
    carrier: tuple[str, ...] = ()


#: Oligosaccharide families named by their linkage ("cellotetraose" is beta-1,4,
#: "maltotetraose" alpha-1,4): same size, same formula, different compounds.
_SUGAR_FAMILY = re.compile(
    r"(isomalt|malt|cell|lact|chit|xyl|mann|galact|fruct|genti|laminar|niger|koj|sophor)"
    r"o?(?:bi|tri|tetra|penta|hexa|hepta|octa|nona|deca)?os"
)
#: Words that name a sugar, after which ``alpha``/``beta`` is an anomer.
_SUGAR_WORD = re.compile(r"[a-z]*(?:ose|oses|oside|osides|osyl|opyranose|ofuranose)")

# Roots counted together ("1,3-bisphosphoglycerate" == "3-phosphoglyceroyl phosphate").
_ROOT_ALIASES = {"phospho": "phosphate", "phosphoryl": "phosphate"}


def _multiplier(word: str) -> tuple[str, int] | None:
    """``(root, count)`` for a word such as ``bisphosphate`` or ``phosphate``."""
    for prefix, count in _MULTIPLIERS:
        if word.startswith(prefix) and len(word) > len(prefix):
            rest = word[len(prefix) :]
            if rest in _EXACT_ROOTS:
                return rest, count
            for root in _MULTIPLIED_ROOTS:
                if rest.startswith(root):
                    return _ROOT_ALIASES.get(root, root), count
    for root in _MULTIPLIED_ROOTS:
        if word.startswith(root):
            return (_ROOT_ALIASES.get(root, root), 1) if root in _IMPLICIT_ONE else None
    return None


def _chains(words: list[str]) -> list[tuple[int, int | None]]:
    """Acyl chain lengths (and double bonds when known) named in words."""
    chains: list[tuple[int, int | None]] = []
    for word in words:
        systematic = [_systematic_chain(match) for match in _SYSTEMATIC_CHAIN.finditer(word)]
        if systematic:
            chains.extend(systematic)
            continue
        trivial = _trivial_chain(word)
        if trivial is not None:
            chains.append(trivial)
    return chains


def _systematic_chain(match: re.Match[str]) -> tuple[int, int | None]:
    """Length and double bonds of ``hexadecanoyl``, ``octadecadienoyl``..."""
    stem, multiplier, bond = match.groups()
    if bond == "an":
        double: int | None = 0
    elif bond == "en":
        double = _DOUBLE_BONDS[multiplier or ""] or 1
    else:
        double = None
    return _CHAIN_STEMS[stem], double


def _trivial_chain(word: str) -> tuple[int, int | None] | None:
    """The chain of a trivial name (``palmitoyl``, ``dipalmitoyl``), or None."""
    stripped = word
    for prefix, _ in _MULTIPLIERS:
        if word.startswith(prefix) and word[len(prefix) :].startswith(_TRIVIAL_PREFIXES):
            stripped = word[len(prefix) :]
            break
    for prefix in _TRIVIAL_PREFIXES:
        if stripped.startswith(prefix):
            return _TRIVIAL_CHAINS[prefix]
    return None


def _take_stereo(text: str) -> tuple[str, list[tuple[str, str]], list[tuple[str, str]]]:
    """R/S and E/Z descriptors (``(2R,3S)``, ``2R``) taken out of ``text``, locants left."""
    rs: list[tuple[str, str]] = []
    ez: list[tuple[str, str]] = []

    def take_group(match: re.Match[str]) -> str:
        items = [item.strip() for item in match.group(1).split(",")]
        parsed = [_STEREO_ITEM.fullmatch(item) for item in items]
        if not items or not all(parsed):
            return match.group(0)
        locants = []
        for item in parsed:
            assert item is not None
            locant, letter = item.groups()
            if letter in ("r", "s"):
                rs.append((locant, letter))
            elif letter in ("e", "z"):
                ez.append((locant, letter))
            locants.append(locant)
        return " " + " ".join(locants) + " "

    def take_glued(match: re.Match[str]) -> str:
        locant, letter = match.groups()
        (rs if letter in "rs" else ez).append((locant, letter))
        return " " + locant + " "

    if "(" in text:
        text = _PAREN_GROUP.sub(take_group, text)
    return _GLUED_STEREO.sub(take_glued, text), rs, ez


def _take_pattern(text: str, pattern: re.Pattern[str], found: list[Any]) -> str:
    """``text`` with the matches of ``pattern`` taken out (their groups appended to ``found``)."""

    def take(match: re.Match[str]) -> str:
        groups = match.groups()
        found.append(groups[0] if len(groups) == 1 else tuple(int(g) for g in groups))
        return " "

    return pattern.sub(take, text)


#: Words that are a descriptor, and the field of :class:`_Features` each goes to.
_DESCRIPTOR_WORDS = {
    "ll": "stereo_dl",
    "dd": "stereo_dl",
    "meso": "stereo_dl",
    "cis": "cis_trans",
    "trans": "cis_trans",
    "erythro": "erythro_threo",
    "threo": "erythro_threo",
    "dextro": "optical",
    "levo": "optical",
}


def _word_descriptors(words: list[str]) -> dict[str, list[str]]:
    """L/D (before a word, or first), cis/trans, erythro/threo and optical words."""
    found: dict[str, list[str]] = {"stereo_dl": [], "cis_trans": [], "erythro_threo": []}
    found["optical"] = []
    for index, word in enumerate(words):
        if word in ("l", "d"):
            # "L-alanine", and at the start of a name "L-3-aminoisobutanoate"
            if index + 1 < len(words) and (words[index + 1][0].isalpha() or index == 0):
                found["stereo_dl"].append(word)
        elif word in _DESCRIPTOR_WORDS:
            found[_DESCRIPTOR_WORDS[word]].append(word)
    return found


def _greek_tokens(fine: list[str]) -> tuple[list[str], list[str]]:
    """Greek letters: anomeric alpha/beta (after a locant, before D/L or a sugar), the rest."""
    anomeric: list[str] = []
    greek: list[str] = []
    for index, token in enumerate(fine):
        if token not in _GREEK_WORDS:
            continue
        previous = fine[index - 1] if index else ""
        following = fine[index + 1] if index + 1 < len(fine) else ""
        if token in ("alpha", "beta") and (
            previous.isdigit()
            or following in ("d", "l")
            or _SUGAR_WORD.fullmatch(following) is not None
        ):
            anomeric.append(token)
        else:
            greek.append(token)
    return anomeric, greek


def _multiplier_counts(fine: list[str]) -> Counter[str]:
    multipliers: Counter[str] = Counter()
    for token in fine:
        if token.isalpha():
            found = _multiplier(token)
            if found is not None:
                multipliers[found[0]] += found[1]
    return multipliers


@lru_cache(maxsize=65536)
def _features(name: str) -> _Features:
    text = prepare_name(name)
    chains: list[tuple[int, int | None]] = []
    if ":" in text:
        text = _take_pattern(text, _CHAIN_NOTATION, chains)
    text, rs, ez = _take_stereo(text)
    omega: list[str] = []
    if "n" in text or "w" in text:
        text = _take_pattern(text, _OMEGA, omega)
    words = _WORD.findall(text)
    fine = _FINE_TOKEN.findall(text)
    descriptors = _word_descriptors(words)
    anomeric, greek = _greek_tokens(fine)
    chains.extend(_chains(words))
    numbers = {str(int(n.rstrip("'"))) + "'" * n.count("'") for n in _NUMBER.findall(text)}
    return _Features(
        **{field: tuple(sorted(values)) for field, values in descriptors.items()},
        rs=tuple(sorted(rs)),
        ez=tuple(sorted(ez)),
        anomeric=tuple(sorted(anomeric)),
        numbers=tuple(sorted(numbers)),
        omega=tuple(sorted(omega)),
        greek=tuple(sorted(greek)),
        chains=tuple(sorted(chains, key=lambda c: (c[0], -1 if c[1] is None else c[1]))),
        multipliers=tuple(sorted(_multiplier_counts(fine).items())),
        generic_chain=any(g in w for w in words for g in _GENERIC_CHAIN_WORDS),
        carrier=tuple(
            sorted(
                {"CoA" for w in words if w in ("coa", "coenzyme")}
                | {"ACP" for w in words if w in ("acp", "carrier")}
            )
        ),
        sugar_family=tuple(
            sorted({m.group(1) for w in words if (m := _SUGAR_FAMILY.match(w)) is not None})
        ),
    )


def _show(values: Counter[str], upper: bool) -> str:
    items = sorted(values.elements(), key=lambda v: (len(v), v))
    return ",".join(v.upper() if upper else v for v in items)


def _compare(
    label: str,
    left: tuple[str, ...],
    right: tuple[str, ...],
    clashes: list[str],
    specific: list[str],
    *,
    upper: bool = False,
    one_sided: bool = True,
) -> None:
    """Append a clash when each side has a value the other lacks, else a
    specificity difference when only one side has extra values (and, unless
    ``one_sided``, the other side is not empty). Values are sorted tuples."""
    if left == right:
        return
    left_count, right_count = Counter(left), Counter(right)
    left_only = left_count - right_count
    right_only = right_count - left_count
    if left_only and right_only:
        clashes.append(f"{label} {_show(left_only, upper)}!={_show(right_only, upper)}")
    elif left_only and (one_sided or right):
        specific.append(f"{label} {_show(left_only, upper)} only in name1")
    elif right_only and (one_sided or left):
        specific.append(f"{label} {_show(right_only, upper)} only in name2")


def _stereo_pairs(
    left: tuple[tuple[str, str], ...], right: tuple[tuple[str, str], ...]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """R/S or E/Z descriptors, with locants when both sides give them all."""
    if all(locant for locant, _ in left + right):
        return tuple(loc + let for loc, let in left), tuple(loc + let for loc, let in right)
    return tuple(sorted(let for _, let in left)), tuple(sorted(let for _, let in right))


def _segments(name: object) -> list[str]:
    """A name, or its synonyms when it lists several ("Mesaconate;(E)-2-...")."""
    if not isinstance(name, str):
        return [""]
    if ";" not in name:
        return [name]
    parts = [part.strip() for part in name.split(";") if part.strip()]
    return parts or [name]


def _analyse(name1: str, name2: str) -> tuple[list[str], list[str]]:
    """Clashes and specificity differences; for names that list synonyms
    separated by ``;``, those of the best-agreeing pair of synonyms."""
    best: tuple[list[str], list[str]] | None = None
    for part1 in _segments(name1):
        for part2 in _segments(name2):
            result = _analyse_pair(part1, part2)
            if best is None or (len(result[0]), len(result[1])) < (len(best[0]), len(best[1])):
                best = result
    assert best is not None
    return best


_OPTICAL_SIGNS = {"dextro": "(+)", "levo": "(-)"}


def _analyse_pair(name1: str, name2: str) -> tuple[list[str], list[str]]:
    a = _features(name1)
    b = _features(name2)
    clashes: list[str] = []
    specific: list[str] = []
    if a == b:
        return clashes, specific
    _compare_descriptors(a, b, clashes, specific)
    if a.chains != b.chains:
        _compare_chains(a, b, clashes, specific)
    # Multipliers: compare the total count of each root both names use.
    if a.multipliers != b.multipliers:
        totals_a = dict(a.multipliers)
        totals_b = dict(b.multipliers)
        for root in sorted(set(totals_a) & set(totals_b)):
            if totals_a[root] != totals_b[root]:
                clashes.append(f"multiplier {root} {totals_a[root]}!={totals_b[root]}")
    return clashes, specific


def _compare_descriptors(a: _Features, b: _Features, clashes: list[str], specific: list[str]):
    """Stereo descriptors, numbers, omega, Greek letters, sugar families and carriers."""
    _compare("stereo", a.stereo_dl, b.stereo_dl, clashes, specific, upper=True)
    if a.rs or b.rs:
        _compare("R/S", *_stereo_pairs(a.rs, b.rs), clashes, specific, upper=True)
    if a.ez or b.ez:
        _compare("E/Z", *_stereo_pairs(a.ez, b.ez), clashes, specific, upper=True)
    _compare("cis/trans", a.cis_trans, b.cis_trans, clashes, specific)
    _compare("erythro/threo", a.erythro_threo, b.erythro_threo, clashes, specific)
    _compare("alpha/beta", a.anomeric, b.anomeric, clashes, specific)
    if a.optical != b.optical:
        _compare(
            "optical",
            tuple(_OPTICAL_SIGNS[v] for v in a.optical),
            tuple(_OPTICAL_SIGNS[v] for v in b.optical),
            clashes,
            specific,
        )
    _compare("number", a.numbers, b.numbers, clashes, specific, one_sided=False)
    _compare("omega", a.omega, b.omega, clashes, [])
    _compare("greek", a.greek, b.greek, clashes, [])
    if a.sugar_family and b.sugar_family:
        _compare("sugar", a.sugar_family, b.sugar_family, clashes, [])
    if a.carrier and b.carrier:
        _compare("carrier", a.carrier, b.carrier, clashes, [])


def _compare_chains(a: _Features, b: _Features, clashes: list[str], specific: list[str]):
    """Chain lengths first (as sets: "Palmitoyl-CoA (C16:0)" names the same chain
    twice), then double bonds for lengths both sides give."""
    lengths_a = tuple(sorted({str(n) for n, _ in a.chains}, key=int))
    lengths_b = tuple(sorted({str(n) for n, _ in b.chains}, key=int))
    chain_specific: list[str] = []
    _compare("chain", lengths_a, lengths_b, clashes, chain_specific)
    if chain_specific and (
        (lengths_a and lengths_b)
        or (a.generic_chain and not lengths_a)
        or (b.generic_chain and not lengths_b)
    ):
        specific.extend(chain_specific)
    for length in sorted(set(lengths_a) & set(lengths_b), key=int):
        bonds_a = {f"{length}:{d}" for n, d in a.chains if str(n) == length and d is not None}
        bonds_b = {f"{length}:{d}" for n, d in b.chains if str(n) == length and d is not None}
        if bonds_a - bonds_b and bonds_b - bonds_a:
            left = ",".join(sorted(bonds_a - bonds_b))
            right = ",".join(sorted(bonds_b - bonds_a))
            clashes.append(f"chain {left}!={right}")


def distinguishing_clash(name1: str, name2: str) -> list[str]:
    """Tokens that tell two compounds apart and differ between two names.

    A clash blocks automatic acceptance of a name match. Features compared
    (after :func:`cobra_metalign.normalize.prepare_name`):

    - ``stereo``: ``L``/``D`` (and ``LL``, ``DD``, ``meso``) before a word;
      ``DL`` counts as no descriptor;
    - ``R/S`` and ``E/Z``: in parentheses (``(R)``, ``(2R,3S)``, ``(7Z,10Z)``,
      ``24(S)``) or glued to a locant (``24R``, ``2E``), compared with their
      locants when both names give them all; ``(RS)`` counts as none;
    - ``cis/trans``, ``erythro/threo``, ``optical`` (``(+)``/``(-)``);
    - ``alpha/beta`` as stereo: before ``D``/``L`` or after a locant
      (``alpha-D-glucose``, ``3beta``, ``7-alpha``);
    - ``greek``: other Greek positions (``alpha-linolenate`` vs ``gamma-linolenate``);
    - ``number``: every number (locants, counts), as a set; primes count
      (``5'`` is not ``5``);
    - ``omega``: ``n-3``/``omega-6`` positions;
    - ``carrier``: the acyl carrier, CoA or ACP, when both names give one;
    - ``sugar``: the family of an oligosaccharide named by its linkage
      (``cellotetraose`` vs ``maltotetraose``, ``lactose`` vs ``maltose``), when
      both names give one; ``alpha``/``beta`` before a sugar word is an anomer;
    - ``chain``: acyl chain lengths from ``C16:0`` notation, systematic names
      (``hexadecanoate``, ``octadecenoyl``, ``eicosapentaenoate``) and trivial
      names (``palmitate``, ``stearoyl``, ``butyrate``...), and their double
      bonds when both names give them (``16:0`` vs ``16:1``);
    - ``multiplier``: ``mono``/``di``/``tri``/``bis``/``tetrakis``... before a
      root (``phosphate``, ``hydroxy``, ``acylglycerol``...), the bare root
      counting as one: ``monophosphate`` vs ``diphosphate``,
      ``1,6-bisphosphate`` vs ``6-phosphate``.

    For each feature, a clash needs each name to have a value the other lacks:
    ``2-`` vs ``3-`` is a clash; a descriptor present on one side only
    (``glucose`` vs ``alpha-D-glucose``) is not, see :func:`specificity_difference`.

    Parameters
    ----------
    name1, name2 : str
        Two metabolite names.

    Returns
    -------
    list of str
        Readable clashes such as ``"stereo L!=D"``, ``"number 2!=3"``,
        ``"chain 16!=18"``, ``"multiplier phosphate 1!=2"``; empty when none.

    Examples
    --------
    >>> distinguishing_clash("L-Alanine", "D-Alanine")
    ['stereo L!=D']
    >>> distinguishing_clash("glucose 6-phosphate", "glucose 1-phosphate")
    ['number 6!=1']
    >>> distinguishing_clash("D-Glucose", "alpha-D-glucose")
    []
    """
    return _analyse(name1, name2)[0]


def specificity_difference(name1: str, name2: str) -> list[str]:
    """Descriptors that one name has and the other lacks (generic vs specific).

    ``glucose`` vs ``alpha-D-glucose`` is no clash, but the pair should go to
    review rather than be merged. Reported: stereo-like features of
    :func:`distinguishing_clash` (``stereo``, ``R/S``, ``E/Z``, ``cis/trans``,
    ``erythro/threo``, ``alpha/beta``, ``optical``) present on one side only;
    numbers when both names have some and one has more (``1,2-diacylglycerol
    3-phosphate`` vs ``diacylglycerol 3-phosphate``); chain lengths against a
    generic chain word (``acyl-CoA`` vs ``palmitoyl-CoA``) or against other
    chain lengths. Features that clash are left to :func:`distinguishing_clash`.

    Parameters
    ----------
    name1, name2 : str
        Two metabolite names.

    Returns
    -------
    list of str
        Such as ``"stereo D only in name2"``, ``"alpha/beta alpha only in name2"``;
        empty when neither name is more specific.

    Examples
    --------
    >>> specificity_difference("glucose", "alpha-D-glucose")
    ['stereo D only in name2', 'alpha/beta alpha only in name2']
    >>> specificity_difference("L-Alanine", "D-Alanine")
    []
    """
    return _analyse(name1, name2)[1]
