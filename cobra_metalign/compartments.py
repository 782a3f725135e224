"""Metabolite ids and names: SBML escapes, compartment suffixes and tags.

Two pure functions feed the metabolite table (:func:`cobra_metalign.io.model.metabolite_table`):
:func:`split_id` separates a metabolite id into its base id and compartment, and
:func:`clean_name` removes compartment tags from a metabolite name. Both are
conservative: a false cut (``s_0001`` -> ``s``, ``Prostaglandin-c2`` ->
``Prostaglandin``) is worse than a tag left in place, because the matcher and the
name normalizer still see the rest.

Identifiers (:func:`split_id`)
------------------------------
1. **Whitespace** around the id is removed.
2. **``M_`` prefix**: removed when something follows it (cobra clips it when it
   reads SBML; JSON, YAML and MAT models may keep it). ``M_`` alone stays.
3. **SBML character codes** ``__NN__`` (``__91__`` ``[``, ``__93__`` ``]``,
   ``__45__`` ``-``, ``__40__`` ``(``...) are decoded for printable ASCII, as
   cobra's own SBML reader does. The old COBRA escapes ``_LSQBKT_c_RSQBKT_`` and
   ``_LPAREN_c_RPAREN_`` are decoded only as a compartment wrapper at the end.
   Other escape words (``glc_DASH_D``) are kept: they are part of old BiGG ids
   and the catalogue knows them as such.
4. **Leading underscore before a digit** is removed: SBML ids cannot start with
   a digit, so exporters wrote ``_4hphac`` for BiGG's ``4hphac``.
5. **Compartment suffix**: removed only when it names the metabolite's own
   compartment (see *aliases* below), in one of the forms ``_c``, ``[c]``,
   ``(c)`` (after decoding also ``__91__c__93__``) and, only when the
   compartment attribute is set, ``-c``. One suffix at most is removed, and never
   the whole id. An id whose suffix names another compartment keeps it
   (``ac_b`` in compartment ``e`` stays ``ac_b``: a boundary copy is not the
   extracellular metabolite).
6. **Glued suffix** (Human-GEM ``MAM00001c``): when the compartment attribute is
   set and the id ends with it with no separator, the suffix is removed only if
   what remains is an opaque accession, letters then at least four digits
   (``MAM00001``, ``cpd00027``, ``C00031``), and the compartment starts with a
   letter. BiGG-style ids are never cut that way: ``glyc3p`` in compartment
   ``p`` stays ``glyc3p``.
7. **Missing compartment**: when the compartment attribute is empty, the suffix
   (forms ``_c``, ``[c]``, ``(c)`` only) is removed when it is an alias of one of
   the model's compartments, and that compartment is returned. Without a match the
   id is returned whole with compartment ``""``.

*Aliases* of a compartment id ``X`` (case-sensitive):
``X`` itself; ``X`` without the ``C_`` prefix cobra leaves on SBML compartment
ids (``C_c`` -> ``c``); the BiGG code of a spelled-out compartment id
(``Cytosol`` -> ``c``, ``Extra_organism`` -> ``e``, see
:data:`COMPARTMENT_WORDS`); and the ModelSEED index ``0`` added or removed
(``c`` <-> ``c0``).

Names (:func:`clean_name`)
--------------------------
At most one tag is removed, at the end of the name only, and never the whole
name (a name that is nothing but a tag is returned unchanged, stripped).
Whitespace and underscores left before the tag go with it.

N1. **Legacy mangled names** from old COBRA exports, ``M_<name>_<formula>``
    (iMM904: ``M_L_Tryptophan_C11H12N2O2``): the ``M_`` prefix and the trailing
    formula are removed (``L_Tryptophan``). Applies only to names that start with
    ``M_``; the formula must consist of element symbols (``R`` and ``X`` allowed).
N2. **Leading underscore before a digit** (``_10-Formyltetrahydrofolate``, an
    artifact of SBML ids used as names) is removed.
N3. **Spelled-out compartment in brackets or parentheses**:
    ``glucose [cytosol]``, ``glucose (in cytosol)``, ``glucose (extracellular)``,
    ``[extracellular space]``; any word of :data:`COMPARTMENT_WORDS`,
    case-insensitive, ``_``/``-`` read as spaces, optional ``in``/``in the``.
N4. **Compartment code in square brackets**: ``H2O [c]``, ``glucose[e]``,
    ``Ubiquinone-8[i]``, ``[c0]``: a lower-case code of :data:`COMPARTMENT_CODES`
    with an optional index ``0``, or any alias of the metabolite's compartment.
N5. **Compartment code in parentheses**: ``glucose (c0)``; only with index
    ``0`` or as an alias of the metabolite's own compartment (``(c)`` with
    compartment ``c``): ``(n)`` and ``(A)`` are often chemistry.
N6. **Indexed code after ``_`` or ``-``**: ``ATP_c0``, ``CO2-c0``,
    ``D-Glucose-e0``, ``H_plus__c0``; a code of :data:`COMPARTMENT_CODES`
    with the index ``0`` only (``Prostaglandin-c2`` is prostaglandin C2), or an
    alias of the metabolite's own compartment (``Menaquinol_8_i1`` in ``i1``).
    ModelSEED boundary copies ``X_c0_b`` lose both tags.
N7. **Bare code after ``_`` or ``-``**: ``ATP_c``, ``glucose-e``; only when it
    is an alias of the metabolite's own compartment, and not after
    ``cytochrome``, ``vitamin``, ``coenzyme`` or ``factor`` (``Cytochrome-c``).

Nothing else is touched: ``Vitamin B12``, ``2-Oxoglutarate``,
``acyl-[acyl-carrier protein]``, ``[protein]-L-lysine``, ``Fe2+``,
``PE-c18:1`` come back as they are.
"""

from __future__ import annotations

import functools
import logging
import re
from collections import Counter
from collections.abc import Collection, Iterable

logger = logging.getLogger(__name__)

__all__ = [
    "COMPARTMENT_CODES",
    "COMPARTMENT_WORDS",
    "compartment_aliases",
    "compartment_code",
    "decode_sbml_id",
    "split_id",
    "suffix_convention",
    "clean_name",
]

#: BiGG-style one-letter compartment codes recognised in names without context.
COMPARTMENT_CODES: dict[str, str] = {
    "c": "cytosol",
    "e": "extracellular space",
    "p": "periplasm",
    "m": "mitochondria",
    "n": "nucleus",
    "x": "peroxisome/glyoxysome",
    "r": "endoplasmic reticulum",
    "g": "golgi apparatus",
    "l": "lysosome",
    "v": "vacuole",
    "h": "chloroplast",
    "u": "thylakoid",
    "i": "inner mitochondrial compartment",
    "w": "cell wall",
    "s": "eyespot",
    "b": "boundary",
}

#: Spelled-out compartments (lower case, single spaces) and their BiGG code.
COMPARTMENT_WORDS: dict[str, str] = {
    "cytosol": "c",
    "cytoplasm": "c",
    "cytosolic": "c",
    "cytoplasmic": "c",
    "extracellular": "e",
    "extracellular space": "e",
    "extracellular region": "e",
    "extracellular medium": "e",
    "extra organism": "e",
    "extraorganism": "e",
    "external": "e",
    "periplasm": "p",
    "periplasmic": "p",
    "periplasmic space": "p",
    "mitochondria": "m",
    "mitochondrion": "m",
    "mitochondrial": "m",
    "mitochondrial matrix": "m",
    "mitochondrial intermembrane space": "i",
    "intermembrane space": "i",
    "inner mitochondria": "i",
    "inner mitochondrial compartment": "i",
    "nucleus": "n",
    "nuclear": "n",
    "peroxisome": "x",
    "peroxisomal": "x",
    "glyoxysome": "x",
    "peroxisome glyoxysome": "x",
    "peroxisome/glyoxysome": "x",
    "endoplasmic reticulum": "r",
    "golgi": "g",
    "golgi apparatus": "g",
    "lysosome": "l",
    "lysosomal": "l",
    "vacuole": "v",
    "vacuolar": "v",
    "chloroplast": "h",
    "thylakoid": "u",
    "cell wall": "w",
    "eyespot": "s",
    "boundary": "b",
}

# ----------------------------------------------------------------- helpers

_SBML_CODE = re.compile(r"__(\d{2,3})__")
_OLD_WRAPPER = re.compile(r"_(LSQBKT|LPAREN)_([A-Za-z0-9]+)_(RSQBKT|RPAREN)_$")
_LEADING_UNDERSCORE = re.compile(r"^_+(?=\d)")
_ACCESSION = re.compile(r"[A-Za-z]+\d{4,}")
_WORD_SEPARATORS = re.compile(r"[\s_\-]+")
_INDEX = re.compile(r"^(.*?)\s*(\d)$")

_ELEMENTS = frozenset(
    """H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu
    Zn Ga Ge As Se Br Kr Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba
    La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi
    Po At Rn Fr Ra Ac Th Pa U Np Pu Am Cm Bk Cf Es Fm Md No Lr R X""".split()
)
_FORMULA = re.compile(r"(?:[A-Z][a-z]?\d*)+")
_FORMULA_PART = re.compile(r"([A-Z][a-z]?)(\d*)")

# Name tags.
_BRACKET_TAIL = re.compile(r"[\s_]*\[([^\[\]]+)\]$")
_PAREN_TAIL = re.compile(r"[\s_]*\(([^()]+)\)$")
_SEPARATED_TAIL = re.compile(r"([_\-])([A-Za-z][A-Za-z0-9]{0,3})$")
_SEED_BOUNDARY_TAIL = re.compile(r"[_\-]([a-z])0_b$")
_GENERIC_BRACKET_CODE = re.compile(rf"[{''.join(COMPARTMENT_CODES)}]0?")
_GENERIC_INDEXED_CODE = re.compile(rf"[{''.join(COMPARTMENT_CODES)}]0")
_GUARD_WORDS = ("cytochrome", "vitamin", "coenzyme", "factor")


def _word_key(text: str) -> str:
    """Lower-case ``text`` with ``_``, ``-`` and whitespace runs read as one space."""
    return _WORD_SEPARATORS.sub(" ", text).strip().lower()


def compartment_code(text: str | None) -> str | None:
    """Return the BiGG code of a spelled-out compartment, or None.

    Parameters
    ----------
    text : str
        A compartment id or name such as ``Cytosol``, ``Extra_organism``,
        ``extracellular space``, ``in cytosol`` or ``Cytosol_0`` (a trailing
        index is kept: ``c0``).

    Returns
    -------
    str or None

    Examples
    --------
    >>> compartment_code("Extra_organism")
    'e'
    >>> compartment_code("Cytosol_0")
    'c0'
    >>> compartment_code("acyl-carrier protein") is None
    True
    """
    if not text:
        return None
    key = _word_key(str(text))
    if key.startswith("in the "):
        key = key[7:]
    elif key.startswith("in "):
        key = key[3:]
    code = COMPARTMENT_WORDS.get(key)
    if code is not None:
        return code
    match = _INDEX.match(key)
    if match and match.group(1) in COMPARTMENT_WORDS:
        return COMPARTMENT_WORDS[match.group(1)] + match.group(2)
    return None


@functools.lru_cache(maxsize=4096)
def compartment_aliases(compartment: str | None) -> frozenset[str]:
    """Return the suffix tokens that name ``compartment`` in ids and names.

    Parameters
    ----------
    compartment : str
        A compartment id as cobra stores it (``c``, ``c0``, ``C_c``, ``Cytosol``).

    Returns
    -------
    frozenset of str
        The id itself, without a ``C_`` prefix, the BiGG code of a spelled-out
        compartment, each with the ModelSEED index ``0`` added or removed.
        Empty for an empty compartment.

    Examples
    --------
    >>> sorted(compartment_aliases("C_c"))
    ['C_c', 'c', 'c0']
    >>> sorted(compartment_aliases("Extra_organism"))
    ['Extra_organism', 'e', 'e0']
    """
    if not compartment or not str(compartment).strip():
        return frozenset()
    compartment = str(compartment).strip()
    base = {compartment}
    if compartment.startswith("C_") and len(compartment) > 2:
        base.add(compartment[2:])
    for item in list(base):
        code = compartment_code(item)
        if code:
            base.add(code)
    aliases = set(base)
    for item in base:
        if item.endswith("0") and len(item) > 1 and item[:-1].isalpha():
            aliases.add(item[:-1])
        elif item.isalpha() and len(item) <= 3:
            aliases.add(item + "0")
    return frozenset(aliases)


def _decode_code(match: re.Match[str]) -> str:
    code = int(match.group(1))
    return chr(code) if 32 <= code < 127 else match.group(0)


def decode_sbml_id(met_id: str) -> str:
    """Undo SBML id mangling: ``M_`` prefix, ``__NN__`` codes, leading ``_``.

    Parameters
    ----------
    met_id : str
        A metabolite id as found in a model (``M_glc__D_c``,
        ``M_10fthf__91__c__93__``, ``_4hphac_c``).

    Returns
    -------
    str
        The id with rules 1-4 of the module documentation applied; the
        compartment suffix is still there.

    Examples
    --------
    >>> decode_sbml_id("M_10fthf__91__c__93__")
    '10fthf[c]'
    >>> decode_sbml_id("M__4hphac_c")
    '4hphac_c'
    >>> decode_sbml_id("glc__D_c")
    'glc__D_c'
    """
    text = str(met_id).strip()
    if text.startswith("M_") and len(text) > 2:
        text = text[2:]
    if "__" in text:
        text = _SBML_CODE.sub(_decode_code, text)
    if text.endswith("_"):
        match = _OLD_WRAPPER.search(text)
        if match and (match.group(1), match.group(3)) in {
            ("LSQBKT", "RSQBKT"),
            ("LPAREN", "RPAREN"),
        }:
            opening, closing = ("[", "]") if match.group(1) == "LSQBKT" else ("(", ")")
            text = f"{text[: match.start()]}{opening}{match.group(2)}{closing}"
    if text.startswith("_"):
        stripped = _LEADING_UNDERSCORE.sub("", text)
        if stripped:
            text = stripped
    return text


def _suffix_token(text: str, dash: bool) -> list[tuple[str, str]]:
    """Return ``(remainder, token)`` pairs for each separated suffix form of ``text``."""
    found: list[tuple[str, str]] = []
    last = text[-1:]
    if last == "]":
        opening = text.rfind("[")
        if opening > 0:
            found.append((text[:opening], text[opening + 1 : -1]))
    elif last == ")":
        opening = text.rfind("(")
        if opening > 0:
            found.append((text[:opening], text[opening + 1 : -1]))
    else:
        separators = "_-" if dash else "_"
        for position in range(len(text) - 2, 0, -1):
            if text[position] in separators:
                found.append((text[:position], text[position + 1 :]))
    return found


def split_id(
    met_id: str, compartment: str | None, compartments: Collection[str] = ()
) -> tuple[str, str]:
    """Split a metabolite id into its base id and its compartment.

    The rules are listed in the module documentation; in short, SBML escapes
    and the ``M_`` prefix go, and a compartment suffix is removed only when it
    names the metabolite's own compartment (or, without one, a compartment of
    the model). Ids are never cut at arbitrary underscores.

    Parameters
    ----------
    met_id : str
        The metabolite id (``glc__D_c``, ``M_glc__D_c``, ``cpd00027_c0``,
        ``glc-D[c]``, ``MAM00001c``).
    compartment : str or None
        The metabolite's compartment attribute. When empty, the compartment is
        inferred from the suffix.
    compartments : collection of str, optional
        The model's compartment ids, used only when ``compartment`` is empty.

    Returns
    -------
    tuple of (str, str)
        ``(base_id, compartment)``: the compartment attribute when present, else
        the inferred compartment id, else ``""``.

    Examples
    --------
    >>> split_id("glc__D_c", "c")
    ('glc__D', 'c')
    >>> split_id("s_0001", "c")
    ('s_0001', 'c')
    >>> split_id("cpd00027_c0", "c0")
    ('cpd00027', 'c0')
    >>> split_id("M_10fthf__91__c__93__", "c")
    ('10fthf', 'c')
    >>> split_id("MAM00001c", "c")
    ('MAM00001', 'c')
    >>> split_id("12methedec_e", None, ["c", "e"])
    ('12methedec', 'e')
    """
    base = decode_sbml_id(met_id)
    own = str(compartment).strip() if compartment is not None else ""
    if not base:
        return base, own
    if own:
        return _strip_own_compartment(base, own), own
    return _infer_compartment(base, compartments)


def _strip_own_compartment(base: str, own: str) -> str:
    """``base`` without a suffix naming its own compartment ``own`` (``_c``, ``[c]``, ``c``
    glued to an accession such as ``MAM00001c``)."""
    aliases = compartment_aliases(own)
    for remainder, token in _suffix_token(base, dash=True):
        if token in aliases and remainder:
            return remainder
    for alias in sorted(aliases, key=len, reverse=True):
        if (
            alias[0].isalpha()
            and base.endswith(alias)
            and _ACCESSION.fullmatch(base[: -len(alias)])
        ):
            return base[: -len(alias)]
    return base


def _infer_compartment(base: str, compartments: Collection[str]) -> tuple[str, str]:
    """Base id and compartment from a suffix naming one of the model's compartments."""
    lookup: dict[str, str] = {}
    for candidate in sorted(str(c) for c in compartments if c and str(c).strip()):
        for alias in compartment_aliases(candidate):
            lookup.setdefault(alias, candidate)
    for remainder, token in _suffix_token(base, dash=False):
        if token in lookup and remainder:
            return remainder, lookup[token]
    return base, ""


_PLAIN_COMPARTMENT = re.compile(r"[a-z]{1,2}\d?")


def _suffix_form(met_id: str, compartment: str) -> str | None:
    """The suffix ``met_id`` uses for ``compartment`` as ``_token``; None when it has none."""
    decoded = decode_sbml_id(met_id)
    base, _ = split_id(met_id, compartment)
    if base == decoded or not decoded.startswith(base):
        return None
    tail = decoded[len(base) :]
    if tail.startswith("_"):
        return tail
    token = tail.strip("[]()-")
    return f"_{token}" if token else None


def suffix_convention(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The id suffix a model uses for each of its compartments.

    A renamed metabolite keeps the convention of its model: ``_c`` stays ``_c``
    even when the compartment id is ``C_c`` (CarveMe, BiGG SBML) or ``Cytosol``;
    ``_c0`` stays ``_c0`` (ModelSEED). A compartment whose id is itself a short
    code (one or two lower-case letters and an optional digit: ``c``, ``c0``,
    ``im``) is its own suffix, so that ids follow a harmonized compartment
    (``c0`` -> ``c``). For other compartments the most common suffix of their
    metabolites wins (ties: the shortest, then alphabetical), bracket forms
    (``[c]``, ``(c)``) and ``-c`` becoming ``_c``; a compartment none of whose
    metabolites carries a suffix gets ``_`` and its id without a ``C_`` prefix.

    Parameters
    ----------
    pairs : iterable of (str, str)
        ``(metabolite id, compartment id)`` for every metabolite of the model.

    Returns
    -------
    dict
        ``{compartment id: suffix}`` for every compartment named in ``pairs``.

    Examples
    --------
    >>> suffix_convention([("glc__D_c", "C_c"), ("h2o_c", "C_c")])
    {'C_c': '_c'}
    >>> suffix_convention([("cpd00027_c0", "c0"), ("nosuffix", "e")])
    {'c0': '_c0', 'e': '_e'}
    """
    counts: dict[str, Counter[str]] = {}
    for met_id, compartment in pairs:
        if not compartment:
            continue
        found = counts.setdefault(compartment, Counter())
        form = _suffix_form(str(met_id), compartment)
        if form is not None:
            found[form] += 1
    result = {}
    for compartment, found in counts.items():
        if _PLAIN_COMPARTMENT.fullmatch(compartment):
            # a BiGG/ModelSEED-style id is its own suffix (also after c0 -> c harmonization)
            result[compartment] = "_" + compartment
        elif found:
            result[compartment] = min(found, key=lambda s: (-found[s], len(s), s))
        elif compartment.startswith("C_") and len(compartment) > 2:
            result[compartment] = "_" + compartment[2:]
        else:
            result[compartment] = "_" + compartment
    return result


# ------------------------------------------------------------------- names


def _is_formula(token: str) -> bool:
    if not _FORMULA.fullmatch(token):
        return False
    return all(symbol in _ELEMENTS for symbol, _ in _FORMULA_PART.findall(token))


def _unmangle(text: str) -> str:
    """Rule N1: ``M_L_Tryptophan_C11H12N2O2`` -> ``L_Tryptophan``."""
    if not text.startswith("M_") or len(text) < 3:
        return text
    body = text[2:]
    head, separator, tail = body.rpartition("_")
    if separator and head.strip("_") and _is_formula(tail):
        body = head.rstrip("_")
    return body or text


def _after_guard_word(head: str) -> bool:
    words = re.findall(r"[A-Za-z]+", head)
    return bool(words) and words[-1].lower().endswith(_GUARD_WORDS)


def _strip_name_tag(text: str, own: frozenset[str]) -> str:
    """Remove one compartment tag (rules N3-N7) from the end of ``text``."""
    last = text[-1]
    if last in "])":
        match = (_BRACKET_TAIL if last == "]" else _PAREN_TAIL).search(text)
        if match and match.start() > 0:
            token = match.group(1).strip()
            if compartment_code(token) is not None:
                return text[: match.start()]
            generic = _GENERIC_BRACKET_CODE if last == "]" else _GENERIC_INDEXED_CODE
            if token in own or generic.fullmatch(token):
                return text[: match.start()]
        return text
    match = _SEED_BOUNDARY_TAIL.search(text)
    if match and match.start() > 0:
        return text[: match.start()]
    match = _SEPARATED_TAIL.search(text)
    if match and match.start() > 0:
        token = match.group(2)
        head = text[: match.start()]
        if _GENERIC_INDEXED_CODE.fullmatch(token):
            return head
        if token in own and not (token.isalpha() and _after_guard_word(head)):
            return head
    return text


def clean_name(name: str | None, compartment: str | None = None) -> str:
    """Remove compartment tags (and legacy id mangling) from a metabolite name.

    The rules N1-N7 are listed in the module documentation. At most one
    compartment tag is removed, at the end only, and never the whole name.

    Parameters
    ----------
    name : str
        The metabolite name as found in the model.
    compartment : str, optional
        The metabolite's compartment id; its aliases are accepted as tags that
        would otherwise be too ambiguous to strip (``ATP_c`` in ``c``).

    Returns
    -------
    str
        The cleaned name, stripped of surrounding whitespace; ``""`` for a
        missing name.

    Examples
    --------
    >>> clean_name("D-Glucose-e0")
    'D-Glucose'
    >>> clean_name("glucose (in cytosol)")
    'glucose'
    >>> clean_name("acyl-[acyl-carrier protein]")
    'acyl-[acyl-carrier protein]'
    >>> clean_name("ATP_c", "c")
    'ATP'
    """
    if name is None:
        return ""
    text = str(name).strip()
    if not text:
        return ""
    text = _unmangle(text)
    if text.startswith("_"):
        text = _LEADING_UNDERSCORE.sub("", text) or text
    own = compartment_aliases(compartment) if compartment else frozenset()
    stripped = _strip_name_tag(text, own)
    if stripped != text:
        stripped = stripped.rstrip(" _\t")
    return stripped if stripped else text
