"""Tests of the learned decision: features, the JSON model, and the matcher using it."""

from __future__ import annotations

import json
from dataclasses import replace

import cobra
import numpy as np
import pytest

from cobra_metalign.catalog.store import load_catalog
from cobra_metalign.errors import MetalignError
from cobra_metalign.matching.decision import (
    FEATURES,
    DecisionModel,
    load_decision,
    pair_features,
)
from cobra_metalign.matching.matcher import EVIDENCE_WEIGHTS, Matcher


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def _candidate(**overrides):
    candidate = {
        "proposed": "glc__D",
        "strengths": {},
        "labels": [],
        "formula": "missing",
        "charge_difference": None,
        "clash": [],
        "specificity": [],
        "score": 0.5,
        "rank": 0,
        "lead": 0.1,
        "rivals": 0,
        "n_candidates": 2,
        "twins": 0,
        "bigg_models": 10,
    }
    candidate.update(overrides)
    return candidate


def _one_feature_model(
    feature: str, weight: float, accept=0.9, review=0.5, intercept=None, mode="replace"
) -> DecisionModel:
    """A model whose logit is ``weight * (feature - 1/2)`` (others have weight 0)."""
    n = len(FEATURES)
    coef = np.zeros(n)
    coef[FEATURES.index(feature)] = weight
    return DecisionModel(
        features=FEATURES,
        mean=np.zeros(n),
        scale=np.ones(n),
        coef=coef,
        intercept=-weight / 2 if intercept is None else intercept,
        accept_threshold=accept,
        review_threshold=review,
        mode=mode,
    )


def test_pair_features_read_back_the_evidence() -> None:
    features = pair_features(
        _candidate(
            strengths={"xref": 0.8, "name": 0.6, "tfidf": 0.8 * 0.75},
            labels=["xref:chebi=1", "xref:kegg.compound=C1", "name=exact", "formula=equal"],
            formula="equal",
            charge_difference=1.0,
            clash=["stereo"],
        ),
        {"base_id": "glc_D", "formula": "C6H12O6"},
        EVIDENCE_WEIGHTS,
    )
    assert set(features) == set(FEATURES)
    assert features["xref_compounds"] == 2  # 0.80 is the weight of an xref naming 2 compounds
    assert features["xref_pieces"] == 2
    assert features["name_compounds"] == 2
    assert features["tfidf_cosine"] == pytest.approx(0.75)
    assert features["formula_equal"] == 1 and features["formula_mismatch"] == 0
    assert features["charge_known"] == 1 and features["charge_difference"] == 1
    assert features["clash"] == 1 and features["specificity"] == 0
    assert features["id_exact"] == 0 and features["own_bigg"] == 0
    assert 0.8 < features["id_similarity"] < 1.0


def test_pair_features_id_kinds_and_encoder() -> None:
    features = pair_features(
        _candidate(
            strengths={"id": 0.97, "encoder": 0.75 * 0.8},
            labels=["id=exact", "xref:bigg.metabolite=glc__D"],
        ),
        {"base_id": "glc__D", "formula": ""},
        EVIDENCE_WEIGHTS,
    )
    assert features["id_exact"] == 1 and features["own_bigg"] == 1
    assert features["encoder_cosine"] == pytest.approx(0.8)
    assert features["encoder_only"] == 1
    assert features["model_formula"] == 0
    assert features["id_similarity"] == 1.0


def test_model_round_trips_through_json(tmp_path) -> None:
    model = _one_feature_model("name_exact", 6.0)
    path = model.to_json(tmp_path / "decision.json")
    again = load_decision(path)
    assert again.to_dict() == model.to_dict()
    rows = [
        pair_features(
            _candidate(strengths={"name": 0.9}, labels=["name=exact"]), {}, EVIDENCE_WEIGHTS
        )
    ]
    assert again.probabilities(rows)[0] == pytest.approx(model.probabilities(rows)[0])
    assert again.probabilities(rows)[0] == pytest.approx(1 / (1 + np.exp(-3.0)))
    assert json.loads(path.read_text())["kind"] == "logistic_regression"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"features": ["nonsense"]}, "unknown features"),
        ({"format": 99}, "not a decision model"),
        ({"accept_threshold": 0.1, "review_threshold": 0.5}, "thresholds"),
        ({"scale": None}, "scale must hold"),
        ({"intercept": "x"}, "malformed"),
    ],
)
def test_bad_model_files_are_refused_with_the_file_named(tmp_path, change, message) -> None:
    data = _one_feature_model("name_exact", 6.0).to_dict()
    if change.get("features"):
        data["features"] = change["features"]
        data["mean"] = data["scale"] = data["coef"] = [0.0]
        data["scale"] = [1.0]
    else:
        data.update(change)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(MetalignError, match=message) as caught:
        load_decision(path)
    assert "bad.json" in str(caught.value)


def test_not_json_is_refused(tmp_path) -> None:
    path = tmp_path / "x.json"
    path.write_text("{nope")
    with pytest.raises(MetalignError, match="not valid JSON"):
        load_decision(path)


def _tiny(*metabolites):
    model = cobra.Model("tiny")
    model.add_metabolites(list(metabolites))
    return model


def test_candidate_table_lists_features_per_candidate(catalog) -> None:
    from cobra_metalign.io.model import metabolite_table

    model = _tiny(
        cobra.Metabolite("glc__D_c", name="D-Glucose", formula="C6H12O6", compartment="c"),
        cobra.Metabolite("x1_c", name="Pyruvate", formula="C3H3O3", charge=-1, compartment="c"),
    )
    table = Matcher(catalog).candidate_table(metabolite_table(model))
    assert list(table.columns[:3]) == ["metabolite_id", "bigg_id", "allowed"]
    assert set(FEATURES) <= set(table.columns)
    first = table[table["metabolite_id"] == "glc__D_c"].iloc[0]
    assert first["bigg_id"] == "glc__D" and first["id_exact"] == 1 and first["rank"] == 0
    pyruvate = table[(table["metabolite_id"] == "x1_c") & (table["bigg_id"] == "pyr")]
    assert len(pyruvate) == 1 and pyruvate["name_exact"].iloc[0] == 1


def test_learned_decision_decides_and_guards_still_bound_it(catalog) -> None:
    model = _tiny(
        cobra.Metabolite("x1_c", name="Pyruvate", formula="C3H3O3", charge=-1, compartment="c"),
        # exact name of L-alanine, but a heavy-atom formula that is not alanine's
        cobra.Metabolite("x2_c", name="L-Alanine", formula="C9H9O9", compartment="c"),
    )
    accept_names = _one_feature_model("name_exact", 20.0)
    table = Matcher(catalog, decision=accept_names).match_model(model)
    assert table.loc["x1_c", ["bigg_id", "decision"]].tolist() == ["pyr", "accept"]
    assert "p=" in table.loc["x1_c", "evidence"]
    assert table.loc["x1_c", "score"] == pytest.approx(1.0, abs=1e-3)
    # a confident model may not accept what the formula guard forbids
    assert table.loc["x2_c", "decision"] != "accept"
    # a model that trusts nothing accepts nothing
    never = _one_feature_model("name_exact", 0.0, accept=0.99, review=0.9, intercept=-20.0)
    table = Matcher(catalog, decision=never).match_model(model)
    assert table.loc["x1_c", ["bigg_id", "decision"]].tolist() == ["", "none"]
    # strong evidence against the chemistry stays a conflict for a curator, whatever p says
    assert table.loc["x2_c", "decision"] == "review"
    assert bool(table.loc["x2_c", "conflict"])


def test_default_matcher_keeps_the_rules(catalog) -> None:
    model = _tiny(
        cobra.Metabolite("x1_c", name="Pyruvate", formula="C3H3O3", charge=-1, compartment="c")
    )
    table = Matcher(catalog).match_model(model)
    assert "p=" not in table.loc["x1_c", "evidence"]


def test_hybrid_keeps_what_the_rules_accept_and_decides_the_rest(catalog) -> None:
    model = _tiny(
        cobra.Metabolite("x1_c", name="Pyruvate", formula="C3H3O3", charge=-1, compartment="c"),
        cobra.Metabolite("x3_c", name="Pyruvat", formula="C3H3O3", charge=-1, compartment="c"),
    )
    rules = Matcher(catalog).match_model(model)
    assert rules.loc["x1_c", "decision"] == "accept"
    assert rules.loc["x3_c", "decision"] != "accept"
    never = _one_feature_model("name_exact", 0.0, accept=0.99, review=0.9, intercept=-20.0)
    hybrid = Matcher(catalog, decision=replace(never, mode="hybrid")).match_model(model)
    assert hybrid.loc["x1_c", ["bigg_id", "decision"]].tolist() == ["pyr", "accept"]
    assert "accepted by the rules" in hybrid.loc["x1_c", "evidence"]
    # the rules left x3 for review; a model that trusts nothing does not drop it to none
    assert hybrid.loc["x3_c", "decision"] == rules.loc["x3_c", "decision"]
    always = _one_feature_model("tfidf_cosine", 0.0, accept=0.5, review=0.1, intercept=20.0)
    hybrid = Matcher(catalog, decision=replace(always, mode="hybrid")).match_model(model)
    assert hybrid.loc["x3_c", ["bigg_id", "decision"]].tolist() == ["pyr", "accept"]


def test_mode_is_checked(tmp_path) -> None:
    with pytest.raises(MetalignError, match="mode"):
        _one_feature_model("name_exact", 1.0, mode="sometimes")


def test_organism_tags_and_share(catalog) -> None:
    from cobra_metalign.matching.matcher import organism_tags

    tags = organism_tags(catalog)
    assert {"hs", "cho"} <= tags
    assert "L" not in tags and "D" not in tags  # stereo suffixes are not organisms
    features = pair_features(
        _candidate(proposed="pail4p_hs", organism="hs", profile={"hs": 0.9, "cho": 0.1}),
        {"base_id": "MAM1", "formula": ""},
        EVIDENCE_WEIGHTS,
    )
    assert features["organism_tagged"] == 1 and features["organism_share"] == 0.9
    untagged = pair_features(_candidate(), {"base_id": "x"}, EVIDENCE_WEIGHTS)
    assert untagged["organism_tagged"] == 0 and untagged["organism_share"] == 0


def test_profile_counts_the_organism_copies_the_rules_accept(catalog) -> None:
    from cobra_metalign.io.model import metabolite_table

    model = _tiny(
        *(
            cobra.Metabolite(f"{bigg}_c", name="", compartment="c")
            for bigg in ("pail4p_hs", "pail3p_hs", "crm_hs", "pail5p_cho", "glc__D")
        )
    )
    table = Matcher(catalog).candidate_table(metabolite_table(model))
    shares = table.set_index("bigg_id")["organism_share"]
    assert shares["pail4p_hs"] == pytest.approx(0.75)
    assert shares["pail5p_cho"] == pytest.approx(0.25)
    assert shares["glc__D"] == 0


def test_fix_takes_the_learned_decision_and_refuses_a_bad_file(tmp_path, textbook) -> None:
    from click.testing import CliRunner

    from cobra_metalign.cli import main

    model_path = tmp_path / "textbook.xml"
    cobra.io.write_sbml_model(textbook, str(model_path))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": 1, "kind": "trees"}))
    runner = CliRunner()
    result = runner.invoke(main, ["fix", str(model_path), "--decision", str(bad)])
    assert result.exit_code == 2
    assert "bad.json" in result.output and "not a decision model" in result.output
    assert not (tmp_path / "textbook.aligned.xml").exists()
    result = runner.invoke(main, ["fix", str(model_path), "--decision", "learned"])
    assert result.exit_code == 0, result.output
    audit = (tmp_path / "textbook.audit.tsv").read_text()
    assert "accepted by the rules" in audit or "p=" in audit


def test_packaged_decision_is_valid_and_hybrid() -> None:
    decision = load_decision()
    assert decision.mode == "hybrid"
    assert set(decision.features) <= set(FEATURES)
    assert 0.9 <= decision.accept_threshold <= 1.0
    assert len(decision.metadata["data_sha256"]) == 64
    assert decision.metadata["versions"]["scikit-learn"]


def test_a_rules_conflict_stays_a_conflict_whatever_the_learned_decision(catalog) -> None:
    # named citrate, but KEGG C00311 is isocitrate: the rules make it a conflict for a curator
    met = cobra.Metabolite("x9_c", name="Citrate", formula="C6H5O7", charge=-3, compartment="c")
    met.annotation = {"kegg.compound": "C00311"}
    model = _tiny(met)
    rules = Matcher(catalog).match_model(model)
    assert bool(rules.loc["x9_c", "conflict"]) and rules.loc["x9_c", "decision"] == "review"
    always = _one_feature_model("tfidf_cosine", 0.0, accept=0.5, review=0.1, intercept=20.0)
    for mode in ("hybrid", "replace"):
        table = Matcher(catalog, decision=replace(always, mode=mode)).match_model(model)
        assert table.loc["x9_c"].tolist() == rules.loc["x9_c"].tolist(), mode


def test_nan_intercept_and_repeated_features_are_refused() -> None:
    with pytest.raises(MetalignError, match="intercept"):
        _one_feature_model("name_exact", 1.0, intercept=float("nan"))
    n = 2
    with pytest.raises(MetalignError, match="repeats"):
        DecisionModel(
            features=("name_exact", "name_exact"),
            mean=np.zeros(n),
            scale=np.ones(n),
            coef=np.zeros(n),
            intercept=0.0,
            accept_threshold=0.9,
            review_threshold=0.5,
        )


def test_a_decision_trained_with_an_encoder_needs_one(catalog) -> None:
    model = _one_feature_model("name_exact", 1.0)
    needs = replace(model, metadata={"encoder": "minilm|abc"})
    with pytest.raises(MetalignError, match="encoder"):
        Matcher(catalog, decision=needs)


def test_a_name_spelling_an_id_is_its_own_feature() -> None:
    features = pair_features(
        _candidate(strengths={"name": 0.85}, labels=["name=id"]), {}, EVIDENCE_WEIGHTS
    )
    assert features["name_is_id"] == 1
    assert features["name_exact"] == 0 and features["name_compounds"] == 0
    exact = pair_features(
        _candidate(strengths={"name": 0.6}, labels=["name=exact"]), {}, EVIDENCE_WEIGHTS
    )
    assert (exact["name_is_id"], exact["name_exact"], exact["name_compounds"]) == (0, 1, 2)
