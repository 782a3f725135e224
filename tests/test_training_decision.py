"""Tests of cobra_metalign.training.decision: labelled candidates, thresholds, the fit, the CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from cobra_metalign.catalog.store import load_catalog
from cobra_metalign.cli.train import train_decision
from cobra_metalign.matching.decision import FEATURES, load_decision
from cobra_metalign.matching.matcher import Matcher
from cobra_metalign.training.decision import (
    GoldSet,
    build_dataset,
    choose_thresholds,
    family_cv,
    fit_decision,
    format_markdown,
    leave_one_set_out,
)

#: (source id, name, formula, charge, gold) of two tiny gold sets, named as models name them
_SET_A = [
    ("m1", "D-Glucose", "C6H12O6", "0", "glc__D"),
    ("m2", "Pyruvate", "C3H3O3", "-1", "pyr"),
    ("m3", "L-Alanine", "C3H7NO2", "0", "ala__L"),
    ("m4", "Citrate", "C6H5O7", "-3", "cit"),
    ("m5", "Fumarate", "C4H2O4", "-2", "fum"),
    ("m6", "L-Glutamate", "C5H8NO4", "-1", "glu__L"),
    ("m7", "Succinate", "C4H4O4", "-2", "succ"),
    ("m8", "Glycine", "C2H5NO2", "0", "gly"),
]
_SET_B = [
    ("n1", "L-Malate", "C4H4O5", "-2", "mal__L"),
    ("n2", "Oxaloacetate", "C4H2O5", "-2", "oaa"),
    ("n3", "ATP", "C10H12N5O13P3", "-4", "atp"),
    ("n4", "Acetate", "C2H3O2", "-1", "ac"),
    ("n5", "L-Serine", "C3H7NO3", "0", "ser__L"),
    ("n6", "Ethanol", "C2H6O", "0", "etoh"),
    ("n7", "Urea", "CH4N2O", "0", "urea"),
    ("n8", "unheard-of compound X", "C99H9", "0", "notinbigg"),
]


def _write(folder, name, rows) -> str:
    frame = pd.DataFrame(rows, columns=["source_id", "name", "formula", "charge", "gold_bigg"])
    frame["compartment"] = "c"
    path = folder / "benchmarks" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, sep="\t", index=False)
    return f"benchmarks/{name}"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory, catalog):
    folder = tmp_path_factory.mktemp("gold")
    sets = (
        GoldSet("a", "A", _write(folder, "a.tsv", _SET_A), use_xrefs=False),
        GoldSet("b", "B", _write(folder, "b.tsv", _SET_B), use_xrefs=False),
    )
    return folder, sets, build_dataset(folder, catalog, sets=sets)


def test_candidates_are_labelled_against_the_gold(tiny_data) -> None:
    _folder, _sets, data = tiny_data
    frame = data["a"].candidates
    assert set(FEATURES) <= set(frame.columns)
    glucose = frame[(frame["metabolite_id"] == "m1") & (frame["bigg_id"] == "glc__D")]
    assert glucose["label"].tolist() == [True]
    assert glucose["label_strict"].tolist() == [True]
    # every other candidate of the same metabolite is wrong
    assert not frame[(frame["metabolite_id"] == "m1") & (frame["bigg_id"] != "glc__D")][
        "label"
    ].any()
    assert set(frame["group"]) == {"A"} and frame["unit"].str.startswith("a:").all()
    # a gold id the catalogue lacks has no correct candidate
    other = data["b"].candidates
    assert not other[other["metabolite_id"] == "n8"]["label"].any()


def test_choose_thresholds_keeps_precision_from_there_up() -> None:
    frame = pd.DataFrame(
        {
            "unit": [f"u{i}" for i in range(10)],
            "rank": 0,
            "allowed": [True] * 9 + [False],
            "label": [True] * 6 + [False, True, False, True],
        }
    )
    p = np.array([0.99, 0.98, 0.97, 0.96, 0.95, 0.94, 0.93, 0.5, 0.4, 0.999])
    accept, review = choose_thresholds(frame, p, target=0.995)
    # the first wrong one is at 0.93: accepting stops just above it
    assert accept == pytest.approx(0.94)
    assert review <= accept
    # the not-allowed 0.999 candidate neither counts nor lowers the threshold
    accept_all, _ = choose_thresholds(frame, p, target=0.0)
    assert accept_all == pytest.approx(0.4)


def test_choose_thresholds_accepts_ties_together() -> None:
    frame = pd.DataFrame(
        {"unit": ["u1", "u2", "u3"], "rank": 0, "allowed": True, "label": [True, True, False]}
    )
    accept, _ = choose_thresholds(frame, np.array([0.99, 0.96, 0.96]), target=0.995)
    # accepting at 0.96 accepts both tied rows, one of them wrong: stay at 0.99
    assert accept == pytest.approx(0.99)


def test_fit_decision_learns_from_the_candidates_and_ships_as_json(tiny_data, tmp_path) -> None:
    _folder, _sets, data = tiny_data
    frame = pd.concat([d.candidates for d in data.values()], ignore_index=True)
    decision = fit_decision(frame, folds=3, mode="replace")
    assert decision.features == tuple(f for f in FEATURES if not f.startswith("encoder"))
    assert decision.metadata["training_units"] == frame["unit"].nunique()
    assert len(decision.metadata["data_sha256"]) == 64
    x = frame[list(decision.features)].to_numpy(float)
    p = decision.probabilities(x)
    # correct candidates get higher probabilities than wrong ones
    assert p[frame["label"].to_numpy()].mean() > p[~frame["label"].to_numpy()].mean() + 0.3
    again = load_decision(decision.to_json(tmp_path / "d.json"))
    assert np.allclose(again.probabilities(x), p)
    cv = family_cv(frame, folds=3, mode="replace")
    hybrid = family_cv(frame, folds=3, mode="hybrid")
    assert hybrid["accepted"] >= (frame["rule_decision"] == "accept").sum()
    assert cv["units"] == frame["unit"].nunique()
    assert 0 <= cv["accepted"] <= cv["units"]


def test_leave_one_set_out_scores_each_held_out_set(tiny_data, catalog) -> None:
    folder, _sets, data = tiny_data
    table = leave_one_set_out(
        data,
        catalog,
        data_dir=folder,
        variants=[("logistic", "logistic", False, "replace")],
        folds=3,
    )
    assert sorted(table["held_out"].unique()) == ["a", "b"]
    assert set(table["method"]) == {"rules", "logistic"}
    rules = table[(table["held_out"] == "a") & (table["method"] == "rules")].iloc[0]
    # the rules row is the matcher as it is today
    assert rules["precision"] == 1.0 and rules["recall"] >= 0.75
    assert "| a | rules |" in format_markdown(table)


def test_matcher_uses_a_trained_decision(tiny_data, catalog, tmp_path) -> None:
    folder, sets, data = tiny_data
    frame = pd.concat([d.candidates for d in data.values()], ignore_index=True)
    path = fit_decision(frame, folds=3, mode="replace").to_json(tmp_path / "d.json")
    table = Matcher(catalog, decision=str(path)).match_table(data["a"].table)
    assert table.loc["m1", "bigg_id"] == "glc__D"
    assert table["evidence"].str.contains("p=|accepted by the rules").all()


def test_train_decision_cli_writes_the_model_and_refuses_to_overwrite(tiny_data, tmp_path) -> None:
    folder, _sets, _data = tiny_data
    out = tmp_path / "decision.json"
    runner = CliRunner()
    args = ["--data", str(folder), "-o", str(out), "--no-evaluate"]
    # the tiny folder has none of the open gold sets: a clear error naming what is missing
    result = runner.invoke(train_decision, args)
    assert result.exit_code == 1
    assert "humangem" in result.output and not out.exists()
    out.write_text("{}")
    result = runner.invoke(train_decision, args)
    assert result.exit_code == 1 and "--overwrite" in result.output
    assert "humangem" not in result.output  # refused before any data is read
    assert json.loads(out.read_text()) == {}


class _CountingEncoder:
    """Vectors from the name's length; counts the names it is asked to encode."""

    fingerprint = "counting"
    dim = 2

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def encode(self, names, normalize=True):
        self.encoded.extend(names)
        vectors = np.array([[len(n), 1.0] for n in names], dtype=np.float32).reshape(-1, 2)
        if normalize and len(vectors):
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors


def test_an_evaluation_encodes_each_name_once() -> None:
    from cobra_metalign.training.decision import EncodedOnce

    inner = _CountingEncoder()
    once = EncodedOnce(inner)
    first = once.encode(["pyruvate", "glucose", "pyruvate"])
    again = once.encode(["glucose", "water"])
    assert inner.encoded == ["pyruvate", "glucose", "water"]
    np.testing.assert_allclose(first, inner.encode(["pyruvate", "glucose", "pyruvate"]))
    np.testing.assert_allclose(again, inner.encode(["glucose", "water"]))
    raw = once.encode(["glucose"], normalize=False)  # another kind of vector: encoded anew
    np.testing.assert_allclose(raw, [[7.0, 1.0]])
    assert once.fingerprint == "counting" and once.encode([]).shape == (0, 2)
