"""Compartments harmonized across template models: ids and names read, conflicts kept apart."""

from __future__ import annotations

import cobra
import pytest

from cobra_metalign.merging.compartment_map import (
    COMPARTMENT_COLUMNS,
    apply_compartments,
    compartment_plan,
    model_compartments,
    standard_code,
)


@pytest.mark.parametrize(
    ("compartment", "name", "expected"),
    [
        ("c", None, "c"),
        ("C_c", "cytosol", "c"),
        ("c0", "Cytosol_0", "c"),
        ("[c]", None, "c"),
        ("Cytosol", None, "c"),
        ("Cytosol_0", None, "c"),
        ("e0", "Extracellular_0", "e"),
        ("C_e", "extracellular space", "e"),
        ("Extra_organism", None, "e"),
        ("C_p", "periplasm", "p"),
        ("p0", "", "p"),
        ("comp1", "cytoplasm", "c"),
        ("c1", None, "c1"),
        ("weird", None, None),
        ("zz", "", None),
    ],
)
def test_standard_code(compartment, name, expected):
    assert standard_code(compartment, name) == expected


def _model(model_id: str, compartments: dict[str, str]) -> cobra.Model:
    model = cobra.Model(model_id)
    for cid in compartments:
        model.add_metabolites([cobra.Metabolite(f"h2o_{cid}", compartment=cid)])
    model.compartments = compartments
    return model


def test_plan_maps_every_spelling_to_one_id():
    models = [
        ("bigg", _model("bigg", {"c": "cytosol", "e": "extracellular", "p": "periplasm"})),
        ("carveme", _model("carveme", {"C_c": "cytosol", "C_e": "extracellular space"})),
        ("seed", _model("seed", {"c0": "Cytosol_0", "e0": "Extracellular_0"})),
        ("old", _model("old", {"[c]": "", "Periplasm": ""})),
    ]
    plan = compartment_plan(model_compartments(models))
    assert list(plan.columns) == list(COMPARTMENT_COLUMNS)
    new = {(row.model, row.compartment): row.new_compartment for row in plan.itertuples()}
    assert new[("carveme", "C_c")] == new[("seed", "c0")] == new[("old", "[c]")] == "c"
    assert new[("carveme", "C_e")] == new[("seed", "e0")] == "e"
    assert new[("old", "Periplasm")] == "p"
    assert set(plan.loc[plan["model"] == "bigg", "status"]) == {"same"}
    assert set(plan.loc[plan["model"] == "seed", "status"]) == {"mapped"}


def test_unmappable_compartment_stays_separate_and_is_reported():
    models = [("a", _model("a", {"c": "cytosol", "xyz": "a strange place"}))]
    plan = compartment_plan(model_compartments(models))
    row = plan.set_index("compartment").loc["xyz"]
    assert row["status"] == "unmapped"
    assert row["new_compartment"] == "xyz"
    assert "neither id nor name" in row["reason"]


def test_two_compartments_of_one_model_are_never_joined():
    model = _model("both", {"c": "cytosol", "c0": "Cytosol_0"})
    plan = compartment_plan(model_compartments([("both", model)]))
    row = plan.set_index("compartment").loc["c0"]
    assert row["status"] == "kept" and row["new_compartment"] == "c0"
    assert apply_compartments(model, plan, "both") == {}
    assert sorted(model.compartments) == ["c", "c0"]


def test_user_mapping_wins():
    model = _model("m", {"comp7": ""})
    plan = compartment_plan(model_compartments([("m", model)]), {"m": {"comp7": "e"}})
    assert plan.loc[0, "new_compartment"] == "e" and plan.loc[0, "status"] == "mapped"


def test_apply_renames_compartments_not_ids():
    model = _model("seed", {"c0": "Cytosol_0", "e0": "Extracellular_0"})
    plan = compartment_plan(model_compartments([("seed", model)]))
    assert apply_compartments(model, plan, "seed") == {"c0": "c", "e0": "e"}
    assert model.compartments == {"c": "Cytosol_0", "e": "Extracellular_0"}
    assert sorted(m.id for m in model.metabolites) == ["h2o_c0", "h2o_e0"]
