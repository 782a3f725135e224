"""Cross-model join: evidence, guards, renames, formula veto, and the rules on mapped ids."""

from __future__ import annotations

import cobra
import pandas as pd
import pytest

from cobra_metalign.catalog.store import Catalog, CatalogEntry
from cobra_metalign.merging.metabolite_join import (
    JOIN_COLUMNS,
    MetaboliteRecord,
    bigg_twins,
    copy_difference,
    descriptor_difference,
    join_metabolites,
    own_model_difference,
    source_ids,
    twin_verdict,
    veto_formula_merges,
)

GLC_KEY = "WQZGKKKJIJFFOK-GASJEMHNSA-N"


def template(model_id: str, *mets: dict) -> cobra.Model:
    """A model whose metabolites are given as keyword dicts; one sink per metabolite."""
    model = cobra.Model(model_id)
    for spec in mets:
        spec = dict(spec)
        annotation = spec.pop("annotation", {})
        met = cobra.Metabolite(**spec)
        met.annotation = annotation
        model.add_metabolites([met])
        sink = cobra.Reaction(f"SK_{met.id}", lower_bound=-1)
        model.add_reactions([sink])
        sink.add_metabolites({met: -1})
    return model


def join(*models: cobra.Model, mapped: dict | None = None):
    named = {m.id: m for m in models}
    mapped = mapped or {}
    return join_metabolites(named, {name: mapped.get(name, {}) for name in named})


def verdicts(frame: pd.DataFrame) -> dict[tuple[str, str], str]:
    return {(r.metabolite_id, r.other_id): r.reason or "joined" for r in frame.itertuples()}


def test_joined_by_inchikey():
    a = template(
        "a",
        dict(
            id="glcx_c",
            name="glucose",
            formula="C6H12O6",
            compartment="c",
            annotation={"inchikey": GLC_KEY},
        ),
    )
    b = template(
        "b",
        dict(
            id="cpd99999_c0",
            name="D-Glucose",
            formula="C6H12O6",
            compartment="c",
            annotation={"inchikey": GLC_KEY},
        ),
    )
    frame, renames = join(a, b)
    assert list(frame.columns) == list(JOIN_COLUMNS)
    assert frame.loc[0, "verdict"] == "joined"
    assert frame.loc[0, "evidence"].startswith("inchikey:")
    assert renames == {("b", "cpd99999_c0"): "glcx_c"}
    assert "glcx_c" in b.metabolites and "cpd99999_c0" not in b.metabolites
    assert b.metabolites.glcx_c.notes["metalign_joined_from"] == "cpd99999_c0"
    assert frame.loc[0, "merged_id"] == frame.loc[0, "other_merged_id"] == "glcx_c"


def test_joined_by_shared_xref_and_by_name_with_formula():
    a = template(
        "a",
        dict(
            id="xa_c",
            name="Foo acid",
            formula="C4H6O4",
            charge=0,
            compartment="c",
            annotation={"metanetx.chemical": "MNXM1234"},
        ),
        dict(id="ya_c", name="Barose", formula="C5H10O5", compartment="c"),
    )
    b = template(
        "b",
        dict(
            id="xb_c",
            name="foo acid",
            formula="C4H5O4",
            charge=-1,
            compartment="c",
            annotation={"metanetx.chemical": "MNXM1234"},
        ),
        dict(id="yb_c", name="barose", formula="C5H10O5", compartment="c"),
    )
    frame, renames = join(a, b)
    assert renames == {("b", "xb_c"): "xa_c", ("b", "yb_c"): "ya_c"}
    assert set(frame["verdict"]) == {"joined"}
    assert set(frame["evidence"].str.split(":").str[0]) == {"xref", "name"}


def test_name_without_formula_is_not_enough():
    a = template("a", dict(id="qa_c", name="Quux", compartment="c"))
    b = template("b", dict(id="qb_c", name="quux", compartment="c"))
    frame, renames = join(a, b)
    assert renames == {}
    assert len(frame) == 0  # a name alone makes no candidate pair


def test_different_heavy_atom_formulas_never_join():
    # gapseq's Maltodextrin and another model's Amylose share a cross-reference.
    a = template(
        "a",
        dict(
            id="cpd11976_c0",
            name="Maltodextrin",
            formula="C24H42O21",
            compartment="c",
            annotation={"kegg.compound": "C00718"},
        ),
    )
    b = template(
        "b",
        dict(
            id="amylose_c",
            name="Amylose",
            formula="C30H52O26",
            compartment="c",
            annotation={"kegg.compound": "C00718"},
        ),
    )
    frame, renames = join(a, b)
    assert renames == {}
    assert frame.loc[0, "verdict"] == "not joined"
    assert frame.loc[0, "reason"].startswith("formula mismatch")


def test_stereoisomers_and_generic_vs_specific_never_join():
    a = template(
        "a",
        dict(
            id="ala_L_c",
            name="L-Alanine",
            formula="C3H7NO2",
            compartment="c",
            annotation={"kegg.compound": "C00041"},
        ),
        dict(
            id="hex_c",
            name="glucose",
            formula="C6H12O6",
            compartment="c",
            annotation={"kegg.compound": "C00031"},
        ),
    )
    b = template(
        "b",
        dict(
            id="ala_D_c",
            name="D-Alanine",
            formula="C3H7NO2",
            compartment="c",
            annotation={"kegg.compound": "C00041"},
        ),
        dict(
            id="aglc_c",
            name="alpha-D-glucose",
            formula="C6H12O6",
            compartment="c",
            annotation={"kegg.compound": "C00031"},
        ),
    )
    frame, renames = join(a, b)
    assert renames == {}
    reasons = verdicts(frame)
    assert reasons[("ala_L_c", "ala_D_c")].startswith("names clash: stereo")
    assert reasons[("hex_c", "aglc_c")].startswith("generic vs specific")


def test_full_inchikey_outweighs_a_generic_name():
    # The key encodes stereo: a generic name on one side does not block the join.
    a = template(
        "a",
        dict(
            id="hex_c",
            name="glucose",
            formula="C6H12O6",
            compartment="c",
            annotation={"inchikey": GLC_KEY},
        ),
    )
    b = template(
        "b",
        dict(
            id="dglc_c",
            name="D-glucose",
            formula="C6H12O6",
            compartment="c",
            annotation={"inchikey": GLC_KEY},
        ),
    )
    _, renames = join(a, b)
    assert renames == {("b", "dglc_c"): "hex_c"}


def test_never_across_compartments():
    a = template(
        "a",
        dict(
            id="g_c",
            name="glucose",
            formula="C6H12O6",
            compartment="c",
            annotation={"inchikey": GLC_KEY},
        ),
    )
    b = template(
        "b",
        dict(
            id="g_e",
            name="glucose",
            formula="C6H12O6",
            compartment="e",
            annotation={"inchikey": GLC_KEY},
        ),
    )
    frame, renames = join(a, b)
    assert renames == {} and len(frame) == 0


def test_unmapped_joins_the_mapped_id_of_another_model():
    a = template(
        "a",
        dict(
            id="h2o_c",
            name="Water",
            formula="H2O",
            compartment="c",
            annotation={"metanetx.chemical": "MNXM2"},
        ),
    )
    b = template(
        "b",
        dict(
            id="cpd00001_c0",
            name="H2O",
            formula="H2O",
            compartment="c",
            annotation={"metanetx.chemical": "MNXM2"},
        ),
    )
    frame, renames = join(b, a, mapped={"a": {"h2o_c": "h2o"}})
    # The mapped member gives the id even though its model comes second.
    assert renames == {("b", "cpd00001_c0"): "h2o_c"}


def test_two_unmapped_of_one_model_are_not_joined_into_one():
    a = template(
        "a",
        dict(
            id="s_c",
            name="Sugar",
            formula="C6H12O6",
            compartment="c",
            annotation={"kegg.compound": "C99999"},
        ),
    )
    b = template(
        "b",
        dict(
            id="s1_c",
            name="Sugar",
            formula="C6H12O6",
            compartment="c",
            annotation={"kegg.compound": "C99999"},
        ),
        dict(
            id="s2_c",
            name="sugar",
            formula="C6H12O6",
            compartment="c",
            annotation={"kegg.compound": "C99999"},
        ),
    )
    frame, renames = join(a, b)
    assert len(renames) == 1
    assert "would join two unmapped metabolites of b" in set(frame["reason"])


def test_same_id_other_formula_is_kept_apart():
    a = template("a", dict(id="glycogen_c", name="glycogen", formula="C6H10O5", compartment="c"))
    b = template("b", dict(id="glycogen_c", name="Glycogen", formula="C24H42O21", compartment="c"))
    frame, renames = join(
        a, b, mapped={"a": {"glycogen_c": "glycogen"}, "b": {"glycogen_c": "glycogen"}}
    )
    assert renames == {("b", "glycogen_c"): "glycogen_c__b"}
    assert "glycogen_c__b" in b.metabolites
    assert frame.loc[0, "reason"].startswith("same id, other heavy-atom formula")


def test_compound_joined_in_one_compartment_is_joined_in_the_others():
    a = template(
        "a",
        dict(
            id="lac__L_c",
            name="(S)-lactate",
            formula="C3H5O3",
            compartment="c",
            annotation={"inchikey": "JVTAAEKCZFNVCJ-REOHCLBHSA-M"},
        ),
        dict(id="lac__L_e", name="(S)-lactate", formula="C3H5O3", compartment="e"),
    )
    b = template(
        "b",
        dict(
            id="cpd00159_c0",
            name="L-Lactate",
            formula="C3H5O3",
            compartment="c",
            annotation={"inchikey": "JVTAAEKCZFNVCJ-REOHCLBHSA-M"},
        ),
        dict(id="cpd00159_e0", name="L-Lactate", formula="C3H5O3", compartment="e"),
    )
    mapped = {"a": {"lac__L_c": "lac__L", "lac__L_e": "lac__L"}}
    frame, renames = join(a, b, mapped=mapped)
    assert renames == {("b", "cpd00159_c0"): "lac__L_c", ("b", "cpd00159_e0"): "lac__L_e"}
    assert frame["evidence"].str.startswith("compound:").any()


def test_unmapped_merged_into_its_own_models_mapped_twin():
    # b holds the compound twice: mapped (gal_c) and not (cpd00108_c0); a's copy proves it.
    a = template(
        "a",
        dict(
            id="gx_c",
            name="Galactose",
            formula="C6H12O6",
            compartment="c",
            annotation={"inchikey": "WQZGKKKJIJFFOK-SVZMEOIVSA-N"},
        ),
    )
    b = template(
        "b",
        dict(id="gal_c", name="Galactose", formula="C6H12O6", compartment="c"),
        dict(
            id="cpd00108_c0",
            name="Galactose",
            formula="C6H12O6",
            compartment="c",
            annotation={"inchikey": "WQZGKKKJIJFFOK-SVZMEOIVSA-N"},
        ),
    )
    mapped = {"a": {"gx_c": "gal"}, "b": {"gal_c": "gal"}}
    _, renames = join(a, b, mapped=mapped)
    assert renames[("b", "cpd00108_c0")] == "gx_c"


def _accepting(model: cobra.Model, bigg: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "bigg_id": [bigg.get(m.id, "") for m in model.metabolites],
            "decision": ["accept" if m.id in bigg else "none" for m in model.metabolites],
        },
        index=pd.Index([m.id for m in model.metabolites]),
    )


def test_veto_formula_merges_demotes_the_odd_formula():
    model = template(
        "gapseq",
        dict(id="cpd11735_c0", name="Amylose", formula="C30H52O26", compartment="c"),
        dict(id="cpd11976_c0", name="Maltodextrin", formula="C24H42O21", compartment="c"),
        dict(id="cpd11976_e0", name="Maltodextrin", formula="C24H42O21", compartment="e"),
    )
    frame = _accepting(model, {m.id: "14glun" for m in model.metabolites})
    checked, demoted = veto_formula_merges(model, frame)
    assert demoted == ["cpd11976_c0"]
    assert checked.loc["cpd11976_c0", "decision"] == "review"
    assert checked.loc["cpd11976_e0", "decision"] == "accept"  # alone in its compartment
    assert frame.loc["cpd11976_c0", "decision"] == "accept"  # the input frame is untouched


def test_veto_keeps_the_formula_the_catalogue_knows():
    model = template(
        "m",
        dict(id="x1_c", name="X", formula="C24H42O21", compartment="c"),
        dict(id="x2_c", name="X", formula="C30H52O26", compartment="c"),
    )

    class Entry:
        formulas = ("C30H52O26",)

    class Known:
        def get(self, bigg_id):
            return Entry()

    _, demoted = veto_formula_merges(model, _accepting(model, {"x1_c": "x", "x2_c": "x"}), Known())
    assert demoted == ["x1_c"]


@pytest.mark.parametrize("formula", ["C11H21N2O7PRS", ""])
def test_veto_ignores_generic_or_missing_formulas(formula):
    model = template(
        "m",
        dict(id="acp1_c", name="ACP", formula="C384H603N96O142PS3", compartment="c"),
        dict(id="acp2_c", name="ACP", formula=formula, compartment="c"),
    )
    _, demoted = veto_formula_merges(model, _accepting(model, {"acp1_c": "ACP", "acp2_c": "ACP"}))
    assert demoted == []


def test_formula_guard_holds_across_a_group():
    # c has no formula, so a-c and b-c each pass; a and b must still not meet through c.
    a = template(
        "a",
        dict(
            id="cro4_c",
            name="chromate",
            formula="CrO4",
            compartment="c",
            annotation={"kegg.compound": "C15000"},
        ),
    )
    b = template(
        "b",
        dict(
            id="chrm_c",
            name="Chromate",
            formula="O2",
            compartment="c",
            annotation={"kegg.compound": "C15000"},
        ),
    )
    c = template(
        "c",
        dict(
            id="cpd11595_c0",
            name="chromate",
            compartment="c",
            annotation={"kegg.compound": "C15000"},
        ),
    )
    frame, renames = join(a, b, c)
    assert ("b", "chrm_c") not in renames
    assert any(r.startswith("would join different heavy-atom formulas") for r in frame["reason"])


def test_unapplied_proposal_and_same_name_join_the_mapped_metabolite():
    a = template("a", dict(id="orn_c", name="Ornithine", compartment="c"))
    b = template(
        "b", dict(id="cpd00064_c0", name="Ornithine_c0", formula="C5H13N2O2", compartment="c")
    )
    named = {"a": a, "b": b}
    mapped = {"a": {"orn_c": "orn"}, "b": {}}
    frame, renames = join_metabolites(named, mapped, {"b": {"cpd00064_c0": "orn"}})
    assert renames == {("b", "cpd00064_c0"): "orn_c"}
    assert frame.loc[0, "evidence"].startswith("proposal:orn")
    # Without the proposal there is no evidence at all (no formula on one side).
    a2 = template("a", dict(id="orn_c", name="Ornithine", compartment="c"))
    b2 = template(
        "b", dict(id="cpd00064_c0", name="Ornithine_c0", formula="C5H13N2O2", compartment="c")
    )
    _, none = join_metabolites({"a": a2, "b": b2}, mapped)
    assert none == {}


# ----------------------------------------------------------------- mapped compounds
def small_catalog(*entries: CatalogEntry) -> Catalog:
    return Catalog(entries, version="test", source="built in the test")


def catalog_entry(bigg_id: str, name: str, formula: str, charge: int | None = None, **extra):
    return CatalogEntry(
        bigg_id,
        name=name,
        formulas=(formula,) if formula else (),
        charges=(charge,) if charge is not None else (),
        **extra,
    )


BZCOA_KEY = "VEVJTUNLALKRNO-TYHXJLICSA-J"
TWINS = small_catalog(
    catalog_entry("benzcoa", "Benzoyl-CoA", "C28H40N7O17P3S", xrefs={"inchikey": (BZCOA_KEY,)}),
    catalog_entry(
        "bzcoa", "Benzoyl Coenzyme A", "C28H36N7O17P3S", -4, xrefs={"inchikey": (BZCOA_KEY,)}
    ),
    catalog_entry("nh3", "Ammonia", "H3N", 0),
    catalog_entry("nh4", "Ammonium", "H4N", 1),
    catalog_entry("glc__D", "D-Glucose", "C6H12O6", 0),
    catalog_entry("glc__bD", "D-Glucose", "C6H12O6", 0),
    catalog_entry("glycogen", "glycogen", "C6H10O5", 0),
    catalog_entry("glygen2", "glycogen", "C24H42O21", 0),
)


def twin_pair(first: dict, second: dict, first_id: str, second_id: str, catalog=TWINS):
    """Model a maps ``first`` to ``first_id``, model b maps ``second`` to ``second_id``."""
    a = template("a", dict(compartment="c", **first))
    b = template("b", dict(compartment="c", **second))
    mapped = {"a": {first["id"]: first_id}, "b": {second["id"]: second_id}}
    return join_metabolites({"a": a, "b": b}, mapped, catalog=catalog), a, b


def test_twin_bigg_ids_of_one_compound_join():
    # CarveMe writes benzcoa, gapseq bzcoa: BiGG lists benzoyl-CoA twice.
    (frame, renames), _, b = twin_pair(
        dict(id="benzcoa_c", name="Benzoyl-CoA", formula="C28H40N7O17P3S"),
        dict(id="bzcoa_c", name="Benzoyl-CoA-c0", formula="C28H36N7O17P3S", charge=-4),
        "benzcoa",
        "bzcoa",
    )
    assert renames == {("b", "bzcoa_c"): "benzcoa_c"}
    assert "benzcoa_c" in b.metabolites
    twin = frame[frame["evidence"].str.startswith("twin:")]
    assert list(twin["verdict"]) == ["joined"]
    # Without a catalogue the rule still runs on the models' own names and formulas.
    (_, again), _, _ = twin_pair(
        dict(id="gly_gln_c", name="Gly-Gln", formula="C7H13N3O4"),
        dict(id="gly_gln__L_c", name="Gly-Gln-c0", formula="C7H13N3O4", charge=0),
        "gly_gln",
        "gly_gln__L",
        catalog=None,
    )
    assert again == {("b", "gly_gln__L_c"): "gly_gln_c"}


@pytest.mark.parametrize(
    ("first", "second", "ids", "reason"),
    [
        # Charge species: the catalogue gives ammonia 0 and ammonium +1.
        (
            dict(
                id="nh3_c", name="Ammonia", formula="H3N", annotation={"metanetx.chemical": "M15"}
            ),
            dict(id="nh4_c", name="Ammonia", formula="H4N", charge=1),
            ("nh3", "nh4"),
            "charge species",
        ),
        # Anomer: the id tags differ (D vs bD) although both tools wrote "D-Glucose".
        (
            dict(id="glc__D_c", name="D-Glucose", formula="C6H12O6"),
            dict(id="glc__bD_c", name="D-Glucose", formula="C6H12O6"),
            ("glc__D", "glc__bD"),
            "stereo tags",
        ),
        # Polymer conventions: other heavy atoms, never.
        (
            dict(id="glycogen_c", name="glycogen", formula="C6H10O5"),
            dict(id="glygen2_c", name="Glycogen", formula="C24H42O21"),
            ("glycogen", "glygen2"),
            "heavy-atom",
        ),
        # Generic vs specific, linked by a shared MetaNetX id only.
        (
            dict(
                id="ala_gln_c",
                name="Ala-Gln",
                formula="C8H15N3O4",
                annotation={"metanetx.chemical": "MNXM1"},
            ),
            dict(
                id="ala_L_gln__L_c",
                name="L-alanyl-L-glutamine",
                formula="C8H15N3O4",
                annotation={"metanetx.chemical": "MNXM1"},
            ),
            ("ala_gln", "ala_L_gln__L"),
            "names differ",
        ),
        # Same name, but InChIKeys with other stereo layers the catalogue does not share.
        (
            dict(
                id="mel1_c",
                name="Melibiose",
                formula="C12H22O11",
                annotation={"inchikey": "DLRVVLDZNNYCBX-ABXHMFFYSA-N"},
            ),
            dict(
                id="mel2_c",
                name="Melibiose",
                formula="C12H22O11",
                annotation={"inchikey": "DLRVVLDZNNYCBX-ZZFZYMBESA-N"},
            ),
            ("mel1", "mel2"),
            "InChIKeys differ",
        ),
        # Same words but one name carries an anomer word.
        (
            dict(
                id="lcts_c",
                name="Lactose",
                formula="C12H22O11",
                annotation={"seed.compound": "cpd00208"},
            ),
            dict(
                id="lcts_b_c",
                name="beta-Lactose",
                formula="C12H22O11",
                annotation={"seed.compound": "cpd00208"},
            ),
            ("lcts", "lcts_b"),
            "names differ",
        ),
    ],
)
def test_twin_counter_examples_stay_apart(first, second, ids, reason):
    (frame, renames), _, _ = twin_pair(first, second, *ids)
    assert renames == {}
    twin = frame[frame["evidence"].str.startswith("twin:")]
    assert list(twin["verdict"]) == ["not joined"]
    assert reason in twin["reason"].iloc[0]


def test_twin_refused_when_one_model_holds_both_ids():
    a = template(
        "a",
        dict(id="glc__D_c", name="D-glucose", formula="C6H12O6", compartment="c"),
        dict(id="glc__bD_c", name="D-Glucose", formula="C6H12O6", compartment="c"),
    )
    b = template("b", dict(id="glc__bD_c", name="D-Glucose", formula="C6H12O6", compartment="c"))
    mapped = {"a": {"glc__D_c": "glc__D", "glc__bD_c": "glc__bD"}, "b": {"glc__bD_c": "glc__bD"}}
    frame, renames = join_metabolites({"a": a, "b": b}, mapped, catalog=TWINS)
    assert renames == {}
    twin = frame[frame["evidence"].str.startswith("twin:")]
    assert "a holds both glc__D and glc__bD" in twin["reason"].iloc[0]


def test_twin_verdict_directly():
    records = [
        MetaboliteRecord("a", "x_c", "c", "Gly-Met", "C7H14N2O3S", 0, "gly_met"),
        MetaboliteRecord("b", "y_c", "c", "Gly-Met", "C7H14N2O3S", 0, "gly_met__L"),
    ]
    assert twin_verdict(records[:1], records[1:]) == ""
    kept, rows = bigg_twins(records)
    assert kept == {("c", "gly_met__L"): "gly_met"}
    assert rows[0][-1] == ""


def ammonia_models(gapseq_formula: str, gapseq_charge: int, modelseed_has: str = "nh4"):
    modelseed = template(
        "modelseed", dict(id=f"{modelseed_has}_c", name="NH3", charge=1, compartment="c")
    )
    gapseq = template(
        "gapseq",
        dict(id="nh3_c", name="NH3", formula=gapseq_formula, charge=gapseq_charge, compartment="c"),
    )
    models = {"modelseed": modelseed, "gapseq": gapseq}
    mapped = {"modelseed": {f"{modelseed_has}_c": modelseed_has}, "gapseq": {"nh3_c": "nh3"}}
    sources = {
        "modelseed": {f"{modelseed_has}_c": "cpd00013_c0"},
        "gapseq": {"nh3_c": "cpd00013_c0"},
    }
    return models, mapped, sources


def test_species_moves_a_metabolite_to_the_id_its_formula_is():
    # gapseq's cpd00013 "NH3" is H4N, +1: ammonium, as ModelSEED's cpd00013 is mapped.
    models, mapped, sources = ammonia_models("H4N", 1)
    frame, renames = join_metabolites(models, mapped, catalog=TWINS, sources=sources)
    assert renames == {("gapseq", "nh3_c"): "nh4_c"}
    species = frame[frame["evidence"].str.startswith("species:")]
    assert list(species["verdict"]) == ["joined"]
    assert "seed.compound=cpd00013" in species["evidence"].iloc[0]


@pytest.mark.parametrize(
    ("formula", "charge", "catalog", "use_sources"),
    [
        ("H3N", 0, TWINS, True),  # really ammonia: stays nh3
        ("H4N", 1, None, True),  # no catalogue: no rule
        ("H4N", 1, TWINS, False),  # no shared source id
    ],
)
def test_species_counter_examples(formula, charge, catalog, use_sources):
    models, mapped, sources = ammonia_models(formula, charge)
    _, renames = join_metabolites(
        models, mapped, catalog=catalog, sources=sources if use_sources else None
    )
    assert renames == {}


C04051_KEY = "DVNYTAVYBRSTGK-UHFFFAOYSA-N"
GAL_ALPHA = "WQZGKKKJIJFFOK-PHYPRBDBSA-N"
COPIES = small_catalog(
    catalog_entry(
        "C04051",
        "C04051",
        "C4H6N4O",
        0,
        synonyms=("5-Amino-4-imidazolecarboxyamide",),
        xrefs={"inchikey": (C04051_KEY,)},
    ),
    catalog_entry(
        "gal",
        "D-Galactose",
        "C6H12O6",
        0,
        synonyms=("Galactose", "alpha-D-Galactose"),
        xrefs={"inchikey": (GAL_ALPHA,)},
    ),
)


def copies_model(second: dict, first_name: str, first_id: str, bigg: str, key: str, formula):
    b = template(
        "b",
        dict(
            id=first_id,
            name=first_name,
            formula=formula,
            charge=0,
            compartment="c",
            annotation={"inchikey": key, "metanetx.chemical": "MNXM4388"},
        ),
        dict(compartment="c", **second),
    )
    a = template("a", dict(id="other_c", name="Something else", compartment="c"))
    models = {"a": a, "b": b}
    mapped = {"a": {}, "b": {first_id: bigg}}
    proposed = {"b": {second["id"]: bigg}}
    return models, mapped, proposed


def test_catalogue_vouched_copy_joins_its_own_models_mapped_twin():
    # gapseq holds AICA twice: cpd02506 (mapped C04051) and cpd16736 named "C04051".
    models, mapped, proposed = copies_model(
        dict(
            id="cpd16736_c0",
            name="C04051-c0",
            formula="C4H6N4O",
            charge=0,
            annotation={
                "inchikey": C04051_KEY,
                "metanetx.chemical": "MNXM4388",
                "kegg.compound": "C04051",
            },
        ),
        "5-Amino-4-imidazolecarboxyamide",
        "C04051_c",
        "C04051",
        C04051_KEY,
        "C4H6N4O",
    )
    frame, renames = join_metabolites(models, mapped, proposed, catalog=COPIES)
    assert renames[("b", "cpd16736_c0")] == "C04051_c"
    assert "cpd16736_c0" not in models["b"].metabolites
    assert models["b"].metabolites.C04051_c.notes["metalign_joined_from"] == "cpd16736_c0"
    row = frame[frame["evidence"].str.startswith("catalog:")].iloc[0]
    assert row["verdict"] == "joined"


@pytest.mark.parametrize(
    ("name", "key", "charge", "reason"),
    [
        # The catalogue lists "alpha-D-Galactose" for gal, the key is the same, but the
        # model also holds the generic "Galactose": an anomer is not its generic form.
        ("alpha-D-Galactose", GAL_ALPHA, 0, "generic vs specific"),
        # Other key.
        ("Galactose", "WQZGKKKJIJFFOK-GASJEMHNSA-N", 0, None),
        # Other charge.
        ("Galactose", GAL_ALPHA, -1, None),
    ],
)
def test_catalogue_copy_counter_examples(name, key, charge, reason):
    models, mapped, proposed = copies_model(
        dict(
            id="cpd00724_c0",
            name=name,
            formula="C6H12O6",
            charge=charge,
            annotation={"inchikey": key, "metanetx.chemical": "MNXM4388"},
        ),
        "Galactose",
        "gal_c",
        "gal",
        GAL_ALPHA,
        "C6H12O6",
    )
    frame, renames = join_metabolites(models, mapped, proposed, catalog=COPIES)
    assert ("b", "cpd00724_c0") not in renames
    assert "cpd00724_c0" in models["b"].metabolites
    if reason:
        refused = frame[frame["evidence"].str.startswith("catalog:")]
        assert reason in refused["reason"].iloc[0]


def test_another_model_never_pulls_a_generic_and_a_specific_form_of_one_model_together():
    # a's gal_c carries the alpha key; b holds "Galactose" (mapped) and "alpha-D-Galactose"
    # (not mapped, same key as a's): joining b's alpha form to a's gal would merge b's two.
    a = template(
        "a",
        dict(
            id="gal_c",
            name="D-Galactose",
            formula="C6H12O6",
            compartment="c",
            annotation={"inchikey": GAL_ALPHA},
        ),
    )
    b = template(
        "b",
        dict(id="gal_c", name="Galactose", formula="C6H12O6", compartment="c"),
        dict(
            id="cpd00724_c0",
            name="alpha-D-Galactose",
            formula="C6H12O6",
            compartment="c",
            annotation={"inchikey": GAL_ALPHA},
        ),
    )
    mapped = {"a": {"gal_c": "gal"}, "b": {"gal_c": "gal"}}
    frame, renames = join_metabolites({"a": a, "b": b}, mapped)
    assert renames == {}
    assert "cpd00724_c0" in b.metabolites
    reasons = " ".join(frame["reason"])
    assert "would join gal_c (Galactose) and cpd00724_c0 (alpha-D-Galactose) of b" in reasons


def test_descriptor_difference_and_source_ids():
    assert descriptor_difference("N-Acetyl-beta-neuraminate", "Neu5Ac") == {"beta"}
    assert descriptor_difference("D_Fructose", "D-fructose") == set()
    assert source_ids("cpd00013_c0,nh4[c]") == {("seed.compound", "cpd00013")}
    assert own_model_difference(
        MetaboliteRecord("b", "x", "c", "Cysteine", "C3H7NO2S", 0, "cys__L"),
        MetaboliteRecord("b", "y", "c", "L-Cysteine", "C3H7NO2S", 0, ""),
    ).startswith("generic vs specific")
    assert (
        copy_difference(
            MetaboliteRecord("b", "x", "c", "Oleoyl-CoA", "C39H64N7O17P3S", -4, ""),
            MetaboliteRecord("b", "y", "c", "Oleoyl-CoA", "C39H64N7O17P3S", -4, "x"),
        )
        == "InChIKeys not both given and equal"
    )


def test_premerge_applies_the_rules_with_its_catalogue_and_original_ids():
    from frames import matches

    from cobra_metalign.alignment import merge_models, premerge

    def one(model_id: str, met: dict, reaction_id: str) -> cobra.Model:
        model = cobra.Model(model_id)
        model.add_metabolites([cobra.Metabolite(**met)])
        model.compartments = {"c0": "Cytosol_0"}
        sink = cobra.Reaction(reaction_id, lower_bound=-10)
        model.add_reactions([sink])
        sink.add_metabolites({model.metabolites[0]: -1})
        return model

    modelseed = one(
        "modelseed", dict(id="cpd00013_c0", name="NH3", charge=1, compartment="c0"), "R1"
    )
    gapseq = one(
        "gapseq",
        dict(id="cpd00013_c0", name="NH3", formula="H4N", charge=1, compartment="c0"),
        "R2",
    )
    models = {"modelseed": modelseed, "gapseq": gapseq}
    frames = {
        "modelseed": matches(modelseed, cpd00013_c0={"bigg_id": "nh4"}),
        "gapseq": matches(gapseq, cpd00013_c0={"bigg_id": "nh3"}),
    }
    pre = premerge(models, catalog=TWINS, matches=frames)
    species = pre.joins[pre.joins["evidence"].str.startswith("species:")]
    assert list(species["verdict"]) == ["joined"]
    merged = merge_models(models, premerged=pre, check_energy=False).model
    assert [m.id for m in merged.metabolites] == ["nh4_c"]
    assert merged.metabolites.nh4_c.notes["metalign_sources"] == (
        "modelseed:cpd00013_c0; gapseq:cpd00013_c0"
    )
    # Without the catalogue the rule does not run and ammonia stays apart.
    plain = premerge(models, matches=frames)
    assert not plain.joins["evidence"].str.startswith("species:").any()
