"""Normalization of metabolite names and identifiers.

Pure, fast functions: the catalogue runs :func:`normalize_name` on about
100,000 names when it loads, so every regular expression is compiled once and
most rules are skipped by a cheap substring test.

Names
-----
:func:`normalize_name` returns the key under which two names of the same
compound compare equal. The rules, in the order they apply:

1. **Unicode**: NFKC; accents and other combining marks dropped; typographic
   dashes and the minus sign become ``-``, primes and curly quotes ``'``.
2. **BiGG escape words** left in names by BiGG's own exports (``A DASH D DASH
   glucose``) become the character they stand for.
3. **Decorations at the end** are removed, repeatedly, never leaving an empty
   name: compartment tags (``[c]``, ``[c0]``, ``[cytosol]``, ``(in cytosol)``,
   ``(extracellular)``, ``_c0``, ``-e0``, ``_c``), a lone compartment letter
   after a space as in BiGG's ``Ebastine c`` (``c e g l p r`` only, and not
   after ``vitamin``, ``coenzyme``, ``...cytochrome``...), and a trailing
   molecular formula as in BiGG's ``Maltose C12H22O11`` (Hill-style, starting
   with ``C``, at least two element symbols and a digit).
4. **Small ions** (a single element, or a case-correct formula, followed by a
   charge) keep their charge, written out: ``Fe2+``, ``Fe+2``, ``Fe(2+)``,
   ``iron(II)`` and ``iron(2+)`` are all ``fe2plus``; ``Na+`` is ``naplus``;
   ``HCO3-`` and ``HCO3(1-)`` are ``hco3minus``. Charge matters there
   (Fe2+ is not Fe3+, O2- is not O2).
5. **Charge tags** at the end of other names are dropped: ``(1-)``, ``(4-)``,
   ``(+)``, ``(-)``, a bare ``+`` (``NADP+`` is ``nadp``); so is a trailing
   word ``ion``/``anion``/``cation`` unless the rest is an element name
   (``hydrogen ion`` is not ``hydrogen``).
6. **Case**: lower-cased.
7. **Greek letters** are spelled out (``α`` -> ``alpha``, ``β`` -> ``beta``,
   ``γ`` -> ``gamma``, ``δ``/``Δ`` -> ``delta``, ``ω`` -> ``omega``...), so
   ``α-D-glucose`` equals ``alpha-D-glucose``; a single ``a``/``b`` before a
   ``D``/``L`` descriptor is the abbreviation of alpha/beta (``a-D-glucose``).
8. **Coenzyme A**: ``coenzyme A``, ``coenzyme-A``, ``co-A``, ``Co A`` -> ``coa``.
9. **Spelling**: ``sulph`` -> ``sulf``; the word ``THF`` -> ``tetrahydrofolate``
   (``5-methyl-THF``), and ``-PP``/``-PPP`` ending a name -> ``diphosphate``/
   ``triphosphate`` (``farnesyl-PP`` == ``farnesyl diphosphate``).
10. **Acid and anion**: ``X-ic acid`` -> ``X-ate`` (``pyruvic acid`` ==
    ``pyruvate``), ``X-ous acid`` -> ``X-ite`` (``nitrous acid`` == ``nitrite``);
    ``phosphoric``/``sulfuric`` acid -> ``phosphate``/``sulfate``,
    ``phosphorous``/``sulfurous`` acid -> ``phosphite``/``sulfite``.
11. **Optical rotation** prefixes are kept as words: ``(+)`` -> ``dextro``,
    ``(-)`` -> ``levo``, ``(±)``/``(+/-)`` -> ``racemic``.
12. **Delimiters** (everything that is not a letter or a digit: spaces, ``-``,
    ``_``, ``,``, brackets, apostrophes, primes...) are removed, so ``D-Glucose``,
    ``d glucose`` and ``D_glucose`` are equal.

Stereo descriptors (``L-``/``D-``, ``R``/``S``, ``cis``/``trans``), numbers and
positions are never dropped: ``L-alanine`` and ``D-alanine`` stay different.
The key is idempotent: ``normalize_name(normalize_name(x)) == normalize_name(x)``.

Identifiers
-----------
:func:`normalize_bigg_id` proposes BiGG ids for an id already stripped of its
compartment (old BiGG styles ``glc_DASH_D``, VMH's ``12ppd_R``...).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "ELEMENT_SYMBOLS",
    "ELEMENT_NAMES",
    "baseline_name_key",
    "name_tokens",
    "normalize_bigg_id",
    "normalize_name",
    "prepare_name",
]

# ---------------------------------------------------------------------------
# Elements (used here for ion names and trailing formulas, and by chem.py)
# ---------------------------------------------------------------------------

#: Symbols of the 118 elements.
ELEMENT_SYMBOLS: frozenset[str] = frozenset(
    """H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn
    Ga Ge As Se Br Kr Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr
    Nd Pm Sm Eu Gd Tb Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra
    Ac Th Pa U Np Pu Am Cm Bk Cf Es Fm Md No Lr Rf Db Sg Bh Hs Mt Ds Rg Cn Nh Fl Mc Lv Ts
    Og""".split()
)

#: English names of the elements that occur as free ions in metabolic models,
#: mapped to their symbols.
ELEMENT_NAMES: dict[str, str] = {
    "hydrogen": "H",
    "lithium": "Li",
    "sodium": "Na",
    "potassium": "K",
    "rubidium": "Rb",
    "caesium": "Cs",
    "cesium": "Cs",
    "magnesium": "Mg",
    "calcium": "Ca",
    "strontium": "Sr",
    "barium": "Ba",
    "aluminium": "Al",
    "aluminum": "Al",
    "chromium": "Cr",
    "manganese": "Mn",
    "iron": "Fe",
    "cobalt": "Co",
    "nickel": "Ni",
    "copper": "Cu",
    "zinc": "Zn",
    "molybdenum": "Mo",
    "tungsten": "W",
    "cadmium": "Cd",
    "mercury": "Hg",
    "lead": "Pb",
    "silver": "Ag",
    "gold": "Au",
    "tin": "Sn",
    "vanadium": "V",
    "selenium": "Se",
    "arsenic": "As",
    "uranium": "U",
    "chlorine": "Cl",
    "bromine": "Br",
    "iodine": "I",
    "fluorine": "F",
    "oxygen": "O",
    "sulfur": "S",
    "nitrogen": "N",
}

_SYMBOLS_LOWER: dict[str, str] = {s.lower(): s for s in ELEMENT_SYMBOLS}

# ---------------------------------------------------------------------------
# Character-level tables
# ---------------------------------------------------------------------------

# Greek letters (lower case; NFKC has already turned variant forms such as
# the micro sign or the curly phi into these), spelled out with spaces around
# so that they form their own token.
_GREEK = {
    "α": "alpha",
    "β": "beta",
    "γ": "gamma",
    "δ": "delta",
    "ε": "epsilon",
    "ζ": "zeta",
    "η": "eta",
    "θ": "theta",
    "ι": "iota",
    "κ": "kappa",
    "λ": "lambda",
    "μ": "mu",
    "ν": "nu",
    "ξ": "xi",
    "ο": "omicron",
    "π": "pi",
    "ρ": "rho",
    "σ": "sigma",
    "ς": "sigma",
    "τ": "tau",
    "υ": "upsilon",
    "φ": "phi",
    "χ": "chi",
    "ψ": "psi",
    "ω": "omega",
}
_GREEK_TABLE = str.maketrans({k: f" {v} " for k, v in _GREEK.items()})

# Typographic characters with an ASCII meaning (applied after NFKC).
_PUNCT_TABLE = str.maketrans(
    {
        "\u2010": "-",  # hyphen
        "\u2011": "-",  # non-breaking hyphen
        "\u2012": "-",  # figure dash
        "\u2013": "-",  # en dash
        "\u2014": "-",  # em dash
        "\u2015": "-",  # horizontal bar
        "\u2212": "-",  # minus sign
        "\u2032": "'",  # prime
        "\u2033": "''",  # double prime
        "\u2034": "'''",  # triple prime
        "\u2035": "'",  # reversed prime
        "\u2018": "'",  # left single quote
        "\u2019": "'",  # right single quote
        "\u02b9": "'",  # modifier prime
        "\u00b4": "'",  # acute accent
        "`": "'",
    }
)

#: Everything that is not a letter or a digit (of any script).
_NON_ALNUM = re.compile(r"[\W_]+")
_BASELINE_STRIP = re.compile(r"[^0-9a-z]+")
_TOKEN = re.compile(r"[^\W\d_]+|\d+")

# ---------------------------------------------------------------------------
# Compartments (a small private version for tags at the end of a name only)
# ---------------------------------------------------------------------------

_COMPARTMENT_NAMES = frozenset(
    {
        "cytosol",
        "cytoplasm",
        "cytoplasmic",
        "extracellular",
        "extracellular space",
        "extracellular region",
        "extracellular medium",
        "external",
        "extra-organism",
        "environment",
        "boundary",
        "periplasm",
        "periplasmic",
        "periplasmic space",
        "mitochondrion",
        "mitochondria",
        "mitochondrial",
        "mitochondrial matrix",
        "mitochondrial inner membrane",
        "mitochondrial intermembrane space",
        "mitochondrial membrane",
        "nucleus",
        "nuclear",
        "peroxisome",
        "peroxisomal",
        "glyoxysome",
        "endoplasmic reticulum",
        "endoplasmic reticulum membrane",
        "golgi",
        "golgi apparatus",
        "golgi membrane",
        "lysosome",
        "lysosomal",
        "vacuole",
        "vacuolar",
        "chloroplast",
        "plastid",
        "thylakoid",
        "thylakoid membrane",
        "thylakoid lumen",
        "eyespot",
        "eyespot apparatus",
        "cilium",
        "flagellum",
        "cell wall",
        "cell envelope",
        "membrane",
        "plasma membrane",
        "cell membrane",
        "inner membrane",
        "outer membrane",
        "intermembrane space",
        "cytochrome complex",
        "carboxysome",
        "acidocalcisome",
        "apicoplast",
        "glycosome",
        "hydrogenosome",
        "none",
    }
)
# Compartment codes used in brackets, with an optional digit ("[c]", "[e0]").
# "a", "b" and "d" are left out: "chlorophyll [a]"-like names exist.
_CODE_LETTERS = "cefghiklmnoprstuvwxyz"
_CODE_2 = "im|cx|um|cm|mm|ce|en|ex|gm|lm|mi|om|pm|rm|vm|xm"
_BRACKET_CODE = re.compile(rf"(?:[{_CODE_LETTERS}]|{_CODE_2})\d{{0,2}}", re.IGNORECASE)
_PAREN_CODE = re.compile(rf"(?:[{_CODE_LETTERS}]|{_CODE_2})\d{{0,2}}")
# "_c0", "_c", "_im1" and "-e0" (ModelSEED/gapseq); lower case only. A hyphen
# takes the digit 0 only: "prostaglandin-c2" is not in compartment c2.
_SUFFIX_CODE = re.compile(
    rf"(?:-(?:[{_CODE_LETTERS}]|{_CODE_2})0|_(?:[{_CODE_LETTERS}]|{_CODE_2})\d{{0,2}})$"
)
# A lone compartment letter after a space (BiGG's "Ebastine c").
_SPACE_LETTERS = frozenset("ceglpr")
# Not after these words, whatever comes before them ("Ferricytochrome c", "vitamin e").
_SPACE_LETTER_GUARD = ("vitamin", "coenzyme", "cytochrome", "factor", "complex", "protein")

# Trailing formula ("Maltose C12H22O11", "L-Glutamate C5H8NO4R").
_FORMULA_TOKEN = re.compile(r"C(?:[A-Z][a-z]?\d*|\d+)+")
_FORMULA_PART = re.compile(r"([A-Z][a-z]?)(\d*)")

# BiGG escape words in names ("A DASH D DASH glucose c").
_ESCAPE_CHARS: dict[str, str] = {
    "DASH": "-",
    "FSLASH": "/",
    "SLASH": "/",
    "BSLASH": " ",
    "LPAREN": "(",
    "RPAREN": ")",
    "LSQBKT": "[",
    "RSQBKT": "]",
    "LCURLY": "{",
    "RCURLY": "}",
    "COMMA": ",",
    "SPACE": " ",
    "APOS": "'",
    "COLON": ":",
    "SEMICOLON": ";",
    "PERIOD": ".",
    "PLUS": "+",
}
_UPPER_RUN = re.compile(r"[A-Z]{4}")
_ESCAPE_WORD = re.compile(
    r"(?<![A-Za-z])(" + "|".join(sorted(_ESCAPE_CHARS, key=len, reverse=True)) + r")(?![A-Za-z])"
)

# Charge tags at the end of organic names: "(1-)", "(4-)", "(+)", "(-)", "(+2)", "+".
_CHARGE_TAIL = re.compile(r"\s*(?:\(\s*(?:\d*\s*[+-]|[+-]\s*\d*)\s*\)|\++)$")
_ION_WORD_TAIL = re.compile(r"[\s_-]+(?:ion|anion|cation)$", re.IGNORECASE)

# Small ions: base (element symbol, element name or case-correct formula) + charge.
_ION = re.compile(
    r"(?P<base>[A-Za-z][A-Za-z0-9]*?)\s*"
    r"(?:\(\s*(?:(?P<n1>\d+)\s*(?P<s1>[+-])|(?P<s2>[+-])\s*(?P<n2>\d*)|(?P<rom>[IVX]+|[ivx]+))\s*\)"
    r"|(?P<n3>\d+)(?P<s3>[+-])|(?P<s4>[+-])(?P<n4>\d+)|(?P<s5>\+{1,3}|-{1,3}))"
)
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7}

# Token rules on the lower-cased text (delimiters still present).
_AB_DL = re.compile(r"(?<![^\W_])([ab])[\s_-]+([dl])(?=[\s_-])")
_AB_DL_MARKERS = ("-d", " d", "_d", "-l", " l", "_l")
_CO_A_MARKERS = ("co-", "co ", "co_", "co(", "co[", "co,", "co'")
_COENZYME_A = re.compile(r"coenzyme[\W_]*a(?![^\W_])")
_CO_A = re.compile(r"(?<![^\W_])co[\W_]+a(?![^\W_])")
_SPECIAL_ACIDS = re.compile(
    r"(?<![^\W_])(phosphoric|sulfuric|phosphorous|sulfurous)[\W_]+acids?(?![^\W_])"
)
_SPECIAL_ACID_REPLACEMENT = {
    "phosphoric": "phosphate",
    "sulfuric": "sulfate",
    "phosphorous": "phosphite",
    "sulfurous": "sulfite",
}
_IC_ACID = re.compile(r"(?<=[^\W\d_])ic[\W_]+acids?(?![^\W_])")
_OUS_ACID = re.compile(r"(?<=[^\W\d_])ous[\W_]+acids?(?![^\W_])")
#: "Trans7,10-hexadecadienoyl": a cis/trans descriptor glued to the locants that follow.
_GLUED_CIS_TRANS = re.compile(r"(?<![^\W\d_])(cis|trans)(?=\d)")
#: "THF" as a word is tetrahydrofolate in metabolic models ("5-methyl-THF", "10-formyl-THF").
_THF = re.compile(r"(?<![^\W_])thf(?![^\W_])")
#: "-PP" / "-PPP" ending a name is diphosphate / triphosphate ("farnesyl-PP", "thiamin-PPP").
_PP_SUFFIX = re.compile(r"(?<=[^\W_])-pp(p?)$")
_RACEMIC = re.compile(r"\(\s*(?:±|\+\s*/?\s*-|-\s*/?\s*\+)\s*\)|±")
_DEXTRO = re.compile(r"\(\s*\+\s*\)")
_LEVO = re.compile(r"\(\s*-\s*\)")


# ---------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------


def _unicode_clean(text: str) -> str:
    """NFKC, drop combining marks, map typographic dashes and primes to ASCII."""
    text = unicodedata.normalize("NFKC", text)
    decomposed = unicodedata.normalize("NFKD", text)
    if any(unicodedata.combining(c) for c in decomposed):
        text = unicodedata.normalize(
            "NFKC", "".join(c for c in decomposed if not unicodedata.combining(c))
        )
    return text.translate(_PUNCT_TABLE)


def _is_trailing_formula(token: str) -> bool:
    """Whether ``token`` reads as a molecular formula (Hill order, starts with C)."""
    if len(token) < 3 or not _FORMULA_TOKEN.fullmatch(token):
        return False
    parts = _FORMULA_PART.findall(token)
    if len(parts) < 2 or not any(count for _, count in parts):
        return False
    return all(symbol in ELEMENT_SYMBOLS or symbol in ("R", "X") for symbol, _ in parts)


def _strip_compartment_tag(text: str) -> str | None:
    """``text`` without a closing ``[c]``, ``(cytosol)`` or ``[in cytosol]`` tag, or None."""
    last = text[-1]
    opening = text.rfind("[" if last == "]" else "(")
    if opening <= 0:
        return None
    content = text[opening + 1 : -1].strip()
    low = content.lower()
    if low.startswith("in "):
        low = low[3:].strip()
    code = _BRACKET_CODE if last == "]" else _PAREN_CODE
    if low in _COMPARTMENT_NAMES or code.fullmatch(content):
        return text[:opening].rstrip(" _")
    return None


def _strip_decoration(text: str) -> str:
    """Remove one compartment tag or trailing formula from the end, if any."""
    last = text[-1]
    if last in "])":
        stripped = _strip_compartment_tag(text)
        if stripped is not None:
            return stripped
    if "_" in text[-5:] or "-" in text[-5:]:
        match = _SUFFIX_CODE.search(text, max(0, len(text) - 5))
        if match and match.start() > 0:
            return text[: match.start()].rstrip(" _")
    if last in _SPACE_LETTERS and len(text) > 2 and text[-2] == " ":
        head = text[:-2].rstrip()
        if head and not head.rsplit(None, 1)[-1].lower().endswith(_SPACE_LETTER_GUARD):
            return head
    if last.isdigit() or last.isupper():
        space = text.rfind(" ")
        if space > 0 and _is_trailing_formula(text[space + 1 :]):
            return text[:space].rstrip(" _")
    return text


def _ion_key(text: str) -> str | None:
    """The key of a small ion such as ``Fe2+`` or ``iron(III)``, else None."""
    match = _ION.fullmatch(text)
    if match is None:
        return None
    base = match.group("base")
    low = base.lower()
    if low in ELEMENT_NAMES:
        base = ELEMENT_NAMES[low]
    elif low in _SYMBOLS_LOWER and base.isalpha():
        base = _SYMBOLS_LOWER[low]
    else:
        parts = _FORMULA_PART.findall(base)
        if (
            "".join(s + n for s, n in parts) != base
            or not all(s in ELEMENT_SYMBOLS for s, _ in parts)
            or match.group("rom")
        ):
            return None
    if match.group("rom"):
        number = _ROMAN.get(match.group("rom").lower())
        if number is None:
            return None
        sign = "+"
    else:
        digits = next((match.group(g) for g in ("n1", "n2", "n3", "n4") if match.group(g)), "")
        sign_text = next(match.group(g) for g in ("s1", "s2", "s3", "s4", "s5") if match.group(g))
        sign = sign_text[0]
        number = int(digits) if digits else len(sign_text)
    if number == 0:
        return None
    word = "plus" if sign == "+" else "minus"
    return f"{base.lower()} {number} {word}" if number > 1 else f"{base.lower()} {word}"


def _strip_charge(text: str) -> str:
    """Remove one charge tag or trailing ``ion`` word from the end, if any."""
    last = text[-1]
    if last in ")+":
        match = _CHARGE_TAIL.search(text, max(0, len(text) - 8))
        if match and match.start() > 0:
            return text[: match.start()].rstrip()
    if last in "nN":
        match = _ION_WORD_TAIL.search(text)
        if match and match.start() > 0:
            head = text[: match.start()]
            if head.strip().lower() not in ELEMENT_NAMES:
                return head.rstrip()
    return text


def _rewrite_tokens(text: str) -> str:
    """Token rules on lower-cased text: alpha/beta, coenzyme A, acids, optical signs."""
    if any(marker in text for marker in _AB_DL_MARKERS):
        text = _AB_DL.sub(lambda m: ("alpha " if m.group(1) == "a" else "beta ") + m.group(2), text)
    if "coenzyme" in text:
        text = _COENZYME_A.sub("coa", text)
    if any(marker in text for marker in _CO_A_MARKERS):
        text = _CO_A.sub("coa", text)
    if "sulph" in text:
        text = text.replace("sulph", "sulf")
    if "acid" in text:
        text = _SPECIAL_ACIDS.sub(lambda m: _SPECIAL_ACID_REPLACEMENT[m.group(1)], text)
        text = _IC_ACID.sub("ate", text)
        text = _OUS_ACID.sub("ite", text)
    if "cis" in text or "trans" in text:
        text = _GLUED_CIS_TRANS.sub(r"\1 ", text)
    if "thf" in text:
        text = _THF.sub("tetrahydrofolate", text)
    if "-pp" in text:
        text = _PP_SUFFIX.sub(lambda m: " triphosphate" if m.group(1) else " diphosphate", text)
    if "(" in text or "±" in text:
        text = _RACEMIC.sub(" racemic ", text)
        text = _DEXTRO.sub(" dextro ", text)
        text = _LEVO.sub(" levo ", text)
    return text


def _fold(text: str) -> str:
    """Lower case, Unicode-clean again if needed, spell out Greek letters."""
    text = text.lower()
    if not text.isascii():
        text = _unicode_clean(text).lower().translate(_GREEK_TABLE)
    return text


def prepare_name(name: str) -> str:
    """Clean a name but keep its delimiters: every rule of :func:`normalize_name`
    except the final removal of delimiters.

    Useful to look at a name's tokens (see :mod:`cobra_metalign.chem`).

    Parameters
    ----------
    name : str
        A metabolite name. Anything that is not a non-empty string gives ``""``.

    Returns
    -------
    str
        The lower-cased name, stripped of compartment and charge decorations,
        with Greek letters spelled out and synonym rules applied.

    Examples
    --------
    >>> prepare_name("Pyruvic acid [c]")
    'pyruvate'
    >>> prepare_name("α-D-Glucose")
    'alpha -d-glucose'
    """
    if not isinstance(name, str) or not name:
        return ""
    text = name if name.isascii() else _unicode_clean(name)
    if _UPPER_RUN.search(text):
        text = _ESCAPE_WORD.sub(lambda m: _ESCAPE_CHARS[m.group(1)], text)
    text = text.strip()
    while text:
        stripped = _strip_decoration(text)
        if stripped and stripped != text:
            text = stripped
            continue
        if len(text) <= 16 and ("+" in text or text[-1] in "-)"):
            key = _ion_key(text)
            if key is not None:
                return key
        stripped = _strip_charge(text)
        if stripped and stripped != text:
            text = stripped
            continue
        break
    text = _rewrite_tokens(_fold(text))
    if "  " in text or text[:1] == " " or text[-1:] == " ":
        text = " ".join(text.split())
    return text


def _finish_key(key: str) -> str:
    """Rules on the squashed key; they are idempotent string replacements."""
    if "coenzymea" in key:
        key = key.replace("coenzymea", "coa")
    if "sulph" in key:
        key = key.replace("sulph", "sulf")
    return key


def normalize_name(name: str) -> str:
    """Return the key under which two names of the same compound compare equal.

    The rules are listed in the module docstring: Unicode and case folding,
    Greek letters spelled out, compartment tags, trailing formulas and charge
    tags removed from the end, small ions written with their charge,
    ``X-ic acid`` == ``X-ate``, ``coenzyme A`` == ``CoA``, and finally every
    delimiter removed. Stereo descriptors, numbers and positions are kept.

    Parameters
    ----------
    name : str
        A metabolite name. Anything that is not a non-empty string gives ``""``.

    Returns
    -------
    str
        The key (letters and digits only). Idempotent.

    Examples
    --------
    >>> normalize_name("Pyruvic acid")
    'pyruvate'
    >>> normalize_name("alpha-D-Glucose [cytosol]") == normalize_name("α-D-glucose")
    True
    >>> normalize_name("Acetyl-CoA") == normalize_name("acetyl coenzyme A")
    True
    >>> normalize_name("L-Alanine") == normalize_name("D-Alanine")
    False
    """
    key = _finish_key(_NON_ALNUM.sub("", prepare_name(name)))
    if not key.isascii():
        # Rare: joining characters can compose or change case under NFKC.
        for _ in range(8):
            again = _finish_key(_NON_ALNUM.sub("", _fold(key)))
            if again == key:
                break
            key = again
    return key


def baseline_name_key(name: str) -> str:
    """The plain baseline: lower-case and strip every non-alphanumeric character.

    Only ASCII letters and digits are kept (``α`` is dropped). Nothing else is
    done; this is the benchmark baseline that :func:`normalize_name` must beat.

    Parameters
    ----------
    name : str
        A metabolite name; anything that is not a string gives ``""``.

    Returns
    -------
    str

    Examples
    --------
    >>> baseline_name_key("D-Glucose (in cytosol)")
    'dglucoseincytosol'
    """
    if not isinstance(name, str):
        return ""
    return _BASELINE_STRIP.sub("", name.lower())


def name_tokens(name: str) -> list[str]:
    """Lower-cased tokens of a name, after the rules of :func:`prepare_name`.

    The name is split on every delimiter and between letters and digits
    (``C16:0`` -> ``c, 16, 0``; ``4alpha-hydroxy`` -> ``4, alpha, hydroxy``).

    Parameters
    ----------
    name : str
        A metabolite name.

    Returns
    -------
    list of str

    Examples
    --------
    >>> name_tokens("Palmitoyl-CoA (n-C16:0CoA)")
    ['palmitoyl', 'coa', 'n', 'c', '16', '0', 'coa']
    >>> name_tokens("α-D-Glucose 6-phosphate")
    ['alpha', 'd', 'glucose', '6', 'phosphate']
    """
    return _TOKEN.findall(prepare_name(name))


# ---------------------------------------------------------------------------
# BiGG identifiers
# ---------------------------------------------------------------------------

_ID_ESCAPE_WORDS = frozenset(_ESCAPE_CHARS)
_SBML_CODE = re.compile(r"__(\d{2,3})__")
_SBML_PUNCTUATION = frozenset(" !\"#$%&'()*+,-./:;<=>?@[\\]^`{|}~")
_NON_ID_CHARS = re.compile(r"[^A-Za-z0-9_]+")
_STEREO_SUFFIX = re.compile(r"(?<=[A-Za-z0-9])_([A-Z]|[ab][DL])$")
_LOWER_STEREO_SUFFIX = re.compile(r"(?<=[A-Za-z0-9])__?([ldrs])$")
_DASH_ESCAPE = re.compile(r"_DASH_")


def _decode_sbml_codes(text: str) -> str:
    """Decode SBML character codes such as ``__45__`` (``-``) for punctuation only."""

    def decode(match: re.Match[str]) -> str:
        char = chr(int(match.group(1)))
        return char if char in _SBML_PUNCTUATION else match.group(0)

    return _SBML_CODE.sub(decode, text)


def normalize_bigg_id(base_id: str) -> list[str]:
    """Candidate BiGG ids for a model id already stripped of its compartment.

    BiGG 1.6 writes a stereo descriptor after a double underscore (``glc__D``,
    ``12ppd__R``, ``26dap__M``, ``glc__aD``) and dropped the old escape words
    (``glc_DASH_D`` -> ``glc__D``, ``11_DASH_cis_DASH_retfa`` -> ``11_cis_retfa``,
    ``asptrna_LPAREN_asn_RPAREN_`` -> ``asptrna_asn``). Candidates, in order:

    1. the id itself;
    2. escape words (``_DASH_``, ``_LPAREN_``, ``_RPAREN_``, ``_LSQBKT_``,
       ``_COMMA_``, ``_FSLASH_``/``_SLASH_``, ``_APOS_``, ``_COLON_``,
       ``_SPACE_``...), SBML codes (``__45__``) and other punctuation (``-``,
       ``(``) turned into single underscores, runs of underscores collapsed,
       leading/trailing underscores dropped, then a final single upper-case
       letter (or ``aD``/``bD``...) after one underscore given two
       (``ala_L`` -> ``ala__L``, ``glc-D`` -> ``glc__D``);
    3. the same without the stereo fix (``acon__C`` -> ``acon_C``: BiGG keeps
       single underscores for ``acon_C``, ``ala_B``, ``f6p_B``);
       when the id holds SBML codes, 2 and 3 again with the codes read as
       plain digits (``retinal__11__cis`` -> ``retinal_11_cis``);
    4. ``_DASH_`` read literally as ``__``;
    5. a lower-case final stereo letter in upper case (``ala_l`` -> ``ala__L``).

    Underscores are never used to cut the id: no part of it is dropped except
    escape words and punctuation. The catalogue decides which candidate exists.

    Parameters
    ----------
    base_id : str
        A metabolite id without compartment (``glc_DASH_D``, ``12ppd_R``).

    Returns
    -------
    list of str
        The input first, then the variants, without duplicates or empty strings.

    Examples
    --------
    >>> normalize_bigg_id("glc_DASH_D")
    ['glc_DASH_D', 'glc__D', 'glc_D']
    >>> normalize_bigg_id("12ppd_R")
    ['12ppd_R', '12ppd__R']
    >>> normalize_bigg_id("glc__D")
    ['glc__D', 'glc_D']
    """
    if not isinstance(base_id, str) or not base_id.strip():
        return []
    base_id = base_id.strip()
    candidates = [base_id]

    decoded = _decode_sbml_codes(base_id)
    for text in (decoded, base_id) if decoded != base_id else (base_id,):
        parts = [
            part
            for part in _NON_ID_CHARS.sub("_", text).split("_")
            if part and part not in _ID_ESCAPE_WORDS
        ]
        collapsed = "_".join(parts)
        if collapsed:
            candidates.append(_STEREO_SUFFIX.sub(r"__\1", collapsed))
            candidates.append(collapsed)
    if "_DASH_" in base_id:
        candidates.append(_DASH_ESCAPE.sub("__", base_id))
    for candidate in list(candidates):
        if _LOWER_STEREO_SUFFIX.search(candidate):
            candidates.append(
                _LOWER_STEREO_SUFFIX.sub(lambda m: "__" + m.group(1).upper(), candidate)
            )
    seen: set[str] = set()
    result = []
    for candidate in candidates:
        if candidate and candidate not in seen:
            seen.add(candidate)
            result.append(candidate)
    return result
