"""Tests of the matcher: evidence, guards, decisions, equivalents and duplicates."""

from __future__ import annotations

import cobra
import pytest

from cobra_metalign.catalog import Catalog, CatalogEntry, load_catalog
from cobra_metalign.matcher import MATCH_COLUMNS, SOURCES, Matcher, match


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
