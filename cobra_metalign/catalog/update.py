"""Build a fresh BiGG catalogue from BiGG's bulk metabolite download.

``metalign catalog update`` runs :func:`update`: it downloads
``bigg_models_metabolites.txt`` (one row per compartmentalized metabolite) over
HTTP, aggregates it per universal BiGG id, enriches it with the chemistry,
synonyms and equivalences of the packaged catalogue, and writes the result to
the user cache (:func:`cobra_metalign.catalog.store.cached_catalog_path`), where
:func:`cobra_metalign.catalog.store.load_catalog` picks it up.

Every step is all-or-nothing: the download goes to a temporary file that only
replaces the previous one once it is complete, looks like a BiGG metabolites
file and has been turned into a catalogue, and the catalogue is written
atomically.

A new catalogue can silently corrupt every later ``fix`` (a bulk file whose old
ids list ``atp_c; amp_c; co2_c`` would merge them), so it is checked before it
replaces the old one (:func:`check_update`): the bulk file must hold a sane
number of universal ids overlapping the reference (packaged) catalogue; an old
id that is a current id in the reference is taken as a BiGG rename only when
the chemistry agrees, and never when too many ids are renamed at once;
equivalences between ids of different heavy-atom formulas are dropped. The
download is https by default, bounded in size (compressed and decompressed),
in line length and in total time. The previous catalogue is kept
(``catalog.previous.json.gz``) and :func:`use_catalog` goes back to it or to
the packaged one; :func:`diff_catalogs` tells what an update changed. A failure (HTTP error, stall, truncated body, wrong content, no
usable row) raises :class:`~cobra_metalign.errors.DownloadError` or
:class:`~cobra_metalign.errors.CatalogError` and leaves the previous files in
place and working.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import gzip
import logging
import os
import re
import shutil
import stat
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import DecodeError, IncompleteRead, ProtocolError, ReadTimeoutError
from urllib3.util.retry import Retry

from cobra_metalign.annotations import normalize_xref, parse_uri
from cobra_metalign.cache import atomic_path, cache_dir
from cobra_metalign.catalog.store import (
    Catalog,
    CatalogEntry,
    cached_catalog_path,
    packaged_catalog_path,
)
from cobra_metalign.chem import parse_formula
from cobra_metalign.errors import CatalogError, DownloadError, MetalignError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

logger = logging.getLogger(__name__)

__all__ = [
    "BIGG_METABOLITES_URL",
    "DIFF_FILE",
    "PREVIOUS_CATALOG_FILE",
    "check_update",
    "diff_catalogs",
    "use_catalog",
    "BULK_FILE",
    "BULK_COLUMNS",
    "download",
    "parse_bulk_file",
    "reduce_old_id",
    "build_from_bulk",
    "update",
]

#: BiGG's bulk download of every compartmentalized metabolite.
BIGG_METABOLITES_URL = "https://bigg.ucsd.edu/static/namespace/bigg_models_metabolites.txt"
#: Name of the catalogue an update replaced, in the cache directory.
PREVIOUS_CATALOG_FILE = "catalog.previous.json.gz"
#: Name of the table of changes the last update made, in the cache directory.
DIFF_FILE = "catalog.diff.tsv"
#: Largest bulk file accepted, on the wire and after any decompression (bytes).
MAX_BULK_BYTES = 200_000_000
#: Longest line accepted in a bulk file (characters).
MAX_LINE_CHARS = 1 << 20
#: Overall time allowed for a download, whatever the server's pace (seconds).
DEFAULT_DEADLINE = 600.0
#: A new bulk file must hold between these fractions of the reference catalogue's ids...
MIN_ID_RATIO, MAX_ID_RATIO = 0.5, 5.0
#: ...and cover at least this fraction of them (as current or old ids).
MIN_OVERLAP = 0.8
#: At most this many reference ids may be renamed (become old ids) by one update.
MAX_RENAMED = 200
#: Name of the downloaded file in the cache directory.
BULK_FILE = "bigg_models_metabolites.txt"
#: Columns the header of a BiGG metabolites file must hold (tab-separated, any order).
BULK_COLUMNS: tuple[str, ...] = (
    "bigg_id",
    "universal_bigg_id",
    "name",
    "model_list",
    "database_links",
    "old_bigg_ids",
)

_CHUNK = 1 << 16
_HEADER_LIMIT = 1 << 16
_RETRY_STATUS = (500, 502, 503, 504)
_BIGG_ID = re.compile(r"^[A-Za-z0-9_]+$")
_COMPARTMENT = re.compile(r"^[A-Za-z0-9]+$")
_URL_IN_LINK = re.compile(r"https?://\S+", re.IGNORECASE)

#: Labels of ``database_links`` (lower case) -> namespace, for links that are
#: not identifiers.org URIs. Other labels go through ``normalize_xref``'s aliases.
_LINK_LABELS: dict[str, str] = {
    "kegg compound": "kegg.compound",
    "kegg glycan": "kegg.glycan",
    "kegg drug": "kegg.drug",
    "chebi": "chebi",
    "metanetx (mnx) chemical": "metanetx.chemical",
    "metanetx chemical": "metanetx.chemical",
    "seed compound": "seed.compound",
    "human metabolome database": "hmdb",
    "biocyc": "biocyc",
    "metacyc": "biocyc",
    "inchi key": "inchikey",
    "inchikey": "inchikey",
    "lipid maps": "lipidmaps",
    "lipidmaps": "lipidmaps",
    "reactome": "reactome",
    "reactome compound": "reactome",
    "pubchem compound": "pubchem.compound",
    "sabio-rk": "sabiork",
}


# --------------------------------------------------------------------- download
def download(
    url: str = BIGG_METABOLITES_URL,
    dest: Path | None = None,
    *,
    timeout: float = 30.0,
    retries: int = 3,
    max_bytes: int = MAX_BULK_BYTES,
    backoff_factor: float = 0.5,
    deadline: float = DEFAULT_DEADLINE,
) -> Path:
    """Download the BiGG bulk metabolites file atomically.

    Connection errors and HTTP 500/502/503/504 answers are retried ``retries``
    times with exponential backoff; a server that stays silent for ``timeout``
    seconds (while connecting, before answering or in the middle of the body)
    fails at once. The body is streamed to a temporary file beside ``dest``,
    checked (complete, at most ``max_bytes``, a BiGG metabolites header) and
    only then moved onto ``dest``.

    Parameters
    ----------
    url : str, optional
        Where to download from; BiGG's bulk file by default.
    dest : pathlib.Path, optional
        Where to write; ``cache_dir() / "bigg_models_metabolites.txt"`` by default.
    timeout : float, optional
        Seconds allowed to connect, and seconds of silence allowed between two
        reads. A server that sends bytes slowly but steadily is not cut off.
    retries : int, optional
        Retries after a connection error or a 5xx answer.
    max_bytes : int, optional
        Largest body accepted (after decompression of a gzip-encoded answer).
    backoff_factor : float, optional
        Backoff between retries: 0, then ``backoff_factor * 2**n`` seconds.
        A server's ``Retry-After`` is not honoured, so a retry never waits longer.
    deadline : float, optional
        Seconds the whole download may take; a server that drips bytes just
        fast enough to beat ``timeout`` is cut off here.

    Returns
    -------
    pathlib.Path
        ``dest``.

    Raises
    ------
    DownloadError
        On any failure, naming the URL and the cause. ``dest`` is then left as
        it was, and no temporary file is left behind.
    """
    dest = Path(dest) if dest is not None else cache_dir() / BULK_FILE
    try:
        with atomic_path(dest) as tmp:
            _fetch(
                url,
                tmp,
                timeout=timeout,
                retries=retries,
                max_bytes=max_bytes,
                backoff_factor=backoff_factor,
                deadline=deadline,
            )
    except OSError as error:
        raise DownloadError(f"Download of {url} failed: cannot write {dest} ({error})") from error
    return dest


def _session(retries: int, backoff_factor: float) -> requests.Session:
    retry = Retry(
        total=None,
        connect=retries,
        read=0,
        redirect=10,
        status=retries,
        other=0,
        status_forcelist=_RETRY_STATUS,
        allowed_methods=frozenset({"GET"}),
        backoff_factor=backoff_factor,
        raise_on_status=False,
        respect_retry_after_header=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _check_url(url: str) -> None:
    if not isinstance(url, str) or not re.match(r"(?i)https?://[^/\s]+", url):
        raise DownloadError(f"Download of {url!r} refused: not an http(s) URL")
    if url.lower().startswith("http://"):
        logger.warning(
            "Downloading %s over plain http: anyone on the path can change the file; prefer https.",
            url,
        )


def _fetch(
    url: str,
    target: Path,
    *,
    timeout: float,
    retries: int,
    max_bytes: int,
    backoff_factor: float,
    deadline: float = DEFAULT_DEADLINE,
) -> int:
    """Stream ``url`` into ``target`` (not atomic: the caller owns ``target``); return its size."""
    if not timeout > 0 or not deadline > 0:
        raise ValueError("timeout and deadline must be positive numbers of seconds")
    _check_url(url)
    started = time.monotonic()
    end = started + deadline
    received = 0
    session = _session(retries, backoff_factor)
    try:
        with session.get(url, stream=True, timeout=(timeout, timeout)) as response:
            response.raise_for_status()
            declared = response.headers.get("Content-Length", "").strip()
            expected = int(declared) if declared.isdigit() else None
            if expected is not None and expected > max_bytes:
                raise DownloadError(
                    f"Download of {url} refused: the server announces {expected} bytes, "
                    f"more than the limit of {max_bytes}"
                )
            with open(target, "wb") as handle:
                while True:
                    if time.monotonic() > end:
                        raise DownloadError(
                            f"Download of {url} stopped: not finished within the overall "
                            f"deadline of {deadline:g} s ({received} bytes received)"
                        )
                    # read1 returns what has arrived, so the deadline is checked often
                    # even when a server drips its body
                    chunk = response.raw.read1(_CHUNK, decode_content=True)
                    if not chunk:
                        break
                    received += len(chunk)
                    if received > max_bytes:
                        raise DownloadError(
                            f"Download of {url} stopped: the body exceeds the limit of "
                            f"{max_bytes} bytes"
                        )
                    handle.write(chunk)
            # bytes taken from the wire, before any gzip decoding
            wire = response.raw.tell()
            if expected is not None and wire < expected:
                raise DownloadError(
                    f"Download of {url} failed: truncated body ({wire} of {expected} bytes)"
                )
    except requests.HTTPError as error:
        status = error.response.status_code if error.response is not None else None
        retried = f" after {retries} retries" if status in _RETRY_STATUS and retries else ""
        raise DownloadError(
            f"Download of {url} failed: HTTP {status}{retried} ({error})"
        ) from error
    except (
        requests.exceptions.ChunkedEncodingError,
        ProtocolError,
        IncompleteRead,
    ) as error:
        raise DownloadError(
            f"Download of {url} failed: truncated body, the connection closed before "
            f"the end ({error})"
        ) from error
    except (requests.RequestException, ReadTimeoutError, DecodeError) as error:
        if (
            isinstance(error, requests.Timeout | ReadTimeoutError)
            or "timed out" in str(error).lower()
        ):
            reason = f"the server sent nothing for {timeout:g} s (timed out)"
        else:
            reason = type(error).__name__
        raise DownloadError(f"Download of {url} failed: {reason}: {error}") from error
    finally:
        session.close()
    _check_header(target, url, DownloadError)
    logger.info("Downloaded %s: %d bytes in %.1f s.", url, received, time.monotonic() - started)
    return received


# ---------------------------------------------------------------------- parsing
def _check_regular_file(path: Path, label: str) -> None:
    """Refuse a FIFO, a device or a folder: reading one could hang or never end."""
    try:
        mode = path.stat().st_mode
    except OSError as error:
        raise CatalogError(f"{label}: cannot read ({error})") from error
    if not stat.S_ISREG(mode):
        raise CatalogError(f"{label}: not a regular file")


def _open_text(path: Path) -> TextIO:
    """Open a (possibly gzip-compressed) text file as UTF-8, replacing undecodable bytes."""
    with open(path, "rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rt", encoding="utf-8-sig", errors="replace", newline="")
    return open(path, encoding="utf-8-sig", errors="replace", newline="")


def _check_header(
    path: Path, source: str, error_class: type[CatalogError]
) -> tuple[dict[str, int], int]:
    """Return the column positions and the header width of a BiGG metabolites file.

    Raises ``error_class`` when the first line is not a BiGG metabolites header.
    """
    try:
        with _open_text(path) as handle:
            line = handle.readline(_HEADER_LIMIT)
    except (OSError, EOFError) as error:
        raise error_class(f"{source}: cannot read ({error})") from error
    header = [cell.strip().lower() for cell in line.rstrip("\r\n").split("\t")]
    if not all(name in header for name in BULK_COLUMNS):
        raise error_class(
            f"{source}: not a BiGG metabolites file (expected a tab-separated header with "
            f"{', '.join(BULK_COLUMNS)}; the first line is {line[:80].rstrip()!r})"
        )
    return {name: header.index(name) for name in BULK_COLUMNS}, len(header)


def reduce_old_id(old_id: str, compartment: str) -> str:
    """Turn a compartmentalized old BiGG id into its universal form.

    BiGG lists old ids per compartmentalized metabolite (``glc_DASH_D_c`` for
    ``glc__D_c``). The suffix ``_<compartment>`` (or ``[<compartment>]``) of the
    row's own compartment is removed; an old id without that suffix is
    already universal (``dmpq`` for ``23dmphol_h``) and is returned unchanged.

    Parameters
    ----------
    old_id : str
        An old id from the ``old_bigg_ids`` column.
    compartment : str
        The compartment of the row's ``bigg_id`` (``c`` for ``glc__D_c``).

    Returns
    -------
    str

    Examples
    --------
    >>> reduce_old_id("glc_DASH_D_c", "c")
    'glc_DASH_D'
    >>> reduce_old_id("dmpq", "h")
    'dmpq'
    """
    for suffix in (f"_{compartment}", f"[{compartment}]"):
        if old_id.endswith(suffix) and len(old_id) > len(suffix):
            return old_id[: -len(suffix)]
    return old_id


def _parse_links(text: str, row_id: str) -> Iterator[tuple[str, str]]:
    """Yield canonical ``(namespace, value)`` pairs of a ``database_links`` cell."""
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        match = _URL_IN_LINK.search(part)
        if match:
            label = part[: match.start()].strip().rstrip(":").strip()
            uri = match.group(0).rstrip("/")
            pair = parse_uri(uri)
            if pair is None:
                value = re.split(r"[/?=&#]", uri)[-1]
                pair = _from_label(label, value)
        elif ":" in part:
            label, value = part.split(":", 1)
            pair = _from_label(label, value.strip())
        else:
            pair = None
        if pair is None:
            logger.debug("%s: skipped database link %r (not understood).", row_id, part)
            continue
        yield pair


def _from_label(label: str, value: str) -> tuple[str, str] | None:
    namespace = _LINK_LABELS.get(label.strip().lower(), label)
    return normalize_xref(namespace, value) if namespace and value else None


@dataclass
class _Aggregate:
    """What the rows of one universal id say, gathered in file order."""

    names: list[str] = field(default_factory=list)
    old_ids: dict[str, None] = field(default_factory=dict)
    models: dict[str, None] = field(default_factory=dict)
    xrefs: dict[str, dict[str, None]] = field(default_factory=dict)

    def entry(self, universal_id: str) -> CatalogEntry:
        names = list(dict.fromkeys(self.names))
        return CatalogEntry(
            id=universal_id,
            name=names[0] if names else "",
            synonyms=tuple(names[1:]),
            xrefs={ns: tuple(values) for ns, values in self.xrefs.items()},
            old_ids=tuple(o for o in self.old_ids if o != universal_id),
            models=len(self.models),
        )


def parse_bulk_file(path: str | os.PathLike[str]) -> list[CatalogEntry]:
    """Read BiGG's bulk metabolites file into one entry per universal id.

    Rows are compartmentalized metabolites (``glc__D_c``); they are aggregated
    per ``universal_bigg_id``: the first non-empty name (later, different
    names become synonyms), the old ids reduced to their universal form with
    :func:`reduce_old_id`, the number of distinct models using any of the
    rows, and the union of the database links as canonical cross-references
    (identifiers.org URIs through :func:`cobra_metalign.annotations.parse_uri`,
    other links through their label). The file may be gzip-compressed.

    A row is malformed, and skipped with a DEBUG message, when it has more
    cells than the header, an empty or invalid id, or a ``bigg_id`` that is not
    ``<universal_bigg_id>_<compartment>``. Unreadable links are skipped alone.

    Parameters
    ----------
    path : path-like

    Returns
    -------
    list of CatalogEntry
        In the order the universal ids first appear.

    Raises
    ------
    CatalogError
        When the file cannot be read, has no BiGG metabolites header, or has
        no valid row.
    """
    return _parse_bulk(Path(path), str(path))


def _parse_bulk(path: Path, label: str) -> list[CatalogEntry]:
    """Do the work of :func:`parse_bulk_file`, naming the file ``label`` in messages and logs."""
    _check_regular_file(path, label)
    columns, width = _check_header(path, label, CatalogError)
    aggregates: dict[str, _Aggregate] = {}
    rows = skipped = 0
    total = 0
    try:
        with _open_text(path) as handle:
            total += len(handle.readline(_HEADER_LIMIT))
            number = 1
            while True:
                line = handle.readline(MAX_LINE_CHARS + 1)
                if not line:
                    break
                number += 1
                total += len(line)
                if len(line) > MAX_LINE_CHARS:
                    raise CatalogError(
                        f"{label}: line {number} is longer than {MAX_LINE_CHARS:,} characters "
                        "(not a BiGG metabolites file)"
                    )
                if total > MAX_BULK_BYTES:
                    raise CatalogError(
                        f"{label}: more than {MAX_BULK_BYTES:,} characters of text (after "
                        "decompression); refused"
                    )
                line = line.rstrip("\r\n")
                if not line.strip():
                    continue
                rows += 1
                cells = line.split("\t")
                reason = _row_problem(cells, width, columns)
                if reason:
                    skipped += 1
                    logger.debug("%s line %d: skipped malformed row (%s).", label, number, reason)
                    continue
                cells += [""] * (width - len(cells))
                _add_row(aggregates, cells, columns)
    except (OSError, EOFError, zlib.error) as error:
        raise CatalogError(f"{label}: cannot read ({error})") from error
    if not aggregates:
        raise CatalogError(f"{label}: no valid row in the BiGG metabolites file ({rows} rows)")
    logger.info(
        "%s: %d rows, %d universal ids, %d malformed rows skipped.",
        label,
        rows,
        len(aggregates),
        skipped,
    )
    return [aggregate.entry(universal) for universal, aggregate in aggregates.items()]


def _row_problem(cells: list[str], width: int, columns: dict[str, int]) -> str | None:
    if len(cells) > width:
        return f"{len(cells)} cells for {width} columns"
    needed = max(columns["bigg_id"], columns["universal_bigg_id"])
    if len(cells) <= needed:
        return f"only {len(cells)} cells"
    bigg_id = cells[columns["bigg_id"]].strip()
    universal = cells[columns["universal_bigg_id"]].strip()
    if not _BIGG_ID.match(bigg_id) or not _BIGG_ID.match(universal):
        return f"invalid id {bigg_id!r} / {universal!r}"
    compartment = bigg_id[len(universal) + 1 :]
    if not bigg_id.startswith(universal + "_") or not _COMPARTMENT.match(compartment):
        return f"{bigg_id!r} is not {universal!r} plus a compartment"
    return None


def _split_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(";") if item.strip()]


def _add_row(aggregates: dict[str, _Aggregate], cells: list[str], columns: dict[str, int]) -> None:
    bigg_id = cells[columns["bigg_id"]].strip()
    universal = cells[columns["universal_bigg_id"]].strip()
    compartment = bigg_id[len(universal) + 1 :]
    aggregate = aggregates.setdefault(universal, _Aggregate())
    name = cells[columns["name"]].strip()
    if name:
        aggregate.names.append(name)
    for model in _split_list(cells[columns["model_list"]]):
        aggregate.models[model] = None
    for old in _split_list(cells[columns["old_bigg_ids"]]):
        aggregate.old_ids[reduce_old_id(old, compartment)] = None
    for namespace, value in _parse_links(cells[columns["database_links"]], bigg_id):
        aggregate.xrefs.setdefault(namespace, {})[value] = None


# --------------------------------------------------------------------- building
def _merge(values: Iterable, exclude: Iterable = ()) -> tuple:
    skip = set(exclude)
    return tuple(v for v in dict.fromkeys(values) if v not in skip and v != "")


def _enrich(entry: CatalogEntry, known: CatalogEntry) -> CatalogEntry:
    name = entry.name or known.name
    xrefs = {ns: list(values) for ns, values in entry.xrefs.items()}
    for namespace, values in known.xrefs.items():
        xrefs.setdefault(namespace, []).extend(values)
    return CatalogEntry(
        id=entry.id,
        name=name,
        synonyms=_merge((*entry.synonyms, known.name, *known.synonyms), exclude=(name,)),
        formulas=_merge((*entry.formulas, *known.formulas)),
        charges=tuple(dict.fromkeys((*entry.charges, *known.charges))),
        xrefs={ns: _merge(values) for ns, values in xrefs.items()},
        old_ids=_merge((*entry.old_ids, *known.old_ids), exclude=(entry.id,)),
        models=entry.models or known.models,
        equivalents=_merge((*entry.equivalents, *known.equivalents), exclude=(entry.id,)),
    )


def _default_base() -> Catalog | None:
    path = packaged_catalog_path()
    try:
        return Catalog.load(path)
    except CatalogError as error:
        logger.warning(
            "No packaged catalogue to enrich the BiGG bulk file with (%s): the new catalogue "
            "has no formulas, charges or synonyms beyond BiGG's names.",
            error,
        )
        return None


def build_from_bulk(
    path: str | os.PathLike[str],
    base: Catalog | None = None,
    *,
    source: str | None = None,
) -> Catalog:
    """Build a catalogue from the BiGG bulk file, enriched from a base catalogue.

    The bulk file gives ids, names, old ids, model counts and
    cross-references, but no formula or charge. They come from ``base``:

    - an id in both: the bulk file's name (the base name when BiGG has none),
      the base name and synonyms as synonyms, the base formulas, charges and
      equivalents, and the union of old ids and of cross-references (BiGG's
      first). The model count is BiGG's unless it is 0.
    - an id only in the bulk file: taken as it is (no formula or charge).
    - an id only in ``base``: kept unchanged, so an update never loses an id a
      model may use, unless the bulk file lists it as an old id of another id
      (BiGG renamed it): it is then dropped and :meth:`Catalog.lookup_id` sends
      it to its new id.

    Parameters
    ----------
    path : path-like
        A BiGG bulk metabolites file (plain or gzip).
    base : Catalog, optional
        The catalogue to take chemistry from; the packaged catalogue by default
        (skipped with a WARNING when it is missing). Pass an empty
        ``Catalog([], version="none", source="")`` to build from BiGG alone.
    source : str, optional
        What to record as the catalogue's source; the file path by default.

    Returns
    -------
    Catalog
        Version ``bigg-bulk-<YYYY-MM-DD>`` (the build date).

    Raises
    ------
    CatalogError
        When the bulk file cannot be read or has no valid row.
    """
    path = Path(path)
    source = source or str(path)
    return _assemble(_parse_bulk(path, source), base, source)


def _assemble(entries: list[CatalogEntry], base: Catalog | None, source: str) -> Catalog:
    """The catalogue of :func:`build_from_bulk` from parsed bulk entries."""
    if base is None:
        base = _default_base()
    today = _dt.date.today().isoformat()
    sources = [
        f"BiGG Models bulk metabolite table ({source}); BiGG is free for research "
        "and non-profit use"
    ]
    if base is not None and len(base):
        bulk_ids = {entry.id for entry in entries}
        renamed = {old for entry in entries for old in entry.old_ids} - bulk_ids
        enriched = [_enrich(e, base[e.id]) if e.id in base else e for e in entries]
        shared = sum(1 for e in entries if e.id in base)
        kept = [e for e in base if e.id not in bulk_ids and e.id not in renamed]
        dropped = sum(1 for e in base if e.id in renamed)
        logger.info(
            "Enriched %d of %d BiGG ids from catalogue %s; kept %d ids only it knows, "
            "dropped %d that BiGG renamed.",
            shared,
            len(entries),
            base.version,
            len(kept),
            dropped,
        )
        entries = enriched + kept
        sources.append(f"formulas, charges, synonyms and equivalents from catalogue {base.version}")
        sources.extend(s for s in base.sources if s not in sources)
    return Catalog(
        _drop_conflicting_equivalents(entries),
        version=f"bigg-bulk-{today}",
        source=source,
        created=today,
        sources=sources,
    )


# ------------------------------------------------------------------ checking
def _heavy_atoms(formula: str) -> frozenset | None:
    """Element counts without hydrogen; None when unknown or generic (R groups, polymers)."""
    counts = parse_formula(formula)
    if not counts or counts.get("R") or counts.get("n"):
        return None
    return frozenset((element, n) for element, n in counts.items() if element != "H")


def _formulas_conflict(first: CatalogEntry, second: CatalogEntry) -> bool:
    """True when both have known, specific formulas and no two share their heavy atoms."""
    one = {h for f in first.formulas if (h := _heavy_atoms(f)) is not None}
    two = {h for f in second.formulas if (h := _heavy_atoms(f)) is not None}
    return bool(one) and bool(two) and not one & two


def _drop_conflicting_equivalents(entries: list[CatalogEntry]) -> list[CatalogEntry]:
    """Undo every equivalence group that joins ids of different heavy-atom formulas.

    Equivalence is transitive (a~b and b~c make a~c), so a group is undone as a
    whole: its members lose their equivalents (logged).
    """
    by_id = {entry.id: entry for entry in entries}
    probe = Catalog(entries, version="probe", source="", checksum="-")
    broken: set[str] = set()
    for entry in entries:
        group = probe.equivalents(entry.id)
        if len(group) < 2 or entry.id != group[0]:
            continue
        members = [by_id[i] for i in group]
        if any(
            _formulas_conflict(first, second)
            for index, first in enumerate(members)
            for second in members[index + 1 :]
        ):
            logger.warning(
                "Catalogue update: undid the equivalence of %s (different heavy-atom formulas).",
                ", ".join(group),
            )
            broken.update(group)
    return [
        dataclasses.replace(entry, equivalents=()) if entry.id in broken else entry
        for entry in entries
    ]


def check_update(
    bulk: list[CatalogEntry], catalog: Catalog, reference: Catalog | None
) -> list[str]:
    """Check a catalogue built from a bulk file before it may replace the old one.

    Parameters
    ----------
    bulk : list of CatalogEntry
        The entries parsed from the bulk file (before enrichment).
    catalog : Catalog
        The catalogue built from them.
    reference : Catalog or None
        A trusted catalogue (the packaged one); the size and overlap checks are
        skipped when it is None or empty.

    Returns
    -------
    list of str
        Notes on what was accepted (renames), for the report.

    Raises
    ------
    CatalogError
        - fewer than :data:`MIN_ID_RATIO` or more than :data:`MAX_ID_RATIO` times
          the reference's number of universal ids;
        - less than :data:`MIN_OVERLAP` of the reference's ids found in the
          bulk file, as current or old ids;
        - a reference id turned into an old id of an id whose heavy-atom
          formula differs (a rename must be the same compound), or more than
          :data:`MAX_RENAMED` of them;
        - an equivalence group of the new catalogue joining different
          heavy-atom formulas.
    """
    notes: list[str] = []
    bulk_ids = {entry.id for entry in bulk}
    if reference is not None and len(reference):
        size = len(reference)
        if not MIN_ID_RATIO * size <= len(bulk_ids) <= MAX_ID_RATIO * size:
            raise CatalogError(
                f"the bulk file has {len(bulk_ids)} universal ids, outside the sane range of "
                f"{MIN_ID_RATIO:g}x to {MAX_ID_RATIO:g}x the {size} of catalogue "
                f"{reference.version}; refused (a truncated or tampered file?)"
            )
        covered = bulk_ids | {old for entry in bulk for old in entry.old_ids}
        overlap = sum(1 for entry_id in reference.ids if entry_id in covered) / size
        if overlap < MIN_OVERLAP:
            raise CatalogError(
                f"the bulk file covers only {overlap:.0%} of the ids of catalogue "
                f"{reference.version} (at least {MIN_OVERLAP:.0%} expected); refused"
            )
        renamed: list[tuple[str, str]] = []
        bad: list[str] = []
        for entry in bulk:
            for old in entry.old_ids:
                if old in bulk_ids or old not in reference:
                    continue
                renamed.append((old, entry.id))
                new_entry = catalog.get(entry.id)
                if new_entry is not None and _formulas_conflict(reference[old], new_entry):
                    bad.append(
                        f"{old} ({', '.join(reference[old].formulas)}) -> {entry.id} "
                        f"({', '.join(new_entry.formulas)})"
                    )
        if bad:
            raise CatalogError(
                f"the bulk file turns {len(bad)} current ids into old ids of compounds with "
                f"other formulas: {'; '.join(bad[:5])}; refused"
            )
        if len(renamed) > MAX_RENAMED:
            raise CatalogError(
                f"the bulk file renames {len(renamed)} current ids of catalogue "
                f"{reference.version} at once (at most {MAX_RENAMED}); refused"
            )
        notes.extend(f"renamed {old} -> {new}" for old, new in renamed)
    for entry in catalog:
        group = catalog.equivalents(entry.id)
        if len(group) > 1 and entry.id == group[0]:
            members = [catalog[i] for i in group]
            for index, first in enumerate(members):
                for second in members[index + 1 :]:
                    if _formulas_conflict(first, second):
                        raise CatalogError(
                            f"equivalent ids {first.id} and {second.id} have different "
                            "formulas; refused"
                        )
    return notes


def diff_catalogs(old: Catalog, new: Catalog) -> pd.DataFrame:
    """What changes from ``old`` to ``new``: one row per change.

    Parameters
    ----------
    old, new : Catalog

    Returns
    -------
    pandas.DataFrame
        Columns ``change`` (``added``, ``removed``, ``old_id``, ``formula``,
        ``equivalence``), ``bigg_id``, ``before``, ``after``.
    """
    import pandas as pd

    rows: list[tuple[str, str, str, str]] = []
    old_ids, new_ids = set(old.ids), set(new.ids)
    rows += [("added", i, "", new[i].name) for i in new.ids if i not in old_ids]
    rows += [
        ("removed", i, old[i].name, new.lookup_id(i) or "") for i in old.ids if i not in new_ids
    ]
    for entry in new:
        for alias in entry.old_ids:
            before = old.lookup_id(alias) or ""
            after = new.lookup_id(alias) or ""
            if after and after != before and alias not in new_ids:
                rows.append(("old_id", alias, before, after))
        if entry.id in old_ids:
            before_entry = old[entry.id]
            if set(before_entry.formulas) != set(entry.formulas):
                rows.append(
                    ("formula", entry.id, ";".join(before_entry.formulas), ";".join(entry.formulas))
                )
            before_group = set(old.equivalents(entry.id))
            after_group = set(new.equivalents(entry.id))
            if before_group != after_group and entry.id == new.equivalents(entry.id)[0]:
                rows.append(
                    (
                        "equivalence",
                        entry.id,
                        ";".join(sorted(before_group)),
                        ";".join(sorted(after_group)),
                    )
                )
    return pd.DataFrame(rows, columns=["change", "bigg_id", "before", "after"])


def use_catalog(which: str) -> Path | None:
    """Go back to the packaged catalogue, or to the one the last update replaced.

    Parameters
    ----------
    which : {"packaged", "previous"}
        ``packaged``: the updated catalogue is moved aside (to
        ``catalog.previous.json.gz``) and :func:`~cobra_metalign.catalog.store.load_catalog`
        uses the packaged one again. ``previous``: the updated catalogue and the
        previous one swap places.

    Returns
    -------
    pathlib.Path or None
        The catalogue file now in use from the cache, None for the packaged one.

    Raises
    ------
    CatalogError
        ``previous`` without a previous catalogue, or an unknown choice.
    """
    current = cached_catalog_path()
    previous = cache_dir() / PREVIOUS_CATALOG_FILE
    if which == "packaged":
        if current.exists():
            os.replace(current, previous)
        return None
    if which == "previous":
        if not previous.is_file():
            raise CatalogError(f"no previous catalogue to go back to ({previous} is missing)")
        Catalog.load(previous)  # refuse a corrupted one before switching
        if current.exists():
            swap = current.with_name(current.name + ".swap")
            os.replace(current, swap)
            os.replace(previous, current)
            os.replace(swap, previous)
        else:
            os.replace(previous, current)
        return current
    raise CatalogError(f"unknown catalogue {which!r}: use 'packaged' or 'previous'")


def update(
    url: str | None = None,
    file: str | os.PathLike[str] | None = None,
    *,
    timeout: float = 30.0,
    retries: int = 3,
    base: Catalog | None = None,
    max_bytes: int = MAX_BULK_BYTES,
    backoff_factor: float = 0.5,
    deadline: float = DEFAULT_DEADLINE,
    reference: Catalog | None = None,
) -> Catalog:
    """Build a fresh catalogue from BiGG, check it and install it in the user cache.

    Same as :func:`update_with_report`, without the table of changes.
    """
    return update_with_report(
        url,
        file,
        timeout=timeout,
        retries=retries,
        base=base,
        max_bytes=max_bytes,
        backoff_factor=backoff_factor,
        deadline=deadline,
        reference=reference,
    )[0]


def update_with_report(
    url: str | None = None,
    file: str | os.PathLike[str] | None = None,
    *,
    timeout: float = 30.0,
    retries: int = 3,
    base: Catalog | None = None,
    max_bytes: int = MAX_BULK_BYTES,
    backoff_factor: float = 0.5,
    deadline: float = DEFAULT_DEADLINE,
    reference: Catalog | None = None,
) -> tuple[Catalog, pd.DataFrame]:
    """Build a fresh catalogue from BiGG, check it and install it in the user cache.

    With ``file``, that local bulk file is used; otherwise ``url`` (BiGG's bulk
    download, https, by default) is downloaded to ``cache_dir() / BULK_FILE``.
    The new catalogue is checked (:func:`check_update`) against ``reference``;
    then, all together or not at all, the catalogue in use is kept as
    ``catalog.previous.json.gz``, the new one is written to
    :func:`~cobra_metalign.catalog.store.cached_catalog_path` (where
    :func:`~cobra_metalign.catalog.store.load_catalog` finds it), the changes are
    written to ``catalog.diff.tsv`` and the downloaded file replaces the
    previous one.

    Parameters
    ----------
    url : str, optional
        Where to download the bulk file from (http or https).
    file : path-like, optional
        A local bulk file (a regular file) to use instead of downloading.
    timeout, retries, max_bytes, backoff_factor, deadline : optional
        See :func:`download`.
    base : Catalog, optional
        See :func:`build_from_bulk`; the packaged catalogue by default.
    reference : Catalog, optional
        The trusted catalogue the new one is checked against: ``base`` when
        given, else the packaged catalogue.

    Returns
    -------
    catalog : Catalog
        The new catalogue, its ``path`` set to the cached file.
    changes : pandas.DataFrame
        :func:`diff_catalogs` of the catalogue in use before and the new one.

    Raises
    ------
    DownloadError
        When the download fails (the previous files stay as they were).
    CatalogError
        When the bulk file is unusable or suspicious, or the catalogue cannot
        be written (the previous files stay as they were).
    ValueError
        When both ``url`` and ``file`` are given, or ``timeout`` or
        ``deadline`` is not positive.
    """
    from cobra_metalign.catalog.store import load_catalog

    if url is not None and file is not None:
        raise ValueError("give either url or file, not both")
    if not timeout > 0 or not deadline > 0:
        raise ValueError("timeout and deadline must be positive numbers of seconds")
    if base is None:
        base = _default_base()
    if reference is None:
        reference = base
    try:
        before = load_catalog()
    except CatalogError:
        before = Catalog([], version="none", source="")

    def build(path: Path, source: str) -> tuple[Catalog, pd.DataFrame]:
        entries = _parse_bulk(path, source)
        catalog = _assemble(entries, base, source)
        for note in check_update(entries, catalog, reference):
            logger.info("Catalogue update: %s", note)
        changes = diff_catalogs(before, catalog)
        _install(catalog, changes)
        return catalog, changes

    if file is not None:
        file = Path(file)
        catalog, changes = build(file, str(file))
    else:
        url = url or BIGG_METABOLITES_URL
        bulk = cache_dir() / BULK_FILE
        try:
            with atomic_path(bulk) as tmp:
                _fetch(
                    url,
                    tmp,
                    timeout=timeout,
                    retries=retries,
                    max_bytes=max_bytes,
                    backoff_factor=backoff_factor,
                    deadline=deadline,
                )
                catalog, changes = build(tmp, url)
        except OSError as error:
            raise DownloadError(
                f"Download of {url} failed: cannot write {bulk} ({error})"
            ) from error
    catalog.path = cached_catalog_path()
    logger.info(
        "Installed catalogue %s (%d ids) at %s.", catalog.version, len(catalog), catalog.path
    )
    return catalog, changes


def _install(catalog: Catalog, changes: pd.DataFrame) -> None:
    """Keep the cached catalogue as the previous one, write the new one and the diff, all or none."""
    from cobra_metalign.cache import Output, write_outputs

    target = cached_catalog_path()
    outputs = []
    if target.is_file():
        outputs.append(
            Output(
                cache_dir() / PREVIOUS_CATALOG_FILE,
                lambda tmp: shutil.copy2(target, tmp),
                label="previous catalogue",
                replace=True,
            )
        )
    outputs += [
        Output(target, catalog.save, label="catalogue", replace=True),
        Output(
            cache_dir() / DIFF_FILE,
            lambda tmp: changes.to_csv(tmp, sep="\t", index=False, lineterminator="\n"),
            label="catalogue diff",
            replace=True,
        ),
    ]
    try:
        write_outputs(outputs)
    except MetalignError as error:
        raise CatalogError(f"cannot install the catalogue: {error}") from error
