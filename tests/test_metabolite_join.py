"""Cross-model join of metabolites without a BiGG id: evidence, guards, renames, formula veto."""

from __future__ import annotations

import cobra
import pandas as pd
import pytest

from cobra_metalign.merging.metabolite_join import (
    JOIN_COLUMNS,
    join_metabolites,
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
