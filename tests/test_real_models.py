"""The checks of benchmarks/real_models.py, on tiny data built here (so that they can fail)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cobra
import pandas as pd
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "real_models.py"


@pytest.fixture(scope="module")
def rm():
    spec = importlib.util.spec_from_file_location("real_models", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_heavy_atoms(rm):
    assert rm.heavy_atoms("C6H12O6") == rm.heavy_atoms("C6H11O6")
    assert rm.heavy_atoms("C1936H3000O100") != rm.heavy_atoms("C1660H3000O100")
    assert rm.heavy_atoms("C5H8RO2") is None
    assert rm.heavy_atoms("") is None and rm.heavy_atoms("C6 H12") is None


def test_stereo_tokens(rm):
    assert rm.stereo_tokens("alpha-D-Glucose") == {"alpha", "D"}
    assert rm.stereo_tokens("beta-Cellobiose") != rm.stereo_tokens("Cellobiose")
    assert rm.stereo_tokens("(R)-Lactate") == {"R"}
    assert rm.stereo_tokens("cis-Aconitate") == {"cis"}
    assert rm.stereo_tokens("3-Oxo-6Z,9Z-octadecadienoyl-CoA") == rm.stereo_tokens(
        "3-oxo-(6Z,9Z)-octadecadienoyl-CoA"
    )
    assert rm.stereo_tokens("S-(3-Methylbutanoyl)-dihydrolipoamide") == set()
    assert rm.stereo_tokens("ATP") == set() and rm.stereo_tokens("Coenzyme A") == set()


def test_id_suffix(rm):
    assert rm.id_suffix("10fthf_c", "C_c") == "c"
    assert rm.id_suffix("cpd00027_c0", "c0") == "c0"
    assert rm.id_suffix("glc[e]", "e") == "e"
    assert rm.id_suffix("MAM01234c", "c") is None


def test_similarity_only(rm):
    assert rm.evidence_is_similarity_only("inchikey=skeleton; tfidf=0.84; formula=ok")
    assert rm.evidence_is_similarity_only("tfidf=0.91")
    assert not rm.evidence_is_similarity_only("name=exact; tfidf=1.00; formula=equal")
    assert not rm.evidence_is_similarity_only("xref:seed.compound=cpd00027")


def _model() -> cobra.Model:
    model = cobra.Model("m")
    model.add_metabolites(
        [
            cobra.Metabolite("glc_c", name="D-Glucose", formula="C6H12O6", compartment="C_c"),
            cobra.Metabolite("bglc_c", name="beta-D-Glucose", formula="C6H12O6", compartment="C_c"),
            cobra.Metabolite("glc_e", name="D-Glucose", formula="C6H12O6", compartment="C_e"),
            cobra.Metabolite("malt_c", name="D-Maltose", formula="C12H22O11", compartment="C_c"),
            cobra.Metabolite("x_c", name="X", formula="C2H4O2", compartment="C_c"),
        ]
    )
    model.metabolites.x_c.annotation["bigg.metabolite"] = "ac"
    return model


def test_check_audit_finds_each_violation(rm):
    audit = pd.DataFrame(
        [
            ["glc_c", "RENAMED", "glc__D_C_c", "glc__D", "id=exact"],
            ["bglc_c", "MERGED", "glc__D_C_c", "glc__D", "name=exact"],
            ["glc_e", "MERGED", "glc__D_C_c", "glc__D", "xref:chebi=CHEBI:4167"],
            ["malt_c", "MERGED", "glc__D_C_c", "glc__D", "tfidf=0.80"],
            ["x_c", "RENAMED", "for_c", "for", "name=exact"],
        ],
        columns=["metabolite_id", "status", "new_id", "bigg_id", "evidence"],
    )
    found = rm.check_audit(audit, _model())
    assert found["x_comp"] == ["glc_e -> glc_c"]
    assert found["x_formula"] == ["malt_c -> glc_c (C12H22O11 vs C6H12O6)"]
    assert [item.split(" (")[0] for item in found["stereo"]] == ["bglc_c -> glc_c"]
    assert found["similarity_only"] == ["malt_c -> glc__D (tfidf=0.80)"]
    assert found["suffix"] == ["glc_c -> glc__D_C_c"]
    assert found["own_bigg"] == ["x_c: for not in ['ac']"] and found["annotated"] == ["x_c"]


def test_reaction_differences_and_growth(rm):
    model = cobra.Model("m")
    a = cobra.Metabolite("a_c", compartment="c")
    b = cobra.Metabolite("b_c", compartment="c")
    r1 = cobra.Reaction("R1", upper_bound=10)
    r1.add_metabolites({a: -1, b: 1})
    model.add_reactions([r1])
    out = model.copy()
    assert rm.reaction_differences(model, out, {}) == []
    out.reactions.R1.upper_bound = 5
    assert rm.reaction_differences(model, out, {}) == ["R1"]
    # b merged into a: the reaction cancels out, and the mapped input says so too.
    merged = model.copy()
    merged.reactions.R1.add_metabolites({merged.metabolites.b_c: -1, merged.metabolites.a_c: 1})
    assert rm.reaction_differences(model, merged, {"b_c": "a_c"}) == []
    assert rm.same_growth(float("nan"), float("nan"))
    assert not rm.same_growth(1.0, 1.00001) and rm.same_growth(1.0, 1.0000000001)


def test_chem_differences(rm):
    """A charge written as 0 (JSON -2.0 through libsbml) is found; merges and formulas FBC
    cannot hold (kept as a note) are not judged; renamed ids are followed."""
    model = cobra.Model("m")
    model.add_metabolites(
        [
            cobra.Metabolite("thf_c", formula="C19H21N7O6", charge=-2.0, compartment="c"),
            cobra.Metabolite("nh4", formula="H4N", charge=1, compartment="c"),
            cobra.Metabolite("dup_c", formula="C2H4O2", charge=0, compartment="c"),
            cobra.Metabolite("poly_c", formula="C16.0H28.0", charge=2, compartment="c"),
            cobra.Metabolite("none_c", compartment="c"),
            cobra.Metabolite("text_c", charge="", compartment="c"),
            cobra.Metabolite("wta_c", charge=3.12, compartment="c"),
        ]
    )
    out = model.copy()
    out.metabolites.nh4.id = "nh4_c"
    out.metabolites.poly_c.formula = None
    out.remove_metabolites([out.metabolites.dup_c])
    new_id, status = {"nh4": "nh4_c", "dup_c": "thf_c"}, {"dup_c": "MERGED"}
    assert rm.chem_differences(model, out, new_id, status) == []
    out.metabolites.none_c.charge = 0  # cobra's reading of a missing fbc:charge
    out.metabolites.wta_c.charge = 0  # FBC v2 holds whole numbers only: a CHARGE note
    assert rm.chem_differences(model, out, new_id, status) == []
    out.metabolites.thf_c.charge = 0
    out.metabolites.nh4_c.charge = None
    found = rm.chem_differences(model, out, new_id, status)
    assert [item.split(":")[0] for item in found] == ["thf_c", "nh4"]
    assert rm.failed({"exit": 0, "readable": "yes", "growth": "same", "chem": 1})
