"""Tests of the matcher: evidence, guards, decisions, equivalents and duplicates."""

from __future__ import annotations

import cobra
import pytest

from cobra_metalign.catalog.store import Catalog, CatalogEntry, load_catalog
from cobra_metalign.matching.matcher import MATCH_COLUMNS, SOURCES, Matcher, match


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def _model(*metabolites: cobra.Metabolite) -> cobra.Model:
    model = cobra.Model("tiny")
    model.add_metabolites(list(metabolites))
    return model


def test_textbook_every_metabolite_accepted_to_its_own_id(textbook, catalog) -> None:
    before = sorted(m.id for m in textbook.metabolites)
    table = match(textbook, catalog)
    assert list(table.columns) == list(MATCH_COLUMNS)
    assert sorted(table.index) == before
    assert (table["decision"] == "accept").all(), table[table["decision"] != "accept"]
    assert (table["bigg_id"] == table["base_id"]).all()
    assert (table["duplicate_of"] == "").all()
    assert sorted(m.id for m in textbook.metabolites) == before  # model untouched


def test_modelseed_ids_and_names(catalog) -> None:
    model = _model(
        cobra.Metabolite(
            "cpd00027_c0", name="D-Glucose-c0", formula="C6H12O6", charge=0, compartment="c0"
        ),
        cobra.Metabolite(
            "cpd00020_c0", name="Pyruvate-c0", formula="C3H3O3", charge=-1, compartment="c0"
        ),
    )
    table = match(model, catalog)
    assert table.loc["cpd00027_c0", "bigg_id"] == "glc__D"
    assert table.loc["cpd00027_c0", "decision"] == "accept"
    assert "idxref:seed.compound=cpd00027" in table.loc["cpd00027_c0", "evidence"]
    assert table.loc["cpd00020_c0", "bigg_id"] == "pyr"
    assert table.loc["cpd00027_c0", "base_id"] == "cpd00027"
    assert table.loc["cpd00027_c0", "compartment"] == "c0"


def test_old_and_variant_ids(catalog) -> None:
    model = _model(
        cobra.Metabolite("glc_DASH_D_c", name="D-Glucose", formula="C6H12O6", compartment="c"),
        cobra.Metabolite(
            "12ppd_R_c", name="(R)-Propane-1,2-diol", formula="C3H8O2", compartment="c"
        ),
    )
    table = match(model, catalog)
    assert table.loc["glc_DASH_D_c", "bigg_id"] == "glc__D"
    assert table.loc["12ppd_R_c", "bigg_id"] == "12ppd__R"
    assert table.loc["12ppd_R_c", "decision"] == "accept"


def test_ids_are_not_cut_at_arbitrary_underscores(catalog) -> None:
    model = _model(cobra.Metabolite("s_0001", name="(1->3)-beta-D-glucan", compartment="c"))
    table = match(model, catalog)
    assert table.loc["s_0001", "bigg_id"] != "s"
    assert "id=" not in table.loc["s_0001", "evidence"]


def test_formula_mismatch_blocks_acceptance(catalog) -> None:
    # the id says ATP, the chemistry says something else entirely
    model = _model(
        cobra.Metabolite("atp_c", name="ATP", formula="C6H12O6", charge=0, compartment="c")
    )
    row = match(model, catalog).loc["atp_c"]
    assert row["decision"] == "review"
    assert "formula=mismatch" in row["evidence"]


def test_stereo_clash_is_not_accepted_by_similarity(catalog) -> None:
    model = _model(cobra.Metabolite("x1_c", name="L-Alanyl-D-glutamate-X", compartment="c"))
    row = match(model, catalog).loc["x1_c"]
    assert row["decision"] != "accept"


def test_name_and_formula_without_ids(catalog) -> None:
    model = _model(
        cobra.Metabolite(
            "MAM01234c", name="pyruvate", formula="C3H3O3", charge=-1, compartment="c"
        ),
        cobra.Metabolite("MAM09999c", name="zzqx unknown thing", compartment="c"),
    )
    table = match(model, catalog)
    assert table.loc["MAM01234c", "bigg_id"] == "pyr"
    assert table.loc["MAM01234c", "decision"] == "accept"
    assert "name=exact" in table.loc["MAM01234c", "evidence"]
    assert table.loc["MAM09999c", "decision"] in {"none", "review"}


def test_duplicates_in_same_compartment(catalog) -> None:
    model = _model(
        cobra.Metabolite(
            "glc__D_c", name="D-Glucose", formula="C6H12O6", charge=0, compartment="c"
        ),
        cobra.Metabolite(
            "cpd00027_c", name="D-Glucose", formula="C6H12O6", charge=0, compartment="c"
        ),
        cobra.Metabolite(
            "cpd00027_e", name="D-Glucose", formula="C6H12O6", charge=0, compartment="e"
        ),
    )
    table = match(model, catalog)
    assert table.loc["cpd00027_c", "duplicate_of"] == "glc__D_c"
    assert table.loc["glc__D_c", "duplicate_of"] == ""
    assert table.loc["cpd00027_e", "duplicate_of"] == ""  # other compartment


def test_equivalent_ids_are_duplicates() -> None:
    entries = [
        CatalogEntry(
            id="mev__R",
            name="(R)-Mevalonate",
            formulas=("C6H11O4",),
            charges=(-1,),
            models=20,
            equivalents=("mevR",),
        ),
        CatalogEntry(
            id="mevR", name="(R)-mevalonate", formulas=("C6H11O4",), charges=(-1,), models=2
        ),
    ]
    catalog = Catalog(entries, version="t", source="t")
    model = _model(
        cobra.Metabolite(
            "mevR_c", name="(R)-mevalonate", formula="C6H11O4", charge=-1, compartment="c"
        ),
        cobra.Metabolite(
            "mev__R_c", name="(R)-Mevalonate", formula="C6H11O4", charge=-1, compartment="c"
        ),
        cobra.Metabolite(
            "MAM1c", name="R-mevalonate", formula="C6H11O4", charge=-1, compartment="c"
        ),
    )
    table = match(model, catalog)
    # each exact id keeps its own id; both are recognised as one compound
    assert table.loc["mevR_c", "bigg_id"] == "mevR"
    assert table.loc["mev__R_c", "bigg_id"] == "mev__R"
    assert table.loc["mevR_c", "equivalents"] == "mev__R"
    assert table.loc["mevR_c", "duplicate_of"] == "mev__R_c"


def test_unknown_source_refused(catalog) -> None:
    with pytest.raises(ValueError, match="unknown evidence sources"):
        Matcher(catalog, sources=["id", "telepathy"])


@pytest.mark.parametrize("source", SOURCES[:-1])
def test_ablation_runs_without_each_source(textbook, catalog, source) -> None:
    sources = [s for s in SOURCES if s != source]
    table = Matcher(catalog, sources=sources).match_model(textbook)
    assert len(table) == len(textbook.metabolites)
    if source != "id":
        assert (table["decision"] == "accept").mean() > 0.9


def test_boundary_copies_are_not_merged(catalog) -> None:
    model = _model(
        cobra.Metabolite(
            "cpd00029_e0", name="Acetate_e0", formula="C2H3O2", charge=-1, compartment="e0"
        ),
        cobra.Metabolite(
            "cpd00029_b", name="Acetate_e0_b", formula="C2H3O2", charge=-1, compartment="e0"
        ),
    )
    table = match(model, catalog)
    assert table.loc["cpd00029_e0", "decision"] == "accept"
    assert table.loc["cpd00029_b", "decision"] == "review"
    assert "boundary copy" in table.loc["cpd00029_b", "evidence"]
    assert (table["duplicate_of"] == "").all()


# ------------------------------------------------- decisive evidence (issue 12 / 11)
def _tiny_catalog() -> Catalog:
    return Catalog(
        [
            CatalogEntry(
                id="h2o",
                name="H2O",
                synonyms=("Water",),
                formulas=("H2O",),
                charges=(0,),
                xrefs={"chebi": ("CHEBI:15377",), "biocyc": ("META:WATER",)},
                models=100,
            ),
            CatalogEntry(
                id="oh1",
                name="Hydroxide ion",
                formulas=("HO",),
                charges=(-1,),
                xrefs={"chebi": ("CHEBI:16234",), "biocyc": ("META:WATER",)},
                models=5,
            ),
            CatalogEntry(
                id="2ogm",
                name="2-Oxoglutaramate",
                formulas=("C5H6NO4",),
                charges=(-1,),
                equivalents=("HC00591",),
                models=3,
            ),
            CatalogEntry(
                id="HC00591",
                name="2-oxoglutaramate",
                formulas=("C5H6NO4",),
                charges=(-1,),
                equivalents=("2ogm",),
            ),
            CatalogEntry(
                id="uacmamu",
                name="UDP-N-acetyl-D-mannosaminouronate",
                formulas=("C17H24N3O18P2",),
                charges=(-3,),
                xrefs={"inchikey": ("DZOGQXKQLXAPND-XHUKORKBSA-K",)},
            ),
            CatalogEntry(
                id="cellb",
                name="Cellobiose",
                formulas=("C12H22O11",),
                charges=(0,),
                xrefs={"seed.compound": ("cpd00158",)},
            ),
        ],
        version="test-1",
        source="unit test",
    )


def test_own_bigg_annotation_decides_over_multivalued_xrefs() -> None:
    """gapseq water: its CHEBI list also names hydroxide; that made a CONFLICT against oh1."""
    water = cobra.Metabolite(
        "cpd00001_c0", name="H2O-c0", formula="H2O", charge=0, compartment="c0"
    )
    water.annotation = {
        "bigg.metabolite": "h2o",
        "chebi": ["CHEBI:15377", "CHEBI:16234"],
        "biocyc": "META:WATER",
    }
    table = Matcher(_tiny_catalog()).match_model(_model(water))
    row = table.loc["cpd00001_c0"]
    assert (row["bigg_id"], row["decision"], row["conflict"]) == ("h2o", "accept", False)
    assert "xref:bigg.metabolite=h2o" in row["evidence"]


def test_multivalued_xrefs_alone_never_make_a_conflict() -> None:
    """Without a BiGG annotation, a shared xref (META:WATER) is weak: no CONFLICT from it."""
    water = cobra.Metabolite(
        "cpd00001_c0", name="H2O-c0", formula="H2O", charge=0, compartment="c0"
    )
    water.annotation = {"biocyc": "META:WATER"}
    row = Matcher(_tiny_catalog()).match_model(_model(water)).loc["cpd00001_c0"]
    assert not row["conflict"]


def test_own_bigg_annotation_names_the_proposed_equivalent() -> None:
    """gapseq 2-Oxoglutaramate annotated HC00591: propose HC00591, not the canonical 2ogm."""
    met = cobra.Metabolite(
        "cpd00695_c0", name="2-Oxoglutaramate-c0", formula="C5H6NO4", charge=-1, compartment="c0"
    )
    met.annotation = {"bigg.metabolite": "HC00591"}
    row = Matcher(_tiny_catalog()).match_model(_model(met)).loc["cpd00695_c0"]
    assert (row["bigg_id"], row["decision"]) == ("HC00591", "accept")


def test_own_bigg_annotation_with_other_heavy_atoms_is_not_accepted() -> None:
    met = cobra.Metabolite("x_c0", name="Something else", formula="C6H12O6", compartment="c0")
    met.annotation = {"bigg.metabolite": "h2o"}
    row = Matcher(_tiny_catalog()).match_model(_model(met)).loc["x_c0"]
    assert row["decision"] != "accept"


def test_inchikey_skeleton_and_similar_name_never_accept() -> None:
    """gapseq cpd02782 UDP-N-acetyl-D-glucosaminouronate -> uacmamu (its epimer) on
    ``inchikey=skeleton; tfidf=0.84`` was accepted; now it is at most a review."""
    met = cobra.Metabolite(
        "cpd02782_c0",
        name="UDP-N-acetyl-D-glucosaminouronate-c0",
        formula="C17H24N3O18P2",
        charge=-3,
        compartment="c0",
    )
    met.annotation = {"inchikey": "DZOGQXKQLXAPND-UHFFFAOYSA-K"}
    row = Matcher(_tiny_catalog()).match_model(_model(met)).loc["cpd02782_c0"]
    assert row["decision"] != "accept"


def test_anomer_is_not_accepted_as_its_generic_compound() -> None:
    """ModelSEED/gapseq alpha-cellobiose with an xref to cellb is review, never accept."""
    met = cobra.Metabolite(
        "cpd00158_c0", name="alpha-Cellobiose-c0", formula="C12H22O11", charge=0, compartment="c0"
    )
    row = Matcher(_tiny_catalog()).match_model(_model(met)).loc["cpd00158_c0"]
    assert row["bigg_id"] == "cellb" and row["decision"] == "review"
    assert "specificity:alpha/beta" in row["evidence"]
    plain = cobra.Metabolite(
        "cpd00158_c0", name="Cellobiose-c0", formula="C12H22O11", charge=0, compartment="c0"
    )
    assert Matcher(_tiny_catalog()).match_model(_model(plain)).loc["cpd00158_c0", "decision"] == (
        "accept"
    )


def test_gapseq_model_real_cases(shared_data, catalog) -> None:
    """The B. uniformis gapseq model as it is (issue 12 cause 4, issue 11 item 4)."""
    from cobra_metalign.io.model import read_model

    model = read_model(shared_data / "models" / "multi_tool" / "BU_gapseq.xml.gz")
    table = Matcher(catalog).match_model(model)
    by_base = table.reset_index().set_index("metabolite_id")
    for met_id, expected in {
        "cpd00001_c0": "h2o",
        "cpd00013_c0": "nh3",
        "cpd00159_c0": "lac__L",
        "cpd00082_c0": "fru",
        "cpd00064_c0": "orn",
    }.items():
        row = by_base.loc[met_id]
        assert (row["bigg_id"], row["decision"]) == (expected, "accept"), row["evidence"]
    for met_id in ("cpd02782_c0", "cpd21148_c0", "cpd03063_c0"):
        if met_id in by_base.index:
            assert by_base.loc[met_id, "decision"] != "accept", by_base.loc[met_id, "evidence"]


def test_organism_tag_picks_its_twin(catalog) -> None:
    """'Phosphatidylethanolamine (Ecoli)' went to pe_SC by model count; the tag decides."""
    model = _model(
        cobra.Metabolite("pe_c", name="Phosphatidylethanolamine (Ecoli)", compartment="c"),
        cobra.Metabolite("pe2_c", name="Phosphatidylethanolamine", compartment="c"),
    )
    table = match(model, catalog)
    assert tuple(table.loc["pe_c", ["bigg_id", "decision"]]) == ("pe_EC", "accept")
    assert table.loc["pe2_c", "decision"] != "accept"  # which organism's PE: a curator decides


def test_mixture_record_is_not_a_heavy_atom_mismatch(catalog) -> None:
    """Human-GEM dolichol C100H164O: not the C95 'Dolichol', the human liver homolog record."""
    model = _model(
        cobra.Metabolite("MAM01730c", name="dolichol", formula="C100H164O", compartment="c")
    )
    row = match(model, catalog).loc["MAM01730c"]
    assert row["bigg_id"] == "dolichol__L" and "formula=generic" in row["evidence"]


def test_documented_evidence_weights_agree_with_the_code() -> None:
    """docs/matching.md's evidence table is EVIDENCE_WEIGHTS, number for number."""
    import re
    from pathlib import Path

    from cobra_metalign.matching.matcher import (
        DECISIVE_EVIDENCE_MIN,
        EVIDENCE_WEIGHTS,
        HARD_EVIDENCE_MIN,
    )

    page = (Path(__file__).resolve().parents[1] / "docs" / "matching.md").read_text()
    documented = {}
    for kind, strength in re.findall(r"^\| `([^`]+)` \| ([^|]+) \|", page, flags=re.MULTILINE):
        numbers = tuple(float(n) for n in re.findall(r"\d\.\d+", strength))
        if numbers:
            documented[kind] = numbers
    for kind, weights in EVIDENCE_WEIGHTS.items():
        expected = weights if isinstance(weights, tuple) else (weights,)
        assert documented.get(kind) == pytest.approx(expected), kind
    assert f"**{HARD_EVIDENCE_MIN:.2f}** (`HARD_EVIDENCE_MIN`)" in page
    assert f"**{DECISIVE_EVIDENCE_MIN:.2f}** (`DECISIVE_EVIDENCE_MIN`)" in page


def test_humangem_real_cases_in_review_with_gold_on_top(shared_data, catalog, tmp_path) -> None:
    """Human-GEM rows that sat in REVIEW with the gold as top candidate (issue 12 cause 8)."""
    import pandas as pd

    from cobra_metalign.benchmark import load_gold

    table = pd.read_csv(
        shared_data / "benchmarks" / "humangem_gold.tsv.gz",
        sep="\t",
        dtype=str,
        keep_default_na=False,
    )
    names = ["D-arginine", "13-cis-retinal"]
    picked = table[table["name"].isin(names)].drop(columns=["recon3d"])
    picked.to_csv(tmp_path / "gold.tsv", sep="\t", index=False)
    model, gold = load_gold(tmp_path / "gold.tsv")
    result = Matcher(catalog).match_model(model).join(gold)
    for _, row in result.iterrows():
        assert row["decision"] == "accept", row["evidence"]
        assert row["bigg_id"] == row["gold_bigg"], row


def test_isomer_clash_blocks_an_xref_to_another_sugar(shared_data, catalog) -> None:
    """ModelSEED Celloheptaose carries SEED cpd03718, which mergem files under malthp."""
    from cobra_metalign.io.model import read_model

    model = read_model(shared_data / "models" / "multi_tool" / "BU_modelSEED.sbml.gz")
    table = Matcher(catalog).match_model(model)
    cello = table.loc["cpd03718_c0"]
    assert cello["decision"] != "accept" and "clash:sugar" in cello["evidence"]
    assert table.loc["cpd15494_c0", "bigg_id"] == "malthp"  # Maltoheptaose itself
    assert cello["duplicate_of"] == "" and "cpd03718_c0" not in set(table["duplicate_of"])


def test_generic_and_specific_or_other_heavy_atoms_in_one_model_are_not_merged(catalog) -> None:
    """gapseq 'alpha-D-Galactose' and 'Galactose' both map to gal; starch n=19 and n=27 to
    starch: never merged, the second goes to review with the reason."""
    model = _model(
        cobra.Metabolite("cpd00108_c0", name="Galactose-c0", formula="C6H12O6", compartment="c0"),
        cobra.Metabolite(
            "cpd00724_c0", name="alpha-D-Galactose-c0", formula="C6H12O6", compartment="c0"
        ),
        cobra.Metabolite("cpd01112_c0", name="Galactose-c0", formula="C6H12O6", compartment="c0"),
    )
    model.metabolites.get_by_id("cpd00108_c0").annotation = {"bigg.metabolite": "gal"}
    model.metabolites.get_by_id("cpd00724_c0").annotation = {"bigg.metabolite": "gal"}
    model.metabolites.get_by_id("cpd01112_c0").annotation = {"bigg.metabolite": "gal"}
    table = Matcher(catalog).match_model(model)
    assert table.loc["cpd01112_c0", "duplicate_of"] != ""  # same name: a real duplicate
    alpha = table.loc["cpd00724_c0"]
    assert alpha["duplicate_of"] == "" and alpha["decision"] == "review"
    assert "not merged with" in alpha["evidence"] and "alpha/beta" in alpha["evidence"]


def test_chain_length_class_record_is_not_accepted_for_one_molecule(catalog) -> None:
    """Human-GEM: "ubiquinone" with no formula is q10 in the model, q (C14H18O4(C5H8)n) names
    the class; dolichyl phosphate C100H163O4P fits dolp's (C5H8)n only as a member."""
    model = _model(
        cobra.Metabolite("MAM03103m", name="ubiquinone", compartment="m"),
        cobra.Metabolite("MAM03102m", name="ubiquinol", compartment="m"),
        cobra.Metabolite(
            "MAM01733c", name="dolichyl-phosphate", formula="C100H163O4P", compartment="c"
        ),
        cobra.Metabolite(
            "MAM01732c", name="dolichyl-diphosphate", formula="C100H163O7P2", compartment="c"
        ),
        # a pooled mixture record is not a class: dolichol C100 is the human liver homolog
        cobra.Metabolite("MAM01730c", name="dolichol", formula="C100H164O", compartment="c"),
        # a specific member named as such is accepted
        cobra.Metabolite(
            "q10_m", name="Ubiquinone-10", formula="C59H90O4", charge=0, compartment="m"
        ),
    )
    table = match(model, catalog)
    for met_id, bigg_id in (
        ("MAM03103m", "q"),
        ("MAM03102m", "qh2"),
        ("MAM01733c", "dolp"),
        ("MAM01732c", "doldp"),
    ):
        row = table.loc[met_id]
        assert row["decision"] == "review", row
        if row["bigg_id"] == bigg_id:
            assert "specificity:class record" in row["evidence"]
    assert table.loc["MAM01730c", "bigg_id"] == "dolichol__L"
    assert table.loc["MAM01730c", "decision"] == "accept"
    assert table.loc["q10_m", "decision"] == "accept"
    assert table.loc["q10_m", "bigg_id"] == "q10"


def test_packaged_catalogue_keeps_doubtful_groups_apart(catalog) -> None:
    """lipidA_HP (H. pylori) is not E. coli's lipid A disaccharide; cytochrome c-553 names
    are not on ferricytochrome c; Recon's dgcholcoa is chenodeoxycholoyl-CoA (same formula,
    key and reactions: a BiGG duplicate with a misleading name) and stays joined."""
    assert catalog.equivalents("lipidA_HP") == ("lipidA_HP",)
    assert catalog.equivalents("lipidAds") == ("lipidAds",)
    assert not any("553" in name for name in catalog["ficytC"].names)
    assert not any("553" in name for name in catalog["focytC"].names)
    assert "ficytC" not in catalog.by_name("ferricytochromec553")
    assert set(catalog.equivalents("dcholcoa")) == {"dcholcoa", "dgcholcoa"}
    assert catalog["b12"].name == "Vitamin B12"
    assert catalog["uppg3"].name == "Uroporphyrinogen III"


def test_top_k_cut_never_breaks_a_tie_between_exact_names() -> None:
    """Two ids with the same name and the same cross-reference tie, whatever TF-IDF's top-k.

    ModelSEED ``cpd11456`` "Phosphatidylethanolamine" holds the SEED xref and the exact name
    of both ``pe_hs`` and ``psetha_BS`` (and four more ids carry the name); TF-IDF's top 5
    kept one of the two, whose lead then passed the margin: an automatic RENAMED chosen by
    score noise. With ``top_k=1`` the cut always drops one of two. (Their formulas, an R-group
    record and a mixture, keep them from being pooled as BiGG twins, as in the catalogue.)
    """
    entries = [
        CatalogEntry(
            id=bigg_id,
            name=name,
            synonyms=("Phosphatidylethanolamine",),
            formulas=(formula,),
            xrefs={"seed.compound": ("cpd11456",)},
        )
        for bigg_id, name, formula in (
            ("pe_hs", "Phosphatidylethanolamine (homo sapiens)", "C5H12NO4PRCO2R2CO2"),
            ("psetha_BS", "Phosphatidylethanolamine B subtilis", "C3636H7172N100O800P100"),
        )
    ]
    catalog = Catalog(entries, version="test-1", source="unit test")
    met = cobra.Metabolite("cpd11456_c", name="Phosphatidylethanolamine[c]", compartment="c")
    row = Matcher(catalog, top_k=1).match_model(_model(met)).loc["cpd11456_c"]
    assert row["decision"] == "review"
    scores = dict(part.split(":") for part in row["candidates"].split("; "))
    assert scores["pe_hs"] == scores["psetha_BS"]


def test_seed_phosphatidylethanolamine_is_left_to_a_curator(catalog) -> None:
    """The same case with the packaged catalogue (six ids named Phosphatidylethanolamine)."""
    met = cobra.Metabolite("cpd11456_c", name="Phosphatidylethanolamine[c]", compartment="c")
    assert match(_model(met), catalog).loc["cpd11456_c", "decision"] == "review"


def test_bigg_ids_ending_in_b_are_not_boundary_copies(catalog) -> None:
    """The carveme universe's mfr_b_c (methanofuran b) and cs_b_l went to REVIEW as
    'boundary copy'; an id that is itself a BiGG id is kept. A real copy still is not."""
    model = _model(
        cobra.Metabolite("mfr_b_c", name="Methanofuran b", formula="C34H40N4O15", compartment="c"),
        cobra.Metabolite("akg_b", name="2-Oxoglutarate", formula="C5H4O5", compartment="e"),
    )
    table = match(model, catalog)
    assert tuple(table.loc["mfr_b_c", ["bigg_id", "decision"]]) == ("mfr_b", "accept")
    assert table.loc["akg_b", "decision"] != "accept"


def _organism_model(catalog: Catalog, tag: str, *named: cobra.Metabolite) -> cobra.Model:
    """A model whose ids are 12 of BiGG's ``_tag`` organism copies, plus ``named``."""
    from cobra_metalign.matching.matcher import organism_copies

    own = sorted(set(organism_copies(catalog, tag).values()))[:12]
    return _model(
        *(cobra.Metabolite(f"{bigg}_c", name="", compartment="c") for bigg in own), *named
    )


def test_model_organism_picks_the_organism_copy(catalog) -> None:
    """Human-GEM "globoside": gbside_hs and gbside_cho are one compound in two organisms'
    copies; the model's other ids are human copies, so gbside_hs."""
    globoside = cobra.Metabolite("MAM1_c", name="globoside", compartment="c")
    table = match(_organism_model(catalog, "hs", globoside), catalog)
    row = table.loc["MAM1_c"]
    assert (row["bigg_id"], row["decision"]) == ("gbside_hs", "accept"), row["evidence"]
    assert "organism copy of gbside_cho" in row["evidence"]
    assert "gbside_cho" not in row["candidates"]
    cho = match(_organism_model(catalog, "cho", globoside.copy()), catalog).loc["MAM1_c"]
    assert (cho["bigg_id"], cho["decision"]) == ("gbside_cho", "accept"), cho["evidence"]


def test_no_organism_copy_chosen_without_a_clear_model_organism(catalog) -> None:
    globoside = cobra.Metabolite("MAM1_c", name="globoside", compartment="c")
    alone = match(_model(globoside), catalog).loc["MAM1_c"]
    assert alone["decision"] == "review"  # two organisms' copies: a curator decides
    few = _model(
        *(cobra.Metabolite(f"{b}_c", name="", compartment="c") for b in ("pail4p_hs", "crm_hs")),
        globoside.copy(),
    )
    assert match(few, catalog).loc["MAM1_c", "decision"] == "review"
    # the model's own ids are never mapped to another organism's copy
    own = match(_organism_model(catalog, "hs", cobra.Metabolite("gbside_cho_c", name="")), catalog)
    assert tuple(own.loc["gbside_cho_c", ["bigg_id", "decision"]]) == ("gbside_cho", "accept")


def test_a_name_that_spells_a_bigg_id_accepts_only_with_its_formula(catalog) -> None:
    """Human-GEM names some metabolites by abbreviation: "AKG", "PEP", "Pi"."""
    model = _model(
        cobra.Metabolite("MAM1c", name="AKG", formula="C5H4O5", charge=-2, compartment="c"),
        cobra.Metabolite("MAM2c", name="PEP", compartment="c"),
        cobra.Metabolite("MAM3c", name="DHA", formula="C22H31O2", charge=-1, compartment="c"),
    )
    table = match(model, catalog)
    akg = table.loc["MAM1c"]
    assert (akg["bigg_id"], akg["decision"]) == ("akg", "accept"), akg["evidence"]
    assert "name=id" in akg["evidence"]
    pep = table.loc["MAM2c"]  # no formula to agree: an abbreviation alone proposes
    assert (pep["bigg_id"], pep["decision"]) == ("pep", "review"), pep["evidence"]
    dha = table.loc["MAM3c"]  # docosahexaenoate, not dihydroxyacetone
    assert not (dha["bigg_id"] == "dha" and dha["decision"] == "accept"), dha["evidence"]
    # the case of an id's suffix carries meaning: "fru_b" (a boundary copy) is not fru_B
    copies = match(
        _model(
            cobra.Metabolite("fru_b", name="fru_b", formula="C6H12O6", compartment="e"),
            cobra.Metabolite("x_c", name="fru_b", formula="C6H12O6", compartment="c"),
        ),
        catalog,
    )
    assert "name=id" not in " ".join(copies["evidence"]), copies["evidence"]
    assert "fru_B" not in set(copies["bigg_id"]), copies[["bigg_id", "evidence"]]
