"""The BiGG catalogue: universal BiGG metabolites with names, chemistry and cross-references.

A :class:`Catalog` holds one :class:`CatalogEntry` per universal BiGG id and
indexes them by id, old id, ``(namespace, value)`` cross-reference, normalized
name, full InChIKey and InChIKey first block. It is stored as gzip-compressed
JSON (``cobra_metalign.catalog/1``) with a sha256 over its entries, so a
corrupted file is detected on load.

Which catalogue :func:`load_catalog` returns:

1. the path it is given;
2. else the catalogue written by ``metalign catalog update`` in the user cache
   directory, when there is one;
3. else the packaged default (``cobra_metalign/data/catalog.json.gz``), built by
   ``scripts/build_catalog.py`` from data inside PyPI packages.
"""

from __future__ import annotations

import datetime as _dt
import gzip
import hashlib
import json
import logging
import os
import re
import stat
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from cobra_metalign.cache import atomic_path, cache_dir
from cobra_metalign.errors import CatalogError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

logger = logging.getLogger(__name__)

__all__ = [
    "CATALOG_FORMAT",
    "CatalogEntry",
    "Catalog",
    "load_catalog",
    "packaged_catalog_path",
    "cached_catalog_path",
]

#: Format tag written into every catalogue file.
CATALOG_FORMAT = "cobra_metalign.catalog/1"
#: BiGG ids that are accessions imported from other namespaces (HMR, KEGG, Recon CE ids).
_ACCESSION_STYLE = re.compile(r"[A-Z]{1,2}\d{4,6}")
#: Name of the catalogue file in the package data and in the user cache.
CATALOG_FILE = "catalog.json.gz"
#: Largest decompressed catalogue file accepted (the packaged one is under 3 MB, BiGG
#: enriched with it about 10 MB).
MAX_CATALOG_BYTES = 64 * 1024**2


#: Version of the rules that turn an entry's names into index keys (part of the cache key).
_NAME_INDEX_RULES = "names/2: whole names and their ';'-separated parts"


def _name_parts(name: str) -> list[str]:
    """A name, and when it lists several separated by ``;`` (BiGG's "Adipoyl carnitine;
    5-Carboxypentanoyl carnitine", "Suberyl-CoA; octadioyl-CoA") each of them."""
    if ";" not in name:
        return [name]
    parts = [part.strip() for part in name.split(";")]
    return [name, *(part for part in parts if len(part) >= 3)]


@dataclass(frozen=True)
class CatalogEntry:
    """One universal BiGG metabolite.

    Attributes
    ----------
    id : str
        Universal BiGG id (``glc__D``).
    name : str
        Preferred name.
    synonyms : tuple of str
        Other names (from BiGG, ModelSEED, KEGG, MetaCyc, ChEBI...).
    formulas : tuple of str
        Known formulas (several protonation states may be listed).
    charges : tuple of int
        Known charges.
    xrefs : dict
        ``{namespace: (value, ...)}`` in the canonical form of
        :mod:`cobra_metalign.annotations`.
    old_ids : tuple of str
        Retired BiGG ids that now point here (``glc_DASH_D``).
    models : int
        How many BiGG models use the id (0 when unknown).
    equivalents : tuple of str
        Other BiGG ids for the same compound.
    """

    id: str
    name: str = ""
    synonyms: tuple[str, ...] = ()
    formulas: tuple[str, ...] = ()
    charges: tuple[int, ...] = ()
    xrefs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    old_ids: tuple[str, ...] = ()
    models: int = 0
    equivalents: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """The preferred name followed by the synonyms, without repeats."""
        return tuple(dict.fromkeys(n for n in (self.name, *self.synonyms) if n))

    def to_record(self) -> dict:
        """Return the JSON record of this entry (empty fields left out)."""
        record: dict = {"id": self.id}
        if self.name:
            record["name"] = self.name
        for key in ("synonyms", "formulas", "charges", "old_ids", "equivalents"):
            value = getattr(self, key)
            if value:
                record[key] = list(value)
        if self.xrefs:
            record["xrefs"] = {ns: list(values) for ns, values in sorted(self.xrefs.items())}
        if self.models:
            record["models"] = self.models
        return record

    @classmethod
    def from_record(cls, record: Mapping) -> CatalogEntry:
        """Build an entry from its JSON record.

        Parameters
        ----------
        record : mapping
            At least ``{"id": ...}``; see :meth:`to_record`.

        Returns
        -------
        CatalogEntry
        """
        if not isinstance(record, Mapping) or not isinstance(record.get("id"), str):
            raise CatalogError(f"catalogue record without a string 'id': {record!r:.200}")
        xrefs = record.get("xrefs") or {}
        if not isinstance(xrefs, Mapping):
            raise CatalogError(f"catalogue record {record['id']!r}: 'xrefs' is not an object")
        return cls(
            id=record["id"],
            name=str(record.get("name") or ""),
            synonyms=tuple(record.get("synonyms") or ()),
            formulas=tuple(record.get("formulas") or ()),
            charges=tuple(int(c) for c in record.get("charges") or ()),
            xrefs={ns: tuple(values) for ns, values in xrefs.items()},
            old_ids=tuple(record.get("old_ids") or ()),
            models=int(record.get("models") or 0),
            equivalents=tuple(record.get("equivalents") or ()),
        )


def _payload_checksum(records: list[dict]) -> str:
    text = json.dumps(records, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


class Catalog:
    """Universal BiGG metabolites with indexes for matching.

    Parameters
    ----------
    entries : iterable of CatalogEntry
        The metabolites; ids must be unique.
    version : str
        Catalogue version (e.g. ``offline-bigg1.6-2026.11``).
    source : str
        Where the data came from, in words.
    created : str, optional
        ISO date of the build.
    sources : list of str, optional
        The data sources with their terms.
    path : pathlib.Path, optional
        The file the catalogue was loaded from.

    Examples
    --------
    >>> catalog = load_catalog()
    >>> catalog.lookup_id("glc_DASH_D")
    'glc__D'
    """

    def __init__(
        self,
        entries: Iterable[CatalogEntry],
        *,
        version: str,
        source: str,
        created: str | None = None,
        sources: Iterable[str] = (),
        path: Path | None = None,
        checksum: str | None = None,
    ) -> None:
        self._entries: dict[str, CatalogEntry] = {}
        for entry in entries:
            if entry.id in self._entries:
                raise CatalogError(f"duplicate catalogue id {entry.id!r}")
            self._entries[entry.id] = entry
        self.version = version
        self.source = source
        self.created = created or _dt.date.today().isoformat()
        self.sources = list(sources)
        self.path = path
        self.checksum = checksum or _payload_checksum(
            [e.to_record() for e in self._entries.values()]
        )
        self._indexes: dict[str, dict] | None = None
        self._names: dict[str, tuple[str, ...]] | None = None
        self._build_equivalence()

    # ------------------------------------------------------------------ build
    def _index(self, kind: str) -> dict:
        """The id, cross-reference and InChIKey indexes, built on first use."""
        if self._indexes is None:
            old: dict[str, str] = {}
            xref: dict[tuple[str, str], list[str]] = defaultdict(list)
            inchikey: dict[str, list[str]] = defaultdict(list)
            block: dict[str, list[str]] = defaultdict(list)
            for entry in self._entries.values():
                for old_id in entry.old_ids:
                    if old_id not in self._entries:
                        old.setdefault(old_id, entry.id)
                for namespace, values in entry.xrefs.items():
                    for value in values:
                        xref[namespace, value].append(entry.id)
                        if namespace == "inchikey":
                            inchikey[value].append(entry.id)
                            block[value.split("-", 1)[0]].append(entry.id)
            self._indexes = {
                "old": old,
                "xref": {key: tuple(ids) for key, ids in xref.items()},
                "inchikey": {key: tuple(dict.fromkeys(ids)) for key, ids in inchikey.items()},
                "block": {key: tuple(dict.fromkeys(ids)) for key, ids in block.items()},
            }
        return self._indexes[kind]

    def _name_index(self) -> dict[str, tuple[str, ...]]:
        """Normalized name -> ids; cached on disk per (catalogue, normalizer) as it costs ~1 s."""
        if self._names is not None:
            return self._names
        from cobra_metalign import normalize

        source = Path(normalize.__file__).read_bytes()
        key = hashlib.sha256(
            self.checksum.encode() + source + _NAME_INDEX_RULES.encode()
        ).hexdigest()[:32]
        path = cache_dir() / "indexes" / f"names-{key}.json.gz"
        names: dict[str, tuple[str, ...]] | None = None
        if path.is_file():
            try:
                with gzip.open(path, "rb") as handle:
                    loaded = json.loads(handle.read().decode("utf-8"))
                names = {k: tuple(v) for k, v in loaded["names"].items()}
                if loaded.get("key") != key:
                    names = None
            except (OSError, EOFError, zlib.error, ValueError, KeyError, TypeError, AttributeError):
                logger.warning("Rebuilding the corrupted name index cache %s", path)
                names = None
        if names is None:
            built: dict[str, list[str]] = defaultdict(list)
            for entry in self._entries.values():
                for name in entry.names:
                    for part in _name_parts(name):
                        name_key = normalize.normalize_name(part)
                        if name_key and entry.id not in built[name_key]:
                            built[name_key].append(entry.id)
            names = {k: tuple(v) for k, v in built.items()}
            try:
                with atomic_path(path) as tmp:
                    with gzip.open(tmp, "wb", compresslevel=1) as handle:
                        handle.write(json.dumps({"key": key, "names": names}).encode("utf-8"))
            except OSError as error:  # a read-only cache is no reason to fail
                logger.debug("Name index not cached: %s", error)
        self._names = names
        return names

    def _build_equivalence(self) -> None:
        from scipy.cluster.hierarchy import DisjointSet

        sets = DisjointSet(self._entries)
        for entry in self._entries.values():
            for other in entry.equivalents:
                if other in self._entries:
                    sets.merge(entry.id, other)
        groups: dict[str, list[str]] = defaultdict(list)
        for entry_id in self._entries:
            groups[sets[entry_id]].append(entry_id)
        self._group: dict[str, tuple[str, ...]] = {}
        self._canonical: dict[str, str] = {}
        for members in groups.values():
            ordered = tuple(sorted(members, key=self._preference))
            for member in members:
                self._group[member] = ordered
                self._canonical[member] = ordered[0]

    def _preference(self, bigg_id: str) -> tuple:
        """Order of equivalent ids: most BiGG models, then a mnemonic BiGG id before an
        accession imported from another namespace (``HC01223``, ``CE2028``, ``M03050``),
        then the shortest, then alphabetical."""
        return (
            -self._entries[bigg_id].models,
            _ACCESSION_STYLE.fullmatch(bigg_id) is not None,
            len(bigg_id),
            bigg_id,
        )

    # ------------------------------------------------------------ container
    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, bigg_id: object) -> bool:
        return bigg_id in self._entries

    def __getitem__(self, bigg_id: str) -> CatalogEntry:
        return self._entries[bigg_id]

    def __iter__(self) -> Iterator[CatalogEntry]:
        return iter(self._entries.values())

    def __repr__(self) -> str:
        return f"<Catalog {self.version!r}: {len(self)} universal BiGG metabolites>"

    @property
    def ids(self) -> list[str]:
        """All universal ids, in file order."""
        return list(self._entries)

    def get(self, bigg_id: str) -> CatalogEntry | None:
        """Return the entry of ``bigg_id`` or None."""
        return self._entries.get(bigg_id)

    # --------------------------------------------------------------- lookups
    def lookup_id(self, bigg_id: str) -> str | None:
        """Resolve a current or old BiGG id to a universal id in the catalogue.

        Parameters
        ----------
        bigg_id : str
            A universal id (``glc__D``) or an old one (``glc_DASH_D``).

        Returns
        -------
        str or None
        """
        if bigg_id in self._entries:
            return bigg_id
        return self._index("old").get(bigg_id)

    def by_xref(self, namespace: str, value: str) -> tuple[str, ...]:
        """Universal ids whose cross-references hold ``(namespace, value)`` (canonical form)."""
        return self._index("xref").get((namespace, value), ())

    def by_name(self, key: str) -> tuple[str, ...]:
        """Universal ids with a name or synonym whose normalized form is ``key``."""
        return self._name_index().get(key, ())

    def by_inchikey(self, inchikey: str) -> tuple[str, ...]:
        """Universal ids with exactly this InChIKey."""
        return self._index("inchikey").get(inchikey, ())

    def by_inchikey_block(self, inchikey: str) -> tuple[str, ...]:
        """Universal ids sharing the first block (the skeleton) of ``inchikey``."""
        return self._index("block").get(inchikey.split("-", 1)[0], ())

    def canonical(self, bigg_id: str) -> str:
        """The preferred id among equivalent BiGG ids (most models, then shortest, then sorted)."""
        return self._canonical.get(bigg_id, bigg_id)

    def equivalents(self, bigg_id: str) -> tuple[str, ...]:
        """All ids equivalent to ``bigg_id``, canonical first (``(bigg_id,)`` when alone)."""
        return self._group.get(bigg_id, (bigg_id,))

    @cached_property
    def name_table(self) -> pd.DataFrame:
        """Every (name, id) pair of the catalogue: the search space for string and encoder similarity."""
        import pandas as pd

        rows = [(name, entry.id) for entry in self._entries.values() for name in entry.names]
        return pd.DataFrame(rows, columns=["name", "bigg_id"])

    # ------------------------------------------------------------------ info
    def info(self) -> dict:
        """Counts describing the catalogue.

        Returns
        -------
        dict
            ``version``, ``source``, ``created``, ``path``, ``universal_ids``,
            ``with_formula``, ``with_charge``, ``with_xrefs`` (namespace ->
            number of ids with at least one), ``synonyms``, ``old_ids``,
            ``equivalence_groups``.
        """
        with_xrefs: Counter[str] = Counter()
        for entry in self._entries.values():
            with_xrefs.update(ns for ns, values in entry.xrefs.items() if values)
        groups = {g for g in self._group.values() if len(g) > 1}
        return {
            "version": self.version,
            "source": self.source,
            "created": self.created,
            "path": str(self.path) if self.path else None,
            "universal_ids": len(self._entries),
            "with_formula": sum(1 for e in self._entries.values() if e.formulas),
            "with_charge": sum(1 for e in self._entries.values() if e.charges),
            "with_xrefs": dict(sorted(with_xrefs.items())),
            "synonyms": sum(len(e.synonyms) for e in self._entries.values()),
            "old_ids": sum(len(e.old_ids) for e in self._entries.values()),
            "equivalence_groups": len(groups),
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per universal id: name, formulas, charges, counts of synonyms and xrefs.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``bigg_id``.
        """
        import pandas as pd

        rows = [
            {
                "bigg_id": e.id,
                "name": e.name,
                "formulas": ";".join(e.formulas),
                "charges": ";".join(map(str, e.charges)),
                "synonyms": len(e.synonyms),
                "xrefs": sum(len(v) for v in e.xrefs.values()),
                "old_ids": ";".join(e.old_ids),
                "models": e.models,
                "canonical": self.canonical(e.id),
            }
            for e in self._entries.values()
        ]
        return pd.DataFrame(rows).set_index("bigg_id")

    # -------------------------------------------------------------- file I/O
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the catalogue atomically as gzip-compressed JSON lines.

        The first line is a header (format, version, source, sources and the
        sha256 of the second line); the second line is the list of metabolite
        records. Bytes are identical between saves of the same catalogue.

        Parameters
        ----------
        path : path-like

        Returns
        -------
        pathlib.Path
        """
        records = [entry.to_record() for entry in self._entries.values()]
        payload = json.dumps(records, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        header = {
            "format": CATALOG_FORMAT,
            "version": self.version,
            "source": self.source,
            "created": self.created,
            "sources": self.sources,
            "sha256": hashlib.sha256(payload).hexdigest(),
            "checksum": self.checksum,
        }
        path = Path(path)
        with atomic_path(path) as tmp:
            # mtime=0 keeps the bytes identical between builds of the same data
            with (
                open(tmp, "wb") as raw,
                gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as out,
            ):
                out.write(json.dumps(header, ensure_ascii=False).encode("utf-8") + b"\n")
                out.write(payload)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Catalog:
        """Read a catalogue file, verifying its format and checksum.

        Parameters
        ----------
        path : path-like

        Returns
        -------
        Catalog

        Raises
        ------
        CatalogError
            When the file is missing, not a gzip catalogue, of another format,
            or its checksum does not match its content.
        """
        path = Path(path)
        try:
            if not stat.S_ISREG(path.stat().st_mode):
                raise CatalogError(f"{path}: not a regular file")
            with gzip.open(path, "rb") as handle:
                data = handle.read(MAX_CATALOG_BYTES + 1)
            if len(data) > MAX_CATALOG_BYTES:
                raise CatalogError(
                    f"{path}: more than {MAX_CATALOG_BYTES:,} bytes once decompressed; refused"
                )
        except FileNotFoundError as error:
            raise CatalogError(f"{path}: catalogue file not found") from error
        except (OSError, EOFError, zlib.error) as error:
            raise CatalogError(f"{path}: not a readable catalogue file ({error})") from error
        head, _, payload = data.partition(b"\n")
        try:
            header = json.loads(head.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise CatalogError(f"{path}: not a readable catalogue file ({error})") from error
        if not isinstance(header, dict) or header.get("format") != CATALOG_FORMAT:
            raise CatalogError(f"{path}: not a cobra_metalign catalogue (format {CATALOG_FORMAT})")
        if header.get("sha256") != hashlib.sha256(payload).hexdigest():
            raise CatalogError(f"{path}: catalogue checksum does not match its content (corrupted)")
        try:
            records = json.loads(payload.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise CatalogError(f"{path}: catalogue payload is not JSON ({error})") from error
        if not isinstance(records, list):
            raise CatalogError(f"{path}: catalogue has no metabolite list")
        if not records:
            raise CatalogError(f"{path}: the catalogue's metabolite list is empty")
        try:
            entries = [CatalogEntry.from_record(record) for record in records]
        except (TypeError, ValueError) as error:
            raise CatalogError(f"{path}: invalid catalogue record ({error})") from error
        return cls(
            entries,
            version=str(header.get("version", "unknown")),
            source=str(header.get("source", "")),
            created=header.get("created"),
            sources=header.get("sources") or (),
            path=path,
            checksum=header.get("checksum") or header["sha256"],
        )


def packaged_catalog_path() -> Path:
    """Path of the catalogue shipped inside the package."""
    return Path(str(resources.files("cobra_metalign") / "data" / CATALOG_FILE))


def cached_catalog_path() -> Path:
    """Path where ``metalign catalog update`` writes its catalogue (it may not exist)."""
    return cache_dir() / CATALOG_FILE


_LOADED: dict[tuple[str, int, int], Catalog] = {}


def load_catalog(path: str | os.PathLike[str] | None = None) -> Catalog:
    """Load a catalogue: ``path``, else the updated one in the cache, else the packaged default.

    Loaded catalogues are kept in memory per (path, size, mtime), so repeated
    calls are free.

    Parameters
    ----------
    path : path-like, optional

    Returns
    -------
    Catalog

    Raises
    ------
    CatalogError
        When the chosen file is unreadable or corrupted. A corrupted *cached*
        catalogue is reported at WARNING level and the packaged one is used.
    """
    if path is None:
        cached = cached_catalog_path()
        if cached.is_file():
            try:
                return _load_memo(cached)
            except CatalogError as error:
                logger.warning("Ignoring the cached catalogue: %s. Using the packaged one.", error)
        path = packaged_catalog_path()
    return _load_memo(Path(path))


def _load_memo(path: Path) -> Catalog:
    try:
        stat = path.stat()
    except OSError as error:
        raise CatalogError(f"{path}: catalogue file not found") from error
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _LOADED:
        _LOADED[key] = Catalog.load(path)
    return _LOADED[key]
