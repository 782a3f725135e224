"""Tests of the BiGG catalogue structure, its file format and the packaged default."""

from __future__ import annotations

import gzip
import json
import logging

import pandas as pd
import pytest

from cobra_metalign.cache import cache_dir
from cobra_metalign.catalog.store import (
    Catalog,
    CatalogEntry,
    load_catalog,
    packaged_catalog_path,
)
from cobra_metalign.errors import CatalogError
from cobra_metalign.normalize import normalize_name


@pytest.fixture()
def tiny() -> Catalog:
    entries = [
        CatalogEntry(
            id="glc__D",
            name="D-Glucose",
            synonyms=("D-glucopyranose", "Glucose"),
            formulas=("C6H12O6",),
            charges=(0,),
            xrefs={
                "kegg.compound": ("C00031",),
                "chebi": ("CHEBI:4167",),
                "inchikey": ("WQZGKKKJIJFFOK-GASJEMHNSA-N",),
            },
            old_ids=("glc_DASH_D", "glc_D"),
            models=80,
        ),
        CatalogEntry(
            id="glc__aD",
            name="alpha-D-Glucose",
            formulas=("C6H12O6",),
            xrefs={"inchikey": ("WQZGKKKJIJFFOK-DVKNGEFBSA-N",)},
        ),
        CatalogEntry(id="mev__R", name="(R)-Mevalonate", models=30, equivalents=("mevR",)),
        CatalogEntry(id="mevR", name="(R)-mevalonate", models=5),
        CatalogEntry(id="pyr", name="Pyruvate", xrefs={"kegg.compound": ("C00022",)}),
    ]
    return Catalog(entries, version="test-1", source="unit test")


def test_indexes(tiny: Catalog) -> None:
    assert len(tiny) == 5
    assert "glc__D" in tiny and "glc" not in tiny
    assert tiny.lookup_id("glc__D") == "glc__D"
    assert tiny.lookup_id("glc_DASH_D") == "glc__D"
    assert tiny.lookup_id("nothing") is None
    assert tiny.by_xref("kegg.compound", "C00031") == ("glc__D",)
    assert tiny.by_xref("kegg.compound", "C99999") == ()
    assert tiny.by_name("pyruvate") == ("pyr",)
    assert tiny.by_inchikey("WQZGKKKJIJFFOK-GASJEMHNSA-N") == ("glc__D",)
    # the first block alone: same skeleton, both glucoses
    assert set(tiny.by_inchikey_block("WQZGKKKJIJFFOK-XXXXXXXXSA-N")) == {"glc__D", "glc__aD"}


def test_equivalents_prefer_the_id_most_models_use(tiny: Catalog) -> None:
    assert tiny.canonical("mevR") == "mev__R"
    assert tiny.canonical("mev__R") == "mev__R"
    assert tiny.equivalents("mevR") == ("mev__R", "mevR")
    assert tiny.equivalents("pyr") == ("pyr",)


def test_duplicate_ids_refused() -> None:
    with pytest.raises(CatalogError, match="duplicate"):
        Catalog([CatalogEntry(id="a"), CatalogEntry(id="a")], version="x", source="x")


def test_round_trip_is_deterministic(tiny: Catalog, tmp_path) -> None:
    first = tiny.save(tmp_path / "a.json.gz")
    second = tiny.save(tmp_path / "b.json.gz")
    assert first.read_bytes() == second.read_bytes()
    loaded = Catalog.load(first)
    assert loaded.ids == tiny.ids
    assert loaded["glc__D"] == tiny["glc__D"]
    assert loaded.info()["universal_ids"] == 5


def test_corrupted_file_detected(tiny: Catalog, tmp_path) -> None:
    path = tiny.save(tmp_path / "c.json.gz")
    header, payload = gzip.decompress(path.read_bytes()).split(b"\n", 1)
    path.write_bytes(gzip.compress(header + b"\n" + payload.replace(b"D-Glucose", b"Tampered")))
    with pytest.raises(CatalogError, match="checksum"):
        Catalog.load(path)
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(CatalogError, match="not a readable catalogue"):
        Catalog.load(path)
    path.write_bytes(gzip.compress(b'{"format": "other"}\n[]'))
    with pytest.raises(CatalogError, match="not a cobra_metalign catalogue"):
        Catalog.load(path)
    assert json.loads(header)["format"] == "cobra_metalign.catalog/1"
    with pytest.raises(CatalogError, match="not found"):
        Catalog.load(tmp_path / "missing.json.gz")


def test_name_index_cache_is_used_and_checked(tiny: Catalog) -> None:
    assert tiny.by_name("pyruvate") == ("pyr",)
    cached = list((cache_dir() / "indexes").glob("names-*.json.gz"))
    assert len(cached) == 1
    fresh = Catalog(list(tiny), version="test-1", source="unit test")
    assert fresh.checksum == tiny.checksum
    assert fresh.by_name("dglucose") == ("glc__D",)  # read back from the cache
    cached[0].write_bytes(b"garbage")
    again = Catalog(list(tiny), version="test-1", source="unit test")
    assert again.by_name("pyruvate") == ("pyr",)  # corrupted cache rebuilt


def test_corrupted_cache_falls_back_to_packaged(tmp_path, caplog) -> None:
    cached = cache_dir() / "catalog.json.gz"
    cached.write_bytes(b"\x1f\x8b garbage")
    with caplog.at_level(logging.WARNING, logger="cobra_metalign.catalog.store"):
        catalog = load_catalog()
    assert catalog.path == packaged_catalog_path()
    assert "Ignoring the cached catalogue" in caplog.text


def test_updated_cache_is_preferred(tiny: Catalog) -> None:
    tiny.save(cache_dir() / "catalog.json.gz")
    assert load_catalog().version == "test-1"


def test_info_and_frame(tiny: Catalog) -> None:
    info = tiny.info()
    assert info["with_formula"] == 2
    assert info["with_charge"] == 1
    assert info["with_xrefs"] == {"chebi": 1, "inchikey": 2, "kegg.compound": 2}
    assert info["synonyms"] == 2
    assert info["old_ids"] == 2
    assert info["equivalence_groups"] == 1
    frame = tiny.to_frame()
    assert frame.loc["mevR", "canonical"] == "mev__R"
    names = tiny.name_table
    assert set(names.columns) == {"name", "bigg_id"}
    assert (names["bigg_id"] == "glc__D").sum() == 3


# ------------------------------------------------------------ packaged default
@pytest.fixture(scope="module")
def packaged() -> Catalog:
    return Catalog.load(packaged_catalog_path())


def test_packaged_catalog_basics(packaged: Catalog) -> None:
    info = packaged.info()
    assert info["universal_ids"] > 9000
    assert packaged.lookup_id("glc__D") == "glc__D"
    assert "glc__D" in packaged.by_xref("kegg.compound", "C00031")
    assert "glc__D" in packaged.by_xref("seed.compound", "cpd00027")
    assert "atp" in packaged.by_name("atp")
    assert "h2o" in packaged.by_xref("chebi", "CHEBI:15377")
    assert packaged["h2o"].formulas[0] == "H2O"
    # equivalences only where identity is proven (same own InChIKey, equal chemistry)
    assert packaged.canonical("malthp") == packaged.canonical("M02446")
    assert packaged.canonical("glc__bD") != packaged.canonical("glc__D")  # anomer
    assert packaged.canonical("nh3") != packaged.canonical("nh4")  # charge species
    assert packaged.canonical("3aib") != packaged.canonical("3aib__D")  # stereoisomers


def test_packaged_catalog_synonyms_name_their_own_compound(packaged: Catalog) -> None:
    """Synonyms of another compound are dropped at build time (cellotetraose on maltttr)."""
    assert "maltttr" not in packaged.by_name(normalize_name("Cellotetraose"))
    assert "malthp" not in packaged.by_name(normalize_name("celloheptaose"))
    assert "pe_SC" not in packaged.by_name(normalize_name("Phosphatidylethanolamine (ecoli)"))
    assert "cellb" not in packaged.by_name(normalize_name("alpha-Cellobiose"))
    assert "maltttr" in packaged.by_name(normalize_name("Maltotetraose"))


def test_packaged_catalog_chemistry_coverage(packaged: Catalog, shared_data) -> None:
    """Formulas for >= 93% and charges for >= 85% of BiGG 1.6's universal ids (GEMsembler)."""
    reference = pd.read_csv(
        shared_data / "reference" / "bigg_1.6_universal_names_obo.tsv", sep="\t", dtype=str
    )
    ids = reference["universal_bigg_id"].dropna().unique()
    with_formula = sum(1 for i in ids if i in packaged and packaged[i].formulas)
    with_charge = sum(1 for i in ids if i in packaged and packaged[i].charges)
    assert with_formula / len(ids) >= 0.93
    assert with_charge / len(ids) >= 0.85
    # both formulas are kept where the sources disagree (polymer notation for dolp)
    assert len(packaged["dolp"].formulas) > 1


def test_packaged_catalog_covers_bigg_16(packaged: Catalog, shared_data) -> None:
    reference = pd.read_csv(
        shared_data / "reference" / "bigg_1.6_universal_names_obo.tsv", sep="\t", dtype=str
    )
    ids = reference["universal_bigg_id"].dropna().unique()
    present = sum(1 for i in ids if i in packaged)
    assert present / len(ids) >= 0.99


def test_names_listing_several_are_indexed_by_each() -> None:
    """BiGG's c6dc is named "Adipoyl carnitine; 5-Carboxypentanoyl carnitine"."""
    catalog = Catalog(
        [
            CatalogEntry(id="c6dc", name="Adipoyl carnitine; 5-Carboxypentanoyl carnitine"),
            CatalogEntry(id="x", name="A; B"),
        ],
        version="test-parts",
        source="unit test",
    )
    assert catalog.by_name(normalize_name("Adipoyl Carnitine")) == ("c6dc",)
    assert catalog.by_name(normalize_name("5-carboxypentanoyl carnitine")) == ("c6dc",)
    assert catalog.by_name(normalize_name("Adipoyl carnitine; 5-Carboxypentanoyl carnitine")) == (
        "c6dc",
    )
    # one- or two-letter fragments are not names
    assert catalog.by_name("a") == ()
