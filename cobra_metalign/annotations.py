"""Normalization of metabolite cross-references (annotations).

Every cross-reference in cobra_metalign is a ``(namespace, value)`` pair in a
canonical form, so that a model annotation and a catalogue entry compare with
plain equality:

===================  ==========================  ==============================
namespace            canonical value             also accepted
===================  ==========================  ==============================
``metanetx.chemical`` ``MNXM41``                  ``metanetx``, ``mnx``
``kegg.compound``    ``C00031``                  ``kegg`` (``G…`` -> kegg.glycan,
                                                 ``D…`` -> kegg.drug)
``chebi``            ``CHEBI:4167``              ``4167``, ``chebi:4167``
``seed.compound``    ``cpd00027``                ``seed``, ``modelseed``
``hmdb``             ``HMDB0000122``             ``HMDB00122`` (5 digits)
``inchikey``         ``WQZGKKKJIJFFOK-GASJEMHNSA-N`` ``inchi_key``, ``InChIKey=…``
``biocyc``           ``META:GLC``                ``metacyc``, ``metacyc.compound``
``lipidmaps``        ``LMFA01010001``
``reactome``         ``R-ALL-29358``             ``reactome.compound``
``bigg.metabolite``  ``glc__D``                  ``bigg``
===================  ==========================  ==============================

Identifiers.org URIs (old ``/ns/value`` and new ``/PREFIX:value`` styles),
CURIEs, strings or lists of strings are all accepted.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping

logger = logging.getLogger(__name__)

__all__ = [
    "NAMESPACES",
    "normalize_xref",
    "parse_uri",
    "normalize_annotation",
    "id_as_xref",
    "xrefs_from_notes",
]

#: Canonical namespaces the catalogue indexes.
NAMESPACES: tuple[str, ...] = (
    "metanetx.chemical",
    "kegg.compound",
    "kegg.glycan",
    "kegg.drug",
    "chebi",
    "seed.compound",
    "hmdb",
    "inchikey",
    "biocyc",
    "lipidmaps",
    "reactome",
    "sabiork",
    "pubchem.compound",
    "bigg.metabolite",
)

_NAMESPACE_ALIASES: dict[str, str] = {
    "metanetx": "metanetx.chemical",
    "metanetx.chemical": "metanetx.chemical",
    "mnx": "metanetx.chemical",
    "mnxm": "metanetx.chemical",
    "kegg": "kegg.compound",
    "kegg.compound": "kegg.compound",
    "kegg.glycan": "kegg.glycan",
    "kegg.drug": "kegg.drug",
    "kegg id": "kegg.compound",
    "chebi": "chebi",
    "chebi id": "chebi",
    "seed": "seed.compound",
    "seed.compound": "seed.compound",
    "modelseed": "seed.compound",
    "hmdb": "hmdb",
    "hmdb id": "hmdb",
    "inchikey": "inchikey",
    "inchi_key": "inchikey",
    "inchi key": "inchikey",
    "inchi-key": "inchikey",
    "biocyc": "biocyc",
    "metacyc": "biocyc",
    "metacyc.compound": "biocyc",
    "lipidmaps": "lipidmaps",
    "lipid maps": "lipidmaps",
    "reactome": "reactome",
    "reactome.compound": "reactome",
    "sabiork": "sabiork",
    "sabiork.compound": "sabiork",
    "pubchem": "pubchem.compound",
    "pubchem.compound": "pubchem.compound",
    "pubchem id": "pubchem.compound",
    "bigg": "bigg.metabolite",
    "bigg.metabolite": "bigg.metabolite",
}

_INCHIKEY = re.compile(r"^[A-Z]{14}-[A-Z]{8,10}-[A-Z]$")
_URI = re.compile(r"^https?://identifiers\.org/(.+)$", re.IGNORECASE)


def _canonical_namespace(namespace: str) -> str | None:
    key = namespace.strip().lower().replace("_", " ")
    if key in _NAMESPACE_ALIASES:
        return _NAMESPACE_ALIASES[key]
    key = key.replace(" ", "_")
    return _NAMESPACE_ALIASES.get(key)


def normalize_xref(namespace: str, value: object) -> tuple[str, str] | None:
    """Return the canonical ``(namespace, value)`` pair, or None.

    Parameters
    ----------
    namespace : str
        A namespace name in any common spelling (``kegg``, ``KEGG ID``,
        ``inchi_key``, ``metacyc.compound``...).
    value : object
        The identifier. Numbers are accepted (``15377`` for ChEBI).

    Returns
    -------
    tuple of (str, str) or None
        None when the namespace is unknown or the value is not a valid
        identifier of that namespace.

    Examples
    --------
    >>> normalize_xref("chebi", "15377")
    ('chebi', 'CHEBI:15377')
    >>> normalize_xref("hmdb", "HMDB00122")
    ('hmdb', 'HMDB0000122')
    >>> normalize_xref("kegg", "G00001")
    ('kegg.glycan', 'G00001')
    """
    if value is None or namespace is None:
        return None
    ns = _canonical_namespace(str(namespace))
    if ns is None:
        return None
    text = str(value).strip()
    if not text or text.lower() in {"nan", "none", "null", "na", "n/a", "-"}:
        return None
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    fixer = _FIXERS.get(ns)
    if fixer is None:
        return ns, text
    return fixer(text)


#: Patterns of the namespace fixers below (compiled once).
_CHEBI_ID = re.compile(r"(?:chebi:)*(\d+)", re.IGNORECASE)
_HMDB_ID = re.compile(r"(?:hmdb:)?HMDB(\d+)", re.IGNORECASE)
_MNX_ID = re.compile(r"MNXM(\d+)", re.IGNORECASE)
_SEED_ID = re.compile(r"cpd(\d{5})", re.IGNORECASE)
_KEGG_ID = re.compile(r"([CGD])(\d{5})")
_BIOCYC_ID = re.compile(r"[A-Za-z0-9_.+\-:]+")
_LIPIDMAPS_ID = re.compile(r"LM[A-Z]{2}\d{4,10}")
_REACTOME_ID = re.compile(r"R-[A-Z]{3}-\d+")
_BIGG_ID = re.compile(r"[A-Za-z0-9_]+")
_KEGG_PREFIX = re.compile(r"^(?:cpd|gl|dr|kegg):", re.IGNORECASE)
_MNX_PREFIX = re.compile(r"^(?:metanetx\.chemical|metanetx|mnx):", re.IGNORECASE)
_SEED_PREFIX = re.compile(r"^(?:seed\.compound|seed):", re.IGNORECASE)
_INCHIKEY_PREFIX = re.compile(r"^(?:inchikey\s*=\s*|inchikey:)", re.IGNORECASE)
_BIOCYC_PREFIX = re.compile(r"^(?:biocyc:|metacyc:)", re.IGNORECASE)
_LIPIDMAPS_PREFIX = re.compile(r"^lipidmaps:", re.IGNORECASE)
_REACTOME_PREFIX = re.compile(r"^reactome:", re.IGNORECASE)
_BIGG_PREFIX = re.compile(r"^bigg(?:\.metabolite)?:", re.IGNORECASE)
_ANY_PREFIX = re.compile(r"^[A-Za-z.]+:")


def _fix_chebi(text: str) -> tuple[str, str] | None:
    match = _CHEBI_ID.fullmatch(text)
    return ("chebi", f"CHEBI:{int(match.group(1))}") if match else None


def _fix_hmdb(text: str) -> tuple[str, str] | None:
    match = _HMDB_ID.fullmatch(text)
    if not match:
        return None
    digits = match.group(1)
    if len(digits) > 7:
        return None
    return "hmdb", "HMDB" + digits.zfill(7)


def _fix_kegg(text: str) -> tuple[str, str] | None:
    text = _KEGG_PREFIX.sub("", text).upper()
    match = _KEGG_ID.fullmatch(text)
    if not match:
        return None
    namespace = {"C": "kegg.compound", "G": "kegg.glycan", "D": "kegg.drug"}[match.group(1)]
    return namespace, text


def _fix_metanetx(text: str) -> tuple[str, str] | None:
    text = _MNX_PREFIX.sub("", text)
    match = _MNX_ID.fullmatch(text)
    if match:
        return "metanetx.chemical", f"MNXM{match.group(1)}"
    if text.upper() in {"WATER", "BIOMASS"}:
        return "metanetx.chemical", text.upper()
    return None


def _fix_seed(text: str) -> tuple[str, str] | None:
    text = _SEED_PREFIX.sub("", text)
    match = _SEED_ID.fullmatch(text)
    return ("seed.compound", f"cpd{match.group(1)}") if match else None


def _fix_inchikey(text: str) -> tuple[str, str] | None:
    text = _INCHIKEY_PREFIX.sub("", text)
    text = text.strip().upper()
    return ("inchikey", text) if _INCHIKEY.match(text) else None


def _fix_biocyc(text: str) -> tuple[str, str] | None:
    text = _BIOCYC_PREFIX.sub("", text)
    if not _BIOCYC_ID.fullmatch(text):
        return None
    if ":" not in text:
        text = "META:" + text
    return "biocyc", text


def _fix_lipidmaps(text: str) -> tuple[str, str] | None:
    text = _LIPIDMAPS_PREFIX.sub("", text).upper()
    return ("lipidmaps", text) if _LIPIDMAPS_ID.fullmatch(text) else None


def _fix_reactome(text: str) -> tuple[str, str] | None:
    text = _REACTOME_PREFIX.sub("", text)
    return ("reactome", text) if _REACTOME_ID.fullmatch(text) else None


def _fix_digits(namespace: str):
    def fix(text: str) -> tuple[str, str] | None:
        text = _ANY_PREFIX.sub("", text)
        return (namespace, str(int(text))) if text.isdigit() else None

    return fix


def _fix_bigg(text: str) -> tuple[str, str] | None:
    text = _BIGG_PREFIX.sub("", text)
    return ("bigg.metabolite", text) if _BIGG_ID.fullmatch(text) else None


_FIXERS = {
    "chebi": _fix_chebi,
    "hmdb": _fix_hmdb,
    "kegg.compound": _fix_kegg,
    "kegg.glycan": _fix_kegg,
    "kegg.drug": _fix_kegg,
    "metanetx.chemical": _fix_metanetx,
    "seed.compound": _fix_seed,
    "inchikey": _fix_inchikey,
    "biocyc": _fix_biocyc,
    "lipidmaps": _fix_lipidmaps,
    "reactome": _fix_reactome,
    "sabiork": _fix_digits("sabiork"),
    "pubchem.compound": _fix_digits("pubchem.compound"),
    "bigg.metabolite": _fix_bigg,
}


def parse_uri(text: str) -> tuple[str, str] | None:
    """Parse an identifiers.org URI or a CURIE into a canonical pair.

    Parameters
    ----------
    text : str
        ``http://identifiers.org/chebi/CHEBI:15377``,
        ``https://identifiers.org/CHEBI:15377``, ``kegg.compound:C00031`` or
        ``inchikey:WQZG...``.

    Returns
    -------
    tuple of (str, str) or None
    """
    text = str(text).strip()
    match = _URI.match(text)
    if match:
        rest = match.group(1)
        if "/" in rest:
            namespace, value = rest.split("/", 1)
            return normalize_xref(namespace, value)
        text = rest
    if ":" in text:
        prefix, value = text.split(":", 1)
        pair = normalize_xref(prefix, value)
        if pair is None and prefix.upper() == "CHEBI":
            pair = normalize_xref("chebi", value)
        return pair
    return None


def normalize_annotation(annotation: Mapping[str, object] | None) -> list[tuple[str, str]]:
    """Normalize a cobra annotation dictionary into sorted canonical pairs.

    Parameters
    ----------
    annotation : mapping
        ``{namespace: value or [values]}`` as cobra stores it. Values may be
        identifiers, CURIEs or identifiers.org URIs. An ``sbo`` entry is skipped.

    Returns
    -------
    list of (str, str)
        Unique pairs, sorted. Values that are not valid in their namespace are
        dropped (and logged at DEBUG level).
    """
    pairs: set[tuple[str, str]] = set()
    if not annotation:
        return []
    for namespace, values in annotation.items():
        if str(namespace).lower() == "sbo":
            continue
        if isinstance(values, str | int | float):
            values = [values]
        elif not isinstance(values, Iterable):
            continue
        for value in values:
            pair = _annotation_pair(namespace, value)
            if pair is None:
                logger.debug("Dropped annotation %s=%r: not a valid identifier.", namespace, value)
                continue
            pairs.add(pair)
    return sorted(pairs)


def _annotation_pair(namespace: str, value: object) -> tuple[str, str] | None:
    """One annotation value as a canonical pair: a URI, else an id of ``namespace``,
    else a CURIE naming its own namespace."""
    text = str(value)
    pair = None
    if text.lower().startswith(("http://", "https://")):
        pair = parse_uri(text)
    if pair is None:
        pair = normalize_xref(namespace, value)
    if pair is None and ":" in text:
        pair = parse_uri(text)
    return pair


_ID_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^cpd\d{5}$"), "seed.compound"),
    (re.compile(r"^[CGD]\d{5}$"), "kegg.compound"),
    (re.compile(r"^MNXM\d+$"), "metanetx.chemical"),
    (re.compile(r"^CHEBI:\d+$", re.IGNORECASE), "chebi"),
    (re.compile(r"^HMDB\d{5,7}$"), "hmdb"),
    (re.compile(r"^LM[A-Z]{2}\d{4,10}$"), "lipidmaps"),
)


def id_as_xref(base_id: str) -> tuple[str, str] | None:
    """Read an identifier that is itself a cross-reference.

    Parameters
    ----------
    base_id : str
        A metabolite id stripped of its compartment, e.g. ``cpd00027``,
        ``C00031`` or ``MNXM99``.

    Returns
    -------
    tuple of (str, str) or None

    Examples
    --------
    >>> id_as_xref("cpd00027")
    ('seed.compound', 'cpd00027')
    >>> id_as_xref("glc__D") is None
    True
    """
    for pattern, namespace in _ID_PATTERNS:
        if pattern.match(base_id):
            return normalize_xref(namespace, base_id)
    return None


_NOTE_KEYS = {
    "kegg": "kegg.compound",
    "keggid": "kegg.compound",
    "keggcompound": "kegg.compound",
    "chebi": "chebi",
    "chebiid": "chebi",
    "hmdb": "hmdb",
    "hmdbid": "hmdb",
    "pubchem": "pubchem.compound",
    "pubchemid": "pubchem.compound",
    "pubchemcid": "pubchem.compound",
    "inchikey": "inchikey",
    "metanetx": "metanetx.chemical",
    "metanetxid": "metanetx.chemical",
    "seed": "seed.compound",
    "seedid": "seed.compound",
    "biocyc": "biocyc",
    "metacyc": "biocyc",
    "lipidmaps": "lipidmaps",
    "bigg": "bigg.metabolite",
}


def xrefs_from_notes(notes: Mapping[str, object] | None) -> list[tuple[str, str]]:
    """Read cross-references from COBRA-style notes (``KEGG ID: C00031``).

    Parameters
    ----------
    notes : mapping
        cobra's ``Metabolite.notes`` dictionary. Keys such as ``KEGG ID``,
        ``CHEBI ID``, ``PUBCHEM ID`` or ``INCHIKEY`` are recognised; values may
        hold several identifiers separated by ``,``, ``;`` or ``|``.

    Returns
    -------
    list of (str, str)
    """
    pairs: set[tuple[str, str]] = set()
    if not notes:
        return []
    for key, values in notes.items():
        compact = re.sub(r"[\s_]+", "", str(key).lower())
        namespace = _NOTE_KEYS.get(compact) or _NOTE_KEYS.get(compact.removesuffix("ids"))
        if namespace is None:
            continue
        if isinstance(values, str | int | float):
            values = [values]
        for value in values:
            for part in re.split(r"[,;|]\s*|\s+", str(value)):
                pair = normalize_xref(namespace, part)
                if pair is None and ":" in part:
                    pair = parse_uri(part)
                if pair is not None:
                    pairs.add(pair)
    return sorted(pairs)
