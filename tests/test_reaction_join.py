"""Merging aligned models: one reaction per stoichiometry, none dropped, sources recorded."""

from __future__ import annotations

import cobra
import pytest

from cobra_metalign.merging.reaction_join import REACTION_JOIN_COLUMNS, SOURCES_NOTE, combine_models


def template(model_id: str, reactions: dict[str, tuple[dict, tuple, str]]) -> cobra.Model:
    """``{id: (stoichiometry, bounds, gene rule)}`` on metabolites named ``x_c``."""
    model = cobra.Model(model_id)
    for rxn_id, (terms, bounds, rule) in reactions.items():
        for met_id in terms:
            if met_id not in model.metabolites:
                model.add_metabolites([cobra.Metabolite(met_id, compartment=met_id[-1])])
        reaction = cobra.Reaction(rxn_id, lower_bound=bounds[0], upper_bound=bounds[1])
        model.add_reactions([reaction])
        reaction.add_metabolites({model.metabolites.get_by_id(k): v for k, v in terms.items()})
        reaction.gene_reaction_rule = rule
    return model


def test_same_stoichiometry_becomes_one_reaction():
    a = template("a", {"PGI": ({"g6p_c": -1, "f6p_c": 1}, (0, 1000), "b4025")})
    b = template("b", {"rxn00558_c0": ({"g6p_c": -1, "f6p_c": 1}, (-500, 500), "g1 and g2")})
    merged, table = combine_models({"a": a, "b": b}, {"b": {"g6p_c": "cpd00079_c0"}})
    assert list(table.columns) == list(REACTION_JOIN_COLUMNS)
    assert [r.id for r in merged.reactions] == ["PGI"]
    pgi = merged.reactions.PGI
    assert pgi.bounds == (-500, 1000)
    assert pgi.gene_reaction_rule == "b4025 or (g1 and g2)"
    assert pgi.notes[SOURCES_NOTE] == "a:PGI; b:rxn00558_c0"
    assert merged.metabolites.g6p_c.notes[SOURCES_NOTE] == "a:g6p_c; b:cpd00079_c0"
    row = table.set_index(["model", "reaction_id"]).loc[("b", "rxn00558_c0")]
    assert row["kind"] == "joined" and row["merged_id"] == "PGI" and not row["same_id"]
    # The inputs are not changed.
    assert a.reactions.PGI.bounds == (0, 1000) and len(b.reactions) == 1


def test_reaction_written_backwards_is_joined_with_its_bounds_turned():
    a = template("a", {"R": ({"a_c": -1, "b_c": 1}, (0, 1000), "")})
    b = template("b", {"R2": ({"b_c": -1, "a_c": 1}, (-10, 0), "g")})
    merged, table = combine_models({"a": a, "b": b})
    assert [r.id for r in merged.reactions] == ["R"]
    assert merged.reactions.R.bounds == (0, 1000)
    assert merged.reactions.R.gene_reaction_rule == "g"
    assert table.iloc[-1]["comment"] == "written backwards"


def test_same_id_other_stoichiometry_is_kept_under_a_new_id():
    a = template("a", {"HEX1": ({"glc__D_c": -1, "g6p_c": 1}, (0, 1000), "")})
    b = template("b", {"HEX1": ({"glc__D_c": -1, "atp_c": -1, "g6p_c": 1}, (0, 1000), "")})
    merged, table = combine_models({"a": a, "b": b})
    assert sorted(r.id for r in merged.reactions) == ["HEX1", "HEX1__b"]
    assert len(merged.reactions.HEX1__b.metabolites) == 3
    kinds = dict(zip(table["model"], table["kind"], strict=True))
    assert kinds == {"a": "kept", "b": "renamed"}
    assert "other stoichiometry" in table.iloc[-1]["comment"]


def test_reactions_of_one_model_are_never_joined_to_each_other():
    a = template(
        "a",
        {
            "R1": ({"a_c": -1, "b_c": 1}, (0, 1000), ""),
            "R1bis": ({"a_c": -1, "b_c": 1}, (0, 1000), ""),
        },
    )
    b = template("b", {"R1": ({"a_c": -1, "b_c": 1}, (0, 5), "")})
    merged, table = combine_models({"a": a, "b": b})
    assert sorted(r.id for r in merged.reactions) == ["R1", "R1bis"]
    assert table["kind"].tolist() == ["kept", "kept", "joined"]


@pytest.mark.parametrize("third", [True, False])
def test_every_input_reaction_is_accounted_for(third):
    a = template(
        "a", {"X": ({"a_c": -1}, (-10, 1000), ""), "Y": ({"a_c": -1, "b_c": 1}, (0, 1), "")}
    )
    b = template(
        "b", {"X": ({"b_c": -1}, (-10, 1000), ""), "Z": ({"a_c": -1, "b_c": 1}, (0, 2), "")}
    )
    models = {"a": a, "b": b}
    if third:
        models["c"] = template("c", {"X": ({"c_c": -1}, (0, 1), "")})
    merged, table = combine_models(models)
    assert len(table) == sum(len(m.reactions) for m in models.values())
    traced = {s for r in merged.reactions for s in r.notes[SOURCES_NOTE].split("; ")}
    assert traced == {f"{name}:{r.id}" for name, m in models.items() for r in m.reactions}
