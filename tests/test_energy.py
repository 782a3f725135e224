"""Growth and the energy-generating-cycle check on tiny models built in code."""

from __future__ import annotations

import cobra
import pytest
from frames import sbml_bytes

from cobra_metalign.merging.energy import (
    SANITY_COLUMNS,
    energy_cycle,
    find_metabolite,
    sanity_table,
)

CORE = ("atp_c", "adp_c", "pi_c", "h2o_c", "h_c", "glc__D_c", "glc__D_e", "x_c", "y_c")


def cell(model_id: str = "cell", with_atpm: bool = True, cycle: bool = False) -> cobra.Model:
    """Glucose uptake makes ATP; optionally a futile loop that makes ATP from nothing."""
    model = cobra.Model(model_id)
    model.add_metabolites([cobra.Metabolite(i, compartment=i.rsplit("_", 1)[1]) for i in CORE])
    m = model.metabolites

    def add(rxn_id, terms, lower=0.0, upper=1000.0):
        reaction = cobra.Reaction(rxn_id, lower_bound=lower, upper_bound=upper)
        model.add_reactions([reaction])
        reaction.add_metabolites({m.get_by_id(k): v for k, v in terms.items()})
        return reaction

    add("EX_glc__D_e", {"glc__D_e": -1}, lower=-10)
    add("GLCt", {"glc__D_e": -1, "glc__D_c": 1})
    add("GLYC", {"glc__D_c": -1, "adp_c": -2, "pi_c": -2, "atp_c": 2, "h2o_c": 2})
    add("EX_h2o_e", {"h2o_c": -1}, lower=-1000)
    add("EX_h", {"h_c": -1}, lower=-1000)
    add("EX_pi", {"pi_c": -1}, lower=-1000)
    if with_atpm:
        add("ATPM", {"atp_c": -1, "h2o_c": -1, "adp_c": 1, "pi_c": 1, "h_c": 1}, lower=1.0)
    add("BIOMASS", {"atp_c": -10, "h2o_c": -10, "adp_c": 10, "pi_c": 10, "h_c": 10})
    if cycle:
        add("X2Y", {"x_c": -1, "y_c": 1})
        add("Y2X", {"y_c": -1, "x_c": 1, "adp_c": -1, "pi_c": -1, "atp_c": 1, "h2o_c": 1})
    model.objective = "BIOMASS"
    return model


def test_find_metabolite_by_id_or_annotation():
    model = cell()
    assert find_metabolite(model, "atp").id == "atp_c"
    other = cobra.Metabolite("cpd00002_c0", compartment="c")
    other.annotation = {"bigg.metabolite": ["atp"]}
    model.remove_metabolites([model.metabolites.atp_c])
    model.add_metabolites([other])
    assert find_metabolite(model, "atp") is other
    assert find_metabolite(model, "gtp") is None


def test_no_cycle_in_a_sound_model():
    model = cell()
    before = sbml_bytes(model)
    result = energy_cycle(model)
    assert result["atp_reaction"] == "ATPM"
    assert result["atp_flux_closed"] == pytest.approx(0.0)
    assert result["energy_cycle"] is False and result["cycle_reactions"] == ""
    assert sbml_bytes(model) == before  # bounds and objective restored


def test_cycle_found_and_named():
    result = energy_cycle(cell(cycle=True))
    assert result["energy_cycle"] is True
    assert result["atp_flux_closed"] > 0
    names = result["cycle_reactions"].split("; ")
    assert {"X2Y", "Y2X"} <= set(names)
    assert "EX_glc__D_e" not in names


def test_hydrolysis_added_when_the_model_has_none():
    model = cell(with_atpm=False, cycle=True)
    result = energy_cycle(model)
    assert result["atp_reaction"] == "METALIGN_ATP_HYDROLYSIS (added)"
    assert result["energy_cycle"] is True
    assert "METALIGN_ATP_HYDROLYSIS" not in model.reactions


def test_without_atp_the_test_is_not_run():
    model = cobra.Model("empty")
    model.add_metabolites([cobra.Metabolite("a_c", compartment="c")])
    result = energy_cycle(model)
    assert result["atp_reaction"] == "" and result["energy_cycle"] is False


def test_sanity_table_warns_when_the_merge_made_a_cycle(caplog):
    inputs = {"one": cell("one"), "two": cell("two")}
    frame = sanity_table(inputs, cell("merged", cycle=True))
    assert list(frame.columns) == list(SANITY_COLUMNS[1:])
    assert list(frame.index) == ["one", "two", "merged"]
    assert frame.loc["one", "growth"] == pytest.approx(1.9)
    assert not frame.loc[["one", "two"], "energy_cycle"].any()
    assert frame.loc["merged", "energy_cycle"] and frame.loc["merged", "new_cycle"]
    assert "the merge made it" in caplog.text and "Y2X" in caplog.text


def test_sanity_table_cycle_already_in_an_input():
    inputs = {"one": cell("one", cycle=True), "two": cell("two")}
    frame = sanity_table(inputs, cell("merged", cycle=True))
    assert frame.loc["merged", "energy_cycle"] and not frame.loc["merged", "new_cycle"]


def test_sanity_table_cycle_across_inputs_is_new_even_when_an_input_has_one(caplog):
    inputs = {"one": cell("one", cycle=True), "two": cell("two")}
    merged = cell("merged", cycle=True)
    merged.reactions.get_by_id("X2Y").notes = {"metalign_sources": "one:X2Y"}
    merged.reactions.get_by_id("Y2X").notes = {"metalign_sources": "two:Y2X"}
    frame = sanity_table(inputs, merged)
    assert frame.loc["merged", "new_cycle"]
    assert "more than one model" in caplog.text and "one have a cycle of their own" in caplog.text


def test_sanity_table_cycle_of_one_input_is_inherited(caplog):
    inputs = {"one": cell("one", cycle=True), "two": cell("two")}
    merged = cell("merged", cycle=True)
    for reaction in merged.reactions:
        reaction.notes = {"metalign_sources": "one:" + reaction.id}
    frame = sanity_table(inputs, merged)
    assert not frame.loc["merged", "new_cycle"]
    assert "as can one alone" in caplog.text
