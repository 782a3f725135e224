"""Tests of cobra_metalign.catalog.update: parsing BiGG's bulk file, downloading it, installing it.

Every download goes to an HTTP server on 127.0.0.1 started by the ``server``
fixture; nothing else is reached.
"""

from __future__ import annotations

import csv
import gzip
import http.server
import logging
import os
import threading
import time
from collections import defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner

from cobra_metalign.catalog import update as bigg_update
from cobra_metalign.catalog.store import Catalog, CatalogEntry, cached_catalog_path, load_catalog
from cobra_metalign.catalog.update import (
    BULK_FILE,
    build_from_bulk,
    download,
    parse_bulk_file,
    reduce_old_id,
    update,
)
from cobra_metalign.cli.app import main
from cobra_metalign.errors import CatalogError, DownloadError

HEADER = "bigg_id\tuniversal_bigg_id\tname\tmodel_list\tdatabase_links\told_bigg_ids"
GLC_LINKS = (
    "KEGG Compound: http://identifiers.org/kegg.compound/C00031; "
    "CHEBI: http://identifiers.org/chebi/CHEBI:4167; "
    "MetaNetX (MNX) Chemical: http://identifiers.org/metanetx.chemical/MNXM41; "
    "BioCyc: http://identifiers.org/biocyc/META:GLC; "
    "SEED Compound: http://identifiers.org/seed.compound/cpd00027; "
    "InChI Key: https://identifiers.org/inchikey/WQZGKKKJIJFFOK-GASJEMHNSA-N"
)
ROWS = [
    ["glc__D_c", "glc__D", "", "iJO1366; iML1515", GLC_LINKS, "glc_DASH_D_c; glc_D_c"],
    [
        "glc__D_e",
        "glc__D",
        "D-Glucose",
        "iML1515; e_coli_core",
        "CHEBI: http://identifiers.org/chebi/CHEBI:4167; "
        "CHEBI: http://identifiers.org/chebi/CHEBI:17634",
        "glc_DASH_D_e",
    ],
    [
        "h2o_c",
        "h2o",
        "H2O",
        "e_coli_core",
        "Human Metabolome Database: http://identifiers.org/hmdb/HMDB02111; "
        "Reactome: http://identifiers.org/reactome/R-ALL-29356",
        "",
    ],
    ["h2o_e", "h2o", "Water", "iJO1366", "", ""],
    [
        "12ppd__R_c",
        "12ppd__R",
        "(R)-Propane-1,2-diol",
        "iJO1366",
        "KEGG Compound: http://identifiers.org/kegg.compound/C02912",
        "12ppd_DASH_R_c; 12ppd_R_c",
    ],
    [
        "hdca_c",
        "hdca",
        "Hexadecanoate (n-C16:0)",
        "iJO1366; iML1515",
        "LipidMaps: https://www.lipidmaps.org/databases/lmsd/LMFA01010001; "
        "KEGG Compound: http://www.genome.jp/dbget-bin/www_bget?cpd:C00249; "
        "Unknown Thing: http://example.org/x/1",
        "",
    ],
    ["23dmphol_h", "23dmphol", "2,3-Dimethyl-6-phytylhydroquinone", "iRC1080", "", "dmpq"],
]
MALFORMED = [
    "only_one_cell",
    "xyz_c\tabc\tMismatch\tiJO1366\t\t",
    "bad id!_c\tbad id!\tBad\tiJO1366\t\t",
    "too_c\ttoo\tMany\tiJO1366\t\t\textra",
]


def bulk_text(rows=ROWS, malformed=MALFORMED) -> str:
    lines = [HEADER, *("\t".join(row) for row in rows)]
    if malformed:
        lines.insert(3, malformed[0])
        lines.extend(malformed[1:])
    return "\n".join(lines) + "\n"


GOOD = bulk_text().encode("utf-8")
#: A second version of the file, so that a successful update is visible.
GOOD_V2 = bulk_text(ROWS[:4], []).encode("utf-8")
HTML = b"<!DOCTYPE html>\n<html><body><h1>BiGG Models</h1>Maintenance</body></html>\n"
ONLY_MALFORMED = (HEADER + "\n" + "\n".join(MALFORMED) + "\n").encode("utf-8")

#: Bodies the test server sends for extra routes (filled by the tests).
SERVED: dict[str, bytes] = {}

#: An empty base catalogue: builds from BiGG alone, without loading the packaged one.
EMPTY = Catalog([], version="none", source="test")


@pytest.fixture()
def bulk_file(tmp_path) -> Path:
    path = tmp_path / "bigg_models_metabolites.txt"
    path.write_bytes(GOOD)
    return path


# ----------------------------------------------------------------- loopback HTTP
class _Handler(http.server.BaseHTTPRequestHandler):
    stop: threading.Event
    hits: dict[str, int]

    def log_message(self, format, *args) -> None:
        pass

    def _send(self, status: int, body: bytes, length: int | None = None, **headers) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        for key, value in headers.items():
            self.send_header(key.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        path = self.path
        self.hits[path] += 1
        try:
            if path == "/good":
                self._send(200, GOOD)
            elif path == "/good_v2":
                self._send(200, GOOD_V2)
            elif path == "/gzip":
                self._send(200, gzip.compress(GOOD_V2), Content_Encoding="gzip")
            elif path == "/error500":
                self._send(500, b"boom")
            elif path == "/flaky":
                if self.hits[path] == 1:
                    self._send(503, b"busy")
                else:
                    self._send(200, GOOD_V2)
            elif path == "/truncated":
                self._send(200, GOOD[: len(GOOD) // 2], length=len(GOOD))
            elif path == "/stall":
                self.stop.wait(10)
            elif path == "/stall_body":
                self.send_response(200)
                self.send_header("Content-Length", str(len(GOOD)))
                self.end_headers()
                self.wfile.write(GOOD[:100])
                self.wfile.flush()
                self.stop.wait(10)
            elif path == "/html":
                self._send(200, HTML, Content_Type="text/html")
            elif path == "/only_malformed":
                self._send(200, ONLY_MALFORMED)
            elif path in SERVED:
                self._send(200, SERVED[path])
            elif path == "/drip":
                # beats any read timeout, never finishes in time
                self.send_response(200)
                self.send_header("Content-Length", str(len(GOOD)))
                self.end_headers()
                for byte in GOOD:
                    if self.stop.wait(0.2):
                        break
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
            elif path == "/no_length":
                # HTTP/1.0 body delimited by closing the connection
                self.send_response(200)
                self.end_headers()
                self.wfile.write(GOOD * 20)
            else:
                self._send(404, b"not found")
        except (BrokenPipeError, ConnectionResetError):
            pass


@pytest.fixture()
def server(monkeypatch):
    """Serve the test routes on 127.0.0.1; yields ``(base_url, hits)``."""
    for key in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    stop = threading.Event()
    hits: dict[str, int] = defaultdict(int)
    handler = type("Handler", (_Handler,), {"stop": stop, "hits": hits})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", hits
    finally:
        stop.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


FAST = {"timeout": 0.5, "retries": 2, "backoff_factor": 0.01, "base": EMPTY}


def _installed(server_url: str) -> tuple[Catalog, bytes]:
    """Install a first catalogue from the server; return it and the downloaded bytes."""
    catalog = update(f"{server_url}/good", **FAST)
    return catalog, (cached_catalog_path().parent / BULK_FILE).read_bytes()


def _assert_untouched(before: Catalog, bulk_before: bytes, cache: Path) -> None:
    after = load_catalog()
    assert after.version == before.version
    assert after.ids == before.ids
    assert (cache / BULK_FILE).read_bytes() == bulk_before
    assert sorted(p.name for p in cache.iterdir()) == sorted(
        [BULK_FILE, "catalog.json.gz", "catalog.diff.tsv"]
    )


# ------------------------------------------------------------------------ parse
def test_parse_ids_names_models(bulk_file):
    entries = {e.id: e for e in parse_bulk_file(bulk_file)}
    assert list(entries) == ["glc__D", "h2o", "12ppd__R", "hdca", "23dmphol"]
    glc = entries["glc__D"]
    assert glc.name == "D-Glucose"  # the first non-empty name
    assert glc.models == 3  # iJO1366, iML1515, e_coli_core
    assert entries["h2o"].name == "H2O"
    assert entries["h2o"].synonyms == ("Water",)
    assert entries["h2o"].models == 2
    assert entries["23dmphol"].models == 1


def test_parse_old_ids_universal(bulk_file):
    entries = {e.id: e for e in parse_bulk_file(bulk_file)}
    assert entries["glc__D"].old_ids == ("glc_DASH_D", "glc_D")
    assert entries["12ppd__R"].old_ids == ("12ppd_DASH_R", "12ppd_R")
    assert entries["23dmphol"].old_ids == ("dmpq",)
    assert entries["h2o"].old_ids == ()


def test_parse_xrefs_canonical(bulk_file):
    entries = {e.id: e for e in parse_bulk_file(bulk_file)}
    glc = entries["glc__D"].xrefs
    assert glc["chebi"] == ("CHEBI:4167", "CHEBI:17634")
    assert glc["metanetx.chemical"] == ("MNXM41",)
    assert glc["kegg.compound"] == ("C00031",)
    assert glc["biocyc"] == ("META:GLC",)
    assert glc["seed.compound"] == ("cpd00027",)
    assert glc["inchikey"] == ("WQZGKKKJIJFFOK-GASJEMHNSA-N",)
    h2o = entries["h2o"].xrefs
    assert h2o == {"hmdb": ("HMDB0002111",), "reactome": ("R-ALL-29356",)}
    # links outside identifiers.org are read through their label; unknown ones are dropped
    assert entries["hdca"].xrefs == {
        "lipidmaps": ("LMFA01010001",),
        "kegg.compound": ("C00249",),
    }


def test_parse_skips_malformed_rows(bulk_file, caplog):
    with caplog.at_level(logging.DEBUG, logger="cobra_metalign.catalog.update"):
        entries = parse_bulk_file(bulk_file)
    assert {"abc", "xyz", "bad id!", "too"}.isdisjoint(e.id for e in entries)
    skipped = [r for r in caplog.records if "malformed" in r.getMessage()]
    assert len(skipped) == len(MALFORMED) + 1  # the +1 is the INFO summary
    assert "4 malformed rows skipped" in caplog.records[-1].getMessage()


def test_parse_gzip_and_crlf(tmp_path):
    path = tmp_path / "bulk.txt.gz"
    path.write_bytes(gzip.compress(GOOD.replace(b"\n", b"\r\n")))
    entries = {e.id: e for e in parse_bulk_file(path)}
    assert entries["glc__D"].old_ids == ("glc_DASH_D", "glc_D")
    assert "23dmphol" in entries


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (HTML, "not a BiGG metabolites file"),
        (b"", "not a BiGG metabolites file"),
        (ONLY_MALFORMED, "no valid row"),
    ],
)
def test_parse_rejects(tmp_path, content, message):
    path = tmp_path / "bulk.txt"
    path.write_bytes(content)
    with pytest.raises(CatalogError, match=message):
        parse_bulk_file(path)


def test_parse_missing_file(tmp_path):
    with pytest.raises(CatalogError, match="cannot read"):
        parse_bulk_file(tmp_path / "absent.txt")


def test_reduce_old_id():
    assert reduce_old_id("glc_DASH_D_c", "c") == "glc_DASH_D"
    assert reduce_old_id("_10fthf_c", "c") == "_10fthf"
    assert reduce_old_id("glc-D[e]", "e") == "glc-D"
    assert reduce_old_id("dmpq", "h") == "dmpq"
    assert reduce_old_id("glc_D_e", "c") == "glc_D_e"  # another compartment: left alone
    assert reduce_old_id("_c", "c") == "_c"


def test_reduce_old_id_on_bigg_old_ids(shared_data, tmp_path):
    """The reduction rule on BiGG 1.6's own old-id table (read here, never copied)."""
    table = shared_data / "reference" / "bigg_1.6_old_ids_obo.tsv"
    if not table.is_file():
        pytest.skip(f"{table} not found")
    with open(table, newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert rows
    universal_of: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        bigg_id, universal = row["bigg_id"], row["universal_bigg_id"]
        compartment = bigg_id[len(universal) + 1 :]
        assert bigg_id == f"{universal}_{compartment}"
        # the rule turns the current compartmentalized id into its universal id...
        assert reduce_old_id(bigg_id, compartment) == universal
        # ...and every old id into one universal old id, the same from every compartment
        universal_of[reduce_old_id(row["old_bigg_id"], compartment)].add(universal)
    assert all(len(targets) == 1 for targets in universal_of.values())
    assert universal_of["glc_DASH_D"] == {"glc__D"}
    assert universal_of["12ppd_DASH_R"] == {"12ppd__R"}
    assert universal_of["_10fthf"] == {"10fthf"}
    # the same pairs come out of parse_bulk_file on a bulk file made of these rows
    by_id: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        by_id[row["bigg_id"]].append(row["old_bigg_id"])
    lines = [HEADER]
    for bigg_id, olds in by_id.items():
        universal = next(r["universal_bigg_id"] for r in rows if r["bigg_id"] == bigg_id)
        lines.append(f"{bigg_id}\t{universal}\t\t\t\t{'; '.join(olds)}")
    path = tmp_path / "bulk.txt"
    path.write_text("\n".join(lines) + "\n")
    parsed = {old: e.id for e in parse_bulk_file(path) for old in e.old_ids}
    assert parsed == {old: targets.pop() for old, targets in universal_of.items()}


# ------------------------------------------------------------------------ build
def test_build_enriches_from_base(bulk_file):
    base = Catalog(
        [
            CatalogEntry(
                "glc__D",
                name="glucose",
                synonyms=("Dextrose", "D-Glucose"),
                formulas=("C6H12O6",),
                charges=(0,),
                xrefs={"kegg.compound": ("C00031",), "pubchem.compound": ("5793",)},
                old_ids=("glc",),
                models=99,
                equivalents=("Glc_aD",),
            ),
            CatalogEntry("Glc_aD", name="alpha-D-Glucose", formulas=("C6H12O6",)),
            CatalogEntry("glc_DASH_D", name="stale", formulas=("C6H12O6",)),
        ],
        version="base-1",
        source="test",
        sources=["carveme universe"],
    )
    catalog = build_from_bulk(bulk_file, base)
    assert catalog.version.startswith("bigg-bulk-")
    assert catalog.source == str(bulk_file)
    glc = catalog["glc__D"]
    assert glc.name == "D-Glucose"
    assert glc.synonyms == ("glucose", "Dextrose")
    assert glc.formulas == ("C6H12O6",) and glc.charges == (0,)
    assert glc.xrefs["kegg.compound"] == ("C00031",)
    assert glc.xrefs["pubchem.compound"] == ("5793",)
    assert glc.xrefs["chebi"] == ("CHEBI:4167", "CHEBI:17634")
    assert glc.old_ids == ("glc_DASH_D", "glc_D", "glc")
    assert glc.models == 3  # BiGG's count wins
    assert glc.equivalents == ("Glc_aD",)
    # base-only ids are kept, except one BiGG renamed (an old id of glc__D)
    assert "Glc_aD" in catalog
    assert "glc_DASH_D" not in catalog
    assert catalog.lookup_id("glc_DASH_D") == "glc__D"
    assert catalog.equivalents("glc__D") == ("glc__D", "Glc_aD")
    # ids only in BiGG have no chemistry
    assert catalog["h2o"].formulas == ()
    assert "carveme universe" in catalog.sources


def test_build_without_base(bulk_file):
    catalog = build_from_bulk(bulk_file, EMPTY)
    assert len(catalog) == 5
    assert catalog.by_xref("chebi", "CHEBI:4167") == ("glc__D",)
    assert catalog.lookup_id("12ppd_R") == "12ppd__R"


def test_build_default_base_is_packaged(bulk_file, monkeypatch, tmp_path):
    # a missing packaged catalogue is a warning, not a failure
    monkeypatch.setattr(bigg_update, "packaged_catalog_path", lambda: tmp_path / "none.json.gz")
    catalog = build_from_bulk(bulk_file)
    assert set(catalog.ids) == {"glc__D", "h2o", "12ppd__R", "hdca", "23dmphol"}
    # a present one is used
    packaged = tmp_path / "packaged.json.gz"
    Catalog([CatalogEntry("h2o", formulas=("H2O",), charges=(0,))], version="p", source="").save(
        packaged
    )
    monkeypatch.setattr(bigg_update, "packaged_catalog_path", lambda: packaged)
    assert build_from_bulk(bulk_file)["h2o"].formulas == ("H2O",)


# --------------------------------------------------------------------- download
def test_download_good(server, isolated_cache):
    url, hits = server
    path = download(f"{url}/good", timeout=2)
    assert path == isolated_cache / BULK_FILE
    assert path.read_bytes() == GOOD
    assert hits["/good"] == 1


def test_download_gzip_encoded(server, tmp_path):
    url, _ = server
    dest = download(f"{url}/gzip", tmp_path / "bulk.txt", timeout=2)
    assert dest.read_bytes() == GOOD_V2


def test_download_retries_then_succeeds(server, tmp_path):
    url, hits = server
    dest = download(f"{url}/flaky", tmp_path / "bulk.txt", timeout=2, backoff_factor=0.01)
    assert dest.read_bytes() == GOOD_V2
    assert hits["/flaky"] == 2


def test_download_500_retried_then_fails(server, tmp_path):
    url, hits = server
    dest = tmp_path / "bulk.txt"
    dest.write_bytes(b"previous")
    with pytest.raises(DownloadError, match=r"/error500.*HTTP 500"):
        download(f"{url}/error500", dest, timeout=2, retries=3, backoff_factor=0.01)
    assert hits["/error500"] == 4  # the first try and 3 retries
    assert dest.read_bytes() == b"previous"
    assert os.listdir(tmp_path) == ["bulk.txt"]


def test_download_size_limits(server, tmp_path):
    url, _ = server
    with pytest.raises(DownloadError, match="announces"):
        download(f"{url}/good", tmp_path / "a.txt", timeout=2, max_bytes=100)
    with pytest.raises(DownloadError, match="exceeds the limit"):
        download(f"{url}/no_length", tmp_path / "b.txt", timeout=2, max_bytes=len(GOOD) * 2)
    assert os.listdir(tmp_path) == []


def test_download_connection_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(DownloadError, match=f"127.0.0.1:{port}"):
        download(f"http://127.0.0.1:{port}/x", tmp_path / "c.txt", timeout=1, retries=1)


# ------------------------------------------------------------------------ update
def test_update_from_server(server, isolated_cache):
    url, _ = server
    catalog = update(f"{url}/good", **FAST)
    assert catalog.path == cached_catalog_path()
    assert catalog.source == f"{url}/good"
    loaded = load_catalog()
    assert loaded.ids == catalog.ids
    assert loaded.lookup_id("glc_DASH_D") == "glc__D"
    # a second update replaces both files
    update(f"{url}/good_v2", **FAST)
    assert load_catalog().ids == ["glc__D", "h2o"]
    assert (isolated_cache / BULK_FILE).read_bytes() == GOOD_V2


def test_update_from_file(bulk_file, isolated_cache):
    catalog = update(file=bulk_file, base=EMPTY)
    assert catalog.source == str(bulk_file)
    assert load_catalog().ids == catalog.ids
    assert not (isolated_cache / BULK_FILE).exists()
    with pytest.raises(ValueError):
        update("http://127.0.0.1:9/x", bulk_file)


@pytest.mark.parametrize(
    ("route", "error", "message"),
    [
        ("/error500", DownloadError, "HTTP 500"),
        ("/truncated", DownloadError, "truncated body"),
        ("/stall", DownloadError, "timed out"),
        ("/stall_body", DownloadError, "timed out"),
        ("/html", DownloadError, "not a BiGG metabolites file"),
        ("/only_malformed", CatalogError, r"/only_malformed: no valid row"),
        ("/missing", DownloadError, "HTTP 404"),
    ],
)
def test_failed_update_keeps_previous(server, isolated_cache, route, error, message):
    url, hits = server
    before, bulk_before = _installed(url)
    started = time.monotonic()
    with pytest.raises(error, match=message):
        update(f"{url}{route}", **FAST)
    assert time.monotonic() - started < 4
    if route == "/error500":
        assert hits[route] == FAST["retries"] + 1
    if route.startswith("/stall"):
        assert hits[route] == 1  # a stall is not retried
    _assert_untouched(before, bulk_before, isolated_cache)


def test_failed_update_from_file_keeps_previous(server, isolated_cache, tmp_path):
    url, _ = server
    before, bulk_before = _installed(url)
    bad = tmp_path / "bad.txt"
    bad.write_bytes(HTML)
    with pytest.raises(CatalogError, match="not a BiGG metabolites file"):
        update(file=bad, base=EMPTY)
    _assert_untouched(before, bulk_before, isolated_cache)


def test_failed_save_keeps_previous(server, isolated_cache, monkeypatch):
    url, _ = server
    before, bulk_before = _installed(url)

    def broken_save(self, path):
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(Catalog, "save", broken_save)
        with pytest.raises(CatalogError, match="No space left"):
            update(f"{url}/good_v2", **FAST)
    _assert_untouched(before, bulk_before, isolated_cache)


# ------------------------------------------------- security and faults (issue 14)
def _packaged():
    from cobra_metalign.catalog.store import packaged_catalog_path

    return load_catalog(packaged_catalog_path())


def _bulk_from_packaged(drop=(), old_ids=None) -> bytes:
    """A BiGG bulk file with one cytosolic row per id of the packaged catalogue."""
    old_ids = old_ids or {}
    lines = [HEADER]
    for entry in _packaged():
        if entry.id in drop:
            continue
        old = "; ".join(f"{o}_c" for o in old_ids.get(entry.id, ()))
        name = entry.name.replace("\t", " ")
        lines.append(f"{entry.id}_c\t{entry.id}\t{name}\tiJO1366\t\t{old}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_default_url_is_https():
    assert bigg_update.BIGG_METABOLITES_URL.startswith("https://")


def test_one_row_poisoned_file_is_refused(server, isolated_cache):
    """Issue 14 item 1: one row whose old ids are atp, co2, coa, pi... merged them all."""
    url, _ = server
    SERVED["/poison"] = (
        HEADER + "\namp_c\tamp\tAMP\tiJO1366\t\tatp_c; co2_c; coa_c; pi_c; nad_c\n"
    ).encode()
    with pytest.raises(CatalogError, match="universal ids, outside the sane range"):
        update(f"{url}/poison", timeout=2)
    assert not cached_catalog_path().exists()
    assert load_catalog().lookup_id("atp") == "atp"
    result = CliRunner().invoke(main, ["catalog", "update", "--url", f"{url}/poison"])
    assert result.exit_code == 1 and "refused" in result.output
    assert sorted(p.name for p in isolated_cache.iterdir() if p.name.startswith("catalog")) == []


def test_full_size_rename_onto_another_compound_is_refused(tmp_path, isolated_cache):
    """A complete file that drops atp and lists it as an old id of amp."""
    bulk = tmp_path / "bulk.txt"
    bulk.write_bytes(_bulk_from_packaged(drop={"atp"}, old_ids={"amp": ["atp"]}))
    with pytest.raises(CatalogError, match="other formulas.*atp"):
        update(file=bulk)
    assert not cached_catalog_path().exists()


def test_good_update_reports_diff_and_goes_back(tmp_path, isolated_cache):
    bulk = tmp_path / "bulk.txt"
    # "adp" listed as an old id of amp while adp is still a current id: it must not remap
    bulk.write_bytes(
        _bulk_from_packaged(drop={"h2o2"}, old_ids={"glc__D": ["glc_DASH_D"], "amp": ["adp"]})
    )
    runner = CliRunner()
    result = runner.invoke(main, ["catalog", "update", "--file", str(bulk)])
    assert result.exit_code == 0, result.output
    assert "changes from the catalogue in use before" in result.output
    diff = (isolated_cache / bigg_update.DIFF_FILE).read_text()
    assert "old_id\tglc_DASH_D\t\tglc__D" in diff
    updated = load_catalog()
    assert updated.version.startswith("bigg-bulk-") and "h2o2" in updated  # kept from the base
    assert updated.lookup_id("adp") == "adp" and updated.lookup_id("glc_DASH_D") == "glc__D"
    packaged = _packaged().version
    result = runner.invoke(main, ["catalog", "use", "packaged"])
    assert result.exit_code == 0 and packaged in result.output
    assert load_catalog().version == packaged
    result = runner.invoke(main, ["catalog", "use", "previous"])
    assert result.exit_code == 0 and load_catalog().version == updated.version
    # a second update keeps the first as the previous catalogue
    assert runner.invoke(main, ["catalog", "update", "--file", str(bulk)]).exit_code == 0
    assert (isolated_cache / bigg_update.PREVIOUS_CATALOG_FILE).is_file()


def test_equivalence_of_different_formulas_is_dropped(bulk_file):
    base = Catalog(
        [
            CatalogEntry("glc__D", name="D-Glucose", formulas=("C6H12O6",), equivalents=("h2o",)),
            CatalogEntry("h2o", name="Water", formulas=("H2O",), equivalents=("glc__D",)),
        ],
        version="base",
        source="test",
    )
    assert base.canonical("h2o") == base.canonical("glc__D")
    catalog = build_from_bulk(bulk_file, base)
    assert catalog.equivalents("h2o") == ("h2o",)
    assert catalog.equivalents("glc__D") == ("glc__D",)
    with pytest.raises(CatalogError, match="different formulas"):
        bigg_update.check_update([], base, None)


def test_dripping_server_hits_the_overall_deadline(server, isolated_cache):
    """Issue 14 item 13: one byte every 0.2 s beats a 1 s read timeout forever."""
    url, _ = server
    started = time.monotonic()
    with pytest.raises(DownloadError, match="deadline of 1.5 s"):
        update(f"{url}/drip", timeout=1, deadline=1.5, base=EMPTY)
    assert time.monotonic() - started < 5
    assert list(isolated_cache.iterdir()) == []


def test_gzip_body_without_content_encoding_is_bounded(server, isolated_cache, monkeypatch):
    """Issue 14 item 9: a gzip body sent as plain bytes passed the 200 MB wire limit."""
    url, _ = server
    monkeypatch.setattr(bigg_update, "MAX_BULK_BYTES", 200_000)
    rows = "".join(f"m{i}_c\tm{i}\tName {i}\tiJO1366\t\t\n" for i in range(20_000))
    SERVED["/gzip_plain"] = gzip.compress((HEADER + "\n" + rows).encode())
    assert len(SERVED["/gzip_plain"]) < 200_000
    with pytest.raises(CatalogError, match="characters of text"):
        update(f"{url}/gzip_plain", timeout=2, base=EMPTY)
    SERVED["/long_line"] = gzip.compress((HEADER + "\n" + "x" * (3 << 20)).encode())
    with pytest.raises(CatalogError, match="longer than"):
        update(f"{url}/long_line", timeout=2, base=EMPTY)
    assert list(isolated_cache.iterdir()) == []


def test_fifo_bulk_file_is_refused(tmp_path, isolated_cache):
    fifo = tmp_path / "bulk.fifo"
    os.mkfifo(fifo)
    with pytest.raises(CatalogError, match="not a regular file"):
        update(file=fifo, base=EMPTY)
    result = CliRunner().invoke(main, ["catalog", "update", "--file", str(fifo)])
    assert result.exit_code == 1 and "not a regular file" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["--url", "http://127.0.0.1:9/x", "--file", "FILE"],
        ["--timeout", "0"],
        ["--timeout", "-1"],
        ["--deadline", "0"],
        ["--retries", "-1"],
    ],
)
def test_catalog_update_usage_errors(args, bulk_file, isolated_cache):
    args = [str(bulk_file) if a == "FILE" else a for a in args]
    result = CliRunner().invoke(main, ["catalog", "update", *args])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert list(isolated_cache.iterdir()) == []


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "not a url"])
def test_only_http_urls_are_fetched(url, isolated_cache):
    with pytest.raises(DownloadError, match="not an http"):
        update(url, timeout=1, base=EMPTY)
    assert list(isolated_cache.iterdir()) == []


def _real_bulk(shared_data: Path, path: Path, poison: bool = False) -> Path:
    """A bulk file rebuilt from BiGG 1.6's own tables in ../shared/data/reference."""
    reference = shared_data / "reference"
    old: dict[str, list[str]] = defaultdict(list)
    with open(reference / "bigg_1.6_old_ids_obo.tsv", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            old[row["bigg_id"]].append(row["old_bigg_id"])
    lines = [HEADER]
    with gzip.open(reference / "bigg_1.6_compartmentalized_obo.tsv.gz", "rt", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if poison and row["universal_bigg_id"] == "atp":
                continue
            olds = old.get(row["bigg_id"], []) + (
                ["atp_c"] if poison and row["bigg_id"] == "amp_c" else []
            )
            name = row["name"].replace("\t", " ")
            lines.append(
                f"{row['bigg_id']}\t{row['universal_bigg_id']}\t{name}\t\t\t{'; '.join(olds)}"
            )
    path.write_text("\n".join(lines) + "\n")
    return path


def test_real_bigg_tables_pass_the_checks_and_poison_does_not(
    shared_data, tmp_path, isolated_cache
):
    """The thresholds of check_update against BiGG 1.6 itself (15,721 rows, 9,088 ids)."""
    catalog, changes = bigg_update.update_with_report(
        file=_real_bulk(shared_data, tmp_path / "b.txt")
    )
    counts = changes["change"].value_counts()
    assert counts.get("old_id", 0) > 500 and 0 < counts.get("removed", 0) <= bigg_update.MAX_RENAMED
    assert catalog.lookup_id("glc_DASH_D") == "glc__D" and catalog.lookup_id("atp") == "atp"
    installed = cached_catalog_path().read_bytes()
    poisoned = _real_bulk(shared_data, tmp_path / "p.txt", poison=True)
    with pytest.raises(CatalogError, match=r"other formulas: atp .* -> amp"):
        update(file=poisoned)
    assert cached_catalog_path().read_bytes() == installed
