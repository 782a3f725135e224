"""The rewrite plan: public data, guards, invariants, compartment suffixes (issues 10 and 11)."""

from __future__ import annotations

import cobra
import pandas as pd
import pytest
from frames import matches

from cobra_metalign.alignment import align
from cobra_metalign.rewrite.cobra_model import apply_matches, apply_plan, plan_matches
from cobra_metalign.rewrite.plan import (
    MergeUnit,
    PlanInvariantError,
    build_audit,
    check_plan,
    hard_evidence,
    make_plan,
)


def add(model: cobra.Model, met_id: str, compartment: str | None = "c", **kwargs):
    met = cobra.Metabolite(met_id, compartment=compartment, **kwargs)
    model.add_metabolites([met])
    return met


def react(model: cobra.Model, rxn_id: str, stoich: dict) -> cobra.Reaction:
    rxn = cobra.Reaction(rxn_id, lower_bound=0, upper_bound=1000)
    model.add_reactions([rxn])
    rxn.add_metabolites({model.metabolites.get_by_id(k): v for k, v in stoich.items()})
    return rxn


# ------------------------------------------------------------ plan as data
def test_plan_lists_renames_merges_stoichiometry_and_flags() -> None:
    model = cobra.Model("m")
    add(model, "glc__D_c", name="D-Glucose", formula="C6H12O6")
    add(model, "cpd00027_c", name="D-Glucose", formula="C6H12O6")
    add(model, "g6p_c", name="Glucose 6-phosphate", formula="C6H11O9P")
    react(model, "HEX", {"glc__D_c": -1, "g6p_c": 1})
    react(model, "HEX_seed", {"cpd00027_c": -1, "g6p_c": 1})
    react(model, "CYCLE", {"glc__D_c": -1, "cpd00027_c": 1})
    rows = {"glc__D_c": {"bigg_id": "glc__D"}, "cpd00027_c": {"bigg_id": "glc__D"}}
    plan, audit, flagged = plan_matches(model, matches(model, **rows))
    assert plan.units[0] == MergeUnit(
        members=("glc__D_c", "cpd00027_c"), bigg_id="glc__D", final_id="glc__D_c", compartment="c"
    )
    assert plan.merged_into == {"cpd00027_c": "glc__D_c"}
    assert plan.renames == {}
    assert plan.stoichiometry == {
        "CYCLE": {},
        "HEX_seed": {"glc__D_c": -1.0, "g6p_c": 1.0},
    }
    assert plan.annotations["glc__D_c"] == {"bigg.metabolite": ["glc__D"]}
    assert plan.notes == {"glc__D_c": ["glc__D_c", "cpd00027_c"]}
    assert flagged.loc["CYCLE", "status"] == "REACTION_EMPTIED"
    assert flagged.loc["HEX_seed", "status"] == "REACTION_DUPLICATE"
    assert flagged.loc["HEX_seed", "duplicate_of"] == "HEX"
    assert list(plan.units_frame().columns) == [
        "survivor",
        "merged",
        "bigg_id",
        "final_id",
        "compartment",
    ]
    # planning leaves the model alone; applying follows the plan
    assert len(model.metabolites) == 3
    new = apply_plan(model, plan)
    assert [m.id for m in new.metabolites] == ["glc__D_c", "g6p_c"]
    assert new.reactions.CYCLE.metabolites == {}
    assert audit.loc["cpd00027_c", "status"] == "MERGED"


def test_align_plan_only_leaves_the_model() -> None:
    model = cobra.Model("m")
    add(model, "cpd00027_c", name="D-Glucose", formula="C6H12O6")
    frame = matches(model, cpd00027_c={"bigg_id": "glc__D"})
    result = align(model, matches=frame, plan_only=True)
    assert result.model is model and model.metabolites[0].id == "cpd00027_c"
    assert result.plan.renames == {"cpd00027_c": "glc__D_c"}
    assert result.audit.loc["cpd00027_c", "new_id"] == "glc__D_c"


# ------------------------------------------------------- compartments (11.1, 11.2, 11.5)
def test_renamed_id_keeps_the_suffix_convention_of_its_compartment() -> None:
    model = cobra.Model("carveme")
    add(model, "atp_c", "C_c", formula="C10H12N5O13P3")
    add(model, "h_c", "C_c")
    add(model, "x123_c", "C_c", name="10-Formyltetrahydrofolate")
    add(model, "cpd00001_c0", "c0")
    add(model, "cpd00002_c0", "c0", name="ATP")
    rows = {
        "x123_c": {"bigg_id": "10fthf"},
        "cpd00002_c0": {"bigg_id": "atp"},
    }
    _, audit, _ = apply_matches(model, matches(model, **rows))
    assert audit.loc["x123_c", "new_id"] == "10fthf_c"  # not 10fthf_C_c
    assert audit.loc["cpd00002_c0", "new_id"] == "atp_c0"


def test_compartment_from_the_id_suffix_and_never_merged_when_unknown() -> None:
    model = cobra.Model("poudel")
    add(model, "h_c", "c")
    add(model, "h_e", "e")
    add(model, "glyglygln_c", None, name="Gly-Gly-Gln", formula="C9H16N4O5")
    add(model, "glyglygln_e", None, name="Gly-Gly-Gln", formula="C9H16N4O5")
    add(model, "mystery", None, name="Gly-Gly-Gln", formula="C9H16N4O5")
    add(model, "other", None, name="Gly-Gly-Gln", formula="C9H16N4O5")
    rows = {
        "glyglygln_c": {"bigg_id": "glyglygln"},
        "glyglygln_e": {"bigg_id": "glyglygln"},
        "mystery": {"bigg_id": "glyglygln"},
        "other": {"bigg_id": "glyglygln", "duplicate_of": "mystery"},
    }
    new, audit, _ = apply_matches(model, matches(model, **rows))
    assert "MERGED" not in set(audit["status"])
    assert len(new.metabolites) == 6
    assert "e taken from the id suffix" in audit.loc["glyglygln_e", "comment"]
    assert new.metabolites.glyglygln_e.compartment == "e"
    assert new.metabolites.mystery.compartment is None
    with model:  # in place, undone on leaving the context
        apply_matches(model, matches(model, **rows), inplace=True)
        assert model.metabolites.glyglygln_e.compartment == "e"
    assert model.metabolites.glyglygln_e.compartment is None
    assert "never merged" in audit.loc["mystery", "comment"]
    assert audit.loc["mystery", "new_id"] == "mystery"


def test_suffix_that_disagrees_with_the_compartment_is_reported() -> None:
    model = cobra.Model("m")
    add(model, "ac_b", "e", name="Acetate")
    add(model, "ac_e", "e", name="Acetate")
    _, audit, _ = apply_matches(model, matches(model))
    assert "id suffix names compartment b" in audit.loc["ac_b", "comment"]
    assert audit.loc["ac_e", "comment"] == ""


# --------------------------------------------------------------- guards (11.3, 11.4, 11.5)
def test_heavy_atom_formula_difference_is_review_not_merged() -> None:
    model = cobra.Model("isb619")
    add(model, "pgly_SA_c", name="Polyglycerol phosphate", formula="C1936H3880O1940P484")
    add(model, "pgly_SA2_c", name="Polyglycerol phosphate", formula="C1660H3328O1664P415")
    rows = {
        "pgly_SA_c": {"bigg_id": "pgly", "evidence": "id=exact; name=exact"},
        "pgly_SA2_c": {"bigg_id": "pgly", "evidence": "id=exact; name=exact"},
    }
    _, audit, _ = apply_matches(model, matches(model, **rows))
    statuses = set(audit["status"])
    assert "MERGED" not in statuses and "REVIEW" in statuses
    held = audit[audit["status"] == "REVIEW"].iloc[0]
    assert "heavy-atom formulas differ" in held["comment"]


def test_polymer_notation_is_review() -> None:
    model = cobra.Model("gapseq")
    add(model, "cpd1_c", name="Amylose", formula="(C6H10O5)n")
    add(model, "cpd2_c", name="Amylose", formula="C30H52O26")
    rows = {"cpd1_c": {"bigg_id": "amylose"}, "cpd2_c": {"bigg_id": "amylose"}}
    _, audit, _ = apply_matches(model, matches(model, **rows))
    assert "MERGED" not in set(audit["status"])
    assert "R-group or polymer" in audit.loc["cpd2_c", "comment"] + audit.loc["cpd1_c", "comment"]


def test_curator_merges_are_not_guarded_by_formula() -> None:
    model = cobra.Model("m")
    add(model, "a_c", name="A", formula="C6H12O6")
    add(model, "b_c", name="A", formula="C5H10O5")
    rows = {"a_c": {"bigg_id": "a"}, "b_c": {"bigg_id": "a"}}
    _, audit, _ = apply_matches(model, matches(model, **rows), name_guard=False)
    assert audit.loc["b_c", "status"] == "MERGED"


@pytest.mark.parametrize(
    ("evidence", "status"),
    [
        ("inchikey=skeleton; tfidf=0.84", "REVIEW"),
        ("encoder=0.97", "REVIEW"),
        ("inchikey=skeleton; name=exact", "RENAMED"),
        ("xref:kegg.compound=C00001", "RENAMED"),
        ("", "RENAMED"),
    ],
)
def test_similarity_or_skeleton_alone_is_never_accepted(evidence: str, status: str) -> None:
    model = cobra.Model("m")
    add(model, "cpd02782_c", name="UDP-N-acetyl-D-glucosaminouronate")
    frame = matches(model, cpd02782_c={"bigg_id": "uacmamu", "evidence": evidence})
    _, audit, _ = apply_matches(model, frame)
    assert audit.loc["cpd02782_c", "status"] == status


def test_hard_evidence() -> None:
    assert hard_evidence("") is None
    assert hard_evidence("inchikey=skeleton; tfidf=0.84") is False
    assert hard_evidence("inchikey=full") is True


def test_survivor_already_holding_its_id_is_kept() -> None:
    model = cobra.Model("poudel")
    add(model, "salcn_c", name="Salicin", formula="C13H18O7")
    add(model, "rbl__B_c", name="Salicin")
    for number in range(3):  # rbl__B_c is in more reactions
        add(model, f"x{number}_c")
        react(model, f"R{number}", {"rbl__B_c": -1, f"x{number}_c": 1})
    rows = {
        "salcn_c": {"bigg_id": "salcn"},
        "rbl__B_c": {"bigg_id": "salcn", "duplicate_of": "salcn_c"},
    }
    new, audit, _ = apply_matches(model, matches(model, **rows))
    assert audit.loc["salcn_c", "status"] == "KEPT"
    assert audit.loc["rbl__B_c", "status"] == "MERGED"
    assert "salcn_c" in new.metabolites and "rbl__B_c" not in new.metabolites


# -------------------------------------------------------------------- invariants
def _plan(model: cobra.Model, **rows):
    return make_plan(model, matches(model, **rows))


def test_check_plan_accepts_a_good_plan() -> None:
    model = cobra.Model("m")
    add(model, "a_c", formula="C6H12O6")
    add(model, "b_c", formula="C6H12O6")
    plan = _plan(model, a_c={"bigg_id": "a"}, b_c={"bigg_id": "a"})
    check_plan(plan)
    assert isinstance(build_audit(plan), pd.DataFrame)


def test_check_plan_refuses_a_merge_across_compartments() -> None:
    model = cobra.Model("m")
    add(model, "a_c")
    add(model, "a_e", "e")
    plan = _plan(model, a_c={"bigg_id": "a"})
    plan.units = [MergeUnit(("a_c", "a_e"), "a", "a_c", "c")]
    with pytest.raises(PlanInvariantError, match="a_c.*across compartments"):
        check_plan(plan)


def test_check_plan_refuses_an_automatic_merge_of_different_formulas() -> None:
    model = cobra.Model("m")
    add(model, "a_c", formula="C6H12O6")
    add(model, "b_c", formula="C5H10O5")
    plan = _plan(model, a_c={"bigg_id": "a"})
    plan.units = [MergeUnit(("a_c", "b_c"), "a", "a_c", "c")]
    with pytest.raises(PlanInvariantError, match="b_c.*heavy-atom formulas differ"):
        check_plan(plan)


def test_check_plan_refuses_acceptance_on_similarity_alone() -> None:
    model = cobra.Model("m")
    add(model, "cpd1_c")
    plan = _plan(model, cpd1_c={"bigg_id": "x", "evidence": "xref:kegg.compound=C1"})
    plan.table.loc["cpd1_c", "evidence"] = "tfidf=0.9"
    with pytest.raises(PlanInvariantError, match="cpd1_c.*similarity alone"):
        check_plan(plan)


def test_check_plan_refuses_renaming_away_a_correct_id() -> None:
    model = cobra.Model("m")
    add(model, "salcn_c")
    add(model, "rbl__B_c")
    plan = _plan(model, salcn_c={"bigg_id": "salcn"}, rbl__B_c={"bigg_id": "salcn"})
    survivor_first = plan.units[0]
    assert survivor_first.survivor == "salcn_c"
    plan.units = [MergeUnit(("rbl__B_c", "salcn_c"), "salcn", "salcn_c", "c")]
    with pytest.raises(PlanInvariantError, match="salcn_c.*already holds"):
        check_plan(plan)


def test_check_plan_refuses_two_metabolites_with_one_id() -> None:
    model = cobra.Model("m")
    add(model, "a_c")
    add(model, "cpd1_c")
    plan = _plan(model, cpd1_c={"bigg_id": "b"})
    plan.units = [MergeUnit(("cpd1_c",), "a", "a_c", "c")]
    with pytest.raises(PlanInvariantError, match="ends with id a_c"):
        check_plan(plan)


# ------------------------------------------------------ temporary ids (issue 14.10)
def test_renaming_is_not_confused_by_metabolites_named_like_temporary_ids() -> None:
    model = cobra.Model("m")
    add(model, "__metalign_tmp_0")
    add(model, "cpd1_c")
    add(model, "cpd2_c")
    react(model, "R1", {"cpd1_c": -1, "__metalign_tmp_0": 1})
    react(model, "R2", {"cpd2_c": -1, "cpd1_c": 2})
    frame = matches(model, cpd1_c={"bigg_id": "a"}, cpd2_c={"bigg_id": "b"})
    result = align(model, matches=frame)
    new = result.model
    assert sorted(m.id for m in new.metabolites) == ["__metalign_tmp_0", "a_c", "b_c"]
    # every solver row still belongs to its metabolite
    for met in new.metabolites:
        row = new.constraints[met.id]
        coefficients = row.get_linear_coefficients([r.forward_variable for r in met.reactions])
        for reaction in met.reactions:
            assert coefficients[reaction.forward_variable] == reaction.metabolites[met]
    assert new.reactions.R2.metabolites[new.metabolites.a_c] == 2


def test_boundary_copy_is_never_merged_automatically() -> None:
    model = cobra.Model("iaf692")
    add(model, "so4_e", "e", name="Sulfate", formula="O4S", charge=-2)
    add(model, "so4_e_boundary", "e", name="Sulfate", formula="O4S", charge=-2)
    react(model, "EX_so4_e", {"so4_e": -1, "so4_e_boundary": 1})
    rows = {
        "so4_e": {"bigg_id": "so4"},
        "so4_e_boundary": {"bigg_id": "so4", "duplicate_of": "so4_e"},
    }
    new, audit, flagged = apply_matches(model, matches(model, **rows))
    assert audit.loc["so4_e_boundary", "status"] == "BOUNDARY"
    assert audit.loc["so4_e_boundary", "comment"].startswith(
        "boundary copy of so4_e: leave as is (accepting it would merge it into so4_e"
    )
    assert len(new.reactions.EX_so4_e.metabolites) == 2 and flagged.empty
    plan = _plan(model, **rows)
    plan.units = [MergeUnit(("so4_e", "so4_e_boundary"), "so4", "so4_e", "e")]
    with pytest.raises(PlanInvariantError, match="so4_e_boundary.*boundary copy"):
        check_plan(plan)


@pytest.mark.parametrize(
    "specific, generic",
    [
        ("N-Acetyl-beta-neuraminate", "Neu5Ac"),  # gapseq cpd21149 into acnam
        ("alpha-Maltose", "Maltose"),
        ("D-Galactose", "Galactose"),
        ("(R)-3-Hydroxybutanoate", "3-Hydroxybutanoate"),
    ],
)
def test_stereo_or_anomer_descriptor_on_one_side_is_review_not_merged(specific, generic) -> None:
    model = cobra.Model("m")
    add(model, "x_c", name=generic, formula="C11H18NO9")
    add(model, "y_c", name=specific, formula="C11H18NO9")
    react(model, "R1", {"x_c": -1, "y_c": 1})
    rows = {"x_c": {"bigg_id": "acnam"}, "y_c": {"bigg_id": "acnam"}}
    plan, audit, _ = plan_matches(model, matches(model, **rows))
    assert "MERGED" not in set(audit["status"])
    assert "names differ" in audit.loc["y_c", "comment"]


def test_same_descriptors_still_merge() -> None:
    model = cobra.Model("m")
    add(model, "x_c", name="L-Lactate", formula="C3H5O3")
    add(model, "y_c", name="L-lactate", formula="C3H5O3")
    rows = {"x_c": {"bigg_id": "lac__L"}, "y_c": {"bigg_id": "lac__L"}}
    _, audit, _ = plan_matches(model, matches(model, **rows))
    assert "MERGED" in set(audit["status"])


def test_an_id_variant_alone_does_not_merge_two_different_names() -> None:
    # iMM904: two ceramides, no formulas, the second id a variant of the first's BiGG id
    model = cobra.Model("imm904")
    add(model, "cer2_24_c", name="Ceramide 2 (Phytosphingosine n-C24:0)")
    add(model, "cer2__24_c", name="Ceramide 2 (Sphinganine n-C24:0OH)")
    rows = {
        "cer2_24_c": {"bigg_id": "cer2_24", "evidence": "id=exact"},
        "cer2__24_c": {"bigg_id": "cer2_24", "evidence": "id=variant:cer2_24"},
    }
    _, audit, _ = plan_matches(model, matches(model, **rows))
    assert "MERGED" not in set(audit["status"])
    assert "only an id variant" in audit.loc["cer2__24_c", "comment"]


def test_an_id_variant_with_the_same_name_still_merges() -> None:
    model = cobra.Model("m")
    add(model, "rbl__L_c", name="L-Ribulose", formula="C5H10O5")
    add(model, "rbl-L_c", name="L-ribulose", formula="C5H10O5")
    rows = {
        "rbl__L_c": {"bigg_id": "rbl__L", "evidence": "id=exact"},
        "rbl-L_c": {"bigg_id": "rbl__L", "evidence": "id=variant:rbl__L"},
    }
    _, audit, _ = plan_matches(model, matches(model, **rows))
    assert audit.loc["rbl-L_c", "status"] == "MERGED"


def test_a_proposed_b_copy_has_its_own_status_naming_the_metabolite_it_bounds() -> None:
    """iSB619: 86 of 87 REVIEW rows were ``X_b`` copies; they are BOUNDARY, to filter."""
    model = cobra.Model("isb619")
    add(model, "acgam_e", "e", name="N-Acetyl-D-glucosamine", formula="C8H15NO6")
    add(model, "acgam_b", "e", name="N-Acetyl-D-glucosamine", formula="C8H15NO6")
    add(model, "orn_b", "e", name="Ornithine", formula="C5H13N2O2")
    add(model, "akg_c", "c", name="2-Oxoglutarate", formula="C5H4O5")
    react(model, "EX_acgam", {"acgam_e": -1, "acgam_b": 1})
    rows = {
        "acgam_e": {"bigg_id": "acgam"},
        "acgam_b": {"bigg_id": "acgam", "decision": "review", "evidence": "name=exact"},
        "orn_b": {"bigg_id": "orn", "decision": "review", "evidence": "name=exact"},
        "akg_c": {"bigg_id": "akg", "decision": "review", "evidence": "name=exact"},
    }
    new, audit, flagged = apply_matches(model, matches(model, **rows))
    assert audit.loc["acgam_b", "status"] == "BOUNDARY"
    assert audit.loc["acgam_b", "comment"].startswith("boundary copy of acgam_e: leave as is")
    assert audit.loc["orn_b", "status"] == "BOUNDARY"  # nothing it bounds in the model
    assert audit.loc["orn_b", "comment"].startswith("boundary copy, no orn_e in the model")
    assert audit.loc["akg_c", "status"] == "REVIEW"  # not a boundary copy
    assert len(new.reactions.EX_acgam.metabolites) == 2 and flagged.empty


@pytest.mark.parametrize(
    "evidence, candidates, formula, charge, expected",
    [
        (
            "name=exact; conflict:cobalt2",
            "co2:0.90; cobalt2:0.90",
            "",
            2,
            "conflict: the name names co2; an id, cross-reference or InChIKey names "
            "cobalt2 (0.90); no formula in the model (charge 2)",
        ),
        (
            "xref:chebi=CHEBI:28938; name=exact; conflict:nh4",
            "co2:0.98; nh4:0.98",
            "H3N",
            0,
            "conflict: cross-reference chebi:CHEBI:28938 and the name names co2; an id, "
            "cross-reference or InChIKey names nh4 (0.98); model formula H3N, charge 0",
        ),
        (
            "name=exact; formula=mismatch; conflict:formula",
            "co2:0.60",
            "Co",
            2,
            "conflict: the name names co2, but its formula differs from the model formula Co, "
            "charge 2",
        ),
        (
            "name=exact; conflict:nh4(xref:chebi=CHEBI:28938)",
            "co2:0.9; nh4:0.9",
            "H4N",
            1,
            "conflict: the name names co2; cross-reference chebi:CHEBI:28938 names nh4 (0.9); "
            "model formula H4N, charge 1",
        ),
    ],
)
def test_conflict_comment_names_the_candidates_and_their_evidence(
    evidence, candidates, formula, charge, expected
) -> None:
    """Issue: CONFLICT rows said only "evidence disagrees"."""
    model = cobra.Model("m")
    add(model, "cpd00149_c", name="Co2", formula=formula or None, charge=charge)
    rows = {
        "cpd00149_c": {
            "bigg_id": "co2",
            "decision": "review",
            "conflict": True,
            "evidence": evidence,
            "candidates": candidates,
        }
    }
    _, audit, _ = plan_matches(model, matches(model, **rows))
    assert audit.loc["cpd00149_c", "status"] == "CONFLICT"
    assert audit.loc["cpd00149_c", "comment"] == expected


def test_conflict_without_conflict_evidence_keeps_the_general_comment() -> None:
    model = cobra.Model("m")
    add(model, "x_c", name="X")
    rows = {"x_c": {"bigg_id": "co2", "decision": "review", "conflict": True, "evidence": ""}}
    _, audit, _ = plan_matches(model, matches(model, **rows))
    assert audit.loc["x_c", "comment"] == "evidence disagrees"


def test_a_b_copy_names_the_metabolite_it_bounds_from_the_ids_not_the_proposal() -> None:
    """BU_modelSEED: cpd15302_b (glycogen n-1) was proposed glycogen by similarity; it bounds
    cpd15302_c0, and accepting it would merge it into glycogen, a different metabolite."""
    model = cobra.Model("seed")
    add(model, "cpd00155_c0", "c0", name="Glycogen")
    add(model, "cpd15302_c0", "c0", name="glycogenn-1")
    add(model, "cpd15302_b", "c0", name="glycogenn-1_b")
    react(model, "EX_cpd15302_c0", {"cpd15302_c0": -1, "cpd15302_b": 1})
    rows = {
        "cpd00155_c0": {"bigg_id": "glycogen", "evidence": "name=exact"},
        "cpd15302_b": {"bigg_id": "glycogen", "decision": "review", "evidence": "tfidf=0.84"},
    }
    _, audit, _ = apply_matches(model, matches(model, **rows))
    assert audit.loc["cpd15302_b", "status"] == "BOUNDARY"
    assert audit.loc["cpd15302_b", "comment"] == (
        "boundary copy of cpd15302_c0: leave as is (accepting it would merge it into cpd00155_c0)"
    )
