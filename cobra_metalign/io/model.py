"""The model adapter: read, validate and write models through cobra, and tabulate metabolites.

Formats, chosen by the file suffix (a ``.gz`` or ``.bz2`` suffix may follow):

=======  =====================  ==================================================
format   suffixes               reader / writer
=======  =====================  ==================================================
SBML     ``.xml``, ``.sbml``    :func:`cobra.io.read_sbml_model` /
                                :func:`cobra.io.write_sbml_model` (L3 FBC v2)
JSON     ``.json``              ``load_json_model`` / ``save_json_model``
YAML     ``.yml``, ``.yaml``    ``load_yaml_model`` / ``save_yaml_model``
MAT      ``.mat``               ``load_matlab_model`` / ``save_matlab_model``
=======  =====================  ==================================================

Compression is recognised by its magic bytes whatever the suffix says, and an
unknown suffix falls back to the content (``<`` SBML, ``{`` JSON, ``MATLAB``
MAT, ``!!omap``/``---`` YAML).

Safety:

* Only regular files are read (a FIFO or a device is refused, never waited on).
* A model, plain or after decompression to a temporary file, is refused beyond
  :data:`MAX_DECOMPRESSED_BYTES`.
* SBML is tokenized by expat, streaming over the whole file, before libsbml
  sees it: a ``<!DOCTYPE`` with entity or attribute-list declarations
  (``billion laughs``, XXE) or an external DTD, an external entity reference,
  nesting deeper than :data:`MAX_XML_DEPTH` (libsbml crashes on deep nesting)
  and XML that is not well-formed are refused.
* YAML with aliases is refused (the YAML form of ``billion laughs``), and so are
  flow collections nested deeper than :data:`MAX_XML_DEPTH`.
* After reading: ids longer than :data:`MAX_ID_LENGTH`, formulas that are not
  text and stoichiometric coefficients that are not finite numbers are refused,
  naming the file and the item.
* Every failure to read becomes one :class:`~cobra_metalign.errors.ModelReadError`
  raised from the original exception; its message names the file and the cause
  and points at ``metalign validate``.
* Writes are atomic (:func:`cobra_metalign.cache.atomic_path`), never replace an
  existing file or the input model unless asked, and are deterministic: the same
  model gives the same bytes (gzip without time stamp, MAT header without date).

Fixes over cobra 0.32's SBML reader:

* cobra cannot read FBC v1 files whose gene associations are empty (``<or/>``,
  as in BiGG's iND750). When cobra fails on an SBML file, :func:`read_model`
  prunes empty gene associations with libsbml and reads it again, logging a
  warning that lists the reactions concerned.
* cobra gives ``charge = 0`` to every FBC species without ``fbc:charge`` (and
  then ignores its ``CHARGE`` note). Such charges are set back to the note's
  value, or to None, so that a missing charge stays missing.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import hashlib
import io
import logging
import math
import os
import re
import tempfile
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.parsers import expat

import cobra
import libsbml
import pandas as pd

from cobra_metalign.annotations import normalize_annotation, xrefs_from_notes
from cobra_metalign.cache import atomic_path
from cobra_metalign.compartments import clean_name, split_id
from cobra_metalign.errors import ModelReadError, ModelWriteError
from cobra_metalign.xmltext import clean_model_dict, clean_model_text, mark_cleaned

logger = logging.getLogger(__name__)

__all__ = [
    "FORMATS",
    "MAX_DECOMPRESSED_BYTES",
    "MAX_XML_DEPTH",
    "MAX_ID_LENGTH",
    "MAX_NAME_LENGTH",
    "PROLOG_SCAN_BYTES",
    "check_model",
    "check_written_model",
    "sbml_error_counts",
    "sbml_baseline",
    "SbmlBaseline",
    "source_bytes",
    "check_xml_file",
    "METABOLITE_COLUMNS",
    "VALIDATION_COLUMNS",
    "read_model",
    "read_model_document",
    "format_of",
    "model_stem",
    "validate",
    "write_model",
    "metabolite_table",
]

#: File suffix -> format name.
FORMATS: dict[str, str] = {
    ".xml": "sbml",
    ".sbml": "sbml",
    ".json": "json",
    ".yml": "yaml",
    ".yaml": "yaml",
    ".mat": "mat",
}
_COMPRESSION_SUFFIXES = (".gz", ".bz2")

#: Largest model accepted, as a plain file or after decompression (256 MiB; the
#: largest published models are under 100 MB of SBML).
MAX_DECOMPRESSED_BYTES: int = 256 * 1024**2
#: Deepest element nesting accepted in SBML (libsbml crashes on deep nesting; real
#: models nest about 15 levels).
MAX_XML_DEPTH: int = 256
#: Longest metabolite, reaction or compartment id accepted (characters; GLPK, cobra's
#: default solver, refuses longer names).
MAX_ID_LENGTH: int = 255
#: Longest metabolite name used for name matching (characters); a longer name stays in
#: the model but is not matched by name.
MAX_NAME_LENGTH: int = 2048
#: Bytes read from the start of a file to sniff its format and check its XML prolog.
PROLOG_SCAN_BYTES: int = 1 << 20

#: Columns of :func:`metabolite_table`.
METABOLITE_COLUMNS: tuple[str, ...] = (
    "base_id",
    "compartment",
    "name",
    "clean_name",
    "formula",
    "charge",
    "annotations",
    "n_reactions",
)
#: Columns of the error table returned by :func:`validate`.
VALIDATION_COLUMNS: tuple[str, ...] = ("severity", "category", "message")

_FORMAT_LABELS = {"sbml": "SBML", "json": "JSON", "yaml": "YAML", "mat": "MAT"}
_COBRA_ERROR_KEYS: dict[str, tuple[str, str]] = {
    "SBML_FATAL": ("fatal", "sbml"),
    "SBML_ERROR": ("error", "sbml"),
    "SBML_SCHEMA_ERROR": ("error", "sbml_schema"),
    "SBML_WARNING": ("warning", "sbml"),
    "COBRA_FATAL": ("fatal", "cobra"),
    "COBRA_ERROR": ("error", "cobra"),
    "COBRA_WARNING": ("warning", "cobra"),
    "COBRA_CHECK": ("warning", "cobra_check"),
}
_MAT_HEADER_TEXT = b"MATLAB 5.0 MAT-file, written by cobra_metalign"
_MAT_HEADER_SIZE = 116


# ------------------------------------------------------------------ sources


@dataclass(frozen=True)
class _Source:
    """An input model file ready for a cobra reader."""

    path: Path
    data_path: Path
    fmt: str
    head: bytes


def _hint(path: Path, fmt: str | None) -> str:
    if fmt == "sbml":
        return f"run `metalign validate {path}` or cobra.io.validate_sbml_model for details"
    return f"run `metalign validate {path}` for details"


def _read_error(path: Path, cause: str, fmt: str | None = None) -> ModelReadError:
    label = f"{_FORMAT_LABELS[fmt]} model" if fmt else "model"
    return ModelReadError(f"Cannot read {label} {path}: {cause}; {_hint(path, fmt)}.")


def _compression(magic: bytes) -> str | None:
    if magic[:2] == b"\x1f\x8b":
        return "gzip"
    if magic[:3] == b"BZh":
        return "bz2"
    return None


def _decompress(path: Path, kind: str, target: Path) -> None:
    """Decompress ``path`` into ``target``, refusing more than the size limit."""
    opener = gzip.open if kind == "gzip" else bz2.open
    limit = MAX_DECOMPRESSED_BYTES
    total = 0
    try:
        with opener(path, "rb") as source, open(target, "wb") as sink:
            while True:
                chunk = source.read(1 << 20)
                if not chunk:
                    break
                total += len(chunk)
                if total > limit:
                    raise _read_error(
                        path, f"decompressed size exceeds the limit of {limit:,} bytes"
                    )
                sink.write(chunk)
    except ModelReadError:
        raise
    except (OSError, EOFError, zlib.error, ValueError) as error:
        raise _read_error(
            path, f"not a valid {kind} file, truncated or corrupt ({error})"
        ) from error


def _strip_compression_suffix(name: str) -> str:
    lower = name.lower()
    for suffix in _COMPRESSION_SUFFIXES:
        if lower.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _format_from_name(name: str) -> str | None:
    return FORMATS.get(Path(_strip_compression_suffix(name)).suffix.lower())


def model_stem(path: str | os.PathLike[str]) -> str:
    """A model file's name without its format and compression suffixes.

    Examples
    --------
    >>> model_stem("dir/iJO1366.xml.gz")
    'iJO1366'
    """
    name = _strip_compression_suffix(Path(path).name)
    suffix = Path(name).suffix
    if suffix.lower() in FORMATS and len(name) > len(suffix):
        return name[: -len(suffix)]
    return name


def format_of(path: str | os.PathLike[str]) -> str | None:
    """The model format a file name says (``sbml``, ``json``, ``yaml``, ``mat``), or None.

    Compression suffixes (``.gz``, ``.bz2``) are looked through.

    Examples
    --------
    >>> format_of("iJO1366.xml.gz")
    'sbml'
    """
    return _format_from_name(Path(path).name)


def _sniff(head: bytes) -> str | None:
    """Guess the format from the first bytes of a decompressed file."""
    if head.startswith(b"MATLAB"):
        return "mat"
    if head.startswith(b"\x89HDF"):
        return "mat-hdf5"
    text = _decode_head(head[:4096]).lstrip("\ufeff \t\r\n")
    if text.startswith("<"):
        return "sbml"
    if text.startswith("{"):
        return "json"
    if text.startswith(("!!omap", "---", "%YAML")) or re.match(r"[A-Za-z_]+\s*:", text):
        return "yaml"
    return None


def _decode_head(head: bytes) -> str:
    """Decode the start of a file well enough to look at its markup."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="ignore")
    if head.startswith(b"<\x00"):
        return head.decode("utf-16-le", errors="ignore")
    if head.startswith(b"\x00<"):
        return head.decode("utf-16-be", errors="ignore")
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    return head.decode("latin-1")


@contextlib.contextmanager
def _open_source(path: str | os.PathLike[str]) -> Iterator[_Source]:
    """Check ``path``, decompress it if needed and tell its format."""
    path = Path(path).expanduser()
    kind = _compression(_check_regular_file(path))
    with contextlib.ExitStack() as stack:
        data_path = path
        if kind is not None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="metalign-")))
            data_path = folder / (_strip_compression_suffix(path.name) or "model")
            _decompress(path, kind, data_path)
            if data_path.stat().st_size == 0:
                raise _read_error(path, f"the file is empty after {kind} decompression")
        with open(data_path, "rb") as handle:
            head = handle.read(PROLOG_SCAN_BYTES)
        yield _Source(path=path, data_path=data_path, fmt=_format_of_file(path, head), head=head)


def _check_regular_file(path: Path) -> bytes:
    """Refuse a missing, special, empty or oversized file; its first four bytes."""
    try:
        status = path.stat()
    except FileNotFoundError as error:
        raise _read_error(path, "no such file") from error
    except OSError as error:
        raise _read_error(path, f"cannot access the file ({error})") from error
    if path.is_dir():
        raise _read_error(path, "is a directory, not a model file")
    if not path.is_file():
        raise _read_error(path, "not a regular file")
    if status.st_size == 0:
        raise _read_error(path, "the file is empty")
    if status.st_size > MAX_DECOMPRESSED_BYTES:
        raise _read_error(
            path, f"the file is larger than the limit of {MAX_DECOMPRESSED_BYTES:,} bytes"
        )
    try:
        with open(path, "rb") as handle:
            return handle.read(4)
    except OSError as error:
        raise _read_error(path, f"cannot open the file ({error})") from error


def _format_of_file(path: Path, head: bytes) -> str:
    """The format the name says, else the one the content says; warns when they disagree."""
    fmt = _format_from_name(path.name)
    sniffed = _sniff(head)
    if fmt is None:
        if sniffed == "mat-hdf5":
            raise _read_error(
                path, "MATLAB v7.3 (HDF5) files are not supported; save with `-v7`", "mat"
            )
        if sniffed is None:
            raise _read_error(
                path,
                f"unknown suffix {path.suffix!r} and content that is not SBML, JSON, "
                "YAML or MAT (use .xml, .sbml, .json, .yml, .yaml or .mat)",
            )
        logger.debug("%s: format %s guessed from the content.", path, sniffed)
        return sniffed
    if sniffed in FORMATS.values() and sniffed != fmt and sniffed != "yaml":
        logger.warning(
            "%s: the suffix says %s but the content looks like %s.",
            path,
            _FORMAT_LABELS[fmt],
            _FORMAT_LABELS[sniffed],
        )
    return fmt


# ---------------------------------------------------------------- security


class _Refused(Exception):
    """Raised from inside the expat handlers to stop at the first unsafe construct."""


def _check_xml(source: _Source) -> str:
    """Tokenize the whole XML file with expat before libsbml sees it; its sha256.

    Refused: a DOCTYPE with an external DTD, any entity or attribute-list
    declaration (whatever comments, literals or padding come before it), any
    external entity reference, elements nested deeper than
    :data:`MAX_XML_DEPTH`, and XML that expat finds not well-formed (so that
    no other parser reads what this one could not check). The file is read in
    1 MiB chunks; memory stays flat whatever its size. Returns the sha256 (hex) of
    the bytes checked.
    """
    digest = hashlib.sha256()
    parser = _safe_expat_parser()
    try:
        with open(source.data_path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except _Refused as error:
        raise _read_error(source.path, str(error), "sbml") from None
    except expat.ExpatError as error:
        where = f"line {error.lineno}, column {error.offset}"
        raise _read_error(
            source.path, f"Badly formed XML: {expat.ErrorString(error.code)} at {where}", "sbml"
        ) from error
    except (LookupError, UnicodeError) as error:
        raise _read_error(
            source.path, f"Badly formed XML: unsupported text encoding ({error})", "sbml"
        ) from error
    except OSError as error:
        raise _read_error(source.path, f"cannot read the file ({error})", "sbml") from error
    return digest.hexdigest()


def _refuse(reason: str) -> Callable[..., Any]:
    def handler(*args: Any) -> Any:
        raise _Refused(reason)

    return handler


def _safe_expat_parser() -> Any:
    """An expat parser that raises :class:`_Refused` at the first unsafe construct."""
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    depth = 0
    limit = MAX_XML_DEPTH

    def doctype(name, system_id, public_id, has_internal_subset) -> None:
        if system_id or public_id:
            raise _Refused("DOCTYPE with an external DTD is not allowed")

    def start(name, attributes) -> None:
        nonlocal depth
        depth += 1
        if depth > limit:
            raise _Refused(f"elements nested deeper than {limit} levels are not allowed")

    def end(name) -> None:
        nonlocal depth
        depth -= 1

    entity = _refuse("DOCTYPE with entity declarations is not allowed")
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity
    parser.UnparsedEntityDeclHandler = entity
    parser.AttlistDeclHandler = _refuse("DOCTYPE with attribute-list declarations is not allowed")
    parser.ExternalEntityRefHandler = _refuse("external entity references are not allowed")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    return parser


def check_xml_file(path: str | os.PathLike[str]) -> None:
    """Run the safety pass :func:`read_model` runs before libsbml sees an XML file.

    For code that hands a user's SBML file to libsbml itself (e.g. to patch the
    document): call this first.

    Parameters
    ----------
    path : path-like
        An SBML file, optionally gzip/bzip2 compressed.

    Raises
    ------
    cobra_metalign.errors.ModelReadError
        Not a regular file, too large, entity or attribute-list declarations,
        an external DTD or entity, nesting deeper than :data:`MAX_XML_DEPTH`,
        or not well-formed XML.
    """
    with _open_source(path) as source:
        _check_xml(source)


def _check_yaml_aliases(text: str, path: Path) -> None:
    from ruamel.yaml import YAML
    from ruamel.yaml.events import AliasEvent

    for event in YAML(typ="rt").parse(text):
        if isinstance(event, AliasEvent):
            raise _read_error(path, "YAML aliases (*name) are not allowed", "yaml")


# ----------------------------------------------------------------- readers


def _describe(error: BaseException) -> str:
    """A one-line cause for ``error``, looking through cobra's generic wrapper."""
    cause = error
    message = str(error)
    if message.startswith("Something went wrong") and error.__cause__ is not None:
        cause = error.__cause__
        message = str(cause)
    message = " ".join(message.split())
    if len(message) > 300:
        message = message[:297] + "..."
    return f"{type(cause).__name__}: {message}" if message else type(cause).__name__


def _first_libsbml_error(data_path: Path) -> str | None:
    """The first error (or fatal) libsbml reports while parsing ``data_path``."""
    try:
        document = libsbml.readSBMLFromFile(str(data_path))
    except Exception:  # noqa: BLE001 - only used to enrich a message
        return None
    found = []
    for index in range(document.getNumErrors()):
        error = document.getError(index)
        severity = error.getSeverity()
        if (
            severity >= libsbml.LIBSBML_SEV_ERROR
            and error.getErrorId() != libsbml.MissingXMLEncoding
        ):
            text = " ".join((error.getShortMessage() or error.getMessage()).split())
            found.append((-severity, index, text))
    if not found:
        return None
    return f"libsbml: {min(found)[2][:200]}"


def _prune_association(association) -> bool:
    """Remove empty and/or nodes below ``association``; False when nothing is left."""
    if association is None:
        return False
    if association.isGeneProductRef():
        return bool(association.getGeneProduct())
    if association.isFbcAnd() or association.isFbcOr():
        children = association.getListOfAssociations()
        for index in reversed(range(children.size())):
            if not _prune_association(children.get(index)):
                children.remove(index)
        return children.size() > 0
    return False


def _repair_sbml(data_path: Path) -> tuple[cobra.Model | None, list[str]]:
    """Read an SBML file cobra failed on after pruning empty gene associations."""
    document = libsbml.readSBMLFromFile(str(data_path))
    sbml_model = document.getModel()
    if sbml_model is None:
        return None, []
    if document.isPkgEnabled("fbc") and sbml_model.getPlugin("fbc") is not None:
        if sbml_model.getPlugin("fbc").getPackageVersion() == 1:
            properties = libsbml.ConversionProperties()
            properties.addOption("convert fbc v1 to fbc v2", True, "Convert FBC-v1 to FBC-v2")
            if document.convert(properties) != libsbml.LIBSBML_OPERATION_SUCCESS:
                return None, []
            sbml_model = document.getModel()
    pruned = []
    for reaction in sbml_model.getListOfReactions():
        plugin = reaction.getPlugin("fbc")
        if plugin is None or not plugin.isSetGeneProductAssociation():
            continue
        association = plugin.getGeneProductAssociation()
        before = association.toSBML()
        if not _prune_association(association.getAssociation()):
            plugin.unsetGeneProductAssociation()
            pruned.append(reaction.getIdAttribute())
        elif association.toSBML() != before:
            pruned.append(reaction.getIdAttribute())
    if not pruned:
        return None, []
    model = cobra.io.read_sbml_model(libsbml.writeSBMLToString(document))
    return model, [f"pruned empty gene associations of {len(pruned)} reactions: {pruned[:10]}"]


_SPECIES_TAG = re.compile(rb"<(?:\w+:)?species(?:\s+[\w:.-]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*\s*/?>")
_SPECIES_ID = re.compile(rb"\sid\s*=\s*[\"']([^\"']+)[\"']")
# a charge that is not an integer ("NaN", "x") is read by cobra as 0: treat it as missing
_PREFIXED_CHARGE = re.compile(rb"""\s\w+:charge\s*=\s*(["'])\s*[+-]?\d+\s*\1""")
_FBC_NAMESPACE = re.compile(rb"sbml\.org/sbml/level3/version\d+/fbc/")


def _restore_missing_charges(model: cobra.Model, data_path: Path, head: bytes) -> None:
    """Undo cobra's charge 0 for FBC species that have no ``fbc:charge``.

    cobra 0.32 sets ``charge = 0`` for every species of an FBC document whose
    charge is unset (iAF692 and iND750 have none at all), and then ignores the
    ``CHARGE`` note. Such a charge is set back to the note's value, or None.
    """
    if not _FBC_NAMESPACE.search(head):
        return
    from cobra.io.sbml import F_REPLACE, F_SPECIE

    clip = F_REPLACE[F_SPECIE]
    missing = set()
    with open(data_path, "rb") as handle:
        content = handle.read()
    for tag in _SPECIES_TAG.finditer(content):
        text = tag.group(0)
        if _PREFIXED_CHARGE.search(text):
            continue
        found = _SPECIES_ID.search(text)
        if found:
            missing.add(clip(found.group(1).decode("utf-8", errors="replace")))
    if not missing:
        return
    restored = 0
    for met in model.metabolites:
        if met.id not in missing or met.charge != 0:
            continue
        note = met.notes.get("CHARGE") if met.notes else None
        charge = _charge(note)
        met.charge = None if math.isnan(charge) else int(charge) if charge.is_integer() else charge
        restored += 1
    logger.info(
        "%s: %d species have no fbc:charge; their charge is taken from the CHARGE note or left unset.",
        data_path.name,
        restored,
    )


def _read_sbml(source: _Source) -> cobra.Model:
    _check_xml(source)
    model = _read_sbml_with_cobra(source)
    _restore_missing_charges(model, source.data_path, source.head)
    return model


def _read_sbml_with_cobra(source: _Source) -> cobra.Model:
    try:
        return cobra.io.read_sbml_model(str(source.data_path))
    except Exception as error:
        try:
            model, fixes = _repair_sbml(source.data_path)
        except Exception:  # noqa: BLE001 - the original error is the one to report
            logger.debug("Repair of %s failed.", source.path, exc_info=True)
            model, fixes = None, []
        if model is None:
            detail = _first_libsbml_error(source.data_path)
            cause = _describe(error) + (f" ({detail})" if detail else "")
            raise _read_error(source.path, cause, "sbml") from error
        logger.warning(
            "%s: cobra could not read the file as it is (%s); read it after a repair: %s.",
            source.path,
            _describe(error),
            "; ".join(fixes),
        )
        return model


def _model_from_clean_dict(data: object, source: _Source) -> cobra.Model:
    # Cleaned before cobra builds the model: a control character in an id makes
    # the solver abort the process (see cobra_metalign.xmltext).
    notes = clean_model_dict(data, str(source.path))
    model = cobra.io.model_from_dict(data)
    mark_cleaned(model, notes)
    return model


def _read_json(source: _Source) -> cobra.Model:
    import json

    with open(source.data_path, encoding="utf-8") as handle:
        data = json.load(handle)
    return _model_from_clean_dict(data, source)


_FLOW_BRACKETS = re.compile(r"[\[\]{}]")


def _check_yaml_depth(text: str, path: Path) -> None:
    """Refuse YAML flow collections nested deeper than :data:`MAX_XML_DEPTH` (the YAML
    parser takes seconds per thousand levels, then fails on recursion)."""
    depth = 0
    for bracket in _FLOW_BRACKETS.finditer(text):
        if bracket.group() in "[{":
            depth += 1
            if depth > MAX_XML_DEPTH:
                raise _read_error(
                    path, f"collections nested deeper than {MAX_XML_DEPTH} levels", "yaml"
                )
        elif depth:
            depth -= 1


def _read_yaml(source: _Source) -> cobra.Model:
    from cobra.io.yaml import yaml as cobra_yaml

    text = source.data_path.read_text(encoding="utf-8")
    _check_yaml_depth(text, source.path)
    if "*" in text:
        _check_yaml_aliases(text, source.path)
    return _model_from_clean_dict(cobra_yaml.load(io.StringIO(text)), source)


def _read_mat(source: _Source) -> cobra.Model:
    if source.head.startswith(b"\x89HDF"):
        raise ValueError("MATLAB v7.3 (HDF5) files are not supported; save with `-v7`")
    model = cobra.io.load_matlab_model(str(source.data_path))
    # A MAT file without compNames gives compartments named None, which cobra's
    # SBML writer cannot write: an empty name is what the file said.
    unnamed = {key: "" for key, name in model.compartments.items() if name is None}
    if unnamed:
        model.compartments = unnamed
    return model


_READERS = {"sbml": _read_sbml, "json": _read_json, "yaml": _read_yaml, "mat": _read_mat}


def _load(source: _Source) -> cobra.Model:
    try:
        model = _READERS[source.fmt](source)
    except ModelReadError:
        raise
    except Exception as error:
        raise _read_error(source.path, _describe(error), source.fmt) from error
    if not isinstance(model, cobra.Model):
        raise _read_error(source.path, "the reader returned no model", source.fmt)
    return model


def read_model(path: str | os.PathLike[str]) -> cobra.Model:
    """Read a model in SBML, JSON, YAML or MAT format (optionally gzip/bzip2 compressed).

    Parameters
    ----------
    path : path-like
        The model file. The format comes from the suffix (``.xml``, ``.sbml``,
        ``.json``, ``.yml``, ``.yaml``, ``.mat``, each optionally followed by
        ``.gz``), or from the content when the suffix is unknown.

    Returns
    -------
    cobra.Model

    Raises
    ------
    cobra_metalign.errors.ModelReadError
        The file is missing, empty, corrupt, unsafe (XML entities, YAML aliases,
        oversized decompression) or not a model cobra can read. Raised from the
        original exception; the message names the file and the cause.

    Examples
    --------
    >>> model = read_model("iJO1366.xml.gz")  # doctest: +SKIP
    """
    return read_model_document(path)[0]


#: Set in the thread that builds a cobra model from a document (see _metabolites_shared).
_BUILDING = threading.local()
_SHARE_LOCK = threading.Lock()
_SHARE_USERS = 0
_SHARED_STATE: dict[str, object] = {}
#: ``Metabolite.copy`` as cobra defines it (inherited from ``Species``).
_COBRA_COPY = cobra.Metabolite.copy


def _copy_unless_building(metabolite: cobra.Metabolite) -> cobra.Metabolite:
    """``Metabolite.copy`` while :func:`_metabolites_shared` is active: the metabolite
    itself in the thread that builds a model from SBML, a deep copy everywhere else."""
    if getattr(_BUILDING, "active", False):
        return metabolite
    return _COBRA_COPY(metabolite)


@contextlib.contextmanager
def _metabolites_shared() -> Iterator[None]:
    """Stop cobra's SBML reader from deep-copying every metabolite once per reaction.

    ``_sbml_to_model`` adds each reaction's stoichiometry before the reaction is in
    the model, so ``Reaction.add_metabolites`` deep-copies each (model-bound)
    metabolite, and ``Model.add_reactions`` then throws every copy away and points
    the reaction at the model's metabolite (114k deep copies for the carveme
    universe; the model comes out the same either way). Inside this context, in
    this thread only, ``Metabolite.copy`` returns the metabolite itself; other
    threads still get copies, and the class is restored when the last reader leaves.
    """
    global _SHARE_USERS
    with _SHARE_LOCK:
        if _SHARE_USERS == 0:
            own = cobra.Metabolite.__dict__.get("copy")
            cobra.Metabolite.copy = _copy_unless_building
            _SHARED_STATE["own"] = own
        _SHARE_USERS += 1
    _BUILDING.active = True
    try:
        yield
    finally:
        _BUILDING.active = False
        with _SHARE_LOCK:
            _SHARE_USERS -= 1
            if _SHARE_USERS == 0:
                own = _SHARED_STATE.pop("own", None)
                if own is None:
                    del cobra.Metabolite.copy
                else:
                    cobra.Metabolite.copy = own


#: Attribute of a document read by :func:`read_model_document`: the :class:`_Parsed` record.
_PARSED_ATTRIBUTE = "metalign_parsed"


@dataclass(frozen=True)
class _Parsed:
    """Which file a document was parsed from, and the sha256 of the bytes libsbml read."""

    path: Path
    sha256: str


def _read_sbml_once(source: _Source) -> tuple[cobra.Model, libsbml.SBMLDocument]:
    """Parse an SBML file once with libsbml; build the cobra model from that document.

    cobra converts FBC v1 documents to v2 in place while reading them, so those
    (and files cobra can only read after a repair) are parsed a second time for cobra.
    """
    digest = _check_xml(source)
    document = libsbml.readSBMLFromFile(str(source.data_path))
    plugin = document.getPlugin("fbc")
    fbc_v1 = (
        plugin is not None and document.isPkgEnabled("fbc") and (plugin.getPackageVersion() == 1)
    )
    model = None
    if not fbc_v1 and document.getModel() is not None:
        try:
            from cobra.io.sbml import _sbml_to_model  # one parse instead of two

            with _metabolites_shared():
                model = _sbml_to_model(document)
        except Exception:  # noqa: BLE001 - the full reader below reports the error
            logger.debug("Building %s from its document failed.", source.path, exc_info=True)
            document = libsbml.readSBMLFromFile(str(source.data_path))
    if model is None:
        model = _read_sbml_with_cobra(source)
    _restore_missing_charges(model, source.data_path, source.head)
    setattr(document, _PARSED_ATTRIBUTE, _Parsed(source.path, digest))
    return model, document


def read_model_document(
    path: str | os.PathLike[str],
) -> tuple[cobra.Model, libsbml.SBMLDocument | None]:
    """Read a model; for SBML also return the libsbml document it was read from.

    The file goes through the same checks as :func:`read_model`; SBML is parsed
    once. The document is what :func:`cobra_metalign.rewrite.sbml.patch_document`
    writes a rewrite plan into.

    Parameters
    ----------
    path : path-like

    Returns
    -------
    model : cobra.Model
    document : libsbml.SBMLDocument or None
        None for JSON, YAML and MAT.

    Raises
    ------
    cobra_metalign.errors.ModelReadError
        As :func:`read_model`.
    """
    started = time.perf_counter()
    logger.info("Reading %s", path)
    with _open_source(path) as source:
        if source.fmt != "sbml":
            model, document = _load(source), None
        else:
            try:
                model, document = _read_sbml_once(source)
            except ModelReadError:
                raise
            except Exception as error:
                raise _read_error(source.path, _describe(error), source.fmt) from error
    _sanitize(model, path)
    clean_model_text(model, str(path))
    if len(model.metabolites) == 0:
        logger.warning("%s: the model has no metabolites.", path)
    logger.info(
        "Read %s: %d metabolites, %d reactions in %.1f s",
        path,
        len(model.metabolites),
        len(model.reactions),
        time.perf_counter() - started,
    )
    return model, document


def _sanitize(model: cobra.Model, path: str | os.PathLike[str]) -> None:
    """Unset charges that are not finite numbers and drop annotation values that are
    neither strings nor lists of strings (e.g. from a hand-edited JSON file), so that
    the model can be written back as SBML; each change is logged as a warning."""
    _check_model_content(model, path)
    for met in model.metabolites:
        if met.charge is not None and not isinstance(met.charge, bool):
            charge = _charge(met.charge)
            if math.isnan(charge):
                logger.warning("%s: %s has an invalid charge %r; unset.", path, met.id, met.charge)
                met.charge = None
            elif not isinstance(met.charge, int | float):
                met.charge = int(charge) if charge.is_integer() else charge
        annotation = met.annotation
        for key in list(annotation):
            value = annotation[key]
            good = (
                isinstance(key, str)
                and key
                and (
                    isinstance(value, str)
                    or (isinstance(value, list) and all(isinstance(v, str) for v in value))
                )
            )
            if not good:
                logger.warning(
                    "%s: %s has an invalid annotation %r: %r; dropped.", path, met.id, key, value
                )
                del annotation[key]


def _content_problem(model: cobra.Model) -> str | None:
    """What would fail later with a traceback or blow up memory, or None: overlong ids,
    formulas that are not text, coefficients that are not finite numbers."""
    return _long_id_problem(model) or _formula_problem(model) or _coefficient_problem(model)


def _long_id_problem(model: cobra.Model) -> str | None:
    for kind, items in (
        ("metabolite", model.metabolites),
        ("reaction", model.reactions),
        ("gene", model.genes),
    ):
        for item in items:
            if len(str(item.id)) > MAX_ID_LENGTH:
                return (
                    f"{kind} id {str(item.id)[:40]!r}... is {len(str(item.id)):,} characters "
                    f"long (at most {MAX_ID_LENGTH} allowed)"
                )
    if any(len(str(compartment)) > MAX_ID_LENGTH for compartment in model.compartments):
        return f"compartment id longer than {MAX_ID_LENGTH} characters"
    return None


def _formula_problem(model: cobra.Model) -> str | None:
    for met in model.metabolites:
        if met.formula is not None and not isinstance(met.formula, str):
            return f"metabolite {met.id!r} has a formula that is not text: {met.formula!r:.60}"
    return None


def _finite(value: object) -> bool:
    try:
        return math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def _coefficient_problem(model: cobra.Model) -> str | None:
    for reaction in model.reactions:
        for met, coefficient in reaction.metabolites.items():
            if not _finite(coefficient):
                return (
                    f"reaction {reaction.id!r} has the coefficient {coefficient!r} for "
                    f"{met.id!r}; coefficients must be finite numbers"
                )
    return None


def _check_model_content(model: cobra.Model, path: str | os.PathLike[str]) -> None:
    problem = _content_problem(model)
    if problem:
        raise _read_error(Path(path), problem)


def check_model(model: cobra.Model) -> None:
    """Refuse a model (given to the API) that the alignment cannot handle safely.

    Parameters
    ----------
    model : cobra.Model

    Raises
    ------
    cobra_metalign.errors.ModelReadError
        An id longer than :data:`MAX_ID_LENGTH`, a formula that is not text, or
        a stoichiometric coefficient that is not a finite number; the message
        names the item.
    """
    problem = _content_problem(model)
    if problem:
        raise ModelReadError(f"model {model.id!r}: {problem}")


def _severe(document: libsbml.SBMLDocument) -> list[libsbml.SBMLError]:
    errors = (document.getError(i) for i in range(document.getNumErrors()))
    return [e for e in errors if e.getSeverity() >= libsbml.LIBSBML_SEV_ERROR]


def _sbml_errors(path: Path) -> tuple[libsbml.SBMLDocument, list[libsbml.SBMLError]]:
    with open(path, "rb") as handle:
        compressed = handle.read(2) == b"\x1f\x8b"
    if compressed:
        with gzip.open(path, "rb") as handle:
            document = libsbml.readSBMLFromString(handle.read().decode("utf-8", errors="replace"))
    else:
        document = libsbml.readSBMLFromFile(str(path))
    return document, _severe(document)


def sbml_error_counts(document: libsbml.SBMLDocument) -> Counter:
    """How many errors (severity ERROR or FATAL) of each libsbml error id a parsed document has.

    Taken right after reading an input, it is the baseline of
    :func:`check_written_model`: the input's own errors, which a patched output keeps.
    """
    return Counter(e.getErrorId() for e in _severe(document))


@dataclass(frozen=True)
class SbmlBaseline:
    """What :func:`check_written_model` knows of the SBML input a file was patched from.

    Attributes
    ----------
    errors : collections.Counter
        The input's own libsbml errors (:func:`sbml_error_counts`), which the output may keep.
    sha256 : str or None
        The sha256 of the (decompressed) input bytes libsbml parsed into a model with
        exactly these errors, when known: a written file with the same bytes needs no
        second parse to be known readable.
    """

    errors: Counter
    sha256: str | None = None


def sbml_baseline(document: libsbml.SBMLDocument) -> SbmlBaseline:
    """The read-back baseline of a document from :func:`read_model_document`.

    Take it right after reading, before the document is changed.
    """
    parsed = getattr(document, _PARSED_ATTRIBUTE, None)
    return SbmlBaseline(sbml_error_counts(document), parsed.sha256 if parsed else None)


def source_bytes(document: libsbml.SBMLDocument) -> bytes | None:
    """The bytes of the SBML file ``document`` was read from, decompressed, or None.

    The file is opened again with the checks of :func:`read_model`; the bytes are
    returned only when their sha256 is the one of the bytes libsbml parsed into
    ``document`` (None when the file changed since, or the document did not come
    from :func:`read_model_document`). Writing these bytes is writing the input as
    it was read, byte for byte.
    """
    parsed = getattr(document, _PARSED_ATTRIBUTE, None)
    if parsed is None:
        return None
    try:
        with _open_source(parsed.path) as source:
            data = source.data_path.read_bytes()
    except (ModelReadError, OSError):
        return None
    if hashlib.sha256(data).hexdigest() != parsed.sha256:
        logger.info("%s changed since it was read; its document is serialised.", parsed.path)
        return None
    return data


def _decompressed_sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        compressed = handle.read(2) == b"\x1f\x8b"
    digest = hashlib.sha256()
    with gzip.open(path, "rb") if compressed else open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def check_written_model(
    path: str | os.PathLike[str],
    baseline: str | os.PathLike[str] | Counter | SbmlBaseline | None = None,
) -> None:
    """Read a freshly written model file back and raise when it is not readable.

    SBML (``.xml``/``.sbml``, gzip or not, told by the name's suffix) is parsed
    by libsbml; any message of severity ERROR or FATAL fails the check (e.g.
    characters XML 1.0 cannot hold, a species without a compartment), except a
    chemical formula that is not a valid SBML formula (the input's own data,
    kept with a warning). Other formats are not checked.

    Parameters
    ----------
    path : path-like
        The written file.
    baseline : path-like, Counter or SbmlBaseline, optional
        The SBML input the file was patched from, or its :func:`sbml_error_counts`,
        or its :func:`sbml_baseline`: errors it already had (as many of each libsbml
        error id) are the curator's, kept as they were, and do not fail the check;
        only errors the writing added do. A file whose (decompressed) bytes are the
        very bytes of an :class:`SbmlBaseline` (same sha256) passes without a second
        parse: libsbml has read those bytes into a model with exactly those errors.

    Raises
    ------
    cobra_metalign.errors.ModelWriteError
        Naming the first libsbml error.
    """
    path = Path(path)
    if _format_from_name(path.name) != "sbml":
        return
    if isinstance(baseline, SbmlBaseline):
        if baseline.sha256 is not None and _decompressed_sha256(path) == baseline.sha256:
            logger.debug("%s holds the bytes of the input as read: known readable.", path)
            return
        baseline = baseline.errors
    document, errors = _sbml_errors(path)
    allowed: Counter | None = None
    if errors and isinstance(baseline, Counter):
        allowed = Counter(baseline)
    elif errors and baseline is not None and _format_from_name(Path(baseline).name) == "sbml":
        with _open_source(baseline) as source:
            allowed = sbml_error_counts(_sbml_errors(source.data_path)[0])
    if allowed is not None:
        new = []
        for error in errors:
            if allowed[error.getErrorId()] > 0:
                allowed[error.getErrorId()] -= 1
            else:
                new.append(error)
        errors = new
    found = [
        " ".join((e.getShortMessage() or e.getMessage()).split())
        + f" (line {e.getLine()}: {' '.join(e.getMessage().split())[:160]})"
        for e in errors
    ]
    if found or document.getModel() is None:
        raise ModelWriteError(
            "the written SBML cannot be read back: "
            + ("; ".join(found[:3]) if found else "libsbml finds no model")
        )


# -------------------------------------------------------------- validation


def validate(path: str | os.PathLike[str]) -> tuple[cobra.Model | None, pd.DataFrame]:
    """Read a model and list what is wrong with it; never raises for bad content.

    For SBML this is :func:`cobra.io.validate_sbml_model` (libsbml consistency
    checks and cobra's own), plus the repair :func:`read_model` applies when
    cobra alone cannot read the file. For JSON, YAML and MAT the model is
    loaded and cobra's formula check is run; a load failure is one row. A
    missing, empty, corrupt or unsafe file also gives ``None`` and one row.

    Parameters
    ----------
    path : path-like
        The model file.

    Returns
    -------
    model : cobra.Model or None
        None when the model cannot be read.
    errors : pandas.DataFrame
        One row per message, columns ``severity`` (``fatal``, ``error`` or
        ``warning``), ``category`` (``file``, ``sbml``, ``sbml_schema``,
        ``cobra``, ``cobra_check``, ``metalign``, ``json``, ``yaml``, ``mat``)
        and ``message``.
    """
    rows: list[tuple[str, str, str]] = []
    model: cobra.Model | None = None
    try:
        with _open_source(path) as source:
            if source.fmt == "sbml":
                model = _validate_sbml(source, rows)
            else:
                try:
                    model = _load(source)
                except ModelReadError as error:
                    rows.append(("fatal", source.fmt, str(error)))
                else:
                    rows.extend(_cobra_checks(model))
    except ModelReadError as error:
        rows.append(("fatal", "file", str(error)))
        model = None
    return model, pd.DataFrame(rows, columns=list(VALIDATION_COLUMNS))


def _cobra_checks(model: cobra.Model) -> list[tuple[str, str, str]]:
    from cobra.manipulation.validate import check_metabolite_compartment_formula

    try:
        messages = check_metabolite_compartment_formula(model)
    except Exception as error:  # noqa: BLE001 - a check must not break validation
        return [("warning", "cobra_check", f"formula check failed: {_describe(error)}")]
    return [("warning", "cobra_check", str(message)) for message in messages]


def _validate_sbml(source: _Source, rows: list[tuple[str, str, str]]) -> cobra.Model | None:
    _check_xml(source)
    try:
        model, errors = cobra.io.validate_sbml_model(str(source.data_path))
    except Exception as error:  # noqa: BLE001 - validation reports, it does not raise
        rows.append(("fatal", "sbml", str(_read_error(source.path, _describe(error), "sbml"))))
        return None
    for key, messages in errors.items():
        severity, category = _COBRA_ERROR_KEYS.get(key, ("error", key.lower()))
        rows.extend((severity, category, str(message).strip()) for message in messages)
    if model is None:
        try:
            model, fixes = _repair_sbml(source.data_path)
        except Exception:  # noqa: BLE001 - keep cobra's own report
            model, fixes = None, []
        if model is not None:
            rows.extend(("warning", "metalign", f"read after a repair: {fix}") for fix in fixes)
    if model is not None:
        _restore_missing_charges(model, source.data_path, source.head)
    return model


# ------------------------------------------------------------------ writing


def _target_format(path: Path) -> tuple[str, bool]:
    name = path.name
    compressed = name.lower().endswith(".gz")
    fmt = FORMATS.get(Path(name[:-3] if compressed else name).suffix.lower())
    if fmt is None:
        raise ModelWriteError(
            f"Cannot write {path}: unknown format suffix; use .xml, .sbml, .json, .yml, "
            ".yaml or .mat, optionally followed by .gz."
        )
    return fmt, compressed


def _mat_variable_name(model: cobra.Model) -> str:
    name = re.sub(r"\W", "_", str(model.id or ""))
    if not name or not name[0].isalpha():
        name = "model_" + name if name else "exported_model"
    return name[:63]


def _sort_group_members(text: str) -> str:
    """Write SBML group members in id order (cobra keeps them in a set, whose order varies)."""
    document = libsbml.readSBMLFromString(text)
    sbml_model = document.getModel()
    plugin = sbml_model.getPlugin("groups") if sbml_model is not None else None
    if plugin is None:
        return text
    for index in range(plugin.getNumGroups()):
        members = plugin.getGroup(index).getListOfMembers()
        ordered = sorted(
            (members.get(i).clone() for i in range(members.size())),
            key=lambda member: (member.getIdRef(), member.getId()),
        )
        while members.size():
            members.remove(0)
        for member in ordered:
            members.append(member)
    return libsbml.writeSBMLToString(document)


#: What SBML FBC accepts as ``fbc:chemicalFormula`` (libsbml's own rule).
_FBC_FORMULA = re.compile(r"(?:[A-Z][a-z]*[0-9]*)*")


@contextlib.contextmanager
def _formulas_fbc_can_hold(model: cobra.Model) -> Iterator[None]:
    """Write formulas FBC cannot hold (``(C6H10O5)n``, ``C3H??``) as a ``FORMULA`` note instead.

    The written SBML stays valid and nothing is lost: cobra reads a formula back
    from the notes. The model is restored on exit.
    """
    moved = [
        (met, met.formula, dict(met.notes))
        for met in model.metabolites
        if isinstance(met.formula, str) and met.formula and not _FBC_FORMULA.fullmatch(met.formula)
    ]
    for met, formula, notes in moved:
        met.notes = {**notes, "FORMULA": formula}
        met.formula = None
    if moved:
        logger.warning(
            "%d formulas that SBML FBC cannot hold were written as FORMULA notes instead: %s",
            len(moved),
            ", ".join(f"{met.id} ({formula})" for met, formula, _ in moved[:5])
            + (" ..." if len(moved) > 5 else ""),
        )
    try:
        yield
    finally:
        for met, formula, notes in moved:
            met.formula = formula
            met.notes = notes


@contextlib.contextmanager
def _charges_fbc_can_hold(model: cobra.Model) -> Iterator[None]:
    """Write whole-number float charges (``-2.0`` from JSON) as integers, others as a note.

    libsbml stores a float given to ``FbcSpeciesPlugin.setCharge`` of an FBC v2
    species as ``fbc:charge="0"``: every charge of a JSON model was written as 0.
    A charge that is not a whole number (FBC v2 holds integers only) becomes a
    ``CHARGE`` note, as :func:`_formulas_fbc_can_hold` does for formulas (the
    reader takes it back). The model is restored on exit.
    """
    changed = [
        (met, met.charge, dict(met.notes))
        for met in model.metabolites
        if isinstance(met.charge, float)
        or (met.charge is not None and not isinstance(met.charge, int))
    ]
    fractional = []
    for met, charge, notes in changed:
        value = _charge(charge)
        if math.isnan(value) or not value.is_integer():
            met.notes = {**notes, "CHARGE": str(charge)}
            met.charge = None
            fractional.append(f"{met.id} ({charge})")
        else:
            met.charge = int(value)
    if fractional:
        logger.warning(
            "%d charges that SBML FBC cannot hold were written as CHARGE notes instead: %s",
            len(fractional),
            ", ".join(fractional[:5]) + (" ..." if len(fractional) > 5 else ""),
        )
    try:
        yield
    finally:
        for met, charge, notes in changed:
            met.charge = charge
            met.notes = notes


@contextlib.contextmanager
def _without_unused_blank_compartment(model: cobra.Model) -> Iterator[None]:
    """Leave out a compartment with an empty id (cobra makes one from JSON) that nothing uses.

    SBML ids cannot be empty: written, it makes the file invalid.
    """
    compartments = model._compartments  # cobra offers no public way to drop one
    blank = "" in compartments and not any(not m.compartment for m in model.metabolites)
    name = compartments.pop("") if blank else None
    try:
        yield
    finally:
        if blank:
            compartments[""] = name


def _serialize(model: cobra.Model, fmt: str) -> bytes:
    """The bytes of ``model`` in ``fmt``; deterministic for a given model."""
    to_bytes = getattr(model, "to_bytes", None)
    if to_bytes is not None:  # a patched SBML document (cobra_metalign.rewrite.sbml)
        if fmt != "sbml":
            raise ModelWriteError(
                f"a patched SBML document can only be written as SBML, not {_FORMAT_LABELS[fmt]}"
            )
        return to_bytes()
    if fmt == "sbml":
        buffer = io.StringIO()
        with (
            _formulas_fbc_can_hold(model),
            _charges_fbc_can_hold(model),
            _without_unused_blank_compartment(model),
        ):
            cobra.io.write_sbml_model(model, buffer)
        text = buffer.getvalue()
        if len(model.groups):
            text = _sort_group_members(text)
        return text.encode("utf-8")
    if fmt == "json":
        buffer = io.StringIO()
        cobra.io.save_json_model(model, buffer)
        return buffer.getvalue().encode("utf-8")
    if fmt == "yaml":
        buffer = io.StringIO()
        cobra.io.save_yaml_model(model, buffer)
        return buffer.getvalue().encode("utf-8")
    binary = io.BytesIO()
    cobra.io.save_matlab_model(model, binary, varname=_mat_variable_name(model))
    data = bytearray(binary.getvalue())
    # scipy writes "Created on: <date>" into the 116-byte text header.
    data[:_MAT_HEADER_SIZE] = _MAT_HEADER_TEXT.ljust(_MAT_HEADER_SIZE, b" ")
    return bytes(data)


def _same_file(first: Path, second: Path) -> bool:
    try:
        return os.path.samefile(first, second)
    except OSError:
        return first.resolve() == second.resolve()


def write_model(
    model: cobra.Model,
    path: str | os.PathLike[str],
    overwrite: bool = False,
    input_path: str | os.PathLike[str] | None = None,
) -> Path:
    """Write a model atomically in the format its suffix names.

    A cobra model's SBML is written as Level 3 Version 1 with FBC v2 by cobra; a
    :class:`~cobra_metalign.rewrite.sbml.PatchedDocument` is written as the
    document it is (same level, version and packages); ``.gz`` adds
    gzip compression without a time stamp, so two writes of the same model give
    identical bytes.

    Parameters
    ----------
    model : cobra.Model or PatchedDocument
        The model to write (a patched document: SBML targets only).
    path : path-like
        Target file: ``.xml``, ``.sbml``, ``.json``, ``.yml``, ``.yaml`` or
        ``.mat``, optionally followed by ``.gz``.
    overwrite : bool, optional
        Replace an existing file (default False).
    input_path : path-like, optional
        The file the model was read from; writing onto it is refused unless
        ``overwrite`` is True, whatever path spelling or link leads to it.

    Returns
    -------
    pathlib.Path
        The written path.

    Raises
    ------
    cobra_metalign.errors.ModelWriteError
        Unknown suffix, target exists (or is the input) and ``overwrite`` is
        False, target is a directory, or cobra/the file system failed. Nothing is
        left behind on failure: neither a temporary file nor a changed target.
    """
    # Lexical normalization first: "new/../model.xml" must be seen as the
    # existing model.xml before atomic_path creates "new".
    path = Path(os.path.abspath(Path(path).expanduser()))
    fmt, compressed = _target_format(path)
    if path.is_dir():
        raise ModelWriteError(f"Cannot write {path}: it is a directory.")
    if (
        input_path is not None
        and not overwrite
        and path.exists()
        and _same_file(path, Path(input_path).expanduser())
    ):
        raise ModelWriteError(
            f"Refusing to overwrite the input model {path}; choose another output file "
            "or pass overwrite=True."
        )
    if path.exists() and not overwrite:
        raise ModelWriteError(f"{path} already exists; pass overwrite=True to replace it.")
    try:
        with atomic_path(path) as temporary:
            data = _serialize(model, fmt)
            if compressed:
                data = gzip.compress(data, mtime=0)
            temporary.write_bytes(data)
    except ModelWriteError:
        raise
    except Exception as error:
        raise ModelWriteError(
            f"Cannot write {_FORMAT_LABELS[fmt]} model to {path}: {_describe(error)}"
        ) from error
    logger.debug("Wrote %s (%s%s).", path, _FORMAT_LABELS[fmt], ", gzip" if compressed else "")
    return path


# --------------------------------------------------------- metabolite table


def _charge(value: object) -> float:
    if value is None or isinstance(value, bool):
        return math.nan
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
    return number if math.isfinite(number) else math.nan


def _formula(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _annotation_pairs(
    annotation: dict[str, object] | None, cache: dict[tuple[str, object], list[tuple[str, str]]]
) -> set[tuple[str, str]]:
    """normalize_annotation, one namespace at a time, memoized across metabolites.

    The compartment copies of a metabolite share their annotations, so most
    entries repeat within a model.
    """
    pairs: set[tuple[str, str]] = set()
    if not annotation:
        return pairs
    for namespace, values in annotation.items():
        key_values = tuple(values) if isinstance(values, list | tuple) else values
        key = (str(namespace), key_values)
        try:
            found = cache.get(key)
        except TypeError:  # unhashable value: no memo
            pairs.update(normalize_annotation({namespace: values}))
            continue
        if found is None:
            found = cache[key] = normalize_annotation({namespace: values})
        pairs.update(found)
    return pairs


def metabolite_table(model: cobra.Model) -> pd.DataFrame:
    """Tabulate the metabolites of a model for matching.

    Parameters
    ----------
    model : cobra.Model

    Returns
    -------
    pandas.DataFrame
        Indexed by metabolite id (index name ``metabolite_id``), in model order,
        with the columns of :data:`METABOLITE_COLUMNS`:

        - ``base_id``, ``compartment``: from
          :func:`cobra_metalign.compartments.split_id` (the compartment attribute,
          or the one inferred from the id suffix, or ``""``);
        - ``name``: as in the model (``""`` when missing; cut to
          :data:`MAX_NAME_LENGTH` characters, with a warning);
        - ``clean_name``: :func:`cobra_metalign.compartments.clean_name` (``""``
          for a name longer than :data:`MAX_NAME_LENGTH`);
        - ``formula``: ``""`` when missing;
        - ``charge``: float, NaN when missing or not a number;
        - ``annotations``: sorted unique tuple of ``(namespace, value)`` pairs from
          the annotation and the COBRA notes
          (:func:`~cobra_metalign.annotations.normalize_annotation`,
          :func:`~cobra_metalign.annotations.xrefs_from_notes`);
        - ``n_reactions``: the number of reactions the metabolite takes part in.
    """
    compartments = tuple(model.compartments)
    cache: dict[tuple[str, object], list[tuple[str, str]]] = {}
    ids: list[str] = []
    columns: dict[str, list[object]] = {column: [] for column in METABOLITE_COLUMNS}
    for met in model.metabolites:
        base_id, compartment = split_id(met.id, met.compartment, compartments)
        name = "" if met.name is None else str(met.name)
        clean = None
        if len(name) > MAX_NAME_LENGTH:
            logger.warning(
                "%s: the name is %d characters long; only its first %d are kept for matching "
                "(the model keeps it whole).",
                met.id,
                len(name),
                MAX_NAME_LENGTH,
            )
            name, clean = name[:MAX_NAME_LENGTH], ""
        pairs = _annotation_pairs(met.annotation, cache)
        if met.notes:
            pairs.update(xrefs_from_notes(met.notes))
        ids.append(met.id)
        columns["base_id"].append(base_id)
        columns["compartment"].append(compartment)
        columns["name"].append(name)
        columns["clean_name"].append(clean_name(name, compartment) if clean is None else clean)
        columns["formula"].append(_formula(met.formula))
        columns["charge"].append(_charge(met.charge))
        columns["annotations"].append(tuple(sorted(pairs)))
        columns["n_reactions"].append(len(met.reactions))
    table = pd.DataFrame(columns, index=pd.Index(ids, name="metabolite_id", dtype=object))
    table["charge"] = table["charge"].astype(float)
    table["n_reactions"] = table["n_reactions"].astype("int64")
    return table
