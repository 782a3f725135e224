"""The duplicate detector of merged models, and the reasons it gives."""

from __future__ import annotations

import cobra
import pandas as pd

from cobra_metalign.merging.duplicates import (
    DUPLICATE_COLUMNS,
    duplicate_groups,
    heavy_formula,
    name_key,
)


def model_of(*mets: dict) -> cobra.Model:
    model = cobra.Model("merged")
    for spec in mets:
        spec = dict(spec)
        annotation = spec.pop("annotation", {})
        notes = spec.pop("notes", {})
        met = cobra.Metabolite(**spec)
        met.annotation, met.notes = annotation, notes
        model.add_metabolites([met])
    return model


def test_helpers():
    assert name_key("D-Glucose-c0", "c0") == "dglucose"
    assert name_key("Water [c]") == "water"
    assert heavy_formula("C6H12O6") == "C6O6"
    assert heavy_formula("") == ""


def test_groups_by_single_valued_annotation_in_one_compartment():
    model = model_of(
        dict(id="h2o_c", name="Water", compartment="c", annotation={"metanetx.chemical": "MNXM2"}),
        dict(
            id="cpd00001_c0",
            name="H2O",
            compartment="c",
            annotation={"metanetx.chemical": ["MNXM2"]},
        ),
        dict(id="h2o_e", name="Water", compartment="e", annotation={"metanetx.chemical": "MNXM2"}),
        # Several values: no link.
        dict(
            id="x_c",
            name="X",
            compartment="c",
            annotation={"metanetx.chemical": ["MNXM2", "MNXM3"]},
        ),
    )
    frame = duplicate_groups(model)
    assert list(frame.columns) == list(DUPLICATE_COLUMNS)
    assert len(frame) == 1
    assert frame.loc[0, "members"] == "cpd00001_c0; h2o_c"
    assert frame.loc[0, "links"] == "metanetx.chemical=MNXM2"
    assert frame.loc[0, "group"] == 1 and frame.loc[0, "size"] == 2


def test_groups_by_name_and_heavy_atom_formula():
    model = model_of(
        dict(id="a_c", name="Ornithine", formula="C5H13N2O2", compartment="c"),
        dict(id="cpd00064_c0", name="Ornithine-c0", formula="C5H12N2O2", compartment="c"),
        dict(id="b_c", name="Ornithine", formula="C5H12N2O3", compartment="c"),
        dict(id="c_c", name="Ornithine", compartment="c"),
    )
    frame = duplicate_groups(model)
    assert frame["members"].tolist() == ["a_c; cpd00064_c0"]


def test_reasons_from_the_join_table_and_from_sources():
    model = model_of(
        dict(
            id="nh3_c",
            name="Ammonia",
            compartment="c",
            annotation={"seed.compound": "cpd00013"},
            notes={"metalign_sources": "agora:nh3[c]"},
        ),
        dict(
            id="nh4_c",
            name="Ammonium",
            compartment="c",
            annotation={"seed.compound": "cpd00013"},
            notes={"metalign_sources": "carveme:nh4_c"},
        ),
        dict(
            id="s1_c",
            name="Sugar",
            formula="C6H12O6",
            compartment="c",
            notes={"metalign_sources": "gapseq:s1"},
        ),
        dict(
            id="s2_c",
            name="sugar",
            formula="C6H12O6",
            compartment="c",
            notes={"metalign_sources": "gapseq:s2"},
        ),
        dict(
            id="q1_c", name="Q", formula="C2", compartment="c", notes={"metalign_sources": "a:q1"}
        ),
        dict(
            id="q2_c", name="Q", formula="C2", compartment="c", notes={"metalign_sources": "b:q2"}
        ),
    )
    joins = pd.DataFrame(
        {
            "merged_id": ["nh3_c"],
            "other_merged_id": ["nh4_c"],
            "metabolite_id": ["nh3_c"],
            "other_id": ["nh4_c"],
            "verdict": ["not joined"],
            "reason": ["formula h_only: H3N vs H4N"],
        }
    )
    reasons = dict(
        zip(*duplicate_groups(model, joins)[["members", "reason"]].T.values, strict=True)
    )
    assert reasons["nh3_c; nh4_c"] == "nh3_c/nh4_c: formula h_only: H3N vs H4N"
    assert reasons["s1_c; s2_c"].startswith("all from one model (gapseq)")
    assert reasons["q1_c; q2_c"] == "no evidence strong enough under the guards"


def test_a_group_inside_one_model_says_what_tells_its_members_apart():
    gapseq = {"metalign_sources": "gapseq:x"}
    model = model_of(
        # Iso-C16 twice: 2 H apart once the charges are counted (one double bond).
        dict(id="a_c", name="Iso-C16", formula="C37H60N7O17P3S", charge=-4, compartment="c"),
        dict(id="b_c", name="Iso-C16", formula="C37H63N7O17P3S", charge=-3, compartment="c"),
        # Generic and anomer, linked by a shared MetaNetX id.
        dict(id="g_c", name="Galactose", formula="C6H12O6", compartment="c"),
        dict(id="ag_c", name="alpha-D-Galactose", formula="C6H12O6", compartment="c"),
    )
    for met in model.metabolites:
        met.notes = dict(gapseq)
    model.metabolites.g_c.annotation = {"metanetx.chemical": "MNXM390"}
    model.metabolites.ag_c.annotation = {"metanetx.chemical": "MNXM390"}
    reasons = dict(zip(*duplicate_groups(model)[["members", "reason"]].T.values, strict=True))
    assert reasons["a_c; b_c"].startswith("all from one model (gapseq), which keeps them apart")
    assert "formula h_only" in reasons["a_c; b_c"]
    assert "generic vs specific" in reasons["ag_c; g_c"]
